//! The gateway: the only public HTTP surface. It serves the REST API under
//! `/api/v1` (proto3-JSON bodies, OpenAPI at `/api/v1/openapi.json`), the
//! server-rendered customer portal under `/portal`, OIDC sign-in (authorization
//! code + PKCE) and `/livez` / `/readyz`. It holds no data: every call goes to
//! the owning service over gRPC with the caller's bearer token, and that
//! service authorizes.

pub mod error;
pub mod i18n;
pub mod openapi;
pub mod ordering_portal;
pub mod portal;
pub mod pricing_portal;
pub mod rest;
pub mod session;

use axum::Router;
use axum::extract::FromRef;
use axum::response::Redirect;
use axum::routing::get;
use kumppani_platform::Shutdown;
use kumppani_platform::auth::dev_issuer::DevIssuer;
use kumppani_platform::config::{ConfigError, Secret, parse_or, var_or};
use kumppani_proto::contracts::v1::contracts_service_client::ContractsServiceClient;
use kumppani_proto::ordering::v1::ordering_service_client::OrderingServiceClient;
use kumppani_proto::pricing::v1::pricing_service_client::PricingServiceClient;
use std::net::SocketAddr;
use std::sync::Arc;
use tonic::transport::Channel;

/// Typed configuration of the gateway.
#[derive(Debug, Clone)]
pub struct Config {
    pub http_addr: SocketAddr,
    /// The URL browsers use to reach the gateway (for the OIDC redirect URI).
    pub public_url: String,
    pub contracts_url: String,
    pub pricing_url: String,
    pub ordering_url: String,
    pub oidc_issuer: String,
    pub oidc_audience: String,
    pub portal_client_id: String,
    /// Key for the encrypted session cookies (at least 64 bytes, base64 or raw).
    pub cookie_key: Secret,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let http_addr = parse_or("KUMPPANI_HTTP_ADDR", SocketAddr::from(([0, 0, 0, 0], 8080)))?;
        Ok(Self {
            http_addr,
            public_url: var_or("KUMPPANI_PUBLIC_URL", &format!("http://127.0.0.1:{}", http_addr.port())),
            contracts_url: var_or("KUMPPANI_CONTRACTS_URL", "http://127.0.0.1:50051"),
            pricing_url: var_or("KUMPPANI_PRICING_URL", "http://127.0.0.1:50052"),
            ordering_url: var_or("KUMPPANI_ORDERING_URL", "http://127.0.0.1:50053"),
            oidc_issuer: var_or("KUMPPANI_OIDC_ISSUER", "http://127.0.0.1:8080/dev-idp"),
            oidc_audience: var_or("KUMPPANI_OIDC_AUDIENCE", "kumppani"),
            portal_client_id: var_or("KUMPPANI_PORTAL_CLIENT_ID", "kumppani-portal"),
            cookie_key: Secret::new(var_or("KUMPPANI_COOKIE_KEY", "")),
        })
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub contracts: ContractsServiceClient<Channel>,
    pub pricing: PricingServiceClient<Channel>,
    pub ordering: OrderingServiceClient<Channel>,
    pub cookie_key: axum_extra::extract::cookie::Key,
    pub oidc: session::OidcClient,
    pub verifier: kumppani_platform::auth::Verifier,
    pub contracts_health: tonic_health::pb::health_client::HealthClient<Channel>,
    pub pricing_health: tonic_health::pb::health_client::HealthClient<Channel>,
    pub ordering_health: tonic_health::pb::health_client::HealthClient<Channel>,
}

fn channel(url: &str) -> anyhow::Result<Channel> {
    Ok(Channel::from_shared(url.to_owned())?
        .connect_timeout(std::time::Duration::from_secs(5))
        .timeout(std::time::Duration::from_secs(60))
        .connect_lazy())
}

impl FromRef<AppState> for axum_extra::extract::cookie::Key {
    fn from_ref(s: &AppState) -> Self {
        s.cookie_key.clone()
    }
}

impl AppState {
    pub fn new(config: Config) -> anyhow::Result<Self> {
        let contracts = channel(&config.contracts_url)?;
        let pricing = channel(&config.pricing_url)?;
        let ordering = channel(&config.ordering_url)?;
        let cookie_key = session::cookie_key(config.cookie_key.expose())?;
        let verifier = kumppani_platform::auth::Verifier::new(&config.oidc_issuer, &config.oidc_audience);
        Ok(Self {
            oidc: session::OidcClient::new(&config.oidc_issuer),
            contracts: ContractsServiceClient::new(contracts.clone()),
            pricing: PricingServiceClient::new(pricing.clone()).max_decoding_message_size(64 * 1024 * 1024),
            contracts_health: tonic_health::pb::health_client::HealthClient::new(contracts),
            pricing_health: tonic_health::pb::health_client::HealthClient::new(pricing),
            ordering: OrderingServiceClient::new(ordering.clone()).max_decoding_message_size(64 * 1024 * 1024),
            ordering_health: tonic_health::pb::health_client::HealthClient::new(ordering),
            cookie_key,
            verifier,
            config: Arc::new(config),
        })
    }
}

/// The whole HTTP surface. With `dev_issuer`, its routes are mounted at `/dev-idp`.
pub fn router(state: AppState, dev_issuer: Option<Arc<DevIssuer>>) -> Router {
    let mut app = Router::new()
        .route("/", get(|| async { Redirect::to("/portal/") }))
        .route("/livez", get(|| async { "ok" }))
        .route("/readyz", get(rest::readyz))
        .nest("/api/v1", rest::routes())
        .merge(session::routes())
        .merge(portal::routes())
        .merge(pricing_portal::routes())
        .merge(ordering_portal::routes())
        .route("/static/{*path}", get(portal::static_file))
        .fallback(portal::not_found)
        .with_state(state);
    if let Some(issuer) = dev_issuer {
        app = app.nest("/dev-idp", issuer.router());
    }
    app.layer(tower_http::trace::TraceLayer::new_for_http().make_span_with(|req: &http::Request<axum::body::Body>| {
        let span = tracing::info_span!("http", method = %req.method(), path = %req.uri().path());
        let parent = kumppani_platform::telemetry::extract_http_context(req.headers());
        kumppani_platform::telemetry::set_span_parent(&span, parent);
        span
    }))
    .layer(tower_http::set_header::SetResponseHeaderLayer::if_not_present(
        http::header::X_CONTENT_TYPE_OPTIONS,
        http::HeaderValue::from_static("nosniff"),
    ))
    .layer(tower_http::set_header::SetResponseHeaderLayer::if_not_present(
        http::header::X_FRAME_OPTIONS,
        http::HeaderValue::from_static("DENY"),
    ))
    .layer(tower_http::set_header::SetResponseHeaderLayer::if_not_present(
        http::header::REFERRER_POLICY,
        http::HeaderValue::from_static("same-origin"),
    ))
}

/// Serves the gateway on `listener` until `shutdown` (in-flight requests drain).
pub async fn serve(
    state: AppState,
    dev_issuer: Option<Arc<DevIssuer>>,
    listener: tokio::net::TcpListener,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    tracing::info!(addr = %listener.local_addr()?, "gateway HTTP listening");
    axum::serve(listener, router(state, dev_issuer)).with_graceful_shutdown(async move { shutdown.cancelled().await }).await?;
    Ok(())
}
