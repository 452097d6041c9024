//! Demo orders: standing orders (weekly patterns) for every site whose agreement
//! covers meals, for the rest of this year and the 2027 spring term (schools
//! closed for the winter-holiday week); the daily orders they produce for the
//! coming two weeks and January 2027; January deliveries that differ
//! realistically from the orders (absences, extra guests); a few pending
//! late-change requests; budgets for 2027; the past months' deliveries that the
//! invoicing demo bills ([`crate::deliveries`]). Idempotent.

use crate::ids::demo_id;
use chrono::{Datelike, NaiveDate};
use kumppani_ordering::PRODUCER;
use kumppani_ordering::domain::{Pattern, expand};
use kumppani_platform::calendar;
use kumppani_platform::events::emit_many;
use kumppani_proto::ordering::v1 as pb;
use sqlx::PgPool;
use uuid::Uuid;

/// Meal products ordered per site kind (daily).
fn products(kind: &str) -> &'static [(&'static str, u32)] {
    match kind {
        "daycare" => &[("LOUNAS-PK", 100), ("VALIPALA", 90)],
        "school" => &[("LOUNAS-KOULU", 100), ("VALIPALA", 8)],
        "care_home" => &[("LOUNAS-HOIVA", 100), ("PAIVALLINEN", 95), ("AAMIAINEN", 95)],
        _ => &[("HENKILOSTOLOUNAS", 100)],
    }
}

struct Row {
    site: Uuid,
    customer: Uuid,
    day: NaiveDate,
    product: String,
    diet: String,
    quantity: i32,
    channel: &'static str,
}

/// A small deterministic hash for demo variation.
fn mix(a: u64, b: u64) -> u64 {
    let mut x = a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_add(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 29)
}

pub async fn seed(pool: &PgPool) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('kumppani-ordering-seed'))").execute(&mut *tx).await?;
    let seeded: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM order_history WHERE by_subject = 'demo-seed')").fetch_one(&mut *tx).await?;
    if seeded {
        return Ok(());
    }
    let city = crate::city::demo_city();
    let today = calendar::today();
    let year_end = NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today);
    let spring = (NaiveDate::from_ymd_opt(2027, 1, 7).unwrap_or(today), NaiveDate::from_ymd_opt(2027, 5, 31).unwrap_or(today));
    let mut patterns: Vec<Pattern> = Vec::new();
    let mut closures: Vec<(Uuid, NaiveDate, NaiveDate)> = Vec::new();
    let mut budgets: Vec<(Uuid, Uuid, &'static str, i64)> = Vec::new();
    for (ci, c) in city.customers.iter().enumerate() {
        let customer = demo_id("customer", &c.code);
        let signed_2027 = matches!(c.agreement_2027.status, "signed" | "active");
        let meal_sites: std::collections::HashSet<&str> = c
            .agreement_2027
            .lines
            .iter()
            .filter(|l| matches!(l.service_line, "meals" | "staff_dining"))
            .flat_map(|l| l.site_levels.iter().map(|(s, _)| s.as_str()))
            .collect();
        for u in &c.units {
            for (si, s) in u.sites.iter().enumerate() {
                if s.status != "active" || s.meals_per_day == 0 || !meal_sites.contains(s.code.as_str()) {
                    continue;
                }
                let site = demo_id("site", &s.code);
                // Most sites order in the portal, some through the ordering system, a few by phone to staff.
                let channel = match mix(ci as u64, si as u64) % 20 {
                    0 => "staff",
                    1..=5 => "ordering_system",
                    _ => "portal",
                };
                // Care homes and round-the-clock daycares are open every day, holidays included.
                let every_day = crate::contracts::opening_schedule(s) == "every_day";
                let diet_total: u32 = s.special_diets.iter().map(|(_, n)| *n).sum();
                let base = s.meals_per_day.saturating_sub(diet_total);
                let mut periods = vec![(today + chrono::Duration::days(1), year_end)];
                if signed_2027 {
                    periods.push(spring);
                    if s.kind == "school" {
                        // Winter holiday week (talviloma): schools are closed.
                        if let (Some(f), Some(t)) = (NaiveDate::from_ymd_opt(2027, 3, 1), NaiveDate::from_ymd_opt(2027, 3, 5)) {
                            closures.push((site, f, t));
                        }
                    }
                }
                for (from, to) in periods {
                    for (product, share) in products(s.kind) {
                        let q = i32::try_from(u64::from(base) * u64::from(*share) / 100).unwrap_or(0);
                        if q == 0 {
                            continue;
                        }
                        // Fridays a little lower (absences); weekends only where people live.
                        let week = if every_day { [q; 7] } else { [q, q, q, q, q - q / 10, 0, 0] };
                        let mut variants = vec![(String::new(), week)];
                        if product.starts_with("LOUNAS") {
                            for (diet, n) in &s.special_diets {
                                let n = i32::try_from(*n).unwrap_or(0);
                                variants.push((diet.to_lowercase(), if every_day { [n; 7] } else { [n, n, n, n, n, 0, 0] }));
                            }
                        }
                        for (diet, quantities) in variants {
                            patterns.push(Pattern {
                                site,
                                customer,
                                product: (*product).to_owned(),
                                diet,
                                from,
                                to,
                                quantities,
                                include_holidays: every_day,
                                channel: channel.to_owned(),
                                created_at: chrono::Utc::now(),
                            });
                        }
                    }
                }
                if signed_2027 {
                    for (product, share) in products(s.kind) {
                        budgets.push((customer, site, product, i64::from(s.meals_per_day) * i64::from(*share) / 100 * 190));
                    }
                }
            }
        }
    }
    sqlx::query(
        "INSERT INTO standing_orders (id, site_id, customer_id, product_code, diet, valid_from, valid_to, weekday_quantities, include_holidays, channel, created_by)
         SELECT id, s, c, p, t, f, u, string_to_array(q, ',')::int[], h, ch, 'demo-seed'
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::date[], $7::date[], $8::text[], $9::bool[], $10::text[])
             AS x(id, s, c, p, t, f, u, q, h, ch)",
    )
    .bind(patterns.iter().map(|_| Uuid::now_v7()).collect::<Vec<_>>())
    .bind(patterns.iter().map(|p| p.site).collect::<Vec<_>>())
    .bind(patterns.iter().map(|p| p.customer).collect::<Vec<_>>())
    .bind(patterns.iter().map(|p| p.product.clone()).collect::<Vec<_>>())
    .bind(patterns.iter().map(|p| p.diet.clone()).collect::<Vec<_>>())
    .bind(patterns.iter().map(|p| p.from).collect::<Vec<_>>())
    .bind(patterns.iter().map(|p| p.to).collect::<Vec<_>>())
    .bind(patterns.iter().map(|p| p.quantities.iter().map(i32::to_string).collect::<Vec<_>>().join(",")).collect::<Vec<_>>())
    .bind(patterns.iter().map(|p| p.include_holidays).collect::<Vec<_>>())
    .bind(patterns.iter().map(|p| p.channel.clone()).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    for (site, f, t) in &closures {
        sqlx::query(
            "INSERT INTO closures (id, site_id, from_day, to_day, reason, created_by) VALUES ($1, $2, $3, $4, 'Talviloma', 'demo-seed')",
        )
        .bind(Uuid::now_v7())
        .bind(site)
        .bind(f)
        .bind(t)
        .execute(&mut *tx)
        .await?;
    }
    // The daily orders the patterns produce: the coming two weeks and January 2027
    // (the service itself keeps the coming weeks materialized from then on).
    let upcoming_end = today + chrono::Duration::days(14);
    let mut expanded = expand(&patterns, &closures, today + chrono::Duration::days(1), upcoming_end);
    if let (Some(f), Some(t)) = (NaiveDate::from_ymd_opt(2027, 1, 1), NaiveDate::from_ymd_opt(2027, 1, 31)) {
        expanded.extend(expand(&patterns, &closures, f, t));
    }
    let mut orders: Vec<Row> = expanded
        .into_iter()
        .map(|(k, customer, quantity, channel)| Row {
            site: k.0,
            customer,
            day: k.1,
            product: k.2,
            diet: k.3,
            quantity,
            channel: match channel.as_str() {
                "staff" => "staff",
                "ordering_system" => "ordering_system",
                _ => "portal",
            },
        })
        .collect();
    let upcoming: Vec<NaiveDate> =
        orders.iter().filter(|r| r.day <= upcoming_end).map(|r| r.day).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let ids: Vec<Uuid> = orders.iter().map(|_| Uuid::now_v7()).collect();
    let col = |f: fn(&Row) -> String| orders.iter().map(f).collect::<Vec<String>>();
    sqlx::query(
        "INSERT INTO orders (id, site_id, customer_id, service_day, product_code, diet, quantity, channel, updated_by)
         SELECT id, s, c, d, p, t, q, ch, 'demo-seed' FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::date[], $5::text[], $6::text[], $7::int[], $8::text[])
             AS x(id, s, c, d, p, t, q, ch)",
    )
    .bind(&ids)
    .bind(orders.iter().map(|r| r.site).collect::<Vec<_>>())
    .bind(orders.iter().map(|r| r.customer).collect::<Vec<_>>())
    .bind(orders.iter().map(|r| r.day).collect::<Vec<_>>())
    .bind(col(|r| r.product.clone()))
    .bind(col(|r| r.diet.clone()))
    .bind(orders.iter().map(|r| r.quantity).collect::<Vec<_>>())
    .bind(col(|r| r.channel.to_owned()))
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO order_history (order_id, version, quantity_from, quantity_to, channel, by_subject)
         SELECT o, 1, NULL, q, ch, 'demo-seed' FROM unnest($1::uuid[], $2::int[], $3::text[]) AS x(o, q, ch)",
    )
    .bind(&ids)
    .bind(orders.iter().map(|r| r.quantity).collect::<Vec<_>>())
    .bind(col(|r| r.channel.to_owned()))
    .execute(&mut *tx)
    .await?;
    let events: Vec<(String, pb::OrderEvent)> = orders
        .iter()
        .zip(&ids)
        .map(|(r, id)| {
            let order = pb::Order {
                id: id.to_string(),
                line: Some(pb::OrderLine {
                    site_id: r.site.to_string(),
                    service_day: Some(pb::Date::from_naive(r.day)),
                    product_code: r.product.to_owned(),
                    diet: r.diet.clone(),
                    quantity: r.quantity,
                }),
                channel: match r.channel {
                    "ordering_system" => pb::Channel::OrderingSystem,
                    "staff" => pb::Channel::Staff,
                    _ => pb::Channel::Portal,
                } as i32,
                version: 1,
                customer_id: r.customer.to_string(),
                ..Default::default()
            };
            (
                "ordering.order.placed".to_owned(),
                pb::OrderEvent { order: Some(order), previous_quantity: 0, customer_id: r.customer.to_string() },
            )
        })
        .collect();
    for chunk in events.chunks(5000) {
        emit_many(&mut tx, PRODUCER, chunk).await?;
    }
    // One-off changes on top of the standing orders (a trip, a party): version 2 with history.
    let changed: Vec<usize> = orders
        .iter()
        .enumerate()
        .filter(|(i, r)| r.day.year() == 2027 && r.diet.is_empty() && mix(*i as u64, 3).is_multiple_of(40))
        .map(|(i, _)| i)
        .collect();
    let change_ids: Vec<Uuid> = changed.iter().map(|i| ids[*i]).collect();
    let new_q: Vec<i32> = changed
        .iter()
        .map(|i| if mix(*i as u64, 5).is_multiple_of(2) { orders[*i].quantity + 6 } else { (orders[*i].quantity - 8).max(0) })
        .collect();
    sqlx::query("UPDATE orders o SET quantity = x.q, version = 2, updated_at = now() FROM unnest($1::uuid[], $2::int[]) AS x(id, q) WHERE o.id = x.id")
        .bind(&change_ids)
        .bind(&new_q)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO order_history (order_id, version, quantity_from, quantity_to, channel, by_subject)
         SELECT o, 2, f, t, 'portal', 'demo-seed' FROM unnest($1::uuid[], $2::int[], $3::int[]) AS x(o, f, t)",
    )
    .bind(&change_ids)
    .bind(changed.iter().map(|i| orders[*i].quantity).collect::<Vec<_>>())
    .bind(&new_q)
    .execute(&mut *tx)
    .await?;
    for (k, i) in changed.iter().enumerate() {
        orders[*i].quantity = new_q[k];
    }
    // January 2027 deliveries differ from the orders: absences, a few extra guests.
    let delivered: Vec<(usize, i32)> = orders
        .iter()
        .enumerate()
        .filter(|(_, r)| r.day.year() == 2027)
        .map(|(i, r)| {
            let h = mix(i as u64, 7) % 100;
            let q = match h {
                0..=59 => r.quantity,
                60..=89 => r.quantity - i32::try_from(mix(i as u64, 11) % 4).unwrap_or(0) - 1,
                _ => r.quantity + i32::try_from(mix(i as u64, 13) % 3).unwrap_or(0) + 1,
            };
            (i, q.max(0))
        })
        .collect();
    let d_ids: Vec<Uuid> = delivered.iter().map(|_| Uuid::now_v7()).collect();
    sqlx::query(
        "INSERT INTO deliveries (id, site_id, customer_id, service_day, product_code, diet, quantity, confirmed_by)
         SELECT id, s, c, d, p, t, q, 'demo-seed' FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::date[], $5::text[], $6::text[], $7::int[]) AS x(id, s, c, d, p, t, q)",
    )
    .bind(&d_ids)
    .bind(delivered.iter().map(|(i, _)| orders[*i].site).collect::<Vec<_>>())
    .bind(delivered.iter().map(|(i, _)| orders[*i].customer).collect::<Vec<_>>())
    .bind(delivered.iter().map(|(i, _)| orders[*i].day).collect::<Vec<_>>())
    .bind(delivered.iter().map(|(i, _)| orders[*i].product.clone()).collect::<Vec<_>>())
    .bind(delivered.iter().map(|(i, _)| orders[*i].diet.clone()).collect::<Vec<_>>())
    .bind(delivered.iter().map(|(_, q)| *q).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO delivery_history (delivery_id, version, quantity, by_subject) SELECT d, 1, q, 'demo-seed' FROM unnest($1::uuid[], $2::int[]) AS x(d, q)")
        .bind(&d_ids)
        .bind(delivered.iter().map(|(_, q)| *q).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    let d_events: Vec<(String, pb::DeliveryEvent)> = delivered
        .iter()
        .zip(&d_ids)
        .map(|((i, q), id)| {
            let r = &orders[*i];
            let delivery = pb::Delivery {
                id: id.to_string(),
                line: Some(pb::OrderLine {
                    site_id: r.site.to_string(),
                    service_day: Some(pb::Date::from_naive(r.day)),
                    product_code: r.product.to_owned(),
                    diet: r.diet.clone(),
                    quantity: *q,
                }),
                ordered_quantity: r.quantity,
                version: 1,
                confirmed_by: "demo-seed".into(),
                ..Default::default()
            };
            (
                "ordering.delivery.confirmed".to_owned(),
                pb::DeliveryEvent { delivery: Some(delivery), customer_id: r.customer.to_string(), previous_quantity: 0 },
            )
        })
        .collect();
    for chunk in d_events.chunks(5000) {
        emit_many(&mut tx, PRODUCER, chunk).await?;
    }
    // A few pending late-change requests for the next working day.
    if let Some(first) = upcoming.first() {
        for (k, r) in orders.iter().filter(|r| r.day == *first && r.diet.is_empty()).take(4).enumerate() {
            sqlx::query(
                "INSERT INTO late_changes (id, site_id, customer_id, service_day, product_code, diet, quantity, previous_quantity, channel, status, requested_by)
                 VALUES ($1, $2, $3, $4, $5, '', $6, $7, 'portal', 'pending', 'demo-seed')",
            )
            .bind(Uuid::now_v7())
            .bind(r.site)
            .bind(r.customer)
            .bind(r.day)
            .bind(&r.product)
            .bind(r.quantity + 2 + i32::try_from(k).unwrap_or(0))
            .bind(r.quantity)
            .execute(&mut *tx)
            .await?;
        }
    }
    // 2027's budgets from the agreements, 2026's from the past deliveries (see
    // `deliveries::budgets_2026`); announced like SetBudget does, so invoicing's
    // reconciliation learns them from the events.
    let mut all: Vec<(Uuid, Uuid, String, i32, i64)> = budgets.into_iter().map(|(c, s, p, q)| (c, s, p.to_owned(), 2027, q)).collect();
    all.extend(
        crate::deliveries::budgets_2026(&crate::deliveries::past_deliveries(&city)).into_iter().map(|(c, s, p, q)| (c, s, p, 2026, q)),
    );
    let mut events = Vec::with_capacity(all.len());
    for (customer, site, product, year, q) in &all {
        sqlx::query("INSERT INTO budgets (customer_id, site_id, product_code, year, quantity, updated_by) VALUES ($1,$2,$3,$4,$5,'demo-seed') ON CONFLICT DO NOTHING")
            .bind(customer)
            .bind(site)
            .bind(product)
            .bind(year)
            .bind(q)
            .execute(&mut *tx)
            .await?;
        let budget = pb::Budget {
            customer_id: customer.to_string(),
            site_id: site.to_string(),
            product_code: product.clone(),
            year: *year,
            quantity: *q,
        };
        events.push(("ordering.budget.set".to_owned(), pb::BudgetEvent { budget: Some(budget), updated_by: "demo-seed".into() }));
    }
    for part in events.chunks(5000) {
        emit_many(&mut tx, PRODUCER, part).await?;
    }
    crate::deliveries::seed_ordering(&mut tx, &crate::deliveries::past_deliveries(&city)).await?;
    tx.commit().await?;
    Ok(())
}
