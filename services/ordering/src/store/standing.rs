//! SQL of standing orders, closures and the registry/catalogue projections.

use super::*;

// ---------- standing orders and closures ----------

type PatternRow = (Uuid, Uuid, String, String, NaiveDate, NaiveDate, Vec<i32>, bool, String, DateTime<Utc>);

/// The standing orders valid on some day of [from, to], optionally of one site and/or customer.
pub async fn patterns(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
    site: Option<Uuid>,
    customer: Option<Uuid>,
) -> Result<Vec<Pattern>> {
    let rows: Vec<PatternRow> = sqlx::query_as(
        "SELECT site_id, customer_id, product_code, diet, valid_from, valid_to, weekday_quantities, include_holidays, channel, created_at
         FROM standing_orders WHERE valid_from <= $2 AND valid_to >= $1 AND ($3::uuid IS NULL OR site_id = $3)
         AND ($4::uuid IS NULL OR customer_id = $4)",
    )
    .bind(from)
    .bind(to)
    .bind(site)
    .bind(customer)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(site, customer, product, diet, from, to, q, include_holidays, channel, created_at)| {
            let mut quantities = [0; 7];
            for (i, v) in q.into_iter().take(7).enumerate() {
                quantities[i] = v;
            }
            Pattern { site, customer, product, diet, from, to, quantities, include_holidays, channel, created_at }
        })
        .collect())
}

/// The closures overlapping [from, to], optionally of one site.
pub async fn closures_between(conn: &mut PgConnection, from: NaiveDate, to: NaiveDate, site: Option<Uuid>) -> Result<Vec<Closure>> {
    Ok(sqlx::query_as(
        "SELECT site_id, from_day, to_day FROM closures WHERE from_day <= $2 AND to_day >= $1 AND ($3::uuid IS NULL OR site_id = $3)",
    )
    .bind(from)
    .bind(to)
    .bind(site)
    .fetch_all(conn)
    .await?)
}

/// A standing order as stored.
#[derive(sqlx::FromRow)]
pub struct StandingOrderRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub product_code: String,
    pub diet: String,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
    pub weekday_quantities: Vec<i32>,
    pub include_holidays: bool,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

impl StandingOrderRow {
    pub fn to_proto(&self) -> pb::StandingOrder {
        pb::StandingOrder {
            id: self.id.to_string(),
            site_id: self.site_id.to_string(),
            product_code: self.product_code.clone(),
            diet: self.diet.clone(),
            valid_from: Some(pb::Date::from_naive(self.valid_from)),
            valid_to: Some(pb::Date::from_naive(self.valid_to)),
            weekday_quantities: self.weekday_quantities.clone(),
            include_holidays: self.include_holidays,
            created_by: self.created_by.clone(),
            created_at: ts(self.created_at),
        }
    }
}

/// Stores a new standing order (`created_at` is set by the database and returned in the row).
pub async fn insert_standing_order(
    conn: &mut PgConnection,
    mut row: StandingOrderRow,
    customer: Uuid,
    channel: &str,
) -> Result<StandingOrderRow> {
    row.created_at = sqlx::query_scalar(
        "INSERT INTO standing_orders (id, site_id, customer_id, product_code, diet, valid_from, valid_to, weekday_quantities, include_holidays, channel, created_by)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING created_at",
    )
    .bind(row.id)
    .bind(row.site_id)
    .bind(customer)
    .bind(&row.product_code)
    .bind(&row.diet)
    .bind(row.valid_from)
    .bind(row.valid_to)
    .bind(&row.weekday_quantities)
    .bind(row.include_holidays)
    .bind(channel)
    .bind(&row.created_by)
    .fetch_one(conn)
    .await?;
    Ok(row)
}

/// A site's standing orders, newest first.
pub async fn site_standing_orders(conn: &mut PgConnection, site: Uuid) -> Result<Vec<StandingOrderRow>> {
    Ok(sqlx::query_as(
        "SELECT id, site_id, product_code, diet, valid_from, valid_to, weekday_quantities, include_holidays, created_by, created_at
         FROM standing_orders WHERE site_id = $1 ORDER BY created_at DESC",
    )
    .bind(site)
    .fetch_all(conn)
    .await?)
}

/// A closure as stored.
#[derive(sqlx::FromRow)]
pub struct ClosureRow {
    pub id: Uuid,
    pub site_id: Uuid,
    pub from_day: NaiveDate,
    pub to_day: NaiveDate,
    pub reason: String,
}

impl ClosureRow {
    pub fn to_proto(&self) -> pb::Closure {
        pb::Closure {
            id: self.id.to_string(),
            site_id: self.site_id.to_string(),
            from: Some(pb::Date::from_naive(self.from_day)),
            to: Some(pb::Date::from_naive(self.to_day)),
            reason: self.reason.clone(),
        }
    }
}

pub async fn insert_closure(conn: &mut PgConnection, c: &ClosureRow, by: &str) -> Result<()> {
    sqlx::query("INSERT INTO closures (id, site_id, from_day, to_day, reason, created_by) VALUES ($1,$2,$3,$4,$5,$6)")
        .bind(c.id)
        .bind(c.site_id)
        .bind(c.from_day)
        .bind(c.to_day)
        .bind(&c.reason)
        .bind(by)
        .execute(conn)
        .await?;
    Ok(())
}

/// A site's closures by first day.
pub async fn site_closures(conn: &mut PgConnection, site: Uuid) -> Result<Vec<ClosureRow>> {
    Ok(sqlx::query_as("SELECT id, site_id, from_day, to_day, reason FROM closures WHERE site_id = $1 ORDER BY from_day")
        .bind(site)
        .fetch_all(conn)
        .await?)
}

/// Takes the transaction-scoped lock of the daily materialization; false when another replica holds it.
pub async fn try_materialize_lock(conn: &mut PgConnection) -> Result<bool> {
    Ok(sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtext('ordering-materialize'))").fetch_one(conn).await?)
}

// ---------- projections ----------
// The consumers' writes return the database's own error, which the consumer
// logs and, after its last attempt, puts in the dead letter.

pub async fn project_customer(conn: &mut PgConnection, id: Uuid, name: &str) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO customers (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name")
        .bind(id)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

/// A site as the registry events carry it; `every_day`: open on weekends and public holidays too.
pub async fn project_site(conn: &mut PgConnection, id: Uuid, site: &Site) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO sites (id, customer_id, name, closed_on, opening_schedule) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET customer_id = EXCLUDED.customer_id, name = EXCLUDED.name, closed_on = EXCLUDED.closed_on,
             opening_schedule = EXCLUDED.opening_schedule, updated_at = now()",
    )
    .bind(id)
    .bind(site.customer)
    .bind(&site.name)
    .bind(site.closed_on)
    .bind(if site.every_day { "every_day" } else { "weekdays" })
    .execute(conn)
    .await?;
    Ok(())
}

/// `lines` as stored: `[{"service_line": "...", "site_ids": ["..."]}]`.
pub async fn project_agreement(
    conn: &mut PgConnection,
    id: Uuid,
    customer: Uuid,
    year: i32,
    status: &str,
    lines: serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO agreements (id, customer_id, year, status, lines) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, lines = EXCLUDED.lines, updated_at = now()",
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

pub async fn project_product(conn: &mut PgConnection, code: &str, name: &str, service_line: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO products (code, name, service_line) VALUES ($1, $2, $3)
         ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, service_line = EXCLUDED.service_line",
    )
    .bind(code)
    .bind(name)
    .bind(service_line)
    .execute(conn)
    .await?;
    Ok(())
}
