//! The `kumppani` binary's library: composes the services into one process for
//! `kumppani dev` and the end-to-end tests, and finds the infrastructure.

pub mod bench;
pub mod infra;

use kumppani_contracts as contracts;
use kumppani_gateway as gateway;
use kumppani_ordering as ordering;
use kumppani_platform::Shutdown;
use kumppani_platform::auth::dev_issuer::{DevClient, DevIssuer};
use kumppani_platform::config::{CommonConfig, Secret};
use kumppani_pricing as pricing;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Services this binary can serve (`kumppani serve <name>`).
pub const SERVICES: [&str; 6] = ["contracts", "pricing", "ordering", "feedback", "invoicing", "gateway"];
/// Services implemented so far.
pub const IMPLEMENTED: [&str; 4] = ["contracts", "pricing", "ordering", "gateway"];

/// What to start in one process.
pub struct PlatformOptions {
    /// Admin URL of the platform database (created if missing).
    pub database_url: String,
    pub nats_url: String,
    pub nats_prefix: String,
    pub grpc_listener: TcpListener,
    pub pricing_listener: TcpListener,
    pub ordering_listener: TcpListener,
    pub http_listener: TcpListener,
    /// URL browsers use for the gateway; the dev issuer lives at `<public_url>/dev-idp`.
    pub public_url: String,
    pub seed: bool,
}

/// A running in-process platform.
pub struct Platform {
    pub shutdown: Shutdown,
    pub http_addr: SocketAddr,
    pub grpc_addr: SocketAddr,
    pub pricing_addr: SocketAddr,
    pub ordering_addr: SocketAddr,
    pub issuer: Arc<DevIssuer>,
    pub seed_report: Option<contracts::seed::SeedReport>,
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Platform {
    /// Migrates, seeds (optionally) and starts contracts + gateway + the dev issuer.
    pub async fn start(o: PlatformOptions) -> anyhow::Result<Self> {
        kumppani_platform::db::ensure_database(&o.database_url).await?;
        kumppani_platform::db::setup_service_schema(&o.database_url, contracts::SCHEMA, &contracts::MIGRATOR).await?;
        kumppani_platform::db::setup_service_schema(&o.database_url, pricing::SCHEMA, &pricing::MIGRATOR).await?;
        kumppani_platform::db::setup_service_schema(&o.database_url, ordering::SCHEMA, &ordering::MIGRATOR).await?;
        let seed_report = if o.seed {
            let pool = kumppani_platform::db::connect_as_service(&o.database_url, contracts::SCHEMA, true, 2).await?;
            let report = contracts::seed::seed(&pool).await?;
            pool.close().await;
            let pool = kumppani_platform::db::connect_as_service(&o.database_url, pricing::SCHEMA, true, 2).await?;
            pricing::seed::seed(&pool).await?;
            pool.close().await;
            let pool = kumppani_platform::db::connect_as_service(&o.database_url, ordering::SCHEMA, true, 2).await?;
            ordering::seed::seed(&pool).await?;
            pool.close().await;
            Some(report)
        } else {
            None
        };
        let issuer_url = format!("{}/dev-idp", o.public_url);
        let issuer = DevIssuer::new(
            &issuer_url,
            "kumppani",
            contracts::seed::demo_users(),
            vec![
                DevClient {
                    client_id: "kumppani-portal".into(),
                    secret: None,
                    redirect_prefixes: vec![format!("{}/auth/callback", o.public_url)],
                    grants: vec![],
                    customer_id: None,
                },
                DevClient {
                    client_id: "ordering-system".into(),
                    secret: Some("dev-ordering-secret".into()),
                    redirect_prefixes: vec![],
                    grants: vec!["registry:read".into(), "orders:write".into(), "deliveries:write".into(), "prices:read".into()],
                    customer_id: None,
                },
            ],
        )?;
        let common = CommonConfig {
            database_url: Secret::new(o.database_url.clone()),
            nats_url: o.nats_url.clone(),
            nats_prefix: o.nats_prefix.clone(),
            oidc_issuer: issuer_url.clone(),
            oidc_audience: "kumppani".into(),
            database_max_connections: 10,
        };
        let shutdown = Shutdown::new();
        let grpc_addr = o.grpc_listener.local_addr()?;
        let pricing_addr = o.pricing_listener.local_addr()?;
        let ordering_addr = o.ordering_listener.local_addr()?;
        let http_addr = o.http_listener.local_addr()?;
        let mut tasks = Vec::new();
        let contracts_config = contracts::Config { common: common.clone(), grpc_addr, derive_role: true };
        tasks.push(tokio::spawn(contracts::run(contracts_config, o.grpc_listener, shutdown.clone())));
        let pricing_config = pricing::Config { common: common.clone(), grpc_addr: pricing_addr, derive_role: true };
        tasks.push(tokio::spawn(pricing::run(pricing_config, o.pricing_listener, shutdown.clone())));
        let ordering_config = ordering::Config { common: common.clone(), grpc_addr: ordering_addr, derive_role: true };
        tasks.push(tokio::spawn(ordering::run(ordering_config, o.ordering_listener, shutdown.clone())));
        let gateway_config = gateway::Config {
            http_addr,
            public_url: o.public_url.clone(),
            backend_urls: [("contracts", grpc_addr), ("pricing", pricing_addr), ("ordering", ordering_addr)]
                .into_iter()
                .map(|(name, addr)| (name.to_owned(), format!("http://127.0.0.1:{}", addr.port())))
                .collect(),
            oidc_issuer: issuer_url,
            oidc_audience: "kumppani".into(),
            portal_client_id: "kumppani-portal".into(),
            cookie_key: Secret::new(kumppani_platform::config::var_or("KUMPPANI_COOKIE_KEY", "")),
        };
        let state = gateway::AppState::new(gateway_config)?;
        tasks.push(tokio::spawn(gateway::serve(state, Some(issuer.clone()), o.http_listener, shutdown.clone())));
        Ok(Self { shutdown, http_addr, grpc_addr, pricing_addr, ordering_addr, issuer, seed_report, tasks })
    }

    /// Waits until the gateway reports ready (contracts answering), or fails.
    pub async fn wait_ready(&self, timeout: std::time::Duration) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let url = format!("http://{}/readyz", self.http_addr);
        let start = std::time::Instant::now();
        while start.elapsed() < timeout {
            if let Ok(r) = client.get(&url).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            if self.tasks.iter().any(tokio::task::JoinHandle::is_finished) {
                anyhow::bail!("a service stopped during start-up; see the log above");
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        anyhow::bail!("the platform was not ready within {timeout:?}")
    }

    /// Stops everything and waits for in-flight work to drain.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        for t in self.tasks {
            t.await??;
        }
        Ok(())
    }

    /// Waits for the first service to stop (an error) or for `shutdown`.
    pub async fn run_until_stopped(mut self) -> anyhow::Result<()> {
        let shutdown = self.shutdown.clone();
        let tasks = std::mem::take(&mut self.tasks);
        let (first, _, rest) = futures_select_all(tasks).await;
        shutdown.cancel();
        for t in rest {
            let _ = t.await;
        }
        first
    }
}

async fn futures_select_all(
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
) -> (anyhow::Result<()>, usize, Vec<tokio::task::JoinHandle<anyhow::Result<()>>>) {
    let (r, i, rest) = futures::future::select_all(tasks).await;
    (r.map_err(anyhow::Error::from).and_then(|x| x), i, rest)
}
