//! The one service runtime. Every service's `run()` is: start the runtime for
//! its [`ServiceSpec`], add what is its own (consumers, background jobs), and
//! serve its gRPC API. The runtime owns everything the services share:
//!
//! - the database pool, connected as the service's own role inside its schema;
//! - NATS JetStream: the service's stream, created with one retry policy
//!   (exponential backoff while NATS is unreachable; the gRPC API serves
//!   meanwhile and events wait safely in the outbox);
//! - the outbox relay;
//! - idempotent consumers ([`Runtime::consume`]) and background jobs ([`Runtime::spawn`]);
//! - the gRPC server with health, reflection (v1 and v1alpha, listing only the
//!   services this port serves) and the configured message-size limit;
//! - graceful drain: on shutdown health flips to NOT_SERVING, in-flight calls
//!   finish, then every task is awaited.

use crate::Shutdown;
use crate::auth::Verifier;
use crate::config::{CommonConfig, ConfigError, parse_or};
use crate::events::{Consumer, EventHandler, OutboxRelay};
use async_nats::jetstream;
use sqlx::PgPool;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::task::JoinHandle;
use tonic::server::NamedService;

/// What makes a service itself: its name (= schema, role suffix, producer and
/// stream), its migrations and its default gRPC port.
#[derive(Debug, Clone, Copy)]
pub struct ServiceSpec {
    pub name: &'static str,
    pub migrator: &'static sqlx::migrate::Migrator,
    pub default_port: u16,
    /// Outbox rows the relay publishes per batch.
    pub relay_batch: i64,
    /// Smallest pool this service needs (intake-heavy services want more).
    pub min_connections: u32,
}

impl ServiceSpec {
    /// The env variable of this service's gRPC listen address: `KUMPPANI_<NAME>_GRPC_ADDR`.
    pub fn addr_var(&self) -> String {
        format!("KUMPPANI_{}_GRPC_ADDR", self.name.to_uppercase())
    }
}

/// Typed configuration of one service process.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub common: CommonConfig,
    pub grpc_addr: SocketAddr,
    /// True when `database_url` is an admin URL and the service should connect as its own role (dev, tests).
    pub derive_role: bool,
}

impl ServiceConfig {
    /// Reads the common settings and `KUMPPANI_<NAME>_GRPC_ADDR` (default
    /// `0.0.0.0:<default_port>`): one variable per service, the same for
    /// `kumppani serve`, `kumppani dev` and the Helm chart.
    pub fn from_env(spec: &ServiceSpec) -> Result<Self, ConfigError> {
        Ok(Self {
            common: CommonConfig::from_env()?,
            grpc_addr: parse_or(&spec.addr_var(), SocketAddr::from(([0, 0, 0, 0], spec.default_port)))?,
            derive_role: false,
        })
    }
}

/// A started service: its pool, JetStream context and tasks.
pub struct Runtime {
    pub spec: ServiceSpec,
    pub config: ServiceConfig,
    pub pool: PgPool,
    pub js: jetstream::Context,
    pub shutdown: Shutdown,
    tasks: Vec<(String, JoinHandle<()>)>,
}

impl Runtime {
    /// Connects to PostgreSQL (as the service role) and NATS, then starts the
    /// stream set-up and the outbox relay in the background.
    pub async fn start(spec: ServiceSpec, config: ServiceConfig, shutdown: Shutdown) -> anyhow::Result<Self> {
        let pool = crate::db::connect_pool(
            config.common.database_url.expose(),
            spec.name,
            config.derive_role,
            config.common.database_max_connections.max(spec.min_connections),
            config.common.database_acquire_timeout,
        )
        .await?;
        let nats = crate::nats::connect(&config.common.nats_url, &format!("kumppani-{}", spec.name)).await?;
        let js = jetstream::new(nats);
        let mut rt = Self { spec, config, pool, js, shutdown, tasks: Vec::new() };
        let relay = OutboxRelay {
            pool: rt.pool.clone(),
            js: rt.js.clone(),
            schema: spec.name.into(),
            prefix: rt.config.common.nats_prefix.clone(),
            batch: spec.relay_batch,
        };
        let (js, prefix, shutdown) = (rt.js.clone(), rt.config.common.nats_prefix.clone(), rt.shutdown.clone());
        rt.spawn("outbox relay", async move {
            if ensure_stream_with_retry(&js, &prefix, spec.name, &shutdown).await {
                relay.run(shutdown).await;
            }
        });
        Ok(rt)
    }

    /// The verifier of bearer tokens for this service's API.
    pub fn verifier(&self) -> Verifier {
        Verifier::new(&self.config.common.oidc_issuer, &self.config.common.oidc_audience)
    }

    /// Runs an idempotent consumer `name` of `source`'s events (`<source>.>`) until shutdown.
    pub fn consume<H: EventHandler>(&mut self, name: &str, source: &str, handler: H) {
        let consumer = Consumer {
            pool: self.pool.clone(),
            js: self.js.clone(),
            prefix: self.config.common.nats_prefix.clone(),
            name: name.into(),
            source_service: source.into(),
            filter: format!("{source}.>"),
            max_attempts: 5,
        };
        let (shutdown, service, label) = (self.shutdown.clone(), self.spec.name, name.to_owned());
        self.spawn(name, async move {
            if let Err(e) = consumer.run(handler, shutdown).await {
                tracing::error!(error = %e, service, consumer = %label, "consumer stopped");
            }
        });
    }

    /// Runs a background job until it ends (it should watch [`Runtime::shutdown`]).
    pub fn spawn(&mut self, what: &str, task: impl std::future::Future<Output = ()> + Send + 'static) {
        self.tasks.push((what.to_owned(), tokio::spawn(task)));
    }

    /// Serves `api` (a generated `…Server` with its message limits set by
    /// [`kumppani_proto::MessageLimits`]) on `listener` until shutdown, then
    /// waits for every task to drain.
    pub async fn serve<S>(self, listener: tokio::net::TcpListener, api: S) -> anyhow::Result<()>
    where
        S: kumppani_proto::MessageLimits
            + tower::Service<http::Request<tonic::body::Body>, Error = std::convert::Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        self.serve_with(listener, |limit, server| server.service(api.with_message_limit(limit))).await
    }

    /// Serves the services `add` puts on the server (each with the message
    /// limit given, see [`kumppani_proto::MessageLimits`]) on `listener` until
    /// shutdown, then waits for every task to drain: a service with more than
    /// one gRPC service (contracts: ContractsService and PartnershipService).
    pub async fn serve_with(
        self,
        listener: tokio::net::TcpListener,
        add: impl FnOnce(usize, crate::grpc::GrpcServer) -> crate::grpc::GrpcServer,
    ) -> anyhow::Result<()> {
        let limit = self.config.common.grpc_max_message_bytes;
        tracing::info!(service = self.spec.name, addr = %listener.local_addr()?, "gRPC listening");
        let result = add(limit, crate::grpc::GrpcServer::new()).serve(listener, self.shutdown.clone()).await;
        self.shutdown.cancel();
        for (what, task) in self.tasks {
            if let Err(e) = task.await {
                tracing::error!(service = self.spec.name, task = %what, error = %e, "task failed");
            }
        }
        result
    }
}

/// Creates the service's stream, retrying with exponential backoff (200 ms – 10 s)
/// while NATS is unreachable. False when shut down first.
async fn ensure_stream_with_retry(js: &jetstream::Context, prefix: &str, service: &str, shutdown: &Shutdown) -> bool {
    let mut delay = Duration::from_millis(200);
    loop {
        match crate::nats::ensure_stream(js, prefix, service).await {
            Ok(_) => return true,
            Err(e) => tracing::warn!(error = %e, service, retry_in = ?delay, "stream not ready yet"),
        }
        tokio::select! {
            () = shutdown.cancelled() => return false,
            () = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(Duration::from_secs(10));
    }
}
