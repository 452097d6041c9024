//! Contracts service: the shared customer registry (customers, units, sites,
//! contacts, "who do I contact"), annual service agreements with lines, annexes
//! and lifecycle, and amendments with their approval rule.

pub mod domain;
pub mod grpc;
pub mod store;

use kumppani_platform::Shutdown;
use kumppani_platform::service::{Runtime, ServiceConfig, ServiceSpec};
use kumppani_proto::contracts::v1::contracts_service_server::ContractsServiceServer;

/// The schema (and role `kumppani_contracts`) this service owns.
pub const SCHEMA: &str = "contracts";
/// Producer name in event envelopes; also the JetStream stream suffix.
pub const PRODUCER: &str = "contracts";

/// This service's migrations (run inside its schema).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// What the platform runtime needs to know of this service.
pub const SPEC: ServiceSpec = ServiceSpec { name: SCHEMA, migrator: &MIGRATOR, default_port: 50051, relay_batch: 200, min_connections: 0 };

/// Runs the service until `shutdown`: the gRPC API and the outbox relay.
pub async fn run(config: ServiceConfig, listener: tokio::net::TcpListener, shutdown: Shutdown) -> anyhow::Result<()> {
    let rt = Runtime::start(SPEC, config, shutdown).await?;
    let api = grpc::ContractsApi { pool: rt.pool.clone(), verifier: rt.verifier() };
    rt.serve(listener, ContractsServiceServer::new(api)).await
}
