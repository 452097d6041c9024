//! Contracts service: the shared customer registry (customers, units, sites,
//! contacts, "who do I contact"), annual service agreements with lines, annexes
//! and lifecycle, and amendments with their approval rule.

pub mod demo_city;
pub mod domain;
pub mod grpc;
pub mod seed;
pub mod store;

use kumppani_platform::Shutdown;
use kumppani_platform::auth::Verifier;
use kumppani_platform::config::{CommonConfig, ConfigError};
use kumppani_platform::events::OutboxRelay;
use kumppani_proto::contracts::v1::contracts_service_server::ContractsServiceServer;
use std::net::SocketAddr;

/// The schema (and role `kumppani_contracts`) this service owns.
pub const SCHEMA: &str = "contracts";
/// Producer name in event envelopes; also the JetStream stream suffix.
pub const PRODUCER: &str = "contracts";

/// This service's migrations (run inside its schema).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Typed configuration of the contracts service.
#[derive(Debug, Clone)]
pub struct Config {
    pub common: CommonConfig,
    pub grpc_addr: SocketAddr,
    /// True when `database_url` is an admin URL and the service should connect as its own role (dev, tests).
    pub derive_role: bool,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            common: CommonConfig::from_env()?,
            grpc_addr: kumppani_platform::config::parse_or("KUMPPANI_GRPC_ADDR", SocketAddr::from(([0, 0, 0, 0], 50051)))?,
            derive_role: false,
        })
    }
}

/// Runs the service until `shutdown`: the gRPC server on `listener` and the outbox relay.
pub async fn run(config: Config, listener: tokio::net::TcpListener, shutdown: Shutdown) -> anyhow::Result<()> {
    let pool = kumppani_platform::db::connect_as_service(
        config.common.database_url.expose(),
        SCHEMA,
        config.derive_role,
        config.common.database_max_connections,
    )
    .await?;
    let nats = kumppani_platform::nats::connect(&config.common.nats_url, "kumppani-contracts").await?;
    let js = async_nats_context(nats);
    let relay =
        OutboxRelay { pool: pool.clone(), js: js.clone(), schema: SCHEMA.into(), prefix: config.common.nats_prefix.clone(), batch: 200 };
    let ensure = {
        let js = js.clone();
        let prefix = config.common.nats_prefix.clone();
        async move {
            // The stream may be created while NATS is still coming up; the relay retries anyway.
            for _ in 0..30 {
                match kumppani_platform::nats::ensure_stream(&js, &prefix, PRODUCER).await {
                    Ok(_) => return,
                    Err(e) => tracing::warn!(error = %e, "contracts: stream not ready yet"),
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    };
    ensure.await;
    let relay_task = tokio::spawn(relay.run(shutdown.clone()));
    let api = grpc::ContractsApi { pool, verifier: Verifier::new(&config.common.oidc_issuer, &config.common.oidc_audience) };
    tracing::info!(addr = %listener.local_addr()?, "contracts gRPC listening");
    kumppani_platform::grpc::GrpcServer::new()?.service(ContractsServiceServer::new(api)).serve(listener, shutdown).await?;
    let _ = relay_task.await;
    Ok(())
}

fn async_nats_context(client: async_nats::Client) -> async_nats::jetstream::Context {
    async_nats::jetstream::new(client)
}
