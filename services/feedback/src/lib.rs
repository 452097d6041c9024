//! Feedback service: reclamations, feedback, praise, questions and ideas from
//! the customers' sites, handled by a named person of the producer with SLA
//! clocks in working hours (Finnish holidays off, paused while waiting for the
//! customer), warnings and escalation, a conversation with internal notes,
//! corrective actions, compensations for invoicing to credit, ratings and
//! notifications. It learns sites, contact persons and agreements from
//! contracts' events and product names from pricing's.

pub mod convert;
pub mod domain;
pub mod grpc;
pub mod projection;
pub mod service;
pub mod sla;
pub mod store;

use kumppani_platform::Shutdown;
use kumppani_platform::service::{Runtime, ServiceConfig, ServiceSpec};
use kumppani_proto::feedback::v1::feedback_service_server::FeedbackServiceServer;

pub const SCHEMA: &str = "feedback";
pub const PRODUCER: &str = "feedback";

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub const SPEC: ServiceSpec = ServiceSpec { name: SCHEMA, migrator: &MIGRATOR, default_port: 50054, relay_batch: 200, min_connections: 2 };

/// How often the SLA job looks for due warnings and breaches.
pub const SLA_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// Runs the service until `shutdown`: gRPC, the outbox relay, the projections and the SLA job.
pub async fn run(config: ServiceConfig, listener: tokio::net::TcpListener, shutdown: Shutdown) -> anyhow::Result<()> {
    let mut rt = Runtime::start(SPEC, config, shutdown).await?;
    rt.consume(projection::REGISTRY_CONSUMER, "contracts", projection::Registry);
    rt.consume(projection::CATALOGUE_CONSUMER, "pricing", projection::Catalogue);
    rt.spawn("sla", sla::run(rt.pool.clone(), SLA_INTERVAL, rt.shutdown.clone()));
    let api = grpc::FeedbackApi { pool: rt.pool.clone(), verifier: rt.verifier() };
    rt.serve(listener, FeedbackServiceServer::new(api)).await
}
