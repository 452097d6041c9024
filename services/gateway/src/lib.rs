//! The gateway: the only public HTTP surface. It serves the REST API under
//! `/api/v1` (proto3-JSON bodies, OpenAPI at `/api/v1/openapi.json`), the
//! server-rendered customer portal under `/portal`, OIDC sign-in (authorization
//! code + PKCE) and `/livez` / `/readyz`. It holds no data: every call goes to
//! the owning service over gRPC with the caller's bearer token, and that
//! service authorizes.
//!
//! Every backend service has a folder (`contracts/`, `pricing/`, `ordering/`:
//! its typed client, REST table and portal pages) and a line in the
//! [`registry`]; this file composes them: configuration → [`AppState`] → router.
//! Modules depend downwards only: the folders use the shared machinery
//! (`state`, `rest`, `page`, `session`, `i18n`), the registry uses the folders,
//! and `config`, `openapi` and this file use the registry.

mod auth;
mod backend;
mod config;
mod contracts;
mod dashboard;
mod error;
mod feedback;
mod headers;
mod home;
mod i18n;
mod invoicing;
mod oidc;
mod openapi;
mod ordering;
mod page;
mod portal;
mod pricing;
mod registry;
mod rest;
mod session;
pub mod session_store;
mod shed;
mod state;

pub use config::Config;
pub use session_store::SessionLimits;
pub use shed::ApiLimit;
pub use state::AppState;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use kumppani_platform::Shutdown;
use kumppani_platform::auth::dev_issuer::DevIssuer;
use registry::BACKENDS;
use std::sync::Arc;

impl AppState {
    /// Connects (lazily) to every registered backend and prepares sign-in.
    pub fn new(config: Config) -> anyhow::Result<Self> {
        if let Some(unknown) = config.backend_urls.keys().find(|name| !BACKENDS.iter().any(|b| b.name == name.as_str())) {
            anyhow::bail!("gateway configuration names an unknown backend {unknown:?}");
        }
        let connections =
            BACKENDS.iter().map(|b| state::Connection::lazy(b.name, config.backend_url(b))).collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            connections: connections.into(),
            cookie_key: session::cookie_key(config.cookie_key.expose())?,
            oidc: oidc::OidcClient::new(&config.oidc_issuer, &config.portal_client_id, &config.public_url),
            verifier: kumppani_platform::auth::Verifier::new(&config.oidc_issuer, &config.oidc_audience),
            secure_cookies: config.secure_cookies(),
            csp: headers::content_security_policy(&config.public_url, &config.oidc_issuer),
            sessions: session_store::SessionStore::new(&config.nats_url, &config.nats_prefix, config.sessions),
            api_limit: config.api_limit,
        })
    }
}

/// `/readyz`: ready when every backend answers its health check.
async fn readyz(State(s): State<AppState>) -> Response {
    match s.ready().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(name) => (StatusCode::SERVICE_UNAVAILABLE, format!("{name} service not ready")).into_response(),
    }
}

/// The whole HTTP surface. With `dev_issuer`, its routes are mounted at `/dev-idp`.
pub fn router(state: AppState, dev_issuer: Option<Arc<DevIssuer>>) -> Router {
    // Each backend's REST routes behind its own admission gate (load shedding, see `shed`).
    let api = BACKENDS.iter().fold(Router::new().route("/openapi.json", get(openapi::serve)), |api, b| {
        let gate = shed::Gate::new(b.name, state.api_limit);
        let routes = rest::router(b.api).layer(axum::extract::DefaultBodyLimit::max(b.max_body));
        api.merge(routes.layer(axum::middleware::from_fn_with_state(gate, shed::admit)))
    });
    // Portal and sign-in pages: the page context is read once per request, and error pages render in it.
    let pages = BACKENDS
        .iter()
        .fold(portal::routes().merge(auth::routes()).merge(dashboard::routes()), |pages, b| pages.merge((b.portal)()))
        .fallback(portal::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), page::context::layer));
    let pages = headers::portal(pages, state.csp.clone());
    let mut app = Router::new()
        .route("/", get(|| async { Redirect::to("/portal/") }))
        .route("/livez", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .nest("/api/v1", api)
        .merge(feedback::open311::routes())
        .route("/static/{*path}", get(portal::static_file))
        .merge(pages)
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
