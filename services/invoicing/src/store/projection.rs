//! Writes of the projections (see `crate::projection`): last write wins for
//! registry and price data (events carry whole records), deliveries keep their
//! highest version.

use chrono::NaiveDate;
use kumppani_price_rules::VatRow;
use kumppani_proto::pricing::v1 as pricing;
use prost::Message;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

type Result<T> = std::result::Result<T, sqlx::Error>;

pub async fn customer(
    conn: &mut PgConnection,
    id: Uuid,
    code: &str,
    name: &str,
    kind: &str,
    business_id: &str,
    billing: &serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO customers (id, code, name, kind, business_id, billing) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET code = $2, name = $3, kind = $4, business_id = $5, billing = $6, updated_at = now()",
    )
    .bind(id)
    .bind(code)
    .bind(name)
    .bind(kind)
    .bind(business_id)
    .bind(billing)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn unit(conn: &mut PgConnection, id: Uuid, customer: Uuid, name: &str, billing: &serde_json::Value) -> Result<()> {
    sqlx::query(
        "INSERT INTO units (id, customer_id, name, billing) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET customer_id = $2, name = $3, billing = $4",
    )
    .bind(id)
    .bind(customer)
    .bind(name)
    .bind(billing)
    .execute(conn)
    .await?;
    Ok(())
}

/// A unit known from a site event (before any customer event listed it).
pub async fn unit_name(conn: &mut PgConnection, id: Uuid, customer: Uuid, name: &str) -> Result<()> {
    sqlx::query("INSERT INTO units (id, customer_id, name) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET name = $3")
        .bind(id)
        .bind(customer)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

pub struct SiteRow {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub unit_id: Option<Uuid>,
    pub name: String,
    pub floor_area_m2: Decimal,
    pub opened_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
}

pub async fn site(conn: &mut PgConnection, s: &SiteRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO sites (id, customer_id, unit_id, name, floor_area_m2, opened_on, closed_on) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET customer_id = $2, unit_id = $3, name = $4, floor_area_m2 = $5, opened_on = $6, closed_on = $7",
    )
    .bind(s.id)
    .bind(s.customer_id)
    .bind(s.unit_id)
    .bind(&s.name)
    .bind(s.floor_area_m2)
    .bind(s.opened_on)
    .bind(s.closed_on)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn agreement(
    conn: &mut PgConnection,
    id: Uuid,
    customer: Uuid,
    year: i32,
    status: &str,
    lines: &serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO agreements (id, customer_id, year, status, lines) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET customer_id = $2, year = $3, status = $4, lines = $5",
    )
    .bind(id)
    .bind(customer)
    .bind(year)
    .bind(status)
    .bind(lines)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn product(conn: &mut PgConnection, p: &pricing::Product) -> Result<()> {
    let line = kumppani_platform::convert::service_line_text(p.service_line).unwrap_or("unknown");
    let unit = pricing::Unit::try_from(p.unit).map(|u| u.as_str_name()).unwrap_or("UNIT_UNSPECIFIED");
    let unit = unit.trim_start_matches("UNIT_").to_lowercase();
    sqlx::query(
        "INSERT INTO products (code, name, service_line, unit, proto) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (code) DO UPDATE SET name = $2, service_line = $3, unit = $4, proto = $5",
    )
    .bind(&p.code)
    .bind(&p.name)
    .bind(line)
    .bind(unit)
    .bind(p.encode_to_vec())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn price_list(
    conn: &mut PgConnection,
    id: Uuid,
    year: i32,
    version: i32,
    from: NaiveDate,
    prices: &serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO price_lists (id, year, version, effective_from, prices) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET year = $2, version = $3, effective_from = $4, prices = $5",
    )
    .bind(id)
    .bind(year)
    .bind(version)
    .bind(from)
    .bind(prices)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn price_override(
    conn: &mut PgConnection,
    id: Uuid,
    site: Option<Uuid>,
    customer: Option<Uuid>,
    product: &str,
    from: NaiveDate,
    price: &serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO price_overrides (id, site_id, customer_id, product_code, effective_from, price) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET site_id = $2, customer_id = $3, product_code = $4, effective_from = $5, price = $6",
    )
    .bind(id)
    .bind(site)
    .bind(customer)
    .bind(product)
    .bind(from)
    .bind(price)
    .execute(conn)
    .await?;
    Ok(())
}

/// The VAT table as it now stands replaces the previous one.
pub async fn vat_rates(conn: &mut PgConnection, rows: &[VatRow]) -> Result<()> {
    sqlx::query("DELETE FROM vat_rates").execute(&mut *conn).await?;
    for r in rows {
        sqlx::query("INSERT INTO vat_rates (category, rate, valid_from, valid_to) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
            .bind(&r.category)
            .bind(r.rate)
            .bind(r.valid_from)
            .bind(r.valid_to)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub struct DeliveryRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub customer_id: Uuid,
    pub service_day: NaiveDate,
    pub product_code: String,
    pub diet: String,
    pub quantity: i32,
    pub version: i32,
    pub reason: String,
}

/// Keeps the highest version of a delivery (events may arrive twice).
pub async fn delivery(conn: &mut PgConnection, d: &DeliveryRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO deliveries (id, site_id, customer_id, service_day, product_code, diet, quantity, version, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (id) DO UPDATE SET quantity = $7, version = $8, reason = $9, updated_at = now()
         WHERE deliveries.version < EXCLUDED.version",
    )
    .bind(d.id)
    .bind(d.site_id)
    .bind(d.customer_id)
    .bind(d.service_day)
    .bind(&d.product_code)
    .bind(&d.diet)
    .bind(d.quantity)
    .bind(d.version)
    .bind(&d.reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// A site's budget of a product for a year (the latest event wins).
pub async fn budget(conn: &mut PgConnection, customer: Uuid, site: Uuid, product: &str, year: i32, quantity: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO budgets (customer_id, site_id, product_code, year, quantity) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (site_id, product_code, year) DO UPDATE SET customer_id = $1, quantity = $5",
    )
    .bind(customer)
    .bind(site)
    .bind(product)
    .bind(year)
    .bind(quantity)
    .execute(conn)
    .await?;
    Ok(())
}
