//! The tonic server builder every service uses: `grpc.health.v1`, reflection,
//! (v1 and v1alpha, only what the port serves), a tracing span per request
//! continuing the caller's trace, and graceful
//! shutdown (health flips to NOT_SERVING, in-flight calls drain).

use crate::Shutdown;
use std::net::SocketAddr;
use tonic::server::NamedService;
use tonic::transport::server::Router;

/// Starts building a server with health registered; reflection is added at
/// [`GrpcServer::serve`], listing exactly the services added here.
pub struct GrpcServer {
    router: Router,
    health: tonic_health::server::HealthReporter,
    names: Vec<&'static str>,
}

/// The largest header list a gRPC request may carry (hyper's default is 16 KiB):
/// big enough that an oversized bearer token reaches the verifier and is
/// answered UNAUTHENTICATED instead of a reset stream (UNAVAILABLE).
pub const MAX_HEADER_LIST_BYTES: u32 = 1024 * 1024;

const HEALTH: &str = "grpc.health.v1.Health";
const REFLECTION_V1: &str = "grpc.reflection.v1.ServerReflection";
const REFLECTION_V1ALPHA: &str = "grpc.reflection.v1alpha.ServerReflection";

impl Default for GrpcServer {
    fn default() -> Self {
        Self::new()
    }
}

impl GrpcServer {
    pub fn new() -> Self {
        let (health, health_service) = tonic_health::server::health_reporter();
        let router = tonic::transport::Server::builder()
            .http2_max_header_list_size(MAX_HEADER_LIST_BYTES)
            .trace_fn(crate::telemetry::server_span)
            .add_service(health_service);
        Self { router, health, names: Vec::new() }
    }

    /// Adds a service (already wrapped in its generated `…Server`).
    pub fn service<S>(mut self, svc: S) -> Self
    where
        S: tower::Service<http::Request<tonic::body::Body>, Error = std::convert::Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        self.names.push(S::NAME);
        self.router = self.router.add_service(svc);
        self
    }

    /// Reflection v1 and v1alpha (older clients such as grpcui, Postman and
    /// Python's grpcio-reflection speak only v1alpha), advertising only `names`
    /// plus health and reflection themselves.
    fn reflection(names: &[&'static str]) -> tonic_reflection::server::Builder<'static> {
        let mut b = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(kumppani_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
        for name in names.iter().copied().chain([HEALTH, REFLECTION_V1, REFLECTION_V1ALPHA]) {
            b = b.with_service_name(name);
        }
        b
    }

    /// Serves on an already bound listener until `shutdown` is cancelled.
    pub async fn serve(mut self, listener: tokio::net::TcpListener, shutdown: Shutdown) -> anyhow::Result<()> {
        self.router =
            self.router.add_service(Self::reflection(&self.names).build_v1()?).add_service(Self::reflection(&self.names).build_v1alpha()?);
        for name in &self.names {
            self.health.set_service_status(*name, tonic_health::ServingStatus::Serving).await;
        }
        self.health.set_service_status("", tonic_health::ServingStatus::Serving).await;
        let health = self.health.clone();
        let names = self.names.clone();
        let incoming = tokio_stream_incoming(listener);
        self.router
            .serve_with_incoming_shutdown(incoming, async move {
                shutdown.cancelled().await;
                for name in names {
                    health.set_service_status(name, tonic_health::ServingStatus::NotServing).await;
                }
                health.set_service_status("", tonic_health::ServingStatus::NotServing).await;
            })
            .await?;
        Ok(())
    }
}

fn tokio_stream_incoming(listener: tokio::net::TcpListener) -> impl futures::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    futures::stream::unfold(listener, |l| async move {
        let r = l.accept().await.map(|(s, _)| {
            let _ = s.set_nodelay(true);
            s
        });
        Some((r, l))
    })
}

/// Binds a TCP listener, reporting the address in the error.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))
}
