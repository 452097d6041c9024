//! REST error bodies: the platform's error code mapped to an HTTP status, with
//! the invalid fields named.

use axum::Json;
use axum::response::{IntoResponse, Response};
use kumppani_platform::{AppError, ErrorCode};

#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

impl From<tonic::Status> for ApiError {
    fn from(s: tonic::Status) -> Self {
        Self(AppError::from_status(&s))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = e.code.http();
        let message = if e.code == ErrorCode::Internal { "internal error".to_owned() } else { e.message };
        // REST speaks the proto3-JSON names: terms.customer_responsible → terms.customerResponsible.
        let violations: Vec<_> =
            e.violations.iter().map(|v| serde_json::json!({ "field": json_path(&v.field), "reason": v.reason })).collect();
        let mut res = (
            status,
            Json(serde_json::json!({
                "error": {
                    "code": e.code,
                    "message": message,
                    "fieldViolations": violations,
                }
            })),
        )
            .into_response();
        if e.code == ErrorCode::Unauthenticated {
            res.headers_mut().insert(http::header::WWW_AUTHENTICATE, http::HeaderValue::from_static("Bearer"));
        }
        if matches!(e.code, ErrorCode::Unavailable | ErrorCode::Overloaded) {
            // Both are worth retrying: an overloaded replica soon, a restarting database a little later.
            let after = if e.code == ErrorCode::Overloaded { "1" } else { "5" };
            res.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from_static(after));
        }
        res
    }
}

/// `snake_case` field path → `lowerCamelCase` (the proto3 JSON name), keeping dots and `[i]`.
pub fn json_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut upper = false;
    for ch in path.chars() {
        match ch {
            '_' => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_path_is_camel_case() {
        assert_eq!(super::json_path("terms.customer_responsible"), "terms.customerResponsible");
        assert_eq!(super::json_path("site_levels[2].site_id"), "siteLevels[2].siteId");
    }
}
