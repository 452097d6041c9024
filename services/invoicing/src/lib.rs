//! Invoicing service: once a month every customer (or billing unit) gets an
//! invoice whose every euro is traced to what was delivered where, on which
//! day, at which price and what that price consists of. It learns everything
//! from events into its own projection (customers, units, sites, agreements
//! from contracts; price lists, overrides, VAT from pricing; deliveries from
//! ordering), so a run never depends on another service being up.

pub mod compensations;
pub mod convert;
pub mod documents;
pub mod domain;
pub mod export;
pub mod grpc;
pub mod progress;
pub mod projection;
pub mod questions;
pub mod reconciliation;
pub mod service;
pub mod store;

use kumppani_platform::Shutdown;
use kumppani_platform::service::{Runtime, ServiceConfig, ServiceSpec};
use kumppani_proto::invoicing::v1::invoicing_service_server::InvoicingServiceServer;

pub const SCHEMA: &str = "invoicing";
pub const PRODUCER: &str = "invoicing";

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub const SPEC: ServiceSpec = ServiceSpec { name: SCHEMA, migrator: &MIGRATOR, default_port: 50055, relay_batch: 500, min_connections: 4 };

/// Invoicing's own settings, read once at start-up.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where export batches go ([`export::sink`] lists the variables).
    pub export: export::sink::ExportSink,
}

impl Config {
    /// `KUMPPANI_EXPORT_SINK` and its companions; an error names the variable.
    pub fn from_env() -> Result<Self, kumppani_platform::config::ConfigError> {
        Ok(Self { export: export::sink::ExportSink::from_env()? })
    }
}

/// Runs the service until `shutdown`: gRPC, the outbox relay and the projections.
pub async fn run(config: ServiceConfig, own: Config, listener: tokio::net::TcpListener, shutdown: Shutdown) -> anyhow::Result<()> {
    let mut rt = Runtime::start(SPEC, config, shutdown).await?;
    rt.consume(projection::REGISTRY_CONSUMER, "contracts", projection::Registry);
    rt.consume(projection::PRICES_CONSUMER, "pricing", projection::Prices);
    rt.consume(projection::DELIVERIES_CONSUMER, "ordering", projection::Deliveries);
    rt.consume(compensations::CONSUMER, "feedback", compensations::Compensations);
    let api = grpc::InvoicingApi { pool: rt.pool.clone(), verifier: rt.verifier(), export: std::sync::Arc::new(own.export) };
    rt.serve(listener, InvoicingServiceServer::new(api)).await
}
