//! `kumppani bench pricing`: resolves one month of prices for an Oulu-sized
//! city (every demo site × 6 products × the 21 service days of March 2027) and
//! prints lookups per second, end to end over gRPC and in process. Figures, not
//! assertions: compare ratios measured in one run on a noisy machine.

use crate::infra::Infra;
use crate::{Platform, PlatformOptions};
use kumppani_proto::pricing::v1 as pb;
use kumppani_proto::pricing::v1::pricing_service_client::PricingServiceClient;
use std::time::{Duration, Instant};

const PRODUCTS: [&str; 6] = ["LOUNAS-PK", "LOUNAS-KOULU", "VALIPALA", "LOUNAS-ERITYIS", "YLLAPITOSIIVOUS", "LISASIIVOUS"];

/// Service days of March 2027: weekdays except Good Friday (26.3.) and Easter Monday (29.3.).
fn service_days() -> Vec<pb::Date> {
    use chrono::{Datelike, NaiveDate, Weekday};
    (1..=31)
        .filter_map(|d| NaiveDate::from_ymd_opt(2027, 3, d))
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && ![26, 29].contains(&d.day()))
        .map(|d| pb::Date { year: 2027, month: 3, day: d.day() as i32 })
        .collect()
}

/// A seeded platform in a throwaway database.
struct Bench {
    infra: Infra,
    db: String,
    url: String,
    platform: Platform,
}

impl Bench {
    async fn start() -> anyhow::Result<Self> {
        let infra = tokio::task::spawn_blocking(Infra::start).await??;
        let db = format!("kumppani_bench_{}", uuid::Uuid::new_v4().simple());
        let url = infra.database_url(&db)?;
        let listeners = crate::Listeners::ephemeral().await?;
        let public_url = format!("http://{}", listeners.http.local_addr()?);
        let platform = Platform::start(PlatformOptions {
            database_url: url.clone(),
            nats_url: infra.nats_url.clone(),
            nats_prefix: format!("bench{}", &db[16..24]),
            listeners,
            public_url,
            seed: true,
            sessions: kumppani_gateway::SessionLimits::default(),
            invoicing: None,
        })
        .await?;
        platform.wait_ready(Duration::from_secs(60)).await?;
        Ok(Self { infra, db, url, platform })
    }

    async fn stop(self) -> anyhow::Result<()> {
        self.platform.stop().await?;
        use sqlx::{ConnectOptions, Executor};
        let mut admin = self.infra.admin_url.parse::<sqlx::postgres::PgConnectOptions>()?.connect().await?;
        admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.db))).await?;
        Ok(())
    }
}

/// The `p` quantile of sorted durations (nearest rank); zero when there are none.
pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// `kumppani bench ordering`: batch intake throughput vs plain single-row INSERTs
/// (same run, same database), and single-order latency at a steady 200 requests/s.
pub async fn ordering(batches: usize) -> anyhow::Result<()> {
    use kumppani_proto::ordering::v1 as ob;
    let b = Bench::start().await?;
    let token = b.platform.issuer.token_for(kumppani_platform::auth::Role::SystemClient, None, None, vec!["orders:write".into()])?;
    let mut client = kumppani_proto::ordering::v1::ordering_service_client::OrderingServiceClient::connect(format!(
        "http://{}",
        b.platform.addr(crate::ServiceKind::Ordering)
    ))
    .await?
    .max_decoding_message_size(256 * 1024 * 1024)
    .max_encoding_message_size(256 * 1024 * 1024);
    let auth = |r: &mut tonic::metadata::MetadataMap| {
        if let Ok(v) = format!("Bearer {token}").parse() {
            r.insert("authorization", v);
        }
    };
    // Daycares of signed 2027 agreements: they may order LOUNAS-PK.
    let city = kumppani_demo::city::demo_city();
    let sites: Vec<String> = city
        .customers
        .iter()
        .filter(|c| c.agreement_2027.status == "signed")
        .flat_map(|c| {
            let covered: std::collections::HashSet<String> = c
                .agreement_2027
                .lines
                .iter()
                .filter(|l| l.service_line == "meals")
                .flat_map(|l| l.site_levels.iter().map(|(s, _)| s.clone()))
                .collect();
            c.units
                .iter()
                .flat_map(|u| u.sites.iter())
                .filter(move |s| s.kind == "daycare" && s.status == "active" && covered.contains(&s.code))
                .map(|s| s.code.clone())
                .collect::<Vec<_>>()
        })
        .map(|code| kumppani_demo::demo_id("site", &code).to_string())
        .collect();
    anyhow::ensure!(!sites.is_empty(), "no demo daycares");
    // Wait until ordering's projections know the sites and the catalogue.
    let probe = ob::OrderLine {
        site_id: sites[0].clone(),
        service_day: Some(ob::Date { year: 2027, month: 4, day: 1 }),
        product_code: "LOUNAS-PK".into(),
        diet: "probe".into(),
        quantity: 1,
    };
    let started = Instant::now();
    loop {
        let mut r = tonic::Request::new(ob::PlaceOrdersRequest {
            lines: vec![probe.clone()],
            idempotency_key: uuid::Uuid::new_v4().to_string(),
            channel: 0,
        });
        auth(r.metadata_mut());
        if client.place_orders(r).await?.into_inner().accepted == 1 {
            break;
        }
        anyhow::ensure!(started.elapsed() < Duration::from_secs(120), "ordering projections did not catch up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    const DIETS: [&str; 10] =
        ["", "gluteeniton", "laktoositon", "kasvis", "maidoton", "pähkinätön", "vegaani", "sianlihaton", "kalaton", "kananmunaton"];
    // Working days only: the demo daycares are closed on weekends and holidays.
    let days: Vec<chrono::NaiveDate> = (0..180)
        .filter_map(|k| chrono::NaiveDate::from_ymd_opt(2027, 3, 1).map(|d| d + chrono::Duration::days(k)))
        .filter(|d| kumppani_platform::calendar::is_working_day(*d))
        .collect();
    let mut all = Vec::new();
    'outer: for d in &days {
        for s in &sites {
            for diet in DIETS {
                all.push(ob::OrderLine {
                    site_id: s.clone(),
                    service_day: Some(ob::Date { year: 2027, month: d.month() as i32, day: d.day() as i32 }),
                    product_code: "LOUNAS-PK".into(),
                    diet: diet.into(),
                    quantity: 12,
                });
                if all.len() >= batches * 5000 {
                    break 'outer;
                }
            }
        }
    }
    use chrono::Datelike;
    let t = Instant::now();
    let mut accepted = 0;
    for chunk in all.chunks(5000) {
        let mut r = tonic::Request::new(ob::PlaceOrdersRequest {
            lines: chunk.to_vec(),
            idempotency_key: uuid::Uuid::new_v4().to_string(),
            channel: 0,
        });
        auth(r.metadata_mut());
        accepted += client.place_orders(r).await?.into_inner().accepted;
    }
    let intake = t.elapsed();
    let intake_rate = f64::from(accepted) / intake.as_secs_f64();
    println!("ordering bench: {} batches of 5000 lines", all.len().div_ceil(5000));
    println!(
        "  batch intake (gRPC, validation, orders + history + outbox events): {accepted} lines in {:.0} ms = {intake_rate:.0} lines/s",
        intake.as_secs_f64() * 1000.0
    );
    // Baseline: plain single-row INSERTs into a similar table, same database, same run.
    let pool = kumppani_platform::db::connect_as_service(&b.url, kumppani_ordering::SCHEMA, true, 2).await?;
    sqlx::query(
        "CREATE TABLE bench_plain (id uuid PRIMARY KEY, site_id uuid, service_day date, product_code text, diet text, quantity int)",
    )
    .execute(&pool)
    .await?;
    let n = 5000;
    let t = Instant::now();
    for i in 0..n {
        sqlx::query("INSERT INTO bench_plain VALUES ($1, $2, $3, 'LOUNAS-PK', '', $4)")
            .bind(uuid::Uuid::now_v7())
            .bind(uuid::Uuid::new_v4())
            .bind(chrono::NaiveDate::from_ymd_opt(2027, 3, 1))
            .bind(i)
            .execute(&pool)
            .await?;
    }
    let plain = f64::from(n) / t.elapsed().as_secs_f64();
    println!(
        "  plain single-row INSERTs (autocommit, one connection): {plain:.0} rows/s; batch intake / plain = {:.2}",
        intake_rate / plain
    );
    // Ceiling: the same lines as one set-based INSERT (unnest) into a similar
    // table with the same unique key: what PostgreSQL alone costs.
    sqlx::query(
        "CREATE TABLE bench_set (id uuid PRIMARY KEY, site_id uuid, service_day date, product_code text, diet text, quantity int,
                                 UNIQUE (site_id, service_day, product_code, diet))",
    )
    .execute(&pool)
    .await?;
    let ids: Vec<uuid::Uuid> = all.iter().map(|_| uuid::Uuid::now_v7()).collect();
    let site_ids: Vec<uuid::Uuid> = all.iter().map(|l| l.site_id.parse().unwrap_or_default()).collect();
    let set_days: Vec<chrono::NaiveDate> = all.iter().filter_map(|l| l.service_day.as_ref().and_then(|d| d.to_naive())).collect();
    let set_diets: Vec<String> = all.iter().map(|l| l.diet.clone()).collect();
    let set_quantities: Vec<i32> = all.iter().map(|l| l.quantity).collect();
    let t = Instant::now();
    sqlx::query(
        "INSERT INTO bench_set SELECT i, s, d, 'LOUNAS-PK', t, q FROM unnest($1::uuid[], $2::uuid[], $3::date[], $4::text[], $5::int[]) AS x(i, s, d, t, q)",
    )
    .bind(&ids)
    .bind(&site_ids)
    .bind(&set_days)
    .bind(&set_diets)
    .bind(&set_quantities)
    .execute(&pool)
    .await?;
    let set_based = all.len() as f64 / t.elapsed().as_secs_f64();
    println!(
        "  one set-based INSERT of the same {} lines: {set_based:.0} rows/s; batch intake / set-based = {:.2} (goal ≥ 0.33)",
        all.len(),
        intake_rate / set_based
    );
    // Keep the relay busy for the whole latency phase: a backlog of events
    // (more than it publishes in 10 s here) waiting in the outbox.
    // `KUMPPANI_BENCH_BACKLOG=0` measures the same latency without one.
    let backlog: i64 = std::env::var("KUMPPANI_BENCH_BACKLOG").ok().and_then(|v| v.parse().ok()).unwrap_or(600_000);
    sqlx::query(
        "INSERT INTO outbox (id, event_type, payload) SELECT gen_random_uuid(), 'ordering.bench.backlog', '\\x00'::bytea FROM generate_series(1, $1)",
    )
    .bind(backlog)
    .execute(&pool)
    .await?;
    // The intake and the backlog wrote about a gigabyte of WAL: take the checkpoint
    // it would force now, so the latency phase measures the relay's competition,
    // not a checkpoint's writes (PostgreSQL's default max_wal_size is 1 GB).
    {
        use sqlx::{ConnectOptions, Executor};
        let mut admin = b.infra.admin_url.parse::<sqlx::postgres::PgConnectOptions>()?.connect().await?;
        admin.execute("CHECKPOINT").await?;
    }
    // Latency of single orders at a steady 200 requests per second for 10 s.
    let mut ticker = tokio::time::interval(Duration::from_millis(5));
    let mut handles = Vec::new();
    for i in 0..2000usize {
        ticker.tick().await;
        let mut c = client.clone();
        let s = sites[i % sites.len()].clone();
        let day = days[(i / sites.len()) % days.len()];
        let mut r = tonic::Request::new(ob::PlaceOrderRequest {
            line: Some(ob::OrderLine {
                site_id: s,
                service_day: Some(ob::Date { year: 2027, month: day.month() as i32, day: day.day() as i32 }),
                product_code: "VALIPALA".into(),
                diet: String::new(),
                quantity: 9,
            }),
            idempotency_key: uuid::Uuid::new_v4().to_string(),
            channel: 0,
            expected_version: None,
        });
        auth(r.metadata_mut());
        handles.push(tokio::spawn(async move {
            let t = Instant::now();
            let ok = c.place_order(r).await.is_ok();
            (t.elapsed(), ok)
        }));
    }
    let mut lat = Vec::new();
    let mut failed = 0;
    for h in handles {
        let (d, ok) = h.await?;
        if ok { lat.push(d) } else { failed += 1 }
    }
    lat.sort();
    let waiting: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetch_one(&pool).await?;
    pool.close().await;
    println!(
        "  single PlaceOrder at 200 req/s for 10 s while the relay drains a backlog of {backlog} events ({waiting} still waiting after): \
         p50 {:.1} ms, p99 {:.1} ms (target < 25), max {:.1} ms ({failed} failed)",
        percentile(&lat, 0.5).as_secs_f64() * 1000.0,
        percentile(&lat, 0.99).as_secs_f64() * 1000.0,
        lat.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
    );
    b.stop().await
}

pub async fn pricing(runs: usize) -> anyhow::Result<()> {
    let b = Bench::start().await?;
    let (platform, url) = (&b.platform, b.url.clone());
    let token = platform.issuer.token_for_user("staff")?;
    let mut client = PricingServiceClient::connect(format!("http://{}", platform.addr(crate::ServiceKind::Pricing)))
        .await?
        .max_decoding_message_size(256 * 1024 * 1024)
        .max_encoding_message_size(256 * 1024 * 1024);
    let sites: Vec<String> = kumppani_demo::city::demo_city()
        .customers
        .iter()
        .flat_map(|c| c.units.iter().flat_map(|u| u.sites.iter()))
        .filter(|s| s.status == "active")
        .map(|s| kumppani_demo::demo_id("site", &s.code).to_string())
        .collect();
    let days = service_days();
    let lookups: Vec<pb::PriceLookup> = sites
        .iter()
        .flat_map(|s| {
            days.iter().flat_map(move |d| {
                PRODUCTS.iter().map(move |p| pb::PriceLookup { product_code: (*p).into(), site_id: s.clone(), service_day: Some(*d) })
            })
        })
        .collect();
    // Wait until pricing's registry projection knows every site.
    let request = |lookups: Vec<pb::PriceLookup>| {
        let mut r = tonic::Request::new(pb::ResolvePricesRequest { lookups });
        r.metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap_or_else(|_| tonic::metadata::MetadataValue::from_static("")));
        r
    };
    let probe: Vec<pb::PriceLookup> = sites
        .iter()
        .map(|s| pb::PriceLookup { product_code: "LOUNAS-KOULU".into(), site_id: s.clone(), service_day: days.first().copied() })
        .collect();
    let started = Instant::now();
    loop {
        let r = client.resolve_prices(request(probe.clone())).await?.into_inner();
        if r.prices.iter().all(|p| !p.error.contains("unknown site")) {
            break;
        }
        anyhow::ensure!(started.elapsed() < Duration::from_secs(120), "the registry projection did not catch up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "pricing bench: {} sites × {} products × {} service days = {} lookups per month",
        sites.len(),
        PRODUCTS.len(),
        days.len(),
        lookups.len()
    );
    let mut best = Duration::MAX;
    let mut resolved = 0;
    for _ in 0..runs {
        let t = Instant::now();
        resolved = 0;
        for chunk in lookups.chunks(kumppani_pricing::grpc::MAX_LOOKUPS) {
            let r = client.resolve_prices(request(chunk.to_vec())).await?.into_inner();
            resolved += r.prices.iter().filter(|p| p.error.is_empty()).count();
        }
        best = best.min(t.elapsed());
    }
    let n = lookups.len() as f64;
    println!(
        "  the month in calls of {} (the most per call; gRPC, load + resolve + encode): best of {runs}: {:.0} ms = {:.0} lookups/s ({resolved} priced)",
        kumppani_pricing::grpc::MAX_LOOKUPS,
        best.as_secs_f64() * 1000.0,
        n / best.as_secs_f64()
    );
    // Per-site calls, as an invoicing run per site would make them.
    let per_site = lookups.len() / sites.len().max(1);
    let t = Instant::now();
    for chunk in lookups.chunks(per_site.max(1)) {
        client.resolve_prices(request(chunk.to_vec())).await?;
    }
    let e = t.elapsed();
    println!(
        "  {} calls of {per_site} lookups (one per site): {:.0} ms = {:.0} lookups/s",
        sites.len(),
        e.as_secs_f64() * 1000.0,
        n / e.as_secs_f64()
    );
    // In process: the resolution itself over a loaded price book.
    let pool = kumppani_platform::db::connect_as_service(&url, kumppani_pricing::SCHEMA, true, 2).await?;
    let mut conn = pool.acquire().await?;
    let t = Instant::now();
    let book = kumppani_pricing::store::price_book(&mut conn, &[2027]).await?;
    let load = t.elapsed();
    let parsed: Vec<(String, uuid::Uuid, chrono::NaiveDate)> = lookups
        .iter()
        .map(|l| {
            let d = l.service_day.unwrap_or_default();
            (
                l.product_code.clone(),
                uuid::Uuid::parse_str(&l.site_id).unwrap_or_default(),
                chrono::NaiveDate::from_ymd_opt(d.year, d.month as u32, d.day as u32).unwrap_or_default(),
            )
        })
        .collect();
    let mut best = Duration::MAX;
    for _ in 0..runs.max(3) {
        let t = Instant::now();
        let ok = parsed.iter().filter(|(p, s, d)| book.resolve(p, *s, *d).is_ok()).count();
        best = best.min(t.elapsed());
        std::hint::black_box(ok);
    }
    println!(
        "  in process: price book load {:.0} ms; resolve {:.1} ms = {:.0} lookups/s",
        load.as_secs_f64() * 1000.0,
        best.as_secs_f64() * 1000.0,
        n / best.as_secs_f64()
    );
    drop(conn);
    pool.close().await;
    b.stop().await
}

/// `kumppani bench relay`: outbox relay throughput (a backlog of `events`
/// drained pipelined in steps of 500 vs one ack at a time, same run) and the
/// event lag (outbox write → delivered to a subscriber) p50/p99 while events
/// are written at a steady 1,000 per second.
pub async fn relay(events: usize) -> anyhow::Result<()> {
    use kumppani_platform::events::{OutboxRelay, emit_many};
    use kumppani_proto::contracts::v1 as cb;
    let infra = tokio::task::spawn_blocking(Infra::start).await??;
    let db = format!("kumppani_bench_{}", uuid::Uuid::new_v4().simple());
    let url = infra.database_url(&db)?;
    kumppani_platform::db::ensure_database(&url).await?;
    let schema = kumppani_contracts::SCHEMA;
    kumppani_platform::db::setup_service_schema(&url, schema, &kumppani_contracts::MIGRATOR).await?;
    let pool = kumppani_platform::db::connect_as_service(&url, schema, true, 10).await?;
    let nats = kumppani_platform::nats::connect(&infra.nats_url, "kumppani-bench").await?;
    let js = async_nats::jetstream::new(nats.clone());
    let prefix = format!("bench{}", &db[16..24]);
    kumppani_platform::nats::ensure_stream(&js, &prefix, schema).await?;
    let relay = |batch: i64| OutboxRelay { pool: pool.clone(), js: js.clone(), schema: schema.into(), prefix: prefix.clone(), batch };
    let event = |i: usize| {
        let customer = cb::Customer { code: format!("B{i}"), name: format!("Bench customer {i}"), ..Default::default() };
        ("contracts.customer.updated".to_owned(), cb::CustomerEvent { customer: Some(customer), units: Vec::new() })
    };
    let write = |n: usize, offset: usize| {
        let pool = pool.clone();
        async move {
            for chunk in (offset..offset + n).collect::<Vec<_>>().chunks(5_000) {
                let items: Vec<_> = chunk.iter().map(|i| event(*i)).collect();
                let mut tx = pool.begin().await?;
                emit_many(&mut tx, "contracts", &items).await?;
                tx.commit().await?;
            }
            anyhow::Ok(())
        }
    };
    let drain = |r: OutboxRelay| async move {
        let start = Instant::now();
        let mut n = 0;
        loop {
            let published = r.publish_batch().await?;
            if published == 0 {
                return anyhow::Ok((n, start.elapsed()));
            }
            n += published;
        }
    };

    println!("relay: backlog of {events} events, then the same relay one ack at a time on {} events", events / 10);
    write(events, 0).await?;
    let (n, took) = drain(relay(500)).await?;
    let pipelined = n as f64 / took.as_secs_f64();
    println!("  pipelined, steps of 500:  {n} events in {:.2} s = {pipelined:.0} events/s", took.as_secs_f64());
    write(events / 10, events).await?;
    let (n, took) = drain(relay(1)).await?;
    let single = n as f64 / took.as_secs_f64();
    println!(
        "  one ack at a time:        {n} events in {:.2} s = {single:.0} events/s  (ratio {:.1}×)",
        took.as_secs_f64(),
        pipelined / single
    );

    // Lag at a steady 1,000 events/s: 10 events every 10 ms, each batch its own transaction.
    let shutdown = kumppani_platform::Shutdown::new();
    let task = tokio::spawn(relay(500).run(shutdown.clone()));
    let mut sub = nats.subscribe(format!("{prefix}.{schema}.>")).await?;
    let seconds = 10;
    let total = 1_000 * seconds;
    let receiver = tokio::spawn(async move {
        use futures::StreamExt;
        use prost::Message;
        let mut lags = Vec::with_capacity(total);
        while lags.len() < total {
            let Ok(Some(msg)) = tokio::time::timeout(Duration::from_secs(30), sub.next()).await else { break };
            if let Ok(env) = kumppani_proto::events::v1::Envelope::decode(msg.payload) {
                if let Some(t) = env.occurred_at {
                    let at = chrono::DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)).unwrap_or_default();
                    lags.push((chrono::Utc::now() - at).to_std().unwrap_or_default());
                }
            }
        }
        lags
    });
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    for i in 0..total / 10 {
        tick.tick().await;
        let items: Vec<_> = (0..10).map(|k| event(2 * events + i * 10 + k)).collect();
        let mut tx = pool.begin().await?;
        emit_many(&mut tx, "contracts", &items).await?;
        tx.commit().await?;
    }
    let mut lags = receiver.await?;
    shutdown.cancel();
    let _ = task.await;
    lags.sort();
    println!(
        "  lag at 1,000 events/s for {seconds} s: {} received, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lags.len(),
        percentile(&lags, 0.5).as_secs_f64() * 1e3,
        percentile(&lags, 0.99).as_secs_f64() * 1e3,
        lags.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    pool.close().await;
    let _ = js.delete_stream(kumppani_platform::nats::stream_name(&prefix, schema)).await;
    use sqlx::{ConnectOptions, Executor};
    let mut admin = infra.admin_url.parse::<sqlx::postgres::PgConnectOptions>()?.connect().await?;
    admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))).await?;
    Ok(())
}
