//! The one error type of Kumppani: an [`ErrorCode`] mapped to both gRPC codes
//! (with `google.rpc.BadRequest` field violations) and HTTP statuses.

use std::fmt;

/// Stable error codes, shared by every service and the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// The request is malformed or a field is invalid (see the violations).
    InvalidArgument,
    /// No credentials, or they could not be verified.
    Unauthenticated,
    /// The caller is known but may not do this / see this.
    PermissionDenied,
    NotFound,
    /// Unique key already taken (e.g. a second agreement for the same year).
    AlreadyExists,
    /// The entity is not in a state that allows this (e.g. an invalid lifecycle transition).
    FailedPrecondition,
    /// Optimistic concurrency: someone changed it since the caller read it.
    Aborted,
    /// A dependency (database, NATS, another service) is not reachable or is
    /// restarting: retry with backoff.
    Unavailable,
    /// The service is overloaded (e.g. every database connection is in use):
    /// retry after a moment (HTTP 503 with Retry-After).
    Overloaded,
    Internal,
}

impl ErrorCode {
    pub fn grpc(self) -> tonic::Code {
        match self {
            Self::InvalidArgument => tonic::Code::InvalidArgument,
            Self::Unauthenticated => tonic::Code::Unauthenticated,
            Self::PermissionDenied => tonic::Code::PermissionDenied,
            Self::NotFound => tonic::Code::NotFound,
            Self::AlreadyExists => tonic::Code::AlreadyExists,
            Self::FailedPrecondition => tonic::Code::FailedPrecondition,
            Self::Aborted => tonic::Code::Aborted,
            Self::Unavailable => tonic::Code::Unavailable,
            Self::Overloaded => tonic::Code::ResourceExhausted,
            Self::Internal => tonic::Code::Internal,
        }
    }

    pub fn http(self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            Self::InvalidArgument => S::UNPROCESSABLE_ENTITY,
            Self::Unauthenticated => S::UNAUTHORIZED,
            Self::PermissionDenied => S::FORBIDDEN,
            Self::NotFound => S::NOT_FOUND,
            Self::AlreadyExists | Self::FailedPrecondition | Self::Aborted => S::CONFLICT,
            Self::Unavailable | Self::Overloaded => S::SERVICE_UNAVAILABLE,
            Self::Internal => S::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn from_grpc(code: tonic::Code) -> Self {
        match code {
            tonic::Code::InvalidArgument | tonic::Code::OutOfRange => Self::InvalidArgument,
            tonic::Code::Unauthenticated => Self::Unauthenticated,
            tonic::Code::PermissionDenied => Self::PermissionDenied,
            tonic::Code::NotFound => Self::NotFound,
            tonic::Code::AlreadyExists => Self::AlreadyExists,
            tonic::Code::FailedPrecondition => Self::FailedPrecondition,
            tonic::Code::Aborted => Self::Aborted,
            tonic::Code::Unavailable | tonic::Code::DeadlineExceeded => Self::Unavailable,
            tonic::Code::ResourceExhausted => Self::Overloaded,
            _ => Self::Internal,
        }
    }
}

/// One invalid field: its path in the request (proto field names, dotted), a
/// stable reason code with its parameters (what a user interface translates:
/// `too_long` {max}) and the developer's English message (`reason`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldViolation {
    pub field: String,
    pub reason: String,
    pub code: String,
    pub params: std::collections::BTreeMap<String, String>,
}

/// The gRPC detail that carries a violation's parameters: an `ErrorInfo` per
/// violation with parameters, in this domain, whose metadata has `field` and
/// the parameters (google.rpc.BadRequest.FieldViolation has no place for them).
pub const VIOLATION_PARAMS_DOMAIN: &str = "field-violation.kumppani";

#[derive(Debug, Clone)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    pub violations: Vec<FieldViolation>,
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)?;
        for v in &self.violations {
            write!(f, "; {}: {}", v.field, v.reason)?;
        }
        Ok(())
    }
}

impl std::error::Error for AppError {}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), violations: Vec::new() }
    }
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, format!("{} not found", what.into()))
    }
    pub fn denied(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::PermissionDenied, message)
    }
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, message)
    }
    pub fn precondition(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::FailedPrecondition, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Internal, message)
    }
    /// A single invalid field (`reason`: a message, code `invalid`, or a coded [`Reason`]).
    pub fn invalid(field: impl Into<String>, reason: impl Into<Reason>) -> Self {
        let mut v = Violations::default();
        v.add(field, reason);
        v.into_error()
    }

    pub fn into_status(self) -> tonic::Status {
        use tonic_types::StatusExt;
        if self.code == ErrorCode::Internal {
            // Never leak internals to callers; the details are in the log.
            tracing::error!(error = %self.message, "internal error");
            return tonic::Status::internal("internal error");
        }
        if self.violations.is_empty() {
            return tonic::Status::new(self.code.grpc(), self.message);
        }
        // BadRequest: field, description (the English message) and reason (the code);
        // one ErrorInfo per violation with parameters.
        let bad = self
            .violations
            .iter()
            .map(|v| tonic_types::FieldViolation {
                field: v.field.clone(),
                description: v.reason.clone(),
                reason: v.code.clone(),
                localized_message: None,
            })
            .collect::<Vec<_>>();
        let mut details = vec![tonic_types::ErrorDetail::BadRequest(tonic_types::BadRequest::new(bad))];
        for v in self.violations.iter().filter(|v| !v.params.is_empty()) {
            let mut metadata: std::collections::HashMap<String, String> = v.params.clone().into_iter().collect();
            metadata.insert("field".into(), v.field.clone());
            details.push(tonic_types::ErrorDetail::ErrorInfo(tonic_types::ErrorInfo::new(
                v.code.to_uppercase(),
                VIOLATION_PARAMS_DOMAIN,
                metadata,
            )));
        }
        tonic::Status::with_error_details_vec(self.code.grpc(), self.message, details)
    }

    /// Reads a gRPC status back (the gateway does this), keeping field violations
    /// with their codes and parameters.
    pub fn from_status(status: &tonic::Status) -> Self {
        use tonic_types::{ErrorDetail, StatusExt};
        let details = status.get_error_details_vec();
        let mut violations = Vec::new();
        for d in &details {
            if let ErrorDetail::BadRequest(br) = d {
                for v in &br.field_violations {
                    let code = if v.reason.is_empty() { "invalid".to_owned() } else { v.reason.clone() };
                    let params = details
                        .iter()
                        .find_map(|d| match d {
                            ErrorDetail::ErrorInfo(info)
                                if info.domain == VIOLATION_PARAMS_DOMAIN
                                    && info.reason.eq_ignore_ascii_case(&code)
                                    && info.metadata.get("field") == Some(&v.field) =>
                            {
                                Some(info.metadata.iter().filter(|(k, _)| *k != "field").map(|(k, v)| (k.clone(), v.clone())).collect())
                            }
                            _ => None,
                        })
                        .unwrap_or_default();
                    violations.push(FieldViolation { field: v.field.clone(), reason: v.description.clone(), code, params });
                }
            }
        }
        Self { code: ErrorCode::from_grpc(status.code()), message: status.message().to_owned(), violations }
    }
}

impl From<AppError> for tonic::Status {
    fn from(e: AppError) -> Self {
        e.into_status()
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => Self::not_found("row"),
            sqlx::Error::PoolTimedOut => {
                // The database is up; every connection of this replica is busy.
                tracing::warn!(error = %e, "database pool exhausted");
                Self::new(ErrorCode::Overloaded, "the service is busy (all database connections in use); retry in a moment")
            }
            sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::Tls(_) => {
                tracing::warn!(error = %e, "database unreachable");
                Self::new(ErrorCode::Unavailable, "the database is unreachable; retry in a moment")
            }
            sqlx::Error::Database(db) if db.code().as_deref().is_some_and(is_connection_loss) => {
                tracing::warn!(error = %e, "database connection lost");
                Self::new(ErrorCode::Unavailable, "the database is restarting; retry in a moment")
            }
            sqlx::Error::Database(db) if db.code().as_deref() == Some("23505") => {
                Self::new(ErrorCode::AlreadyExists, format!("already exists ({})", db.constraint().unwrap_or("unique key")))
            }
            sqlx::Error::Database(db) if db.code().as_deref() == Some("40001") => Self::new(ErrorCode::Aborted, "concurrent update, retry"),
            _ => Self::internal(e.to_string()),
        }
    }
}

/// SQLSTATEs that mean the connection or the server went away, not that the
/// request was wrong: class 08 (connection exception), 57P01 admin shutdown,
/// 57P02 crash shutdown, 57P03 cannot connect now, 53300 too many connections.
fn is_connection_loss(sqlstate: &str) -> bool {
    sqlstate.starts_with("08") || matches!(sqlstate, "57P01" | "57P02" | "57P03" | "53300")
}

pub use crate::validate::{Reason, Violations};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overload_and_restarts_are_retryable_not_internal() {
        let busy = AppError::from(sqlx::Error::PoolTimedOut);
        assert_eq!(busy.code, ErrorCode::Overloaded);
        assert_eq!(busy.code.http(), http::StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(busy.code.grpc(), tonic::Code::ResourceExhausted);
        assert_eq!(ErrorCode::from_grpc(tonic::Code::ResourceExhausted), ErrorCode::Overloaded);
        assert_eq!(AppError::from(sqlx::Error::PoolClosed).code, ErrorCode::Unavailable);
        for state in ["57P01", "57P03", "08006", "53300"] {
            assert!(is_connection_loss(state), "{state}");
        }
        assert!(!is_connection_loss("23505"));
    }

    #[test]
    fn violations_keep_code_and_parameters_over_grpc() {
        let mut v = Violations::default();
        v.text("name", &"x".repeat(300), 200, true);
        v.add("legacy", "is odd");
        v.add(
            "price.components",
            Reason::new("components_sum_mismatch", "sum to 2.79 but the unit price is 2.85").with("sum", "2.79").with("unit_price", "2.85"),
        );
        let back = AppError::from_status(&v.into_error().into_status());
        assert_eq!(back.code, ErrorCode::InvalidArgument);
        let codes: Vec<_> = back.violations.iter().map(|v| (v.field.as_str(), v.code.as_str())).collect();
        assert_eq!(codes, [("name", "too_long"), ("legacy", "invalid"), ("price.components", "components_sum_mismatch")]);
        assert_eq!(back.violations[0].params.get("max").map(String::as_str), Some("200"));
        assert_eq!(back.violations[0].reason, "must be at most 200 characters");
        assert_eq!(back.violations[1].reason, "is odd");
        assert_eq!(back.violations[2].params.get("unit_price").map(String::as_str), Some("2.85"));
    }
}
