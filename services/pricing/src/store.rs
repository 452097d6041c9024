//! SQL of the pricing schema: loaders that build protos and the [`PriceBook`].

use crate::domain::{self, ListEntry, OverrideEntry, PriceBook, PriceData, VatRow, fmt_money};
use chrono::{DateTime, NaiveDate, Utc};
use kumppani_proto::pricing::v1 as pb;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

pub use kumppani_platform::convert::timestamp as ts;

pub fn price_data(unit_price: Decimal, components: serde_json::Value) -> PriceData {
    PriceData { unit_price, components: serde_json::from_value(components).unwrap_or_default() }
}

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

#[derive(sqlx::FromRow)]
pub struct ListRow {
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
}

const LIST_COLS: &str = "id, year, version, status, effective_from, group_approved_on, group_approval_ref, published_at, created_by, note";

pub async fn list_row(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<ListRow>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {LIST_COLS} FROM price_lists WHERE id = $1{lock}")))
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn list_prices(conn: &mut PgConnection, list_id: Uuid) -> Result<Vec<(String, PriceData)>, sqlx::Error> {
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
    let Some(r) = list_row(&mut *conn, id, false).await? else { return Ok(None) };
    let prices = list_prices(conn, id).await?;
    Ok(Some(list_proto(r, prices)))
}

pub fn list_proto(r: ListRow, prices: Vec<(String, PriceData)>) -> pb::PriceList {
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

#[derive(sqlx::FromRow)]
pub struct OverrideRow {
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
        }
    }
}

const OVERRIDE_COLS: &str = "o.id, o.scope, o.customer_id, o.site_id, o.product_code, o.unit_price, o.components, o.effective_from, \
     o.reason, o.created_by, o.created_at, o.price_change_id, s.name AS site_name, c.name AS customer_name";
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
}

const CHANGE_COLS: &str = "id, year, effective_from, reason, status, customer_ids, items, group_approved_on, group_approval_ref, \
     proposed_by, decided_by, decided_on, decision_reason, created_at";

pub async fn change_row(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<ChangeRow>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {CHANGE_COLS} FROM price_changes WHERE id = $1{lock}")))
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub fn change_items(r: &ChangeRow) -> Vec<(String, PriceData)> {
    serde_json::from_value(r.items.clone()).unwrap_or_default()
}

pub async fn change_proto(conn: &mut PgConnection, r: ChangeRow) -> Result<pb::PriceChange, sqlx::Error> {
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

pub async fn benchmarks(conn: &mut PgConnection, year: Option<i32>) -> Result<Vec<pb::Benchmark>, sqlx::Error> {
    let rows: Vec<(Uuid, String, i32, String, Decimal, String)> = sqlx::query_as(
        "SELECT id, product_code, year, provider, unit_price, source FROM benchmarks WHERE ($1::int IS NULL OR year = $1)
         ORDER BY year DESC, product_code, unit_price",
    )
    .bind(year)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, product_code, year, provider, price, source)| pb::Benchmark {
            id: id.to_string(),
            product_code,
            year,
            provider,
            unit_price: fmt_money(price),
            source,
        })
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
