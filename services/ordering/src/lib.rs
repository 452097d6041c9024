//! Ordering service: electronic orders per site, service day, product and diet;
//! cut-offs on Finnish working days; late-change requests; delivered quantities
//! (what invoicing bills) with corrections; budgeted quantities and over/under-use;
//! the ordering system's idempotent batch API; production and KPI views.

pub mod domain;
pub mod grpc;
pub mod projection;
pub mod standing;
pub mod store;

use kumppani_platform::Shutdown;
use kumppani_platform::service::{Runtime, ServiceConfig, ServiceSpec};
use kumppani_proto::ordering::v1::ordering_service_server::OrderingServiceServer;

pub const SCHEMA: &str = "ordering";
pub const PRODUCER: &str = "ordering";

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// What the platform runtime needs to know of this service: batch intake
/// writes thousands of events at once, so a larger relay batch and pool.
pub const SPEC: ServiceSpec = ServiceSpec { name: SCHEMA, migrator: &MIGRATOR, default_port: 50053, relay_batch: 500, min_connections: 20 };

/// Runs the service until `shutdown`: gRPC, the outbox relay, the projections
/// and the daily materialization of standing orders.
pub async fn run(config: ServiceConfig, listener: tokio::net::TcpListener, shutdown: Shutdown) -> anyhow::Result<()> {
    let mut rt = Runtime::start(SPEC, config, shutdown).await?;
    rt.consume(projection::REGISTRY_CONSUMER, "contracts", projection::Registry);
    rt.consume(projection::CATALOGUE_CONSUMER, "pricing", projection::Catalogue);
    rt.spawn("standing orders", standing::keep_materialized(rt.pool.clone(), rt.shutdown.clone()));
    let api = grpc::OrderingApi { pool: rt.pool.clone(), verifier: rt.verifier() };
    rt.serve(listener, OrderingServiceServer::new(api)).await
}
