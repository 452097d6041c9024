//! Past months' deliveries (September–November 2026) of every meal site of the
//! current agreements: what the invoicing demo bills. Weekdays for ordinary
//! sites, every day (holidays included) for care homes and round-the-clock
//! daycares; lunch plus the kind's second product, without diet split;
//! quantities vary deterministically around the site's daily meals.
//!
//! They are written to ordering (rows, history, `delivery.confirmed` events)
//! and, for the demo's speed, straight into invoicing's delivery projection
//! with the same ids and versions, so the invoicing demo need not wait for
//! tens of thousands of events; when the events arrive they change nothing
//! (the projection keeps the highest version).

use crate::city::DemoCity;
use crate::ids::demo_id;
use chrono::{Datelike, NaiveDate};
use kumppani_platform::calendar;
use kumppani_platform::events::emit_many;
use kumppani_proto::ordering::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

/// The months the demo has invoices for.
pub const MONTHS: [(i32, u32); 3] = [(2026, 9), (2026, 10), (2026, 11)];

pub struct PastDelivery {
    pub id: Uuid,
    pub site: Uuid,
    pub customer: Uuid,
    pub day: NaiveDate,
    pub product: &'static str,
    pub quantity: i32,
}

fn products(kind: &str) -> &'static [(&'static str, u32)] {
    match kind {
        "daycare" => &[("LOUNAS-PK", 100), ("VALIPALA", 90)],
        "school" => &[("LOUNAS-KOULU", 100)],
        "care_home" => &[("LOUNAS-HOIVA", 100), ("PAIVALLINEN", 95)],
        _ => &[("HENKILOSTOLOUNAS", 100)],
    }
}

fn mix(a: u64, b: u64) -> u64 {
    let mut x = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_add(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 29)
}

/// Every past delivery of the demo city, in a stable order.
pub fn past_deliveries(city: &DemoCity) -> Vec<PastDelivery> {
    let mut out = Vec::new();
    let first = NaiveDate::from_ymd_opt(MONTHS[0].0, MONTHS[0].1, 1).unwrap_or_default();
    let last = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default();
    for c in &city.customers {
        let customer = demo_id("customer", &c.code);
        let meal_sites: std::collections::HashSet<&str> = c
            .agreement_2027
            .lines
            .iter()
            .filter(|l| matches!(l.service_line, "meals" | "staff_dining"))
            .flat_map(|l| l.site_levels.iter().map(|(s, _)| s.as_str()))
            .collect();
        for s in c.units.iter().flat_map(|u| u.sites.iter()) {
            if s.status != "active" || s.meals_per_day == 0 || !meal_sites.contains(s.code.as_str()) {
                continue;
            }
            let site = demo_id("site", &s.code);
            let every_day = crate::contracts::opening_schedule(s) == "every_day";
            let site_hash = mix(u64::from(s.meals_per_day), s.code.len() as u64 + u64::from(s.floor_area_m2));
            for day in first.iter_days().take_while(|d| *d <= last) {
                if !every_day && !calendar::is_working_day(day) {
                    continue;
                }
                // Schools' autumn holiday (syysloma, week 42): closed.
                if s.kind == "school" && day.iso_week().week() == 42 {
                    continue;
                }
                for (product, share) in products(s.kind) {
                    let base = i64::from(s.meals_per_day) * i64::from(*share) / 100;
                    let h = mix(site_hash, u64::from(day.ordinal()) * 31 + product.len() as u64);
                    let absences = i64::try_from(h % 8).unwrap_or(0) * base / 100;
                    let friday = if day.weekday() == chrono::Weekday::Fri { base / 12 } else { 0 };
                    let quantity = i32::try_from((base - absences - friday).max(0)).unwrap_or(0);
                    if quantity == 0 {
                        continue;
                    }
                    out.push(PastDelivery {
                        id: demo_id("delivery", &format!("{}:{day}:{product}", s.code)),
                        site,
                        customer,
                        day,
                        product,
                        quantity,
                    });
                }
            }
        }
    }
    out
}

/// The 2026 budgets of the demo: the demo city's history starts in
/// September, so each site's budget is what its September–November
/// deliveries pro-rate to over the year, give or take up to 12 % (a
/// deterministic mix of over- and under-use for the year-end reconciliation).
pub fn budgets_2026(all: &[PastDelivery]) -> Vec<(Uuid, Uuid, String, i64)> {
    let mut sums: std::collections::BTreeMap<(Uuid, Uuid, &str), i64> = std::collections::BTreeMap::new();
    for d in all {
        *sums.entry((d.customer, d.site, d.product)).or_default() += i64::from(d.quantity);
    }
    let days_recorded =
        (NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default() - NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default()).num_days()
            + 1;
    sums.into_iter()
        .map(|((customer, site, product), delivered)| {
            // -12 … +12 % per site and product.
            let pct = i64::try_from(mix(site.as_u64_pair().0, product.bytes().map(u64::from).sum()) % 25).unwrap_or(12) - 12;
            let budget = delivered * 365 / days_recorded * (100 + pct) / 100;
            (customer, site, product.to_owned(), budget)
        })
        .collect()
}

/// Writes the past deliveries into ordering with their history and events.
pub async fn seed_ordering(tx: &mut PgConnection, all: &[PastDelivery]) -> anyhow::Result<()> {
    for chunk in all.chunks(20_000) {
        sqlx::query(
            "INSERT INTO deliveries (id, site_id, customer_id, service_day, product_code, diet, quantity, confirmed_by)
             SELECT id, s, c, d, p, '', q, 'demo-seed' FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::date[], $5::text[], $6::int[]) AS x(id, s, c, d, p, q)
             ON CONFLICT DO NOTHING",
        )
        .bind(chunk.iter().map(|d| d.id).collect::<Vec<_>>())
        .bind(chunk.iter().map(|d| d.site).collect::<Vec<_>>())
        .bind(chunk.iter().map(|d| d.customer).collect::<Vec<_>>())
        .bind(chunk.iter().map(|d| d.day).collect::<Vec<_>>())
        .bind(chunk.iter().map(|d| d.product).collect::<Vec<_>>())
        .bind(chunk.iter().map(|d| d.quantity).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO delivery_history (delivery_id, version, quantity, by_subject) SELECT d, 1, q, 'demo-seed' FROM unnest($1::uuid[], $2::int[]) AS x(d, q)",
        )
        .bind(chunk.iter().map(|d| d.id).collect::<Vec<_>>())
        .bind(chunk.iter().map(|d| d.quantity).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        let events: Vec<(String, pb::DeliveryEvent)> = chunk
            .iter()
            .map(|d| {
                let delivery = pb::Delivery {
                    id: d.id.to_string(),
                    line: Some(pb::OrderLine {
                        site_id: d.site.to_string(),
                        service_day: Some(pb::Date::from_naive(d.day)),
                        product_code: d.product.to_owned(),
                        diet: String::new(),
                        quantity: d.quantity,
                    }),
                    ordered_quantity: d.quantity,
                    version: 1,
                    confirmed_by: "demo-seed".into(),
                    ..Default::default()
                };
                let event = pb::DeliveryEvent { delivery: Some(delivery), customer_id: d.customer.to_string(), previous_quantity: 0 };
                ("ordering.delivery.confirmed".to_owned(), event)
            })
            .collect();
        for part in events.chunks(5000) {
            emit_many(&mut *tx, kumppani_ordering::PRODUCER, part).await?;
        }
    }
    Ok(())
}

/// Writes the same deliveries into invoicing's projection (see the module doc).
pub async fn seed_invoicing_projection(conn: &mut PgConnection, all: &[PastDelivery]) -> anyhow::Result<()> {
    for chunk in all.chunks(20_000) {
        sqlx::query(
            "INSERT INTO deliveries (id, site_id, customer_id, service_day, product_code, diet, quantity, version, updated_at)
             SELECT id, s, c, d, p, '', q, 1, d::timestamptz + interval '14 hours'
             FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::date[], $5::text[], $6::int[]) AS x(id, s, c, d, p, q)
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(chunk.iter().map(|d| d.id).collect::<Vec<_>>())
        .bind(chunk.iter().map(|d| d.site).collect::<Vec<_>>())
        .bind(chunk.iter().map(|d| d.customer).collect::<Vec<_>>())
        .bind(chunk.iter().map(|d| d.day).collect::<Vec<_>>())
        .bind(chunk.iter().map(|d| d.product).collect::<Vec<_>>())
        .bind(chunk.iter().map(|d| d.quantity).collect::<Vec<_>>())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
