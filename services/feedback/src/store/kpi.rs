//! The KPI queries.

use super::Result;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub struct MonthRow {
    pub month: i32,
    pub received: i64,
    pub reclamations: i64,
    pub meals: i64,
    pub acknowledged: i64,
    pub acknowledged_in_time: i64,
    pub median_acknowledge_minutes: Option<f64>,
    pub p90_acknowledge_minutes: Option<f64>,
    pub resolved: i64,
    pub resolved_in_time: i64,
    pub median_resolve_minutes: Option<f64>,
    pub p90_resolve_minutes: Option<f64>,
    pub average_rating: Option<Decimal>,
}

/// Per month of `year` (Europe/Helsinki): received items and reclamations,
/// meals delivered (service days of the month), and of the clocks that
/// stopped that month the in-time count, median and p90 (clock minutes:
/// working minutes, or clock minutes for critical items), average rating.
pub async fn kpis(conn: &mut PgConnection, customer: Option<Uuid>, year: i32) -> Result<Vec<MonthRow>> {
    Ok(sqlx::query_as(
        "WITH i AS (SELECT * FROM items WHERE $1::uuid IS NULL OR customer_id = $1),
              rec AS (SELECT date_part('month', created_at AT TIME ZONE 'Europe/Helsinki')::int AS month, count(*) AS received,
                             count(*) FILTER (WHERE kind = 'reclamation') AS reclamations
                      FROM i WHERE date_part('year', created_at AT TIME ZONE 'Europe/Helsinki') = $2 GROUP BY 1),
              ack AS (SELECT date_part('month', acknowledged_at AT TIME ZONE 'Europe/Helsinki')::int AS month, count(*) AS n,
                             count(*) FILTER (WHERE acknowledge_elapsed_min <= acknowledge_minutes) AS in_time,
                             percentile_cont(0.5) WITHIN GROUP (ORDER BY acknowledge_elapsed_min) AS median,
                             percentile_cont(0.9) WITHIN GROUP (ORDER BY acknowledge_elapsed_min) AS p90
                      FROM i WHERE date_part('year', acknowledged_at AT TIME ZONE 'Europe/Helsinki') = $2 GROUP BY 1),
              res AS (SELECT date_part('month', resolved_at AT TIME ZONE 'Europe/Helsinki')::int AS month, count(*) AS n,
                             count(*) FILTER (WHERE resolve_elapsed_min <= resolve_minutes) AS in_time,
                             percentile_cont(0.5) WITHIN GROUP (ORDER BY resolve_elapsed_min) AS median,
                             percentile_cont(0.9) WITHIN GROUP (ORDER BY resolve_elapsed_min) AS p90,
                             avg(rating)::numeric(4, 2) AS rating
                      FROM i WHERE date_part('year', resolved_at AT TIME ZONE 'Europe/Helsinki') = $2 GROUP BY 1),
              meals AS (SELECT date_part('month', d.service_day)::int AS month, sum(d.quantity)::bigint AS n
                        FROM deliveries d JOIN products p ON p.code = d.product_code AND p.service_line = 'meals'
                        WHERE ($1::uuid IS NULL OR d.customer_id = $1) AND date_part('year', d.service_day) = $2 GROUP BY 1)
         SELECT m.month, COALESCE(rec.received, 0) AS received, COALESCE(rec.reclamations, 0) AS reclamations,
                COALESCE(meals.n, 0) AS meals,
                COALESCE(ack.n, 0) AS acknowledged, COALESCE(ack.in_time, 0) AS acknowledged_in_time,
                ack.median AS median_acknowledge_minutes, ack.p90 AS p90_acknowledge_minutes,
                COALESCE(res.n, 0) AS resolved, COALESCE(res.in_time, 0) AS resolved_in_time,
                res.median AS median_resolve_minutes, res.p90 AS p90_resolve_minutes, res.rating AS average_rating
         FROM generate_series(1, 12) AS m(month)
         LEFT JOIN rec USING (month) LEFT JOIN ack USING (month) LEFT JOIN res USING (month) LEFT JOIN meals USING (month)
         ORDER BY m.month",
    )
    .bind(customer)
    .bind(year)
    .fetch_all(conn)
    .await?)
}

/// When the open items (of a customer, or all) were received.
pub async fn open_since(conn: &mut PgConnection, customer: Option<Uuid>) -> Result<Vec<DateTime<Utc>>> {
    Ok(sqlx::query_scalar(
        "SELECT created_at FROM items WHERE status NOT IN ('resolved', 'closed') AND ($1::uuid IS NULL OR customer_id = $1)",
    )
    .bind(customer)
    .fetch_all(conn)
    .await?)
}
