//! The `kumppani` binary's library: composes the services into one process for
//! `kumppani dev` and the end-to-end tests ([`Platform`]), names the services
//! ([`ServiceKind`]) and finds the infrastructure ([`infra`]).

pub mod bench;
pub mod bench_feedback;
pub mod bench_invoicing;
pub mod infra;

use anyhow::Context;
use kumppani_contracts as contracts;
use kumppani_feedback as feedback;
use kumppani_gateway as gateway;
use kumppani_invoicing as invoicing;
use kumppani_ordering as ordering;
use kumppani_platform::Shutdown;
use kumppani_platform::auth::dev_issuer::DevIssuer;
use kumppani_platform::config::{CommonConfig, Secret, parse_or};
use kumppani_platform::service::{ServiceConfig, ServiceSpec};
use kumppani_pricing as pricing;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The services of this binary, one Kubernetes Deployment each (`kumppani serve <service>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum ServiceKind {
    Contracts,
    Pricing,
    Ordering,
    Feedback,
    Invoicing,
    Gateway,
}

impl ServiceKind {
    /// The gRPC backends in start order (registry first: the others learn it from its events).
    pub const BACKENDS: [ServiceKind; 5] = [Self::Contracts, Self::Pricing, Self::Ordering, Self::Feedback, Self::Invoicing];

    pub fn name(self) -> &'static str {
        match self {
            Self::Contracts => "contracts",
            Self::Pricing => "pricing",
            Self::Ordering => "ordering",
            Self::Feedback => "feedback",
            Self::Invoicing => "invoicing",
            Self::Gateway => "gateway",
        }
    }

    /// The platform runtime's view of a backend; `None` for the gateway, which owns no data.
    pub fn spec(self) -> Option<ServiceSpec> {
        match self {
            Self::Contracts => Some(contracts::SPEC),
            Self::Pricing => Some(pricing::SPEC),
            Self::Ordering => Some(ordering::SPEC),
            Self::Feedback => Some(feedback::SPEC),
            Self::Invoicing => Some(invoicing::SPEC),
            Self::Gateway => None,
        }
    }

    /// Runs a backend until `shutdown`; a service with settings of its own
    /// (invoicing) reads them from the environment first and refuses to start on a bad one.
    pub async fn run(self, config: ServiceConfig, listener: TcpListener, shutdown: Shutdown) -> anyhow::Result<()> {
        match self {
            Self::Invoicing => invoicing::run(config, invoicing::Config::from_env()?, listener, shutdown).await,
            Self::Feedback => feedback::run(config, feedback::Config::from_env()?, listener, shutdown).await,
            _ => self.run_with(config, invoicing::Config::default(), listener, shutdown).await,
        }
    }

    /// Runs a backend until `shutdown` with invoicing's settings given (the in-process platform, tests).
    pub async fn run_with(
        self,
        config: ServiceConfig,
        invoicing_config: invoicing::Config,
        listener: TcpListener,
        shutdown: Shutdown,
    ) -> anyhow::Result<()> {
        match self {
            Self::Contracts => contracts::run(config, contracts::Config::from_env()?, listener, shutdown).await,
            Self::Pricing => pricing::run(config, listener, shutdown).await,
            Self::Ordering => ordering::run(config, listener, shutdown).await,
            Self::Feedback => feedback::run(config, feedback::Config::from_env()?, listener, shutdown).await,
            Self::Invoicing => invoicing::run(config, invoicing_config, listener, shutdown).await,
            Self::Gateway => anyhow::bail!("the gateway is not a gRPC backend"),
        }
    }
}

/// The listeners of an in-process platform: the gateway's HTTP and one gRPC port per backend.
pub struct Listeners {
    pub http: TcpListener,
    pub grpc: Vec<(ServiceKind, TcpListener)>,
}

impl Listeners {
    /// Every listener on a free loopback port (tests).
    pub async fn ephemeral() -> anyhow::Result<Self> {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        let mut grpc = Vec::new();
        for kind in ServiceKind::BACKENDS {
            grpc.push((kind, kumppani_platform::grpc::bind(any).await?));
        }
        Ok(Self { http: kumppani_platform::grpc::bind(any).await?, grpc })
    }

    /// `KUMPPANI_HTTP_ADDR` (default 127.0.0.1:8080) and `KUMPPANI_<NAME>_GRPC_ADDR`
    /// (default 127.0.0.1:<the service's port>) for `kumppani dev`.
    pub async fn from_env() -> anyhow::Result<Self> {
        let http = parse_or("KUMPPANI_HTTP_ADDR", SocketAddr::from(([127, 0, 0, 1], 8080)))?;
        let mut grpc = Vec::new();
        for kind in ServiceKind::BACKENDS {
            let spec = kind.spec().context("a backend has a spec")?;
            let addr = parse_or(&spec.addr_var(), SocketAddr::from(([127, 0, 0, 1], spec.default_port)))?;
            grpc.push((kind, kumppani_platform::grpc::bind(addr).await?));
        }
        Ok(Self { http: kumppani_platform::grpc::bind(http).await?, grpc })
    }
}

/// What to start in one process.
pub struct PlatformOptions {
    /// Admin URL of the platform database (created if missing).
    pub database_url: String,
    pub nats_url: String,
    pub nats_prefix: String,
    pub listeners: Listeners,
    /// URL browsers use for the gateway; the dev issuer lives at `<public_url>/dev-idp`.
    pub public_url: String,
    pub seed: bool,
    /// Idle timeout and absolute lifetime of portal sessions.
    pub sessions: gateway::SessionLimits,
    /// Invoicing's settings (the export sink); `None`: from the environment.
    pub invoicing: Option<invoicing::Config>,
}

/// A running in-process platform.
pub struct Platform {
    pub shutdown: Shutdown,
    pub http_addr: SocketAddr,
    /// Where each backend's gRPC API listens.
    pub grpc: Vec<(ServiceKind, SocketAddr)>,
    pub issuer: Arc<DevIssuer>,
    pub seed_report: Option<kumppani_demo::SeedReport>,
    /// The invoicing demo (runs and invoices), seeded in the background.
    pub invoicing_demo: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    /// The feedback demo (three months of items), seeded in the background.
    pub feedback_demo: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Platform {
    /// Migrates every backend, seeds the demo city (optionally) and starts
    /// every backend, the gateway and the dev issuer.
    pub async fn start(o: PlatformOptions) -> anyhow::Result<Self> {
        let invoicing_config = match o.invoicing {
            Some(c) => c,
            None => invoicing::Config::from_env()?,
        };
        kumppani_platform::db::ensure_database(&o.database_url).await?;
        for kind in ServiceKind::BACKENDS {
            let spec = kind.spec().context("a backend has a spec")?;
            kumppani_platform::db::setup_service_schema(&o.database_url, spec.name, spec.migrator).await?;
        }
        let seed_report = if o.seed { Some(kumppani_demo::seed_all(&o.database_url).await?) } else { None };
        let issuer_url = format!("{}/dev-idp", o.public_url);
        let issuer =
            DevIssuer::new(&issuer_url, "kumppani", kumppani_demo::users::demo_users(), kumppani_demo::users::demo_clients(&o.public_url))?;
        let common = CommonConfig {
            database_url: Secret::new(o.database_url.clone()),
            nats_url: o.nats_url.clone(),
            nats_prefix: o.nats_prefix.clone(),
            oidc_issuer: issuer_url.clone(),
            oidc_audience: "kumppani".into(),
            database_max_connections: 10,
            database_acquire_timeout: kumppani_platform::db::DEFAULT_ACQUIRE_TIMEOUT,
            grpc_max_message_bytes: kumppani_platform::config::DEFAULT_GRPC_MAX_MESSAGE_BYTES,
        };
        let shutdown = Shutdown::new();
        let http_addr = o.listeners.http.local_addr()?;
        let mut tasks = Vec::new();
        let mut grpc = Vec::new();
        for (kind, listener) in o.listeners.grpc {
            let grpc_addr = listener.local_addr()?;
            grpc.push((kind, grpc_addr));
            let config = ServiceConfig { common: common.clone(), grpc_addr, derive_role: true };
            tasks.push(tokio::spawn(kind.run_with(config, invoicing_config.clone(), listener, shutdown.clone())));
        }
        let gateway_config = gateway::Config {
            http_addr,
            public_url: o.public_url.clone(),
            backend_urls: grpc.iter().map(|(kind, addr)| (kind.name().to_owned(), format!("http://127.0.0.1:{}", addr.port()))).collect(),
            oidc_issuer: issuer_url,
            oidc_audience: "kumppani".into(),
            portal_client_id: "kumppani-portal".into(),
            cookie_key: Secret::new(kumppani_platform::config::var_or("KUMPPANI_COOKIE_KEY", "")),
            nats_url: o.nats_url.clone(),
            nats_prefix: o.nats_prefix.clone(),
            sessions: o.sessions,
            api_limit: gateway::ApiLimit::from_env()?,
        };
        let state = gateway::AppState::new(gateway_config)?;
        tasks.push(tokio::spawn(gateway::serve(state, Some(issuer.clone()), o.listeners.http, shutdown.clone())));
        // Invoicing's and feedback's demos run once their projections have learnt the city from the events.
        let invoicing_demo = o.seed.then(|| {
            let url = o.database_url.clone();
            tokio::spawn(async move {
                let result = kumppani_demo::invoicing::seed(&url).await;
                if let Err(e) = &result {
                    tracing::error!(error = %e, "the invoicing demo could not be seeded");
                }
                result
            })
        });
        let feedback_demo = o.seed.then(|| {
            let url = o.database_url.clone();
            tokio::spawn(async move {
                let result = kumppani_demo::feedback::seed(&url).await;
                if let Err(e) = &result {
                    tracing::error!(error = %e, "the feedback demo could not be seeded");
                }
                result
            })
        });
        Ok(Self { shutdown, http_addr, grpc, issuer, seed_report, invoicing_demo, feedback_demo, tasks })
    }

    /// Where a backend's gRPC API listens.
    pub fn addr(&self, kind: ServiceKind) -> SocketAddr {
        self.grpc.iter().find(|(k, _)| *k == kind).map_or(SocketAddr::from(([127, 0, 0, 1], 0)), |(_, a)| *a)
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
        for demo in [&self.invoicing_demo, &self.feedback_demo].into_iter().flatten() {
            demo.abort();
        }
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
