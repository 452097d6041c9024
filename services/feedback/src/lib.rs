//! Feedback service: reclamations, feedback, praise, questions and ideas from
//! the customers' sites, handled by a named person of the producer with SLA
//! clocks in working hours (Finnish holidays off, paused while waiting for the
//! customer), warnings and escalation, a conversation with internal notes,
//! corrective actions, compensations for invoicing to credit, ratings and
//! notifications. It learns sites, contact persons and agreements from
//! contracts' events and product names from pricing's.

pub mod announcements;
pub mod convert;
pub mod domain;
pub mod grpc;
pub mod mail;
pub mod open311;
pub mod photo;
pub mod projection;
pub mod service;
pub mod sla;
pub mod store;
pub mod survey;

use kumppani_platform::Shutdown;
use kumppani_platform::service::{Runtime, ServiceConfig, ServiceSpec};
use kumppani_proto::feedback::v1::feedback_service_server::FeedbackServiceServer;

pub const SCHEMA: &str = "feedback";
pub const PRODUCER: &str = "feedback";

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub const SPEC: ServiceSpec = ServiceSpec { name: SCHEMA, migrator: &MIGRATOR, default_port: 50054, relay_batch: 200, min_connections: 2 };

/// The largest request feedback takes: five photos of 10 MiB with the rest of the item.
pub const MAX_MESSAGE_BYTES: usize = photo::MAX_PHOTOS * photo::MAX_BYTES + 1024 * 1024;

/// How often the SLA job looks for due warnings and breaches.
pub const SLA_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// How often notifications are e-mailed.
pub const MAIL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

/// Feedback's own settings, read once at start-up.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// E-mail of notifications ([`kumppani_platform::mail`]); `None`: portal only.
    pub mail: Option<kumppani_platform::mail::Mailer>,
    /// The portal's public address, for the links in e-mails (`KUMPPANI_PUBLIC_URL`).
    pub portal_url: String,
}

impl Config {
    /// `KUMPPANI_SMTP_URL`, `KUMPPANI_MAIL_FROM`, `KUMPPANI_PUBLIC_URL`; an error names the variable.
    pub fn from_env() -> Result<Self, kumppani_platform::config::ConfigError> {
        Ok(Self {
            mail: kumppani_platform::mail::Mailer::from_env()?,
            portal_url: kumppani_platform::config::var_or("KUMPPANI_PUBLIC_URL", "http://127.0.0.1:8080"),
        })
    }
}

/// Runs the service until `shutdown`: gRPC, the outbox relay, the projections, the SLA job and e-mail.
pub async fn run(config: ServiceConfig, own: Config, listener: tokio::net::TcpListener, shutdown: Shutdown) -> anyhow::Result<()> {
    let mut rt = Runtime::start(SPEC, config, shutdown).await?;
    rt.consume(projection::REGISTRY_CONSUMER, "contracts", projection::Registry);
    rt.consume(projection::CATALOGUE_CONSUMER, "pricing", projection::Catalogue);
    rt.consume(projection::DELIVERIES_CONSUMER, "ordering", projection::Deliveries);
    rt.spawn("sla", sla::run(rt.pool.clone(), SLA_INTERVAL, rt.shutdown.clone()));
    match own.mail {
        Some(mailer) => rt.spawn("mail", mail::run(rt.pool.clone(), mailer, own.portal_url, MAIL_INTERVAL, rt.shutdown.clone())),
        None => tracing::info!("no KUMPPANI_SMTP_URL: notifications are shown in the portal only, not e-mailed"),
    }
    let api = grpc::FeedbackApi { pool: rt.pool.clone(), verifier: rt.verifier() };
    rt.serve(listener, FeedbackServiceServer::new(api).max_decoding_message_size(MAX_MESSAGE_BYTES)).await
}
