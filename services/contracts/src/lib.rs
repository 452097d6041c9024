//! Contracts service: the shared customer registry (customers, units, sites,
//! contacts, "who do I contact"), annual service agreements with lines, annexes
//! and lifecycle, and amendments with their approval rule; and the
//! partnership around them: the annual preparation calendar and disputes.

pub mod domain;
pub mod grpc;
pub mod partnership;
pub mod store;

use kumppani_platform::Shutdown;
use kumppani_platform::service::{Runtime, ServiceConfig, ServiceSpec};
use kumppani_proto::MessageLimits;
use kumppani_proto::contracts::v1::contracts_service_server::ContractsServiceServer;
use kumppani_proto::contracts::v1::partnership_service_server::PartnershipServiceServer;

/// The schema (and role `kumppani_contracts`) this service owns.
pub const SCHEMA: &str = "contracts";
/// Producer name in event envelopes; also the JetStream stream suffix.
pub const PRODUCER: &str = "contracts";

/// This service's migrations (run inside its schema).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// What the platform runtime needs to know of this service.
pub const SPEC: ServiceSpec = ServiceSpec { name: SCHEMA, migrator: &MIGRATOR, default_port: 50051, relay_batch: 200, min_connections: 0 };

/// How often the partnership's clock runs (dispute escalations, calendar reminders) and its mail is sent.
pub const CLOCK_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Contracts' own settings, read once at start-up.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// E-mail of reminders and dispute notices ([`kumppani_platform::mail`]); `None`: written, not sent.
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

/// Runs the service until `shutdown`: both gRPC services, the outbox relay and the partnership's clock.
pub async fn run(config: ServiceConfig, own: Config, listener: tokio::net::TcpListener, shutdown: Shutdown) -> anyhow::Result<()> {
    let mut rt = Runtime::start(SPEC, config, shutdown).await?;
    let partnership = partnership::Partnership::new(rt.pool.clone(), own.portal_url);
    if own.mail.is_none() {
        tracing::info!("no KUMPPANI_SMTP_URL: calendar reminders and dispute notices are shown in the portal only, not e-mailed");
    }
    rt.spawn("partnership-clock", partnership::mail::run(partnership.clone(), own.mail, CLOCK_INTERVAL, rt.shutdown.clone()));
    let contracts = grpc::ContractsApi { pool: rt.pool.clone(), verifier: rt.verifier() };
    let partnership = grpc::partnership::PartnershipApi { service: partnership, verifier: rt.verifier() };
    rt.serve_with(listener, |limit, server| {
        server
            .service(ContractsServiceServer::new(contracts).with_message_limit(limit))
            .service(PartnershipServiceServer::new(partnership).with_message_limit(limit))
    })
    .await
}
