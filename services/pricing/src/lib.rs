//! Pricing service: the product catalogue, yearly price lists whose every price
//! is explained by cost components, site- and customer-specific prices,
//! mid-year price changes, VAT as dated data, private-provider benchmarks and
//! price resolution (for invoicing and the customers' price sheets).

pub mod domain;
pub mod grpc;
pub mod projection;
pub mod store;

use kumppani_platform::Shutdown;
use kumppani_platform::events::emit;
use kumppani_platform::service::{Runtime, ServiceConfig, ServiceSpec};
use kumppani_proto::pricing::v1 as pb;
use kumppani_proto::pricing::v1::pricing_service_server::PricingServiceServer;
use sqlx::PgPool;

pub const SCHEMA: &str = "pricing";
pub const PRODUCER: &str = "pricing";

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// What the platform runtime needs to know of this service.
pub const SPEC: ServiceSpec = ServiceSpec { name: SCHEMA, migrator: &MIGRATOR, default_port: 50052, relay_batch: 200, min_connections: 0 };

/// Publishes the VAT table as an event when it differs from what was last published.
///
/// The fingerprint is a SHA-256 of the values ([`domain::vat_fingerprint`]).
/// It used to be the rows' `Debug` text, so a deployment that stored one of
/// those publishes the same table once more after the upgrade: harmless, the
/// consumers upsert idempotently.
pub async fn publish_vat_rates(pool: &PgPool) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    let rows = store::vat_rows(&mut tx).await?;
    let fingerprint = domain::vat_fingerprint(&rows);
    let last = store::published_fingerprint(&mut tx, "vat_rates").await?;
    if last.as_deref() != Some(fingerprint.as_str()) {
        emit(&mut tx, PRODUCER, "pricing.vat_rate.set", &pb::VatRatesEvent { rates: store::vat_proto(&rows) }).await?;
        store::set_published_fingerprint(&mut tx, "vat_rates", &fingerprint).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Runs the service until `shutdown`: gRPC, the outbox relay and the registry projection.
pub async fn run(config: ServiceConfig, listener: tokio::net::TcpListener, shutdown: Shutdown) -> anyhow::Result<()> {
    let mut rt = Runtime::start(SPEC, config, shutdown).await?;
    publish_vat_rates(&rt.pool).await?;
    rt.consume(projection::CONSUMER, "contracts", projection::RegistryProjection);
    let api = grpc::PricingApi { pool: rt.pool.clone(), verifier: rt.verifier() };
    rt.serve(listener, PricingServiceServer::new(api)).await
}
