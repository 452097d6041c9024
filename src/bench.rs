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

pub async fn pricing(runs: usize) -> anyhow::Result<()> {
    let infra = tokio::task::spawn_blocking(Infra::start).await??;
    let db = format!("kumppani_bench_{}", uuid::Uuid::new_v4().simple());
    let url = infra.database_url(&db)?;
    let bind = || async { tokio::net::TcpListener::bind("127.0.0.1:0").await };
    let http_listener = bind().await?;
    let public_url = format!("http://{}", http_listener.local_addr()?);
    let platform = Platform::start(PlatformOptions {
        database_url: url.clone(),
        nats_url: infra.nats_url.clone(),
        nats_prefix: format!("bench{}", &db[16..24]),
        grpc_listener: bind().await?,
        pricing_listener: bind().await?,
        ordering_listener: bind().await?,
        http_listener,
        public_url,
        seed: true,
    })
    .await?;
    platform.wait_ready(Duration::from_secs(60)).await?;
    let token = platform.issuer.token_for_user("staff")?;
    let mut client = PricingServiceClient::connect(format!("http://{}", platform.pricing_addr))
        .await?
        .max_decoding_message_size(256 * 1024 * 1024)
        .max_encoding_message_size(256 * 1024 * 1024);
    let sites: Vec<String> = kumppani_contracts::demo_city::demo_city()
        .customers
        .iter()
        .flat_map(|c| c.units.iter().flat_map(|u| u.sites.iter()))
        .filter(|s| s.status == "active")
        .map(|s| kumppani_contracts::seed::demo_id("site", &s.code).to_string())
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
        let r = client.resolve_prices(request(lookups.clone())).await?.into_inner();
        best = best.min(t.elapsed());
        resolved = r.prices.iter().filter(|p| p.error.is_empty()).count();
    }
    let n = lookups.len() as f64;
    println!(
        "  one ResolvePrices call (gRPC, load + resolve + encode): best of {runs}: {:.0} ms = {:.0} lookups/s ({resolved} priced)",
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
    platform.stop().await?;
    use sqlx::{ConnectOptions, Executor};
    let mut admin = infra.admin_url.parse::<sqlx::postgres::PgConnectOptions>()?.connect().await?;
    admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))).await?;
    Ok(())
}
