//! NATS JetStream: connection, one stream per producing service, subjects.

use async_nats::jetstream::{self, stream};
use std::time::Duration;

/// Subject of an event type under a deployment prefix:
/// `subject("kumppani", "contracts.agreement.signed") == "kumppani.contracts.agreement.signed"`.
pub fn subject(prefix: &str, event_type: &str) -> String {
    format!("{prefix}.{event_type}")
}

/// Stream name of a producing service: `KUMPPANI_CONTRACTS`.
pub fn stream_name(prefix: &str, service: &str) -> String {
    format!("{}_{}", prefix.replace(['.', '-'], "_"), service).to_uppercase()
}

/// Dead-letter subject of a consumer.
pub fn dead_letter_subject(prefix: &str, consumer: &str) -> String {
    format!("{prefix}.deadletter.{consumer}")
}

/// Connects with unlimited reconnects (the client buffers while NATS is down).
pub async fn connect(url: &str, name: &str) -> anyhow::Result<async_nats::Client> {
    let client = async_nats::ConnectOptions::new()
        .name(name)
        .retry_on_initial_connect()
        .connection_timeout(Duration::from_secs(5))
        .connect(url)
        .await?;
    Ok(client)
}

/// How long JetStream remembers a `Nats-Msg-Id` and drops a second publication
/// of it. The outbox relay marks events published in small steps as their acks
/// arrive, so after a crash or a lost connection at most one step's events are
/// sent again; they are dropped as duplicates if the relay is back within this
/// window. 30 minutes covers a pod restart, a node drain or a PostgreSQL
/// fail-over with margin; the cost is JetStream keeping the ids of 30 minutes
/// of events in memory (at a sustained 1,000 events/s, 1.8 M ids, roughly
/// 100–200 MB on the NATS server), so don't raise it lightly.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(30 * 60);

/// Makes sure the service's stream (`<prefix>.<service>.>`) exists with the
/// current [`DUPLICATE_WINDOW`] (an existing stream is updated to it).
pub async fn ensure_stream(js: &jetstream::Context, prefix: &str, service: &str) -> anyhow::Result<stream::Stream> {
    let config = stream::Config {
        name: stream_name(prefix, service),
        subjects: vec![format!("{prefix}.{service}.>")],
        storage: stream::StorageType::File,
        duplicate_window: DUPLICATE_WINDOW,
        ..Default::default()
    };
    let mut s = js.get_or_create_stream(config.clone()).await.map_err(|e| anyhow::anyhow!("creating stream for {service}: {e}"))?;
    let current = s.info().await.map_err(|e| anyhow::anyhow!("reading stream of {service}: {e}"))?.config.duplicate_window;
    if current != DUPLICATE_WINDOW {
        js.update_stream(config).await.map_err(|e| anyhow::anyhow!("updating the duplicate window of {service}: {e}"))?;
    }
    Ok(s)
}

/// Makes sure the dead-letter stream (`<prefix>.deadletter.>`) exists.
pub async fn ensure_dead_letter_stream(js: &jetstream::Context, prefix: &str) -> anyhow::Result<stream::Stream> {
    js.get_or_create_stream(stream::Config {
        name: stream_name(prefix, "deadletter"),
        subjects: vec![format!("{prefix}.deadletter.>")],
        storage: stream::StorageType::File,
        ..Default::default()
    })
    .await
    .map_err(|e| anyhow::anyhow!("creating dead-letter stream: {e}"))
}
