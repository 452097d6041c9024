//! The REST machinery under `/api/v1`. Bodies and responses are the canonical
//! proto3-JSON mapping of the backends' messages (camelCase fields, enum names
//! as strings); path parameters and query strings fill the same request
//! message. Each backend declares its part of the API with [`api!`] in its
//! `rest.rs`: one table drives both its routes and its OpenAPI entries.

use crate::error::ApiError;
use crate::state::AppState;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::RawPathParams;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use kumppani_platform::AppError;
use std::collections::HashMap;
use std::future::Future;

/// One REST route: what the OpenAPI document says about it and its handler.
pub struct ApiRoute {
    pub method: &'static str,
    pub path: &'static str,
    pub rpc: &'static str,
    /// Proto package and message name of the request and the response.
    pub request: (&'static str, &'static str),
    pub response: (&'static str, &'static str),
    /// Request field filled from the `{id}` path parameter.
    pub id_field: &'static str,
    pub summary: &'static str,
    pub creates: bool,
    /// `Some(media type)`: the route answers a file, not JSON.
    pub file: Option<&'static str>,
    /// Builds the axum handler (calls the backend's typed client).
    pub handler: fn() -> MethodRouter<AppState>,
}

/// The routes of one REST table (nested under `/api/v1` by the router).
pub fn router(routes: &[ApiRoute]) -> Router<AppState> {
    routes.iter().fold(Router::new(), |router, r| router.route(r.path, (r.handler)()))
}

/// Extracts the bearer token of a REST call; an oversized one is refused here
/// (401) rather than forwarded.
pub fn bearer(headers: &HeaderMap) -> Result<String, ApiError> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| AppError::unauthenticated("missing Authorization: Bearer token"))?;
    if value.len() > kumppani_platform::auth::MAX_TOKEN_BYTES + "Bearer ".len() {
        let limit = kumppani_platform::auth::MAX_TOKEN_BYTES;
        return Err(AppError::unauthenticated(format!("the bearer token is too large (over {limit} bytes)")).into());
    }
    value
        .strip_prefix("Bearer ")
        .map(str::to_owned)
        .ok_or_else(|| ApiError(AppError::unauthenticated("Authorization is not a bearer token")))
}

/// Builds a gRPC request carrying the caller's token and the trace context.
pub fn grpc_request<T>(message: T, token: &str) -> Result<tonic::Request<T>, AppError> {
    let mut request = tonic::Request::new(message);
    let value = format!("Bearer {token}").parse().map_err(|_| AppError::unauthenticated("token contains invalid characters"))?;
    request.metadata_mut().insert("authorization", value);
    kumppani_platform::telemetry::inject_grpc(request.metadata_mut());
    Ok(request)
}

/// One REST call: body, query and `{id}` → request message → the backend → JSON.
#[allow(clippy::too_many_arguments)]
pub async fn handle<Req, Resp, F, Fut>(
    headers: HeaderMap,
    params: RawPathParams,
    query: HashMap<String, String>,
    body: Bytes,
    id_field: &'static str,
    creates: bool,
    call: F,
) -> Result<Response, ApiError>
where
    Req: serde::de::DeserializeOwned,
    Req: prost::Name,
    Resp: serde::Serialize,
    F: FnOnce(tonic::Request<Req>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
{
    let response = call_backend(headers, params, query, body, id_field, call).await?;
    let status = if creates { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(response)).into_response())
}

/// One REST call whose answer is a file: its bytes with its media type and name.
pub async fn handle_file<Req, Resp, F, Fut>(
    headers: HeaderMap,
    params: RawPathParams,
    query: HashMap<String, String>,
    body: Bytes,
    id_field: &'static str,
    call: F,
) -> Result<Response, ApiError>
where
    Req: serde::de::DeserializeOwned,
    Req: prost::Name,
    Resp: FileBody,
    F: FnOnce(tonic::Request<Req>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
{
    let file = call_backend(headers, params, query, body, id_field, call).await?;
    let name = header_file_name(file.file_name(), "file");
    let content_type = file.content_type().to_owned();
    Ok((
        [(http::header::CONTENT_TYPE, content_type), (http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))],
        file.into_bytes(),
    )
        .into_response())
}

/// A file's name for a `Content-Disposition` header: ASCII letters, digits,
/// dots, dashes and underscores only (nothing to quote or escape); `fallback`
/// when none is left.
pub fn header_file_name(name: &str, fallback: &str) -> String {
    let clean: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect();
    if clean.is_empty() { fallback.to_owned() } else { clean }
}

/// The JSON names of a request message's boolean fields (from the descriptor set).
fn bool_fields(package: &str, name: &str) -> &'static std::collections::HashSet<String> {
    use prost::Message;
    use prost_types::field_descriptor_proto::Type;
    static FIELDS: std::sync::OnceLock<HashMap<String, std::collections::HashSet<String>>> = std::sync::OnceLock::new();
    static NONE: std::sync::OnceLock<std::collections::HashSet<String>> = std::sync::OnceLock::new();
    let all = FIELDS.get_or_init(|| {
        let set = prost_types::FileDescriptorSet::decode(kumppani_proto::FILE_DESCRIPTOR_SET).unwrap_or_default();
        set.file
            .iter()
            .flat_map(|f| f.message_type.iter().map(move |m| (f.package(), m)))
            .map(|(package, m)| {
                let booleans = m.field.iter().filter(|x| x.r#type() == Type::Bool).map(|x| x.json_name().to_owned()).collect();
                (format!("{package}.{}", m.name()), booleans)
            })
            .collect()
    });
    all.get(&format!("{package}.{name}")).unwrap_or_else(|| NONE.get_or_init(Default::default))
}

async fn call_backend<Req, Resp, F, Fut>(
    headers: HeaderMap,
    params: RawPathParams,
    query: HashMap<String, String>,
    body: Bytes,
    id_field: &'static str,
    call: F,
) -> Result<Resp, ApiError>
where
    Req: serde::de::DeserializeOwned + prost::Name,
    F: FnOnce(tonic::Request<Req>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
{
    let token = bearer(&headers)?;
    let mut object = if body.is_empty() {
        serde_json::Map::new()
    } else {
        match serde_json::from_slice::<serde_json::Value>(&body) {
            Ok(serde_json::Value::Object(o)) => o,
            Ok(_) => return Err(AppError::invalid("body", "must be a JSON object").into()),
            Err(e) => {
                return Err(AppError::invalid("body", format!("is not valid JSON: {e}")).into());
            }
        }
    };
    let booleans = bool_fields(<Req as prost::Name>::PACKAGE, <Req as prost::Name>::NAME);
    for (k, v) in query {
        // A query string carries text; a boolean field takes `true` / `false` as JSON booleans.
        let value = match v.as_str() {
            "true" | "false" if booleans.contains(&k) => serde_json::Value::Bool(v == "true"),
            _ => serde_json::Value::String(v),
        };
        object.entry(k).or_insert(value);
    }
    if let Some((_, id)) = params.iter().next() {
        object.insert(id_field.to_owned(), serde_json::Value::String(id.to_owned()));
    }
    let message: Req = serde_path_to_error::deserialize(serde_json::Value::Object(object)).map_err(|e| {
        let path = e.path().to_string();
        AppError::invalid(if path == "." { "body".to_owned() } else { path }, e.inner().to_string())
    })?;
    Ok(call(grpc_request(message, &token)?).await?.into_inner())
}

/// Create* calls answer 201 Created.
pub const fn creates(rpc: &str) -> bool {
    let (b, p) = (rpc.as_bytes(), b"create");
    if b.len() < p.len() {
        return false;
    }
    let mut i = 0;
    while i < p.len() {
        if b[i] != p[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// A backend's REST table: `pub const API: &[ApiRoute]`, one line per route:
/// `get "/customers" => contracts.list_customers(Req) -> Resp, id = "", "summary";`
/// where `contracts` names the typed-client accessor on [`AppState`] and `id`
/// the request field filled from the `{id}` path parameter. A route that
/// answers a file adds `file = "<media type>"` after `id`: its response
/// message implements [`FileBody`] and is sent as the file's bytes.
macro_rules! api {
    ($($method:ident $path:literal => $client:ident.$rpc:ident($req:ty) -> $resp:ty, id = $id:literal, $(file = $media:literal,)? $summary:literal;)*) => {
        /// This backend's REST routes (under `/api/v1`) with their OpenAPI entries.
        pub const API: &[$crate::rest::ApiRoute] = &[$($crate::rest::ApiRoute {
            method: stringify!($method),
            path: $path,
            rpc: stringify!($rpc),
            request: (<$req as prost::Name>::PACKAGE, <$req as prost::Name>::NAME),
            response: (<$resp as prost::Name>::PACKAGE, <$resp as prost::Name>::NAME),
            id_field: $id,
            summary: $summary,
            creates: $crate::rest::creates(stringify!($rpc)),
            file: $crate::rest::file_media!($($media)?),
            handler: || axum::routing::$method(
                |axum::extract::State(s): axum::extract::State<$crate::state::AppState>,
                 headers: axum::http::HeaderMap,
                 params: axum::extract::RawPathParams,
                 axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
                 body: axum::body::Bytes| async move {
                    let mut client = s.$client();
                    $crate::rest::respond!($($media)?; $req, $resp, headers, params, q, body, $id, $crate::rest::creates(stringify!($rpc)),
                        |r| async move { client.$rpc(r).await })
                },
            ),
        },)*];
    };
}
pub(crate) use api;

/// `None`, or the media type of a file route.
macro_rules! file_media {
    () => {
        None
    };
    ($media:literal) => {
        Some($media)
    };
}
pub(crate) use file_media;

/// The handler body of a JSON route, or of a file route.
macro_rules! respond {
    (; $req:ty, $resp:ty, $($arg:expr),*) => {
        $crate::rest::handle::<$req, $resp, _, _>($($arg),*).await
    };
    ($media:literal; $req:ty, $resp:ty, $headers:expr, $params:expr, $q:expr, $body:expr, $id:expr, $creates:expr, $call:expr) => {
        $crate::rest::handle_file::<$req, $resp, _, _>($headers, $params, $q, $body, $id, $call).await
    };
}
pub(crate) use respond;

/// A response message that is a file (e.g. an invoice as PDF).
pub trait FileBody {
    fn file_name(&self) -> &str;
    fn content_type(&self) -> &str;
    fn into_bytes(self) -> Vec<u8>;
}
