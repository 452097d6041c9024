//! Ordering service: electronic orders per site, service day, product and diet;
//! cut-offs on Finnish working days; late-change requests; delivered quantities
//! (what invoicing bills) with corrections; budgeted quantities and over/under-use;
//! the ordering system's idempotent batch API; production and KPI views.

pub use kumppani_platform::calendar;
pub mod grpc;
pub mod projection;
pub mod seed;
pub mod standing;

use kumppani_platform::Shutdown;
use kumppani_platform::auth::Verifier;
use kumppani_platform::config::{CommonConfig, ConfigError};
use kumppani_platform::events::{Consumer, EventHandler, OutboxRelay};
use kumppani_proto::ordering::v1::ordering_service_server::OrderingServiceServer;
use std::net::SocketAddr;

pub const SCHEMA: &str = "ordering";
pub const PRODUCER: &str = "ordering";

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
            grpc_addr: kumppani_platform::config::parse_or("KUMPPANI_GRPC_ADDR", SocketAddr::from(([0, 0, 0, 0], 50053)))?,
            derive_role: false,
        })
    }
}

fn spawn_consumer<H: EventHandler>(consumer: Consumer, handler: H, shutdown: Shutdown) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let name = consumer.name.clone();
        if let Err(e) = consumer.run(handler, shutdown).await {
            tracing::error!(error = %e, consumer = %name, "ordering: consumer stopped");
        }
    })
}

/// Runs the service until `shutdown`: gRPC, the outbox relay and the projections.
pub async fn run(config: Config, listener: tokio::net::TcpListener, shutdown: Shutdown) -> anyhow::Result<()> {
    let pool = kumppani_platform::db::connect_as_service(
        config.common.database_url.expose(),
        SCHEMA,
        config.derive_role,
        config.common.database_max_connections.max(20),
    )
    .await?;
    let nats = kumppani_platform::nats::connect(&config.common.nats_url, "kumppani-ordering").await?;
    let js = async_nats::jetstream::new(nats);
    let prefix = config.common.nats_prefix.clone();
    kumppani_platform::nats::ensure_stream(&js, &prefix, PRODUCER).await?;
    let relay = OutboxRelay { pool: pool.clone(), js: js.clone(), schema: SCHEMA.into(), prefix: prefix.clone(), batch: 500 };
    let relay_task = tokio::spawn(relay.run(shutdown.clone()));
    let consumer = |name: &str, source: &str| Consumer {
        pool: pool.clone(),
        js: js.clone(),
        prefix: prefix.clone(),
        name: name.into(),
        source_service: source.into(),
        filter: format!("{source}.>"),
        max_attempts: 5,
    };
    let registry = spawn_consumer(consumer(projection::REGISTRY_CONSUMER, "contracts"), projection::Registry, shutdown.clone());
    let catalogue = spawn_consumer(consumer(projection::CATALOGUE_CONSUMER, "pricing"), projection::Catalogue, shutdown.clone());
    let materializer = tokio::spawn(standing::keep_materialized(pool.clone(), shutdown.clone()));
    let api = grpc::OrderingApi { pool, verifier: Verifier::new(&config.common.oidc_issuer, &config.common.oidc_audience) };
    tracing::info!(addr = %listener.local_addr()?, "ordering gRPC listening");
    kumppani_platform::grpc::GrpcServer::new()?
        .service(OrderingServiceServer::new(api).max_decoding_message_size(64 * 1024 * 1024).max_encoding_message_size(64 * 1024 * 1024))
        .serve(listener, shutdown)
        .await?;
    let _ = relay_task.await;
    let _ = registry.await;
    let _ = catalogue.await;
    let _ = materializer.await;
    Ok(())
}
