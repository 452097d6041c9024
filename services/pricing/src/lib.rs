//! Pricing service: the product catalogue, yearly price lists whose every price
//! is explained by cost components, site- and customer-specific prices,
//! mid-year price changes, VAT as dated data, private-provider benchmarks and
//! price resolution (for invoicing and the customers' price sheets).

pub mod demo_pricing;
pub mod domain;
pub mod grpc;
pub mod projection;
pub mod seed;
pub mod store;

use kumppani_platform::Shutdown;
use kumppani_platform::auth::Verifier;
use kumppani_platform::config::{CommonConfig, ConfigError};
use kumppani_platform::events::{Consumer, OutboxRelay, emit};
use kumppani_proto::pricing::v1 as pb;
use kumppani_proto::pricing::v1::pricing_service_server::PricingServiceServer;
use sqlx::PgPool;
use std::net::SocketAddr;

pub const SCHEMA: &str = "pricing";
pub const PRODUCER: &str = "pricing";

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    pub grpc_addr: SocketAddr,
    pub derive_role: bool,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            common: CommonConfig::from_env()?,
            grpc_addr: kumppani_platform::config::parse_or("KUMPPANI_GRPC_ADDR", SocketAddr::from(([0, 0, 0, 0], 50052)))?,
            derive_role: false,
        })
    }
}

/// Publishes the VAT table as an event when it differs from what was last published.
pub async fn publish_vat_rates(pool: &PgPool) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    let rows = store::vat_rows(&mut tx).await?;
    let fingerprint = format!("{rows:?}");
    let last: Option<String> =
        sqlx::query_scalar("SELECT fingerprint FROM published_state WHERE key = 'vat_rates' FOR UPDATE").fetch_optional(&mut *tx).await?;
    if last.as_deref() != Some(fingerprint.as_str()) {
        emit(&mut tx, PRODUCER, "pricing.vat_rate.set", &pb::VatRatesEvent { rates: store::vat_proto(&rows) }).await?;
        sqlx::query(
            "INSERT INTO published_state (key, fingerprint) VALUES ('vat_rates', $1)
             ON CONFLICT (key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, at = now()",
        )
        .bind(&fingerprint)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Runs the service until `shutdown`: gRPC, the outbox relay and the registry projection.
pub async fn run(config: Config, listener: tokio::net::TcpListener, shutdown: Shutdown) -> anyhow::Result<()> {
    let pool = kumppani_platform::db::connect_as_service(
        config.common.database_url.expose(),
        SCHEMA,
        config.derive_role,
        config.common.database_max_connections,
    )
    .await?;
    let nats = kumppani_platform::nats::connect(&config.common.nats_url, "kumppani-pricing").await?;
    let js = async_nats::jetstream::new(nats);
    let prefix = config.common.nats_prefix.clone();
    kumppani_platform::nats::ensure_stream(&js, &prefix, PRODUCER).await?;
    publish_vat_rates(&pool).await?;
    let relay = OutboxRelay { pool: pool.clone(), js: js.clone(), schema: SCHEMA.into(), prefix: prefix.clone(), batch: 200 };
    let relay_task = tokio::spawn(relay.run(shutdown.clone()));
    let consumer = Consumer {
        pool: pool.clone(),
        js,
        prefix,
        name: projection::CONSUMER.into(),
        source_service: "contracts".into(),
        filter: "contracts.>".into(),
        max_attempts: 5,
    };
    let consumer_shutdown = shutdown.clone();
    let consumer_task = tokio::spawn(async move {
        if let Err(e) = consumer.run(projection::RegistryProjection, consumer_shutdown).await {
            tracing::error!(error = %e, "pricing: registry projection stopped");
        }
    });
    let api = grpc::PricingApi { pool, verifier: Verifier::new(&config.common.oidc_issuer, &config.common.oidc_audience) };
    tracing::info!(addr = %listener.local_addr()?, "pricing gRPC listening");
    kumppani_platform::grpc::GrpcServer::new()?
        .service(PricingServiceServer::new(api).max_decoding_message_size(64 * 1024 * 1024).max_encoding_message_size(64 * 1024 * 1024))
        .serve(listener, shutdown)
        .await?;
    let _ = relay_task.await;
    let _ = consumer_task.await;
    Ok(())
}
