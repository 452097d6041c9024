//! All SQL of the pricing schema. Every function takes a connection so callers
//! compose them inside one transaction with the outbox write. Loaders return
//! plain rows, the [`PriceBook`], or the protos the events carry.

use crate::domain::{self, Benchmark, ListEntry, ListVersion, OverrideEntry, PriceBook, PriceData, PriceProto, VatRow};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use kumppani_proto::pricing::v1 as pb;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

use kumppani_platform::actor_name_sql;
use kumppani_platform::convert::timestamp as ts;

fn price_data(unit_price: Decimal, components: serde_json::Value) -> PriceData {
    PriceData { unit_price, components: serde_json::from_value(components).unwrap_or_default() }
}

/// Components as stored: `[[kind, amount], ...]`.
fn components_json(p: &PriceData) -> serde_json::Value {
    serde_json::to_value(&p.components).unwrap_or_default()
}

// ---------- registry projection (customers and sites from contracts' events) ----------

pub async fn upsert_customer(conn: &mut PgConnection, id: Uuid, name: &str, kind: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO customers (id, name, kind) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, updated_at = now()",
    )
    .bind(id)
    .bind(name)
    .bind(kind)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn upsert_site(conn: &mut PgConnection, id: Uuid, customer_id: Uuid, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sites (id, customer_id, name) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET customer_id = EXCLUDED.customer_id, name = EXCLUDED.name, updated_at = now()",
    )
    .bind(id)
    .bind(customer_id)
    .bind(name)
    .execute(conn)
    .await?;
    Ok(())
}

/// A site as the projection knows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Site {
    pub customer_id: Uuid,
    pub name: String,
}

pub async fn site(conn: &mut PgConnection, id: Uuid) -> Result<Option<Site>, sqlx::Error> {
    sqlx::query_as("SELECT customer_id, name FROM sites WHERE id = $1").bind(id).fetch_optional(conn).await
}

pub async fn customer_name(conn: &mut PgConnection, id: Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT name FROM customers WHERE id = $1").bind(id).fetch_optional(conn).await
}

/// Those of `ids` the projection knows.
pub async fn known_customers(conn: &mut PgConnection, ids: &[Uuid]) -> Result<HashSet<Uuid>, sqlx::Error> {
    let known: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM customers WHERE id = ANY($1)").bind(ids).fetch_all(conn).await?;
    Ok(known.into_iter().collect())
}

// ---------- catalogue ----------

pub async fn products(conn: &mut PgConnection) -> Result<HashMap<String, pb::Product>, sqlx::Error> {
    Ok(product_list(conn).await?.into_iter().map(|p| (p.code.clone(), p)).collect())
}

pub async fn product_list(conn: &mut PgConnection) -> Result<Vec<pb::Product>, sqlx::Error> {
    let rows: Vec<(String, String, String, String, String)> =
        sqlx::query_as("SELECT code, name, service_line, unit, vat_category FROM products ORDER BY position, code").fetch_all(conn).await?;
    Ok(rows
        .into_iter()
        .map(|(code, name, line, unit, vat)| pb::Product {
            code,
            name,
            service_line: domain::line_from(&line),
            unit: domain::unit_from(&unit),
            vat_category: domain::vat_from(&vat),
        })
        .collect())
}

// ---------- price lists ----------

#[derive(sqlx::FromRow)]
struct ListRow {
    pub id: Uuid,
    pub year: i32,
    pub version: i32,
    pub status: String,
    pub effective_from: NaiveDate,
    pub group_approved_on: Option<NaiveDate>,
    pub group_approval_ref: String,
    pub published_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub note: String,
    pub created_by_name: String,
}

const LIST_COLS: &str = concat!(
    "id, year, version, status, effective_from, group_approved_on, group_approval_ref, published_at, created_by, note, ",
    actor_name_sql!("created_by"),
    " AS created_by_name"
);

async fn list_row(conn: &mut PgConnection, id: Uuid) -> Result<Option<ListRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {LIST_COLS} FROM price_lists WHERE id = $1"))).bind(id).fetch_optional(conn).await
}

/// A list's version and status, locked until the transaction ends.
pub async fn lock_list(conn: &mut PgConnection, id: Uuid) -> Result<Option<ListVersion>, sqlx::Error> {
    let row: Option<(Uuid, i32, String, NaiveDate)> =
        sqlx::query_as("SELECT id, version, status, effective_from FROM price_lists WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(row.map(|(id, version, status, effective_from)| ListVersion { id, version, status, effective_from }))
}

pub async fn list_price_count(conn: &mut PgConnection, list_id: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT count(*) FROM list_prices WHERE price_list_id = $1").bind(list_id).fetch_one(conn).await
}

async fn list_prices(conn: &mut PgConnection, list_id: Uuid) -> Result<Vec<(String, PriceData)>, sqlx::Error> {
    let rows: Vec<(String, Decimal, serde_json::Value)> = sqlx::query_as(
        "SELECT lp.product_code, lp.unit_price, lp.components FROM list_prices lp JOIN products p ON p.code = lp.product_code
         WHERE lp.price_list_id = $1 ORDER BY p.position, p.code",
    )
    .bind(list_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(code, price, comps)| (code, price_data(price, comps))).collect())
}

pub async fn load_list(conn: &mut PgConnection, id: Uuid) -> Result<Option<pb::PriceList>, sqlx::Error> {
    let Some(r) = list_row(&mut *conn, id).await? else { return Ok(None) };
    let prices = list_prices(conn, id).await?;
    Ok(Some(list_proto(r, prices)))
}

fn list_proto(r: ListRow, prices: Vec<(String, PriceData)>) -> pb::PriceList {
    pb::PriceList {
        id: r.id.to_string(),
        year: r.year,
        version: r.version,
        status: domain::list_status_from(&r.status),
        effective_from: Some(pb::Date::from_naive(r.effective_from)),
        prices: prices.iter().map(|(code, p)| p.to_proto(code)).collect(),
        group_approved_on: r.group_approved_on.map(pb::Date::from_naive),
        group_approval_ref: r.group_approval_ref,
        published_at: r.published_at.and_then(ts),
        created_by: r.created_by,
        note: r.note,
        created_by_name: r.created_by_name,
    }
}

pub async fn lists(conn: &mut PgConnection, year: Option<i32>) -> Result<Vec<pb::PriceList>, sqlx::Error> {
    let rows: Vec<ListRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {LIST_COLS} FROM price_lists WHERE ($1::int IS NULL OR year = $1) ORDER BY year DESC, version DESC"
    )))
    .bind(year)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let prices = list_prices(&mut *conn, r.id).await?;
        out.push(list_proto(r, prices));
    }
    Ok(out)
}

/// Serializes the creation of a year's list versions until the transaction ends.
pub async fn lock_list_year(conn: &mut PgConnection, year: i32) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('pricing-list-' || $1::text))").bind(year).execute(conn).await?;
    Ok(())
}

/// The versions of a year's list, by version.
pub async fn list_versions(conn: &mut PgConnection, year: i32) -> Result<Vec<ListVersion>, sqlx::Error> {
    let rows: Vec<(Uuid, i32, String, NaiveDate)> =
        sqlx::query_as("SELECT id, version, status, effective_from FROM price_lists WHERE year = $1 ORDER BY version")
            .bind(year)
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().map(|(id, version, status, effective_from)| ListVersion { id, version, status, effective_from }).collect())
}

/// A new draft list version.
pub struct NewList<'a> {
    pub id: Uuid,
    pub year: i32,
    pub version: i32,
    pub effective_from: NaiveDate,
    pub created_by: &'a str,
    pub note: &'a str,
}

pub async fn insert_list(conn: &mut PgConnection, l: &NewList<'_>) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO price_lists (id, year, version, status, effective_from, created_by, note) VALUES ($1,$2,$3,'draft',$4,$5,$6)")
        .bind(l.id)
        .bind(l.year)
        .bind(l.version)
        .bind(l.effective_from)
        .bind(l.created_by)
        .bind(l.note)
        .execute(conn)
        .await?;
    Ok(())
}

/// Copies every price of list `from` into list `to`.
pub async fn copy_list_prices(conn: &mut PgConnection, from: Uuid, to: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO list_prices (price_list_id, product_code, unit_price, components)
         SELECT $1, product_code, unit_price, components FROM list_prices WHERE price_list_id = $2",
    )
    .bind(to)
    .bind(from)
    .execute(conn)
    .await?;
    Ok(())
}

/// Sets (or replaces) a product's price in a list.
pub async fn upsert_list_price(conn: &mut PgConnection, list_id: Uuid, product_code: &str, price: &PriceData) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO list_prices (price_list_id, product_code, unit_price, components) VALUES ($1,$2,$3,$4)
         ON CONFLICT (price_list_id, product_code) DO UPDATE SET unit_price = EXCLUDED.unit_price, components = EXCLUDED.components",
    )
    .bind(list_id)
    .bind(product_code)
    .bind(price.unit_price)
    .bind(components_json(price))
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a list to `status`; the group's approval is recorded when it becomes
/// `approved`, the publication instant when it becomes `published`.
pub async fn set_list_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    group_approved_on: Option<NaiveDate>,
    group_approval_ref: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE price_lists SET status = $2,
           group_approved_on = CASE WHEN $2 = 'approved' THEN $3 ELSE group_approved_on END,
           group_approval_ref = CASE WHEN $2 = 'approved' THEN $4 ELSE group_approval_ref END,
           published_at = CASE WHEN $2 = 'published' THEN now() ELSE published_at END
         WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(group_approved_on)
    .bind(group_approval_ref)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------- site- and customer-specific prices ----------

#[derive(sqlx::FromRow)]
struct OverrideRow {
    pub id: Uuid,
    pub scope: String,
    pub customer_id: Uuid,
    pub site_id: Option<Uuid>,
    pub product_code: String,
    pub unit_price: Decimal,
    pub components: serde_json::Value,
    pub effective_from: NaiveDate,
    pub reason: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub price_change_id: Option<Uuid>,
    pub site_name: Option<String>,
    pub customer_name: Option<String>,
    pub created_by_name: String,
}

/// A new site-specific (`site_id` given) or customer-specific price.
pub struct NewOverride<'a> {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub site_id: Option<Uuid>,
    pub product_code: &'a str,
    pub price: &'a PriceData,
    pub effective_from: NaiveDate,
    pub reason: &'a str,
    pub created_by: &'a str,
    /// The approved mid-year change it comes from.
    pub price_change_id: Option<Uuid>,
}

pub async fn insert_override(conn: &mut PgConnection, o: &NewOverride<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO price_overrides (id, scope, customer_id, site_id, product_code, unit_price, components, effective_from, reason, created_by, price_change_id)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
    )
    .bind(o.id)
    .bind(if o.site_id.is_some() { "site" } else { "customer" })
    .bind(o.customer_id)
    .bind(o.site_id)
    .bind(o.product_code)
    .bind(o.price.unit_price)
    .bind(components_json(o.price))
    .bind(o.effective_from)
    .bind(o.reason)
    .bind(o.created_by)
    .bind(o.price_change_id)
    .execute(conn)
    .await?;
    Ok(())
}

impl From<OverrideRow> for pb::PriceOverride {
    fn from(r: OverrideRow) -> Self {
        Self {
            id: r.id.to_string(),
            scope: if r.scope == "site" { pb::PriceSource::Site } else { pb::PriceSource::Customer } as i32,
            customer_id: r.customer_id.to_string(),
            site_id: r.site_id.map(|s| s.to_string()).unwrap_or_default(),
            price: Some(price_data(r.unit_price, r.components).to_proto(&r.product_code)),
            effective_from: Some(pb::Date::from_naive(r.effective_from)),
            reason: r.reason,
            created_by: r.created_by,
            created_at: ts(r.created_at),
            price_change_id: r.price_change_id.map(|c| c.to_string()).unwrap_or_default(),
            site_name: r.site_name.unwrap_or_default(),
            customer_name: r.customer_name.unwrap_or_default(),
            created_by_name: r.created_by_name,
        }
    }
}

const OVERRIDE_COLS: &str = concat!(
    "o.id, o.scope, o.customer_id, o.site_id, o.product_code, o.unit_price, o.components, o.effective_from, \
     o.reason, o.created_by, o.created_at, o.price_change_id, s.name AS site_name, c.name AS customer_name, ",
    actor_name_sql!("o.created_by"),
    " AS created_by_name"
);
const OVERRIDE_FROM: &str = "price_overrides o LEFT JOIN sites s ON s.id = o.site_id LEFT JOIN customers c ON c.id = o.customer_id";

pub async fn override_by_id(conn: &mut PgConnection, id: Uuid) -> Result<Option<pb::PriceOverride>, sqlx::Error> {
    let r: Option<OverrideRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {OVERRIDE_COLS} FROM {OVERRIDE_FROM} WHERE o.id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(r.map(Into::into))
}

/// Overrides of a customer (all its sites too) or of one site (plus its customer's), optionally one year.
pub async fn overrides(
    conn: &mut PgConnection,
    customer: Option<Uuid>,
    site: Option<Uuid>,
    year: Option<i32>,
) -> Result<Vec<pb::PriceOverride>, sqlx::Error> {
    let rows: Vec<OverrideRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {OVERRIDE_COLS} FROM {OVERRIDE_FROM}
         WHERE ($1::uuid IS NULL OR o.customer_id = $1)
           AND ($2::uuid IS NULL OR o.site_id = $2 OR (o.site_id IS NULL AND o.customer_id = (SELECT customer_id FROM sites WHERE id = $2)))
           AND ($3::int IS NULL OR extract(year FROM o.effective_from) = $3)
         ORDER BY o.effective_from, o.created_at"
    )))
    .bind(customer)
    .bind(site)
    .bind(year)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

// ---------- mid-year price changes ----------

#[derive(sqlx::FromRow)]
pub struct ChangeRow {
    pub id: Uuid,
    pub year: i32,
    pub effective_from: NaiveDate,
    pub reason: String,
    pub status: String,
    pub customer_ids: Vec<Uuid>,
    pub items: serde_json::Value,
    pub group_approved_on: Option<NaiveDate>,
    pub group_approval_ref: String,
    pub proposed_by: String,
    pub decided_by: String,
    pub decided_on: Option<NaiveDate>,
    pub decision_reason: String,
    pub created_at: DateTime<Utc>,
    pub proposed_by_name: String,
    pub decided_by_name: String,
}

const CHANGE_COLS: &str = concat!(
    "id, year, effective_from, reason, status, customer_ids, items, group_approved_on, group_approval_ref, \
     proposed_by, decided_by, decided_on, decision_reason, created_at, ",
    actor_name_sql!("proposed_by"),
    " AS proposed_by_name, ",
    actor_name_sql!("decided_by"),
    " AS decided_by_name"
);

pub async fn change_row(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<ChangeRow>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {CHANGE_COLS} FROM price_changes WHERE id = $1{lock}")))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// A proposed mid-year change.
pub struct NewChange<'a> {
    pub id: Uuid,
    pub effective_from: NaiveDate,
    pub reason: &'a str,
    pub customer_ids: &'a [Uuid],
    pub items: &'a [(String, PriceData)],
    pub proposed_by: &'a str,
}

pub async fn insert_change(conn: &mut PgConnection, c: &NewChange<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO price_changes (id, year, effective_from, reason, status, customer_ids, items, proposed_by)
         VALUES ($1,$2,$3,$4,'proposed',$5,$6,$7)",
    )
    .bind(c.id)
    .bind(c.effective_from.year())
    .bind(c.effective_from)
    .bind(c.reason)
    .bind(c.customer_ids)
    .bind(serde_json::to_value(c.items).unwrap_or_default())
    .bind(c.proposed_by)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn record_change_group_approval(conn: &mut PgConnection, id: Uuid, on: NaiveDate, reference: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE price_changes SET group_approved_on = $2, group_approval_ref = $3 WHERE id = $1")
        .bind(id)
        .bind(on)
        .bind(reference)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn decide_change(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    decided_by: &str,
    decided_on: NaiveDate,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE price_changes SET status = $2, decided_by = $3, decided_on = $4, decision_reason = $5 WHERE id = $1")
        .bind(id)
        .bind(status)
        .bind(decided_by)
        .bind(decided_on)
        .bind(reason)
        .execute(conn)
        .await?;
    Ok(())
}

pub fn change_items(r: &ChangeRow) -> Vec<(String, PriceData)> {
    serde_json::from_value(r.items.clone()).unwrap_or_default()
}

/// A change as its proto (with the customers' names).
pub async fn load_change(conn: &mut PgConnection, id: Uuid) -> Result<Option<pb::PriceChange>, sqlx::Error> {
    match change_row(&mut *conn, id, false).await? {
        Some(r) => Ok(Some(change_proto(conn, r).await?)),
        None => Ok(None),
    }
}

async fn change_proto(conn: &mut PgConnection, r: ChangeRow) -> Result<pb::PriceChange, sqlx::Error> {
    let names: Vec<(Uuid, String)> =
        sqlx::query_as("SELECT id, name FROM customers WHERE id = ANY($1)").bind(&r.customer_ids).fetch_all(conn).await?;
    let names: HashMap<Uuid, String> = names.into_iter().collect();
    Ok(pb::PriceChange {
        id: r.id.to_string(),
        year: r.year,
        effective_from: Some(pb::Date::from_naive(r.effective_from)),
        reason: r.reason.clone(),
        status: domain::change_status_from(&r.status),
        customer_ids: r.customer_ids.iter().map(Uuid::to_string).collect(),
        customer_names: r.customer_ids.iter().map(|c| names.get(c).cloned().unwrap_or_else(|| c.to_string())).collect(),
        items: change_items(&r).iter().map(|(code, p)| p.to_proto(code)).collect(),
        group_approved_on: r.group_approved_on.map(pb::Date::from_naive),
        group_approval_ref: r.group_approval_ref,
        proposed_by: r.proposed_by,
        decided_by: r.decided_by,
        decided_on: r.decided_on.map(pb::Date::from_naive),
        decision_reason: r.decision_reason,
        created_at: ts(r.created_at),
        proposed_by_name: r.proposed_by_name,
        decided_by_name: r.decided_by_name,
    })
}

pub async fn changes(conn: &mut PgConnection, year: Option<i32>, customer: Option<Uuid>) -> Result<Vec<pb::PriceChange>, sqlx::Error> {
    let rows: Vec<ChangeRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CHANGE_COLS} FROM price_changes WHERE ($1::int IS NULL OR year = $1) AND ($2::uuid IS NULL OR $2 = ANY(customer_ids))
         ORDER BY created_at DESC"
    )))
    .bind(year)
    .bind(customer)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(change_proto(&mut *conn, r).await?);
    }
    Ok(out)
}

// ---------- benchmarks, VAT, published reference data ----------

pub async fn insert_benchmark(conn: &mut PgConnection, b: &Benchmark, recorded_by: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO benchmarks (id, product_code, year, provider, unit_price, source, recorded_by) VALUES ($1,$2,$3,$4,$5,$6,$7)")
        .bind(b.id)
        .bind(&b.product_code)
        .bind(b.year)
        .bind(&b.provider)
        .bind(b.unit_price)
        .bind(&b.source)
        .bind(recorded_by)
        .execute(conn)
        .await?;
    Ok(())
}

/// Benchmarks (of one year), by year (newest first), product and price.
pub async fn benchmarks(conn: &mut PgConnection, year: Option<i32>) -> Result<Vec<Benchmark>, sqlx::Error> {
    let rows: Vec<(Uuid, String, i32, String, Decimal, String)> = sqlx::query_as(
        "SELECT id, product_code, year, provider, unit_price, source FROM benchmarks WHERE ($1::int IS NULL OR year = $1)
         ORDER BY year DESC, product_code, unit_price",
    )
    .bind(year)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, product_code, year, provider, unit_price, source)| Benchmark { id, product_code, year, provider, unit_price, source })
        .collect())
}

pub async fn vat_rows(conn: &mut PgConnection) -> Result<Vec<VatRow>, sqlx::Error> {
    let rows: Vec<(String, Decimal, NaiveDate, Option<NaiveDate>)> =
        sqlx::query_as("SELECT category, rate, valid_from, valid_to FROM vat_rates ORDER BY category, valid_from").fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(category, rate, valid_from, valid_to)| VatRow { category, rate, valid_from, valid_to }).collect())
}

pub fn vat_proto(rows: &[VatRow]) -> Vec<pb::VatRate> {
    rows.iter()
        .map(|r| pb::VatRate {
            category: domain::vat_from(&r.category),
            rate: r.rate.normalize().to_string(),
            valid_from: Some(pb::Date::from_naive(r.valid_from)),
            valid_to: r.valid_to.map(pb::Date::from_naive),
        })
        .collect()
}

/// The fingerprint of what was last published as `key` (locked until the transaction ends).
pub async fn published_fingerprint(conn: &mut PgConnection, key: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT fingerprint FROM published_state WHERE key = $1 FOR UPDATE").bind(key).fetch_optional(conn).await
}

pub async fn set_published_fingerprint(conn: &mut PgConnection, key: &str, fingerprint: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO published_state (key, fingerprint) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, at = now()",
    )
    .bind(key)
    .bind(fingerprint)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------- price resolution ----------

/// Loads everything needed to resolve prices in `years`, with one query per table.
pub async fn price_book(conn: &mut PgConnection, years: &[i32]) -> Result<PriceBook, sqlx::Error> {
    let mut book = PriceBook { products: products(&mut *conn).await?, vat: vat_rows(&mut *conn).await?, ..Default::default() };
    let lists: Vec<(Uuid, i32, i32, NaiveDate)> = sqlx::query_as(
        "SELECT id, year, version, effective_from FROM price_lists WHERE status = 'published' AND year = ANY($1) ORDER BY effective_from, version",
    )
    .bind(years)
    .fetch_all(&mut *conn)
    .await?;
    let prices: Vec<(Uuid, String, Decimal, serde_json::Value)> = sqlx::query_as(
        "SELECT lp.price_list_id, lp.product_code, lp.unit_price, lp.components FROM list_prices lp
         JOIN price_lists l ON l.id = lp.price_list_id WHERE l.status = 'published' AND l.year = ANY($1)",
    )
    .bind(years)
    .fetch_all(&mut *conn)
    .await?;
    let mut by_list: HashMap<Uuid, HashMap<String, PriceData>> = HashMap::new();
    for (list, code, price, comps) in prices {
        by_list.entry(list).or_default().insert(code, price_data(price, comps));
    }
    book.lists = lists
        .into_iter()
        .map(|(id, year, version, effective_from)| ListEntry {
            id,
            year,
            version,
            effective_from,
            prices: by_list.remove(&id).unwrap_or_default(),
        })
        .collect();
    let overrides: Vec<(Uuid, Uuid, Option<Uuid>, String, Decimal, serde_json::Value, NaiveDate)> = sqlx::query_as(
        "SELECT id, customer_id, site_id, product_code, unit_price, components, effective_from FROM price_overrides
         WHERE extract(year FROM effective_from)::int = ANY($1) ORDER BY effective_from, created_at",
    )
    .bind(years)
    .fetch_all(&mut *conn)
    .await?;
    for (id, customer, site, product, price, comps, effective_from) in overrides {
        let entry = OverrideEntry { id, effective_from, price: price_data(price, comps) };
        match site {
            Some(s) => book.site_overrides.entry((s, product)).or_default().push(entry),
            None => book.customer_overrides.entry((customer, product)).or_default().push(entry),
        }
    }
    let sites: Vec<(Uuid, Uuid)> = sqlx::query_as("SELECT id, customer_id FROM sites").fetch_all(&mut *conn).await?;
    book.site_customer = sites.into_iter().collect();
    let customers: Vec<(Uuid, String)> = sqlx::query_as("SELECT id, kind FROM customers").fetch_all(&mut *conn).await?;
    book.customer_kind = customers.into_iter().collect();
    Ok(book)
}
