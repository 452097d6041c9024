//! The state every handler shares: a connection (tonic channel + health client)
//! per registered backend, the session cookie key, the OIDC client and the token
//! verifier. Built by `AppState::new` (crate root) from the configuration and
//! the backends registry; each backend's folder adds its typed client accessor
//! (`state.contracts()`, …) on top of [`AppState::channel`].

use crate::oidc::OidcClient;
use axum::extract::FromRef;
use axum_extra::extract::cookie::Key;
use std::sync::Arc;
use std::time::Duration;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// The gRPC connection to one backend service.
pub struct Connection {
    pub name: &'static str,
    channel: Channel,
    health: HealthClient<Channel>,
}

impl Connection {
    /// A channel that connects on first use (the backend may start after the gateway).
    pub fn lazy(name: &'static str, url: &str) -> anyhow::Result<Self> {
        let channel = Channel::from_shared(url.to_owned())
            .map_err(|e| anyhow::anyhow!("{name} backend URL {url:?}: {e}"))?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .connect_lazy();
        Ok(Self { name, health: HealthClient::new(channel.clone()), channel })
    }

    /// True when the service answers its health check as serving within two seconds.
    pub async fn is_ready(&self) -> bool {
        let mut health = self.health.clone();
        let check = health.check(tonic_health::pb::HealthCheckRequest { service: String::new() });
        matches!(
            tokio::time::timeout(Duration::from_secs(2), check).await,
            Ok(Ok(r)) if r.get_ref().status == ServingStatus::Serving as i32
        )
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub(crate) connections: Arc<[Connection]>,
    pub(crate) cookie_key: Key,
    pub(crate) oidc: OidcClient,
    pub(crate) verifier: kumppani_platform::auth::Verifier,
    /// Cookies get `Secure` when the public URL is https.
    pub(crate) secure_cookies: bool,
    /// The portal's Content-Security-Policy ([`crate::headers`]).
    pub(crate) csp: http::HeaderValue,
    /// The server-side record of every portal session.
    pub(crate) sessions: crate::session_store::SessionStore,
    /// Load shedding of each backend's REST API.
    pub(crate) api_limit: crate::shed::ApiLimit,
}

impl AppState {
    /// The channel to a backend, by its registry name. Every registered backend
    /// has one; an unknown name (a programming error) gets a channel that fails
    /// every call as unavailable.
    pub fn channel(&self, name: &str) -> Channel {
        match self.connections.iter().find(|c| c.name == name) {
            Some(c) => c.channel.clone(),
            None => {
                tracing::error!(backend = name, "no such backend in the registry");
                Channel::from_static("http://unregistered-backend.invalid").connect_lazy()
            }
        }
    }

    /// `Ok` when every backend answers its health check, else the first that does not.
    pub async fn ready(&self) -> Result<(), &'static str> {
        for c in self.connections.iter() {
            if !c.is_ready().await {
                return Err(c.name);
            }
        }
        Ok(())
    }
}

impl FromRef<AppState> for Key {
    fn from_ref(s: &AppState) -> Self {
        s.cookie_key.clone()
    }
}
