//! `kumppani bench feedback`: the SLA sweep over 100,000 open items and the
//! staff queue with 10,000 open items. Items are written set-based into
//! feedback's schema (as if submitted over the last two weeks); their clock
//! marks (`next_alarm_at`, `due_at`) are computed by the service's own code.
//! Figures, not assertions: compare the ratios measured in one run.

use crate::bench::percentile;
use crate::infra::Infra;
use crate::{Listeners, Platform, PlatformOptions};
use chrono::{Duration as Span, Utc};
use kumppani_feedback::{convert, store};
use std::time::{Duration, Instant};

const SITES: i64 = 500;

/// Writes `n` open items (ids after `offset`) spread over the last 14 days:
/// half acknowledged, a tenth waiting for the customer (a running pause).
async fn items(pool: &sqlx::PgPool, offset: i64, n: i64) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO items (id, kind, topic, severity, status, channel, customer_id, site_id, description, submitted_by,
                            handler, manager, acknowledge_minutes, resolve_minutes, around_the_clock, created_at, acknowledged_at)
         SELECT gen_random_uuid(), 'reclamation', (ARRAY['meals','cleaning','special_diets','ordering'])[1 + g % 4],
                CASE WHEN g % 50 = 0 THEN 'urgent' ELSE 'normal' END,
                CASE WHEN g % 10 = 0 THEN 'waiting_for_customer' WHEN g % 2 = 0 THEN 'in_progress' ELSE 'received' END,
                'portal', '00000000-0000-7000-8000-00000000c001', ('00000000-0000-7000-8000-' || lpad(to_hex(g % $3), 12, '0'))::uuid,
                'Lounas myöhässä', 'bench', '{\"name\": \"Kaisa Keittiö\", \"email\": \"kaisa@serviisi.example\"}',
                '{\"name\": \"Anna Asiakkuus\", \"email\": \"anna@serviisi.example\"}', 240, 1440, false,
                now() - (g % 20160) * interval '1 minute',
                CASE WHEN g % 2 = 0 THEN now() - (g % 20160) * interval '1 minute' + interval '2 hours' END
         FROM generate_series($1::bigint, $1 + $2 - 1) g",
    )
    .bind(offset)
    .bind(n)
    .bind(SITES)
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO pauses (item_id, started_at) SELECT id, created_at + interval '3 hours' FROM items
         WHERE status = 'waiting_for_customer' ON CONFLICT DO NOTHING",
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Computes every item's clock marks with the service's code and writes them back; returns how many.
async fn marks(pool: &sqlx::PgPool) -> anyhow::Result<usize> {
    let mut conn = pool.acquire().await?;
    let rows = store::list(&mut conn, &store::ListFilter { limit: i64::MAX, ..Default::default() }).await?;
    let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.id).collect();
    let pauses = store::pauses(&mut conn, &ids).await?;
    let mut alarms = Vec::with_capacity(rows.len());
    let mut dues = Vec::with_capacity(rows.len());
    for r in &rows {
        let p = pauses.get(&r.id).map(Vec::as_slice).unwrap_or(&[]);
        alarms.push(convert::next_alarm(r, p));
        dues.push(convert::due_at(r, p));
    }
    sqlx::query(
        "UPDATE items i SET next_alarm_at = m.a, due_at = m.d
         FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS m(id, a, d) WHERE i.id = m.id",
    )
    .bind(&ids)
    .bind(&alarms)
    .bind(&dues)
    .execute(&mut *conn)
    .await?;
    sqlx::query("ANALYZE items").execute(&mut *conn).await?;
    Ok(rows.len())
}

pub async fn feedback() -> anyhow::Result<()> {
    let infra = tokio::task::spawn_blocking(Infra::start).await??;
    let db = format!("kumppani_bench_{}", uuid::Uuid::new_v4().simple());
    let url = infra.database_url(&db)?;
    let listeners = Listeners::ephemeral().await?;
    let public_url = format!("http://{}", listeners.http.local_addr()?);
    let platform = Platform::start(PlatformOptions {
        database_url: url.clone(),
        nats_url: infra.nats_url.clone(),
        nats_prefix: format!("bench{}", &db[16..24]),
        listeners,
        public_url: public_url.clone(),
        seed: false,
        sessions: kumppani_gateway::SessionLimits::default(),
        invoicing: None,
    })
    .await?;
    platform.wait_ready(Duration::from_secs(60)).await?;
    let pool = kumppani_platform::db::connect_as_service(&url, kumppani_feedback::SCHEMA, true, 4).await?;
    sqlx::query("INSERT INTO customers (id, code, name) VALUES ('00000000-0000-7000-8000-00000000c001', 'BENCH', 'Asiakas')")
        .execute(&pool)
        .await?;
    sqlx::query(
        "INSERT INTO sites (id, customer_id, code, name, address)
         SELECT ('00000000-0000-7000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, '00000000-0000-7000-8000-00000000c001',
                'S' || g, 'Päiväkoti ' || g, '' FROM generate_series(0, $1 - 1) g",
    )
    .bind(SITES)
    .execute(&pool)
    .await?;
    println!("feedback bench ({} sites)", SITES);

    // The staff queue with 10,000 open items: REST through the gateway, soonest due first, 100 a page.
    items(&pool, 0, 10_000).await?;
    marks(&pool).await?;
    let token = platform.issuer.token_for(kumppani_platform::auth::Role::EnterpriseStaff, None, None, vec![])?;
    let http = reqwest::Client::new();
    let mut times = Vec::new();
    for _ in 0..60 {
        let t = Instant::now();
        let r = http.get(format!("{public_url}/api/v1/feedback?byDue=true&pageSize=100")).bearer_auth(&token).send().await?;
        anyhow::ensure!(r.status().is_success(), "queue answered {}", r.status());
        let _ = r.bytes().await?;
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "  staff queue, 10,000 open items (REST, 100 per page, by due time): p50 {:.1} ms, p95 {:.1} ms",
        percentile(&times, 0.5).as_secs_f64() * 1000.0,
        percentile(&times, 0.95).as_secs_f64() * 1000.0
    );

    // The SLA sweep with 100,000 open items.
    let t = Instant::now();
    items(&pool, 10_000, 90_000).await?;
    let written = t.elapsed();
    let t = Instant::now();
    let n = marks(&pool).await?;
    let computed = t.elapsed();
    println!(
        "  {n} open items written in {:.1} s; every clock mark computed by the service's code in {:.2} s ({:.0} items/s)",
        written.as_secs_f64(),
        computed.as_secs_f64(),
        n as f64 / computed.as_secs_f64()
    );
    let now = Utc::now();
    let t = Instant::now();
    let first = kumppani_feedback::sla::tick(&pool, now).await?;
    let catch_up = t.elapsed();
    println!(
        "  first pass (catching up two weeks: every overdue warning and breach): {} items due, {} warnings, {} breaches in {:.2} s ({:.0} items/s)",
        first.due,
        first.warnings,
        first.breaches,
        catch_up.as_secs_f64(),
        first.due as f64 / catch_up.as_secs_f64()
    );
    let mut passes = Vec::new();
    let mut found = 0;
    for minute in 1..=10 {
        let t = Instant::now();
        let p = kumppani_feedback::sla::tick(&pool, now + Span::minutes(minute)).await?;
        passes.push(t.elapsed());
        found += p.due;
    }
    passes.sort();
    println!(
        "  steady passes (one a minute, 10 minutes, 100,000 open): {found} items due in all; pass time p50 {:.1} ms, max {:.1} ms (target: under 1 s)",
        percentile(&passes, 0.5).as_secs_f64() * 1000.0,
        passes.last().copied().unwrap_or_default().as_secs_f64() * 1000.0
    );
    // For comparison: deciding every clock without the index (load all open items and evaluate each).
    let t = Instant::now();
    let mut conn = pool.acquire().await?;
    let rows = store::list(&mut conn, &store::ListFilter { limit: i64::MAX, ..Default::default() }).await?;
    let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.id).collect();
    let pauses = store::pauses(&mut conn, &ids).await?;
    let due = rows
        .iter()
        .filter(|r| {
            let p = pauses.get(&r.id).map(Vec::as_slice).unwrap_or(&[]);
            convert::next_alarm(r, p).is_some_and(|a| a <= now + Span::minutes(11))
        })
        .count();
    let brute = t.elapsed();
    println!(
        "  without the index (load all {} open items, evaluate every clock): {:.2} s ({:.0} items/s, {due} due) — index pass / full evaluation = {:.3}",
        rows.len(),
        brute.as_secs_f64(),
        rows.len() as f64 / brute.as_secs_f64(),
        percentile(&passes, 0.5).as_secs_f64() / brute.as_secs_f64()
    );
    drop(conn);
    pool.close().await;
    platform.stop().await?;
    use sqlx::{ConnectOptions, Executor};
    let mut admin = infra.admin_url.parse::<sqlx::postgres::PgConnectOptions>()?.connect().await?;
    admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))).await?;
    Ok(())
}
