//! `kumppani bench invoicing`: one month of 16 Oulu-sized cities in invoicing's
//! projection (8,000 sites, about a million delivered lines, a price change
//! mid-month, fixed cleaning for every site), then the month's run from the
//! projection to issued invoices with their specifications, timed against the
//! single SQL statement that computes the same per-customer totals (SUM of
//! quantity × the list price in force, GROUP BY customer, prices joined), and
//! the month-to-date answer of a 500-site customer (p50/p95 over REST).
//! Figures, not assertions: compare the ratios measured in one run.

use crate::infra::Infra;
use crate::{Listeners, Platform, PlatformOptions, ServiceKind};
use kumppani_proto::invoicing::v1 as inv;
use std::time::{Duration, Instant};

const CUSTOMERS: i64 = 16;
const SITES_PER_CUSTOMER: i64 = 500;
/// Diet variants per site and day: 8,000 sites × 21 days × 6 ≈ 1,008,000 lines.
const LINES_PER_DAY: i64 = 6;

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Writes the month into invoicing's projection, set-based (as if the consumers had).
async fn projection(pool: &sqlx::PgPool, year: i32, month: u32) -> anyhow::Result<i64> {
    use kumppani_proto::pricing::v1 as pricing;
    use prost::Message;
    for (code, unit, vat) in [
        ("LOUNAS-PK", pricing::Unit::Meal, pricing::VatCategory::Food),
        ("YLLAPITOSIIVOUS", pricing::Unit::M2Month, pricing::VatCategory::General),
    ] {
        let p = pricing::Product {
            code: code.into(),
            name: code.to_lowercase(),
            unit: unit as i32,
            vat_category: vat as i32,
            ..Default::default()
        };
        sqlx::query("INSERT INTO products (code, name, service_line, unit, proto) VALUES ($1, $2, 'meals', 'meal', $3) ON CONFLICT (code) DO UPDATE SET proto = $3")
            .bind(code)
            .bind(&p.name)
            .bind(p.encode_to_vec())
            .execute(pool)
            .await?;
    }
    let first = chrono::NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(|| anyhow::anyhow!("bad month"))?;
    let price = |p: &str| serde_json::json!({"unit_price": p, "components": [["raw_materials", "1.60"], ["labour", format!("{:.2}", p.parse::<f64>().unwrap_or(0.0) - 1.60)]]});
    for (v, from, lunch) in
        [(1, chrono::NaiveDate::from_ymd_opt(year, 1, 1), "3.85"), (2, first.checked_add_days(chrono::Days::new(14)), "3.95")]
    {
        sqlx::query("INSERT INTO price_lists (id, year, version, effective_from, prices) VALUES ($1, $2, $3, $4, $5)")
            .bind(uuid::Uuid::new_v4())
            .bind(year)
            .bind(v)
            .bind(from)
            .bind(serde_json::json!({"LOUNAS-PK": price(lunch), "YLLAPITOSIIVOUS": price("2.10")}))
            .execute(pool)
            .await?;
    }
    sqlx::query(
        "INSERT INTO customers (id, code, name, kind, billing)
         SELECT gen_random_uuid(), 'B' || c, 'Kaupunki ' || lpad(c::text, 2, '0'), 'internal_service_area', '{\"payment_terms_days\": 14, \"language\": \"fi\"}'
         FROM generate_series(1, $1) c",
    )
    .bind(CUSTOMERS)
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO sites (id, customer_id, name, floor_area_m2)
         SELECT gen_random_uuid(), c.id, c.name || ' kohde ' || s, 300 + (s * 37) % 1700
         FROM customers c, generate_series(1, $1) s",
    )
    .bind(SITES_PER_CUSTOMER)
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO agreements (id, customer_id, year, status, lines)
         SELECT gen_random_uuid(), c.id, $1, 'active', jsonb_build_array(jsonb_build_object('service_line', 'cleaning',
                'site_ids', (SELECT jsonb_agg(s.id::text) FROM sites s WHERE s.customer_id = c.id)))
         FROM customers c",
    )
    .bind(year)
    .execute(pool)
    .await?;
    let lines: i64 = sqlx::query_scalar(
        "WITH days AS (SELECT d::date AS day FROM generate_series($1::date, ($1::date + interval '1 month' - interval '1 day'), interval '1 day') d
                       WHERE extract(isodow FROM d) < 6),
              ins AS (INSERT INTO deliveries (id, site_id, customer_id, service_day, product_code, diet, quantity, version, updated_at)
                      SELECT gen_random_uuid(), s.id, s.customer_id, days.day, 'LOUNAS-PK', 'ruokavalio ' || v, 5 + (abs(hashtext(s.id::text || days.day::text || v)) % 30), 1,
                             days.day + interval '14 hours'
                      FROM sites s, days, generate_series(1, $2) v
                      RETURNING 1)
         SELECT count(*) FROM ins",
    )
    .bind(first)
    .bind(LINES_PER_DAY)
    .fetch_one(pool)
    .await?;
    sqlx::query("ANALYZE").execute(pool).await?;
    Ok(lines)
}

pub async fn invoicing() -> anyhow::Result<()> {
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
    let pool = kumppani_platform::db::connect_as_service(&url, kumppani_invoicing::SCHEMA, true, 2).await?;
    // Pricing publishes its VAT table at start-up.
    let started = Instant::now();
    while sqlx::query_scalar::<_, i64>("SELECT count(*) FROM vat_rates").fetch_one(&pool).await? == 0 {
        anyhow::ensure!(started.elapsed() < Duration::from_secs(60), "no VAT table from pricing");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let today = kumppani_platform::calendar::today();
    let last_month = today.with_day0(0).and_then(|d| d.pred_opt()).unwrap_or(today);
    use chrono::Datelike;
    let t = Instant::now();
    let lines = projection(&pool, last_month.year(), last_month.month()).await?;
    println!(
        "invoicing bench: {CUSTOMERS} customers, {} sites, {lines} delivered lines in {}/{} (written in {:.1} s)",
        CUSTOMERS * SITES_PER_CUSTOMER,
        last_month.month(),
        last_month.year(),
        t.elapsed().as_secs_f64()
    );

    // The baseline: one statement, the same per-customer totals of the delivered lines.
    let t = Instant::now();
    let totals: Vec<(uuid::Uuid, rust_decimal::Decimal)> = sqlx::query_as(
        "WITH l AS (SELECT prices, effective_from AS f, lead(effective_from, 1, 'infinity') OVER (ORDER BY effective_from, version) AS t
                    FROM price_lists WHERE year = $1)
         SELECT d.customer_id, sum(d.quantity * (l.prices->d.product_code->>'unit_price')::numeric)
         FROM deliveries d JOIN l ON d.service_day >= l.f AND d.service_day < l.t
         WHERE d.service_day BETWEEN $2 AND $3 GROUP BY d.customer_id",
    )
    .bind(last_month.year())
    .bind(last_month.with_day(1))
    .bind(last_month)
    .fetch_all(&pool)
    .await?;
    let statement = t.elapsed();
    println!(
        "  one SQL statement (SUM(quantity × price) GROUP BY customer, prices joined): {:.2} s for {} customers",
        statement.as_secs_f64(),
        totals.len()
    );

    // The floor of any run that prices each delivery in the service (the shared
    // pure rule) and keeps a per-delivery specification: reading the month's
    // delivered lines into the service once, as the run does.
    let t = Instant::now();
    let period = kumppani_invoicing::domain::Period::new(last_month.year(), i32::try_from(last_month.month())?)
        .ok_or_else(|| anyhow::anyhow!("no such month"))?;
    let (read, _) = kumppani_invoicing::store::deliveries(&mut *pool.acquire().await?, period, None).await?;
    let reading = t.elapsed();
    println!(
        "  reading the month's {} delivered lines into the service (what every run must do at least once): {:.2} s = {:.1} × the statement",
        read.len(),
        reading.as_secs_f64(),
        reading.as_secs_f64() / statement.as_secs_f64()
    );
    drop(read);

    let token = platform.issuer.token_for(kumppani_platform::auth::Role::EnterpriseAdmin, None, None, vec![])?;
    let mut client =
        inv::invoicing_service_client::InvoicingServiceClient::connect(format!("http://{}", platform.addr(ServiceKind::Invoicing)))
            .await?
            .max_decoding_message_size(256 * 1024 * 1024);
    fn req<T>(token: &str, m: T) -> tonic::Request<T> {
        let mut r = tonic::Request::new(m);
        if let Ok(v) = format!("Bearer {token}").parse() {
            r.metadata_mut().insert("authorization", v);
        }
        r
    }
    let t = Instant::now();
    let run = client
        .start_run(req(&token, inv::StartRunRequest { year: last_month.year(), month: last_month.month() as i32 }))
        .await?
        .into_inner();
    let drafted = t.elapsed();
    let issued = client.issue_run(req(&token, inv::IssueRunRequest { id: run.id.clone() })).await?.into_inner();
    let whole = t.elapsed();
    println!(
        "  the month's run: draft {:.2} s + issue {:.2} s = {:.2} s for {} invoices (total {} €); run / statement = {:.1} (goal ≤ 2, and under 30 s)",
        drafted.as_secs_f64(),
        (whole - drafted).as_secs_f64(),
        whole.as_secs_f64(),
        issued.invoice_count,
        issued.total,
        whole.as_secs_f64() / statement.as_secs_f64()
    );
    println!("  peak RSS of the whole process (all services in one): {:.0} MiB", peak_rss_mib());

    // Month to date of a 500-site customer over REST (the portal page's data).
    let customer: uuid::Uuid = sqlx::query_scalar("SELECT id FROM customers ORDER BY name LIMIT 1").fetch_one(&pool).await?;
    sqlx::query(
        "INSERT INTO deliveries (id, site_id, customer_id, service_day, product_code, diet, quantity, version)
         SELECT gen_random_uuid(), s.id, s.customer_id, d::date, 'LOUNAS-PK', 'ruokavalio ' || v, 12, 1
         FROM sites s, generate_series($2::date, $3::date, interval '1 day') d, generate_series(1, $4) v
         WHERE s.customer_id = $1 AND extract(isodow FROM d) < 6",
    )
    .bind(customer)
    .bind(today.with_day(1))
    .bind(today)
    .bind(LINES_PER_DAY)
    .execute(&pool)
    .await?;
    let http = reqwest::Client::new();
    let mut times = Vec::new();
    for _ in 0..40 {
        let t = Instant::now();
        let r = http.get(format!("{public_url}/api/v1/month-to-date?customerId={customer}")).bearer_auth(&token).send().await?;
        anyhow::ensure!(r.status().is_success(), "month to date: {}", r.status());
        r.bytes().await?;
        times.push(t.elapsed());
    }
    times.sort();
    let at = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0;
    println!("  month to date of a 500-site customer (REST): p50 {:.0} ms, p95 {:.0} ms (goal p95 < 150 ms)", at(0.5), at(0.95));

    pool.close().await;
    platform.stop().await?;
    use sqlx::{ConnectOptions, Executor};
    let mut admin = infra.admin_url.parse::<sqlx::postgres::PgConnectOptions>()?.connect().await?;
    admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))).await?;
    Ok(())
}
