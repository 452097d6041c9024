//! The platform's guarantees, against real PostgreSQL and NATS JetStream:
//! schema ownership, the outbox surviving a NATS outage, idempotent consumers
//! and dead-lettering.
#![allow(clippy::unwrap_used)]

mod support;

use futures::StreamExt;
use kumppani_platform::events::{Consumer, EventHandler, HandlerResult, OutboxRelay, emit};
use kumppani_proto::contracts::v1 as pb;
use kumppani_proto::events::v1::Envelope;
use prost::Message;
use sqlx::{ConnectOptions, Executor, PgConnection, PgPool};
use std::time::Duration;
use support::{drop_database, infra, unique, wait_until};

async fn contracts_db() -> (String, String, PgPool) {
    let name = unique("kt_");
    let url = infra().database_url(&name).unwrap();
    kumppani_platform::db::ensure_database(&url).await.unwrap();
    kumppani_platform::db::setup_service_schema(&url, "contracts", &kumppani_contracts::MIGRATOR).await.unwrap();
    let pool = kumppani_platform::db::connect_as_service(&url, "contracts", true, 5).await.unwrap();
    (name, url, pool)
}

fn sql_state(e: sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => d.code().map(|c| c.to_string()).unwrap_or_default(),
        other => format!("{other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_role_cannot_read_another_services_schema() {
    let (name, url, pool) = contracts_db().await;
    // Another service's schema with data in it.
    let mut admin = url.parse::<sqlx::postgres::PgConnectOptions>().unwrap().connect().await.unwrap();
    kumppani_platform::db::provision(&mut admin, "pricing", None).await.unwrap();
    admin
        .execute("SET ROLE kumppani_pricing; CREATE TABLE pricing.prices (id int); INSERT INTO pricing.prices VALUES (1); RESET ROLE")
        .await
        .unwrap();

    let mut conn = pool.acquire().await.unwrap();
    let user: String = sqlx::query_scalar("SELECT current_user::text").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(user, "kumppani_contracts");
    let own: i64 = sqlx::query_scalar("SELECT count(*) FROM customers").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(own, 0, "the service reads its own schema");
    let denied = sqlx::query("SELECT * FROM pricing.prices").fetch_all(&mut *conn).await.unwrap_err();
    assert_eq!(sql_state(denied), "42501", "permission denied on another schema");
    let denied = conn.execute("CREATE TABLE public.sneaky (id int)").await.unwrap_err();
    assert_eq!(sql_state(denied), "42501", "no objects outside its schema");
    drop(conn);
    pool.close().await;
    drop(admin);
    drop_database(&name).await;
}

struct NatsServer {
    child: std::process::Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl NatsServer {
    fn start(port: u16, dir: &std::path::Path) -> Self {
        let bin = kumppani::infra::find_binary("nats-server").expect("nats-server installed");
        let child = std::process::Command::new(bin)
            .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
            .arg(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        Self { child, port, dir: dir.to_owned() }
    }
    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

async fn emit_customers(pool: &PgPool, n: usize) -> Vec<uuid::Uuid> {
    let mut ids = Vec::new();
    for i in 0..n {
        let mut tx = pool.begin().await.unwrap();
        let c = pb::Customer { code: format!("C{i}"), ..Default::default() };
        ids.push(
            emit(&mut tx, "contracts", "contracts.customer.created", &pb::CustomerEvent { customer: Some(c), units: Vec::new() })
                .await
                .unwrap(),
        );
        tx.commit().await.unwrap();
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_events_written_while_nats_is_down_are_all_delivered_once_it_is_back() {
    let (name, _url, pool) = contracts_db().await;
    let dir = std::env::temp_dir().join(unique("kumppani-nats-"));
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = NatsServer::start(port, &dir);
    let prefix = unique("t");
    let client = kumppani_platform::nats::connect(&format!("nats://127.0.0.1:{port}"), "outbox-test").await.unwrap();
    let js = async_nats::jetstream::new(client);
    kumppani_platform::nats::ensure_stream(&js, &prefix, "contracts").await.unwrap();
    let shutdown = kumppani_platform::Shutdown::new();
    let relay = OutboxRelay { pool: pool.clone(), js: js.clone(), schema: "contracts".into(), prefix: prefix.clone(), batch: 50 };
    let relay_task = tokio::spawn(relay.run(shutdown.clone()));

    let mut ids = emit_customers(&pool, 5).await;
    wait_until("first events published", Duration::from_secs(20), || async {
        count(&pool, "SELECT count(*) FROM outbox WHERE published_at IS NULL").await == 0
    })
    .await;

    server.stop();
    ids.extend(emit_customers(&pool, 20).await);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        count(&pool, "SELECT count(*) FROM outbox WHERE published_at IS NULL").await,
        20,
        "nothing is marked sent while NATS is down"
    );

    let _server = NatsServer::start(server.port, &server.dir);
    wait_until("backlog published after NATS returned", Duration::from_secs(60), || async {
        count(&pool, "SELECT count(*) FROM outbox WHERE published_at IS NULL").await == 0
    })
    .await;
    // Exactly once in the stream, in order, each with Nats-Msg-Id = event id.
    let stream = js.get_stream(kumppani_platform::nats::stream_name(&prefix, "contracts")).await.unwrap();
    let consumer: async_nats::jetstream::consumer::PullConsumer =
        stream.create_consumer(async_nats::jetstream::consumer::pull::Config::default()).await.unwrap();
    let mut batch = consumer.fetch().max_messages(100).expires(Duration::from_secs(2)).messages().await.unwrap();
    let mut got = Vec::new();
    while let Some(Ok(m)) = batch.next().await {
        let env = Envelope::decode(m.payload.clone()).unwrap();
        assert_eq!(m.headers.as_ref().unwrap().get("Nats-Msg-Id").unwrap().as_str(), env.id);
        got.push(uuid::Uuid::parse_str(&env.id).unwrap());
    }
    assert_eq!(got, ids, "all 25 events, once each, in outbox order");
    shutdown.cancel();
    let _ = relay_task.await;
    pool.close().await;
    drop_database(&name).await;
    let _ = std::fs::remove_dir_all(&dir);
}

struct Recorder;

#[allow(clippy::manual_async_fn)]
impl EventHandler for Recorder {
    fn handle<'a>(
        &'a self,
        conn: &'a mut PgConnection,
        envelope: &'a Envelope,
    ) -> impl std::future::Future<Output = HandlerResult> + Send + 'a {
        async move {
            anyhow::ensure!(!envelope.event_type.ends_with("poison"), "cannot handle {}", envelope.event_type);
            sqlx::query("INSERT INTO effects (event_id) VALUES ($1)").bind(uuid::Uuid::parse_str(&envelope.id)?).execute(conn).await?;
            Ok(())
        }
    }
}

fn envelope(event_type: &str) -> Envelope {
    Envelope {
        id: uuid::Uuid::now_v7().to_string(),
        occurred_at: None,
        producer: "contracts".into(),
        payload_type: "kumppani.contracts.v1.CustomerEvent".into(),
        payload: pb::CustomerEvent::default().encode_to_vec(),
        event_type: event_type.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_applies_an_event_once_and_dead_letters_poison() {
    let (name, url, pool) = contracts_db().await;
    let mut admin = url.parse::<sqlx::postgres::PgConnectOptions>().unwrap().connect().await.unwrap();
    admin.execute("SET ROLE kumppani_contracts; CREATE TABLE contracts.effects (event_id uuid NOT NULL); RESET ROLE").await.unwrap();
    let prefix = unique("t");
    let js = async_nats::jetstream::new(async_nats::connect(&infra().nats_url).await.unwrap());
    kumppani_platform::nats::ensure_stream(&js, &prefix, "contracts").await.unwrap();
    let shutdown = kumppani_platform::Shutdown::new();
    let consumer = Consumer {
        pool: pool.clone(),
        js: js.clone(),
        prefix: prefix.clone(),
        name: "effects-test".into(),
        source_service: "contracts".into(),
        filter: "contracts.>".into(),
        max_attempts: 3,
    };
    let task = tokio::spawn(consumer.run(Recorder, shutdown.clone()));
    let publish = |subject: String, e: &Envelope, msg_id: String| {
        let js = js.clone();
        let payload = e.encode_to_vec();
        async move {
            let mut h = async_nats::HeaderMap::new();
            h.insert("Nats-Msg-Id", msg_id.as_str());
            js.publish_with_headers(subject, h, payload.into()).await.unwrap().await.unwrap();
        }
    };
    // The same event delivered twice (e.g. a relay retry after a lost ack) has one effect.
    let once = envelope("contracts.customer.created");
    publish(format!("{prefix}.contracts.customer.created"), &once, "first".into()).await;
    publish(format!("{prefix}.contracts.customer.created"), &once, "second".into()).await;
    let poison = envelope("contracts.customer.poison");
    publish(format!("{prefix}.contracts.customer.poison"), &poison, poison.id.clone()).await;
    let after = envelope("contracts.customer.updated");
    publish(format!("{prefix}.contracts.customer.updated"), &after, after.id.clone()).await;

    wait_until("the event after the poison applied", Duration::from_secs(30), || async {
        count(&pool, "SELECT count(*) FROM effects").await == 2
    })
    .await;
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM effects WHERE event_id = $1")
        .bind(uuid::Uuid::parse_str(&once.id).unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(applied, 1, "a redelivered event has no second effect");

    // The poison event is on the dead-letter subject with its reason.
    let dlq = kumppani_platform::nats::ensure_dead_letter_stream(&js, &prefix).await.unwrap();
    let reader: async_nats::jetstream::consumer::PullConsumer =
        dlq.create_consumer(async_nats::jetstream::consumer::pull::Config::default()).await.unwrap();
    let mut msgs = reader.fetch().max_messages(10).expires(Duration::from_secs(10)).messages().await.unwrap();
    let dead = tokio::time::timeout(Duration::from_secs(15), msgs.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(dead.subject.as_str(), format!("{prefix}.deadletter.effects-test"));
    let h = dead.headers.clone().unwrap();
    assert_eq!(h.get("Kumppani-Original-Subject").unwrap().as_str(), format!("{prefix}.contracts.customer.poison"));
    assert!(h.get("Kumppani-Dead-Letter-Reason").unwrap().as_str().contains("cannot handle"));
    assert_eq!(Envelope::decode(dead.payload.clone()).unwrap().id, poison.id);
    let inbox: i64 = sqlx::query_scalar("SELECT count(*) FROM inbox WHERE event_id = $1")
        .bind(uuid::Uuid::parse_str(&poison.id).unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(inbox, 0, "a failed event leaves no half-written state");

    shutdown.cancel();
    let _ = task.await;
    for s in ["contracts", "deadletter"] {
        let _ = js.delete_stream(kumppani_platform::nats::stream_name(&prefix, s)).await;
    }
    pool.close().await;
    drop(admin);
    drop_database(&name).await;
}

/// A copy of an event sent again after a crash (the relay re-sends at most one
/// unmarked step) is dropped by JetStream for the whole duplicate window, also
/// on a stream created before the window was lengthened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resent_event_is_dropped_for_the_whole_duplicate_window() {
    let js = async_nats::jetstream::new(async_nats::connect(&infra().nats_url).await.unwrap());
    let prefix = unique("t");
    // A stream as older versions created it: a 120 s window.
    js.create_stream(async_nats::jetstream::stream::Config {
        name: kumppani_platform::nats::stream_name(&prefix, "contracts"),
        subjects: vec![format!("{prefix}.contracts.>")],
        duplicate_window: Duration::from_secs(120),
        ..Default::default()
    })
    .await
    .unwrap();
    let mut stream = kumppani_platform::nats::ensure_stream(&js, &prefix, "contracts").await.unwrap();
    let window = stream.info().await.unwrap().config.duplicate_window;
    assert_eq!(window, kumppani_platform::nats::DUPLICATE_WINDOW);
    assert!(window >= Duration::from_secs(30 * 60), "covers a realistic outage: {window:?}");
    let publish = || async {
        let mut h = async_nats::HeaderMap::new();
        h.insert("Nats-Msg-Id", "0190-same-event");
        js.publish_with_headers(format!("{prefix}.contracts.customer.created"), h, "x".into()).await.unwrap().await.unwrap()
    };
    assert!(!publish().await.duplicate);
    assert!(publish().await.duplicate, "the re-sent copy is dropped");
    assert_eq!(stream.info().await.unwrap().state.messages, 1);
    let _ = js.delete_stream(kumppani_platform::nats::stream_name(&prefix, "contracts")).await;
}

/// A PostgreSQL restart under load (every service connection terminated,
/// SQLSTATE 57P01, again and again during a burst of reads): callers get OK or
/// UNAVAILABLE (retry), never INTERNAL, and the service recovers by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_killed_mid_burst_answer_unavailable_never_internal() {
    use kumppani_proto::contracts::v1::ListCustomersRequest;
    let mut env = support::TestEnv::start(false).await;
    env.internal_customer("FAULT-1").await;
    let staff = env.staff();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let killer = {
        let (url, db, stop) = (infra().admin_url.clone(), env.db_name.clone(), stop.clone());
        tokio::spawn(async move {
            let mut admin = url.parse::<sqlx::postgres::PgConnectOptions>().unwrap().connect().await.unwrap();
            let mut kills = 0_i64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let n: i64 = sqlx::query_scalar(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
                     WHERE datname = $1 AND application_name = 'kumppani-contracts'",
                )
                .bind(&db)
                .fetch_one(&mut admin)
                .await
                .unwrap();
                kills += n;
                tokio::time::sleep(Duration::from_millis(15)).await;
            }
            kills
        })
    };
    let mut workers = Vec::new();
    for _ in 0..8 {
        let (mut client, req) = (env.client.clone(), ListCustomersRequest { page_size: 50, ..Default::default() });
        let token = staff.clone();
        workers.push(tokio::spawn(async move {
            let mut codes = Vec::new();
            for _ in 0..60 {
                let mut r = tonic::Request::new(req.clone());
                r.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
                codes.push(client.list_customers(r).await.map(|_| tonic::Code::Ok).unwrap_or_else(|s| s.code()));
            }
            codes
        }));
    }
    let mut codes = Vec::new();
    for w in workers {
        codes.extend(w.await.unwrap());
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let kills = killer.await.unwrap();
    assert!(kills > 0, "the test terminated no connection");
    let unexpected: Vec<_> = codes.iter().filter(|c| !matches!(c, tonic::Code::Ok | tonic::Code::Unavailable)).collect();
    assert!(unexpected.is_empty(), "connection loss must answer OK or UNAVAILABLE, got {unexpected:?}");
    // Recovered without a restart of the service.
    let after = env.client.list_customers(env.req(ListCustomersRequest::default(), &staff)).await.unwrap().into_inner();
    assert_eq!(after.customers.len(), 1);
    eprintln!(
        "{kills} connections terminated; {} OK, {} UNAVAILABLE",
        codes.iter().filter(|c| **c == tonic::Code::Ok).count(),
        codes.iter().filter(|c| **c == tonic::Code::Unavailable).count()
    );
    env.cleanup().await;
}
