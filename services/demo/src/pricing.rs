//! Seeds the demo prices (see [`crate::prices`]): published 2026 and 2027
//! lists, site-specific 2027 prices, one pending mid-year change and private-
//! provider benchmarks. Idempotent (UUIDv5 ids, skipped when present). Needs the
//! registry projection only for names; ids of demo customers and sites are the
//! same UUIDv5 values the contracts seed uses.

use crate::ids::demo_id;
use crate::prices::{DemoPrice, demo_pricing};
use chrono::NaiveDate;
use kumppani_platform::events::emit;
use kumppani_pricing::PRODUCER;
use kumppani_pricing::domain::PriceData;
use kumppani_proto::pricing::v1 as pb;
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use std::str::FromStr;
use uuid::Uuid;

fn id(kind: &str, code: &str) -> Uuid {
    demo_id(&format!("pricing-{kind}"), code)
}

fn price(p: &DemoPrice) -> anyhow::Result<PriceData> {
    let unit_price = Decimal::from_str(&p.unit_price)?;
    let components = p.components.iter().map(|(k, a)| Ok(((*k).to_owned(), Decimal::from_str(a)?))).collect::<anyhow::Result<Vec<_>>>()?;
    anyhow::ensure!(components.iter().map(|(_, a)| *a).sum::<Decimal>() == unit_price, "demo price of {} does not add up", p.product);
    Ok(PriceData { unit_price, components })
}

fn date((y, m, d): (i32, u32, u32)) -> anyhow::Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| anyhow::anyhow!("bad demo date"))
}

async fn seed_list(tx: &mut PgConnection, year: i32, prices: &[DemoPrice], approved_on: NaiveDate) -> anyhow::Result<()> {
    let list = id("list", &year.to_string());
    sqlx::query(
        "INSERT INTO price_lists (id, year, version, status, effective_from, group_approved_on, group_approval_ref, published_at, created_by, note)
         VALUES ($1, $2, 1, 'approved', $3, $4, $5, NULL, 'demo-seed', $6)",
    )
    .bind(list)
    .bind(year)
    .bind(NaiveDate::from_ymd_opt(year, 1, 1))
    .bind(approved_on)
    .bind(format!("Asiakkuusryhmä {}/{}", 9, year - 1))
    .bind(format!("Omakustannushinnasto {year}"))
    .execute(&mut *tx)
    .await?;
    for p in prices {
        let data = price(p)?;
        sqlx::query("INSERT INTO list_prices (price_list_id, product_code, unit_price, components) VALUES ($1,$2,$3,$4)")
            .bind(list)
            .bind(p.product)
            .bind(data.unit_price)
            .bind(serde_json::to_value(&data.components)?)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("UPDATE price_lists SET status = 'published', published_at = now() WHERE id = $1").bind(list).execute(&mut *tx).await?;
    if let Some(out) = kumppani_pricing::store::load_list(&mut *tx, list).await? {
        let products = kumppani_pricing::store::product_list(&mut *tx).await?;
        emit(&mut *tx, PRODUCER, "pricing.price_list.published", &pb::PriceListEvent { price_list: Some(out), products }).await?;
    }
    Ok(())
}

fn demo_site_customer(site_code: &str) -> Option<String> {
    crate::city::demo_city()
        .customers
        .into_iter()
        .find(|c| c.units.iter().any(|u| u.sites.iter().any(|s| s.code == site_code)))
        .map(|c| c.code)
}

/// Seeds the demo prices unless present.
pub async fn seed(pool: &PgPool) -> anyhow::Result<()> {
    let demo = demo_pricing();
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('kumppani-pricing-seed'))").execute(&mut *tx).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM price_lists WHERE id = $1)").bind(id("list", "2026")).fetch_one(&mut *tx).await?;
    if exists {
        return Ok(());
    }
    seed_list(&mut tx, 2026, &demo.list_2026, date((2025, 11, 20))?).await?;
    seed_list(&mut tx, 2027, &demo.list_2027, date((2026, 11, 19))?).await?;
    for o in &demo.overrides {
        let data = price(&o.price)?;
        let site = demo_id("site", &o.site_code);
        // The registry projection may not have caught up yet; the customer comes from the demo city.
        let customer = demo_site_customer(&o.site_code)
            .map(|c| demo_id("customer", &c))
            .ok_or_else(|| anyhow::anyhow!("demo site {} is not in the demo city", o.site_code))?;
        let oid = id("override", &format!("{}:{}:{:?}", o.site_code, o.product, o.effective_from));
        sqlx::query(
            "INSERT INTO price_overrides (id, scope, customer_id, site_id, product_code, unit_price, components, effective_from, reason, created_by)
             VALUES ($1,'site',$2,$3,$4,$5,$6,$7,$8,'demo-seed')",
        )
        .bind(oid)
        .bind(customer)
        .bind(site)
        .bind(o.product)
        .bind(data.unit_price)
        .bind(serde_json::to_value(&data.components)?)
        .bind(date(o.effective_from)?)
        .bind(&o.reason)
        .execute(&mut *tx)
        .await?;
        if let Some(ov) = kumppani_pricing::store::override_by_id(&mut tx, oid).await? {
            emit(&mut tx, PRODUCER, "pricing.price_override.set", &pb::PriceOverrideEvent { r#override: Some(ov) }).await?;
        }
    }
    let c = &demo.pending_change;
    let items = c.items.iter().map(|p| Ok((p.product.to_owned(), price(p)?))).collect::<anyhow::Result<Vec<_>>>()?;
    let customers: Vec<Uuid> = c.customer_codes.iter().map(|code| demo_id("customer", code)).collect();
    sqlx::query(
        "INSERT INTO price_changes (id, year, effective_from, reason, status, customer_ids, items, proposed_by)
         VALUES ($1,$2,$3,$4,'proposed',$5,$6,'demo-seed')",
    )
    .bind(id("change", "pending"))
    .bind(c.year)
    .bind(date(c.effective_from)?)
    .bind(&c.reason)
    .bind(&customers)
    .bind(serde_json::to_value(&items)?)
    .execute(&mut *tx)
    .await?;
    for b in &demo.benchmarks {
        sqlx::query("INSERT INTO benchmarks (id, product_code, year, provider, unit_price, source, recorded_by) VALUES ($1,$2,$3,$4,$5,$6,'demo-seed')")
            .bind(id("benchmark", &format!("{}:{}:{}", b.product, b.year, b.provider)))
            .bind(b.product)
            .bind(b.year)
            .bind(b.provider)
            .bind(Decimal::from_str(&b.unit_price)?)
            .bind(&b.source)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}
