//! REST error bodies: the platform's error code mapped to an HTTP status, with
//! the invalid fields named.

use axum::response::{IntoResponse, Response};
use axum::Json;
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
        let mut res = (
            status,
            Json(serde_json::json!({
                "error": {
                    "code": e.code,
                    "message": message,
                    "fieldViolations": e.violations,
                }
            })),
        )
            .into_response();
        if e.code == ErrorCode::Unauthenticated {
            res.headers_mut().insert(http::header::WWW_AUTHENTICATE, http::HeaderValue::from_static("Bearer"));
        }
        res
    }
}
