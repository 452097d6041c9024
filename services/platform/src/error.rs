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
    /// A dependency (database, NATS, another service) is not reachable.
    Unavailable,
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
            Self::Unavailable => S::SERVICE_UNAVAILABLE,
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
            _ => Self::Internal,
        }
    }
}

/// One invalid field: its path in the request (proto field names, dotted) and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldViolation {
    pub field: String,
    pub reason: String,
}

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
    /// A single invalid field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        let mut v = Violations::default();
        v.add(field, reason);
        v.into_error()
    }

    pub fn into_status(self) -> tonic::Status {
        use tonic_types::{ErrorDetails, StatusExt};
        if self.code == ErrorCode::Internal {
            // Never leak internals to callers; the details are in the log.
            tracing::error!(error = %self.message, "internal error");
            return tonic::Status::internal("internal error");
        }
        if self.violations.is_empty() {
            return tonic::Status::new(self.code.grpc(), self.message);
        }
        let mut details = ErrorDetails::new();
        for v in &self.violations {
            details.add_bad_request_violation(v.field.clone(), v.reason.clone());
        }
        tonic::Status::with_error_details(self.code.grpc(), self.message, details)
    }

    /// Reads a gRPC status back (the gateway does this), keeping field violations.
    pub fn from_status(status: &tonic::Status) -> Self {
        use tonic_types::StatusExt;
        let violations = status
            .get_details_bad_request()
            .map(|br| br.field_violations.into_iter().map(|v| FieldViolation { field: v.field, reason: v.description }).collect())
            .unwrap_or_default();
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
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) => {
                tracing::warn!(error = %e, "database unavailable");
                Self::new(ErrorCode::Unavailable, "database unavailable")
            }
            sqlx::Error::Database(db) if db.code().as_deref() == Some("23505") => {
                Self::new(ErrorCode::AlreadyExists, format!("already exists ({})", db.constraint().unwrap_or("unique key")))
            }
            sqlx::Error::Database(db) if db.code().as_deref() == Some("40001") => Self::new(ErrorCode::Aborted, "concurrent update, retry"),
            _ => Self::internal(e.to_string()),
        }
    }
}

pub use crate::validate::Violations;
