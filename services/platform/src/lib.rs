//! What every Kumppani service is built on: typed config, telemetry, the one
//! error-code type, Postgres (schema per service, own role, migrations), NATS
//! JetStream (transactional outbox relay, idempotent inbox consumer),
//! authentication (OIDC JWT verification and the built-in dev issuer) and the
//! tonic server builder (health, reflection, tracing, graceful shutdown), and the
//! display names of who did something (`actors`).

pub mod actors;
pub mod auth;
pub mod calendar;
pub mod config;
pub mod contacts;
pub mod convert;
pub mod db;
pub mod error;
pub mod events;
pub mod grpc;
pub mod mail;
pub mod nats;
pub mod service;
pub mod telemetry;
pub mod validate;

pub use error::{AppError, ErrorCode, FieldViolation};
pub use validate::Reason;

/// A cancellation token shared by every long-running task of a process.
pub type Shutdown = tokio_util::sync::CancellationToken;

/// Resolves when the process receives Ctrl-C or SIGTERM (Kubernetes' stop signal).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
