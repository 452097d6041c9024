//! Oracle test of the monthly invoice: random customers and months (deliveries
//! on random days, a mid-year list version, a site-specific price from a random
//! day, a site opening mid-month with fixed cleaning, corrections and late
//! confirmations after a month was invoiced) are written into invoicing's
//! projection as its consumers would; every month is run and issued through the
//! real service, and each invoice must equal a straightforward recomputation
//! written here, independently of the service's code. Across the months every
//! delivered unit is billed exactly once.
//!
//! Then the crash test: runs and issues cancelled at random points (the
//! client's connection dropped mid-call, which cancels the server's handler and
//! rolls its transaction back) and repeated give exactly one invoice per
//! customer and month, gapless numbers and the totals of the undisturbed run.

#![allow(clippy::unwrap_used)]

mod support;

use chrono::{Datelike, NaiveDate};
use kumppani_proto::invoicing::v1 as inv;
use kumppani_proto::pricing::v1 as pricing;
use prost::Message;
use rust_decimal::{Decimal, RoundingStrategy};
use sqlx::{Connection, PgConnection};
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::time::Duration;
use support::TestEnv;
use uuid::Uuid;

const YEAR: i32 = 2025;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(YEAR, m, d).unwrap()
}

fn last_day(m: u32) -> NaiveDate {
    if m == 12 { day(12, 31) } else { day(m + 1, 1).pred_opt().unwrap() }
}

/// A small deterministic generator (xorshift), so a failing seed can be replayed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

struct Site {
    id: Uuid,
    area: Decimal,
    opened_on: Option<NaiveDate>,
    cleaning: bool,
}

struct Customer {
    id: Uuid,
    internal: bool,
    sites: Vec<Site>,
    /// (site, from): the site's own lunch price 4.05 from that day.
    site_price: (Uuid, NaiveDate),
}

struct Delivery {
    id: Uuid,
    customer: usize,
    site: Uuid,
    day: NaiveDate,
    quantity: i32,
    version: i32,
}

/// The list's second version (lunch 3.95) takes effect on this day.
const V2_FROM: (u32, u32) = (2, 17);

/// The oracle's price of a product at a site on a day.
fn price(c: &Customer, site: Uuid, product: &str, d: NaiveDate) -> Decimal {
    match product {
        "YLLAPITOSIIVOUS" => dec("2.10"),
        _ if c.site_price.0 == site && d >= c.site_price.1 => dec("4.05"),
        _ if d >= day(V2_FROM.0, V2_FROM.1) => dec("3.95"),
        _ => dec("3.85"),
    }
}

/// The oracle's VAT rate in 2025: food 14 %, general 25.5 %; city units none.
fn vat_rate(c: &Customer, product: &str) -> Decimal {
    match (c.internal, product) {
        (true, _) => Decimal::ZERO,
        (false, "YLLAPITOSIIVOUS") => dec("25.5"),
        (false, _) => dec("14"),
    }
}

/// (net, vat, total) of one customer's invoice for month `m`, recomputed from
/// the deliveries and what the earlier invoices billed, by the documented rule:
/// rows per (site, product, kind, unit price[, corrected invoice]) rounded to
/// cents; VAT per rate on the sum of its rows; fixed cleaning = area × open
/// days / days of month (4 decimals) × price.
fn oracle(c: &Customer, ci: usize, m: u32, deliveries: &[Delivery], billed: &HashMap<Uuid, (i32, Uuid)>) -> (Decimal, Decimal, Decimal) {
    let mut rows: BTreeMap<(Uuid, &str, u8, String, Option<Uuid>), Decimal> = BTreeMap::new();
    for d in deliveries.iter().filter(|d| d.customer == ci) {
        let (before, original) = billed.get(&d.id).map_or((0, None), |(q, inv)| (*q, Some(*inv)));
        let delta = d.quantity - before;
        if delta == 0 || d.day > last_day(m) {
            continue;
        }
        let (kind, original) = if d.day.month() == m { (0, None) } else { (1, original) };
        let p = price(c, d.site, "LOUNAS-PK", d.day);
        *rows.entry((d.site, "LOUNAS-PK", kind, p.to_string(), original)).or_default() += Decimal::from(delta);
    }
    let mut net_by_rate: BTreeMap<String, Decimal> = BTreeMap::new();
    for ((site, product, _, p, _), q) in &rows {
        let _ = site;
        *net_by_rate.entry(vat_rate(c, product).to_string()).or_default() += cents(*q * dec(p));
    }
    let days = Decimal::from(last_day(m).day());
    for s in c.sites.iter().filter(|s| s.cleaning) {
        let from = s.opened_on.map_or(day(m, 1), |o| o.max(day(m, 1)));
        if from > last_day(m) {
            continue;
        }
        let open = Decimal::from((last_day(m) - from).num_days() + 1);
        let q =
            if open == days { s.area } else { (s.area * open / days).round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero) };
        *net_by_rate.entry(vat_rate(c, "YLLAPITOSIIVOUS").to_string()).or_default() += cents(q * dec("2.10"));
    }
    let net: Decimal = net_by_rate.values().sum();
    let vat: Decimal = net_by_rate.iter().map(|(r, n)| cents(*n * dec(r) / Decimal::from(100))).sum();
    (net, vat, net + vat)
}

async fn db(env: &TestEnv) -> PgConnection {
    let mut conn = PgConnection::connect(&env.db_url).await.unwrap();
    sqlx::query("SET search_path = invoicing").execute(&mut conn).await.unwrap();
    conn
}

/// The catalogue, the 2025 list (two versions) and the customers and sites of
/// the scenario, in invoicing's projection as its consumers write them.
async fn world(env: &TestEnv, rng: &mut Rng, customers: usize) -> Vec<Customer> {
    let mut conn = db(env).await;
    // Pricing publishes its VAT table at start-up; wait for it to arrive.
    let started = std::time::Instant::now();
    while sqlx::query_scalar::<_, i64>("SELECT count(*) FROM vat_rates").fetch_one(&mut conn).await.unwrap() == 0 {
        assert!(started.elapsed() < Duration::from_secs(30), "no VAT table from pricing");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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
        sqlx::query("INSERT INTO products (code, name, service_line, unit, proto) VALUES ($1, $2, 'meals', 'meal', $3)")
            .bind(code)
            .bind(&p.name)
            .bind(p.encode_to_vec())
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let price = |p: &str| serde_json::json!({"unit_price": p, "components": [["labour", p]]});
    for (v, from, lunch) in [(1, day(1, 1), "3.85"), (2, day(V2_FROM.0, V2_FROM.1), "3.95")] {
        sqlx::query("INSERT INTO price_lists (id, year, version, effective_from, prices) VALUES ($1, $2, $3, $4, $5)")
            .bind(Uuid::new_v4())
            .bind(YEAR)
            .bind(v)
            .bind(from)
            .bind(serde_json::json!({"LOUNAS-PK": price(lunch), "YLLAPITOSIIVOUS": price("2.10")}))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let mut out = Vec::new();
    for n in 0..customers {
        let id = Uuid::new_v4();
        let internal = rng.below(2) == 0;
        let kind = if internal { "internal_service_area" } else { "external" };
        sqlx::query("INSERT INTO customers (id, code, name, kind, billing) VALUES ($1, $2, $3, $4, '{\"payment_terms_days\": 21, \"language\": \"fi\"}')")
            .bind(id)
            .bind(format!("C{n}"))
            .bind(format!("Asiakas {n:02}"))
            .bind(kind)
            .execute(&mut conn)
            .await
            .unwrap();
        let mut sites = Vec::new();
        for s in 0..(2 + rng.below(3)) {
            let site = Site {
                id: Uuid::new_v4(),
                area: Decimal::from(200 + rng.below(1800)),
                // The second site opens during February.
                opened_on: (s == 1).then(|| day(2, 2 + u32::try_from(rng.below(26)).unwrap())),
                cleaning: rng.below(3) > 0,
            };
            sqlx::query("INSERT INTO sites (id, customer_id, name, floor_area_m2, opened_on) VALUES ($1, $2, $3, $4, $5)")
                .bind(site.id)
                .bind(id)
                .bind(format!("Kohde {n}-{s}"))
                .bind(site.area)
                .bind(site.opened_on)
                .execute(&mut conn)
                .await
                .unwrap();
            sites.push(site);
        }
        let cleaning: Vec<String> = sites.iter().filter(|s| s.cleaning).map(|s| s.id.to_string()).collect();
        sqlx::query("INSERT INTO agreements (id, customer_id, year, status, lines) VALUES ($1, $2, $3, 'active', $4)")
            .bind(Uuid::new_v4())
            .bind(id)
            .bind(YEAR)
            .bind(serde_json::json!([{"service_line": "cleaning", "site_ids": cleaning}, {"service_line": "meals", "site_ids": []}]))
            .execute(&mut conn)
            .await
            .unwrap();
        let priced = sites[usize::try_from(rng.below(sites.len() as u64)).unwrap()].id;
        let from = day(1 + u32::try_from(rng.below(3)).unwrap(), 1 + u32::try_from(rng.below(28)).unwrap());
        sqlx::query("INSERT INTO price_overrides (id, site_id, product_code, effective_from, price) VALUES ($1, $2, 'LOUNAS-PK', $3, $4)")
            .bind(Uuid::new_v4())
            .bind(priced)
            .bind(from)
            .bind(price("4.05"))
            .execute(&mut conn)
            .await
            .unwrap();
        out.push(Customer { id, internal, sites, site_price: (priced, from) });
    }
    out
}

async fn write_delivery(conn: &mut PgConnection, customers: &[Customer], d: &Delivery, late: bool) {
    sqlx::query(
        "INSERT INTO deliveries (id, site_id, customer_id, service_day, product_code, diet, quantity, version, updated_at)
         VALUES ($1, $2, $3, $4, 'LOUNAS-PK', '', $5, $6, CASE WHEN $7 THEN now() ELSE $4::timestamptz + interval '14 hours' END)
         ON CONFLICT (id) DO UPDATE SET quantity = $5, version = $6, updated_at = now() WHERE deliveries.version < EXCLUDED.version",
    )
    .bind(d.id)
    .bind(d.site)
    .bind(customers[d.customer].id)
    .bind(d.day)
    .bind(d.quantity)
    .bind(d.version)
    .bind(late)
    .execute(conn)
    .await
    .unwrap();
}

/// Weekday deliveries of month `m` for every open site.
fn month_deliveries(rng: &mut Rng, customers: &[Customer], m: u32) -> Vec<Delivery> {
    let mut out = Vec::new();
    for (ci, c) in customers.iter().enumerate() {
        for s in &c.sites {
            for d in day(m, 1).iter_days().take_while(|d| *d <= last_day(m)) {
                if d.weekday().number_from_monday() > 5 || s.opened_on.is_some_and(|o| d < o) || rng.below(5) == 0 {
                    continue;
                }
                let quantity = i32::try_from(rng.below(40)).unwrap() + 1;
                out.push(Delivery { id: Uuid::new_v4(), customer: ci, site: s.id, day: d, quantity, version: 1 });
            }
        }
    }
    out
}

async fn run_and_issue(env: &TestEnv, month: i32) -> inv::Run {
    let t = env.staff();
    let run = env.invoicing.clone().start_run(env.req(inv::StartRunRequest { year: YEAR, month }, &t)).await.unwrap().into_inner();
    assert!(run.problems.is_empty(), "{:?}", run.problems);
    env.invoicing.clone().issue_run(env.req(inv::IssueRunRequest { id: run.id.clone() }, &t)).await.unwrap().into_inner()
}

/// Records what an issued month billed, as the oracle understands it.
fn bill(m: u32, deliveries: &[Delivery], billed: &mut HashMap<Uuid, (i32, Uuid)>, invoice_of: &HashMap<usize, Uuid>) {
    for d in deliveries.iter().filter(|d| d.day <= last_day(m)) {
        if billed.get(&d.id).map(|(q, _)| *q) != Some(d.quantity) {
            billed.insert(d.id, (d.quantity, invoice_of[&d.customer]));
        }
    }
}

#[tokio::test]
async fn every_invoice_equals_the_recomputation_and_every_unit_is_billed_once() {
    let env = TestEnv::start(false).await;
    let mut rng = Rng(0x5EED_2025_0001);
    let customers = world(&env, &mut rng, 6).await;
    let mut conn = db(&env).await;
    let mut deliveries: Vec<Delivery> = Vec::new();
    let mut billed: HashMap<Uuid, (i32, Uuid)> = HashMap::new();
    for m in 1..=3u32 {
        // Corrections and late confirmations of months already invoiced.
        if m > 1 {
            for _ in 0..10 {
                let k = usize::try_from(rng.below(deliveries.len() as u64)).unwrap();
                let d = &mut deliveries[k];
                d.quantity = i32::try_from(rng.below(45)).unwrap();
                d.version += 1;
                write_delivery(&mut conn, &customers, d, true).await;
            }
            for (ci, c) in customers.iter().enumerate().take(3) {
                // A Saturday delivery of last month confirmed only now.
                let sat = day(m - 1, 1).iter_days().find(|d| d.weekday() == chrono::Weekday::Sat).unwrap();
                let late = Delivery { id: Uuid::new_v4(), customer: ci, site: c.sites[0].id, day: sat, quantity: 9, version: 1 };
                write_delivery(&mut conn, &customers, &late, true).await;
                deliveries.push(late);
            }
        }
        let fresh = month_deliveries(&mut rng, &customers, m);
        for d in &fresh {
            write_delivery(&mut conn, &customers, d, false).await;
        }
        deliveries.extend(fresh);
        let run = run_and_issue(&env, i32::try_from(m).unwrap()).await;
        let mut invoice_of = HashMap::new();
        for (ci, c) in customers.iter().enumerate() {
            let got = run
                .customers
                .iter()
                .find(|x| x.customer_id == c.id.to_string())
                .unwrap_or_else(|| panic!("month {m}: no invoice for customer {ci}"));
            let (net, vat, total) = oracle(c, ci, m, &deliveries, &billed);
            assert_eq!(
                (got.net.as_str(), got.vat.as_str(), got.total.as_str()),
                (format!("{net:.2}").as_str(), format!("{vat:.2}").as_str(), format!("{total:.2}").as_str()),
                "month {m}, customer {ci} (internal: {})",
                c.internal
            );
            invoice_of.insert(ci, Uuid::parse_str(&got.invoice_id).unwrap());
        }
        bill(m, &deliveries, &mut billed, &invoice_of);
    }
    // Every delivered unit billed exactly once across the three months' invoices.
    let sums: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT x.delivery_id, sum(x.quantity) FROM invoice_item_sets s JOIN invoices v ON v.id = s.invoice_id AND v.status = 'issued'
         CROSS JOIN LATERAL unnest(s.delivery_ids, s.quantities) AS x(delivery_id, quantity) GROUP BY 1",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let sums: HashMap<Uuid, i64> = sums.into_iter().collect();
    for d in &deliveries {
        assert_eq!(
            sums.get(&d.id).copied().unwrap_or(0),
            i64::from(d.quantity),
            "delivery of {} billed {:?} times its units",
            d.day,
            sums.get(&d.id)
        );
    }
    // Σ rows = total on every invoice.
    let bad: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM invoices v WHERE v.net <> (SELECT coalesce(sum(amount), 0) FROM invoice_rows r WHERE r.invoice_id = v.id)",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(bad, 0, "an invoice whose rows do not sum to its net total");
    env.cleanup().await;
}

/// Totals per customer name and the invoice numbers of month 1.
async fn outcome(conn: &mut PgConnection) -> (Vec<(String, Decimal)>, Vec<String>) {
    let totals: Vec<(String, Decimal)> = sqlx::query_as(
        "SELECT buyer->>'customer_name', total FROM invoices WHERE kind = 'invoice' AND status = 'issued' AND year = $1 AND month = 1 ORDER BY 1",
    )
    .bind(YEAR)
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let numbers: Vec<(String,)> =
        sqlx::query_as("SELECT number FROM invoices WHERE number IS NOT NULL ORDER BY number").fetch_all(&mut *conn).await.unwrap();
    (totals, numbers.into_iter().map(|(n,)| n).collect())
}

#[tokio::test]
async fn runs_and_issues_cancelled_at_random_points_leave_one_invoice_each_and_no_gaps() {
    // The undisturbed run.
    let calm = TestEnv::start(false).await;
    let mut rng = Rng(0xC0FFEE);
    let customers = world(&calm, &mut rng, 5).await;
    let mut conn = db(&calm).await;
    for d in month_deliveries(&mut rng, &customers, 1) {
        write_delivery(&mut conn, &customers, &d, false).await;
    }
    run_and_issue(&calm, 1).await;
    let expected = outcome(&mut conn).await;
    assert_eq!(expected.0.len(), 5);
    // The same data, with runs and issues cut off at random moments first.
    let env = TestEnv::start(false).await;
    let mut rng = Rng(0xC0FFEE);
    let customers = world(&env, &mut rng, 5).await;
    let mut conn2 = db(&env).await;
    for d in month_deliveries(&mut rng, &customers, 1) {
        write_delivery(&mut conn2, &customers, &d, false).await;
    }
    let t = env.staff();
    let addr = format!("http://{}", env.platform.as_ref().unwrap().addr(kumppani::ServiceKind::Invoicing));
    let mut chaos = Rng(7);
    for attempt in 0..12 {
        // A fresh connection per attempt: dropping it cancels the handler mid-call.
        let mut client = inv::invoicing_service_client::InvoicingServiceClient::connect(addr.clone()).await.unwrap();
        let cut = Duration::from_millis(1 + chaos.below(60));
        let run = tokio::time::timeout(cut, client.start_run(env.req(inv::StartRunRequest { year: YEAR, month: 1 }, &t))).await;
        if let Ok(Ok(run)) = run {
            let id = run.into_inner().id;
            let cut = Duration::from_millis(1 + chaos.below(40));
            let _ = tokio::time::timeout(cut, client.issue_run(env.req(inv::IssueRunRequest { id }, &t))).await;
        }
        drop(client);
        let _ = attempt;
    }
    // Whatever happened, running and issuing again completes the month.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let t = env.staff();
    let again = env.invoicing.clone().start_run(env.req(inv::StartRunRequest { year: YEAR, month: 1 }, &t)).await.unwrap().into_inner();
    env.invoicing.clone().issue_run(env.req(inv::IssueRunRequest { id: again.id }, &t)).await.unwrap();
    let got = outcome(&mut conn2).await;
    // Customer names are the same in both worlds (Asiakas 00…); totals must match exactly.
    assert_eq!(got.0, expected.0, "the totals of the undisturbed run");
    assert_eq!(got.1, expected.1, "one invoice per customer, numbers 1..n without gaps");
    let per_party: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT customer_id FROM invoices WHERE kind = 'invoice' AND status IN ('draft', 'issued') AND year = $1 AND month = 1 GROUP BY 1 HAVING count(*) > 1) x",
    )
    .bind(YEAR)
    .fetch_one(&mut conn2)
    .await
    .unwrap();
    assert_eq!(per_party, 0);
    env.cleanup().await;
    calm.cleanup().await;
}
