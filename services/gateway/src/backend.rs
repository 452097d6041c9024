//! What a backend service contributes to the gateway. Each backend's folder
//! (`src/<name>/mod.rs`) declares one [`Backend`]; the registry
//! (`crate::registry::BACKENDS`) lists them, and from it come the
//! configuration (URL variables), the connections and `/readyz`, the REST
//! routes, the OpenAPI document and the portal pages.

use crate::rest::ApiRoute;
use crate::state::AppState;
use axum::Router;

pub struct Backend {
    /// Registry name, e.g. `contracts`: names the connection and `/readyz` failures.
    pub name: &'static str,
    /// Environment variable with the service's gRPC URL, and the URL when it is unset.
    pub url_env: &'static str,
    pub default_url: &'static str,
    /// Proto package of its messages: their schemas go into the OpenAPI document.
    pub package: &'static str,
    /// What the service holds, for the OpenAPI document's description.
    pub description: &'static str,
    /// Its part of the REST API (under `/api/v1`).
    pub api: &'static [ApiRoute],
    /// Its portal pages.
    pub portal: fn() -> Router<AppState>,
    /// The largest REST request body it takes (bytes); [`DEFAULT_MAX_BODY`] unless it takes files.
    pub max_body: usize,
}

/// The REST request body limit of a backend that takes no files (axum's default).
pub const DEFAULT_MAX_BODY: usize = 2 * 1024 * 1024;
