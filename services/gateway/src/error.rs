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
        // `code` + `params` are stable (for programs and translations); `message` is for developers
        // (`reason`, the same text, is kept for callers written before codes existed).
        let violations: Vec<_> = e
            .violations
            .iter()
            .map(|v| {
                serde_json::json!({
                    "field": json_path(&v.field),
                    "code": v.code,
                    "params": v.params,
                    "message": v.reason,
                    "reason": v.reason,
                })
            })
            .collect();
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
#[allow(clippy::unwrap_used)]
mod tests {
    use super::ApiError;
    use axum::response::IntoResponse;
    use kumppani_platform::validate::{Reason, Violations};

    #[tokio::test]
    async fn a_422_names_each_field_with_code_params_and_message() {
        let mut v = Violations::default();
        v.text("terms.customer_responsible", &"x".repeat(201), 200, true);
        v.add(
            "price.components",
            Reason::new("components_sum_mismatch", "sum to 2.79 but the unit price is 2.85").with("sum", "2.79").with("unit_price", "2.85"),
        );
        v.add("note", "is odd");
        let res = ApiError(v.into_error()).into_response();
        assert_eq!(res.status(), 422);
        let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "INVALID_ARGUMENT");
        assert_eq!(
            body["error"]["fieldViolations"][0],
            serde_json::json!({ "field": "terms.customerResponsible", "code": "too_long", "params": { "max": "200" },
                                "message": "must be at most 200 characters", "reason": "must be at most 200 characters" })
        );
        assert_eq!(body["error"]["fieldViolations"][1]["params"], serde_json::json!({ "sum": "2.79", "unit_price": "2.85" }));
        assert_eq!(body["error"]["fieldViolations"][2]["code"], "invalid");
    }

    #[test]
    fn json_path_is_camel_case() {
        assert_eq!(super::json_path("terms.customer_responsible"), "terms.customerResponsible");
        assert_eq!(super::json_path("site_levels[2].site_id"), "siteLevels[2].siteId");
    }
}
