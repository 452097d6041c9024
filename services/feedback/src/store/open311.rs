//! Open311 clients and the public view of Open311 requests.

use super::{ITEM_COLS, ItemRow, Result};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

#[derive(sqlx::FromRow)]
pub struct Open311ClientRow {
    pub name: String,
}

pub async fn open311_client(conn: &mut PgConnection, key_sha256: &[u8]) -> Result<Option<Open311ClientRow>> {
    Ok(sqlx::query_as("SELECT name FROM open311_clients WHERE key_sha256 = $1").bind(key_sha256).fetch_optional(conn).await?)
}

/// `false` when the name is taken.
pub async fn add_open311_client(conn: &mut PgConnection, name: &str, key_sha256: &[u8]) -> Result<bool> {
    let done = sqlx::query("INSERT INTO open311_clients (name, key_sha256) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(name)
        .bind(key_sha256)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Sites still open: (id, code, name, address).
pub async fn open_sites(conn: &mut PgConnection) -> Result<Vec<crate::open311::SiteRef>> {
    Ok(sqlx::query_as("SELECT id, code, name, address FROM sites WHERE closed_on IS NULL OR closed_on >= current_date ORDER BY code")
        .fetch_all(conn)
        .await?)
}

#[derive(sqlx::FromRow)]
pub struct Open311Row {
    #[sqlx(flatten)]
    pub item: ItemRow,
    pub site_code: String,
    pub site_address: String,
    pub updated_at: DateTime<Utc>,
}

pub struct Open311Filter {
    pub numbers: Vec<i64>,
    pub topic: Option<&'static str>,
    /// Some(true): open only; Some(false): closed (resolved or closed) only.
    pub open: Option<bool>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub limit: i64,
}

pub async fn open311_requests(conn: &mut PgConnection, f: &Open311Filter) -> Result<Vec<Open311Row>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ITEM_COLS}, COALESCE(s.code, '') AS site_code, COALESCE(s.address, '') AS site_address, i.updated_at
         FROM items i LEFT JOIN sites s ON s.id = i.site_id
         WHERE i.channel = 'open311' AND i.created_at >= $1 AND i.created_at <= $2
           AND (cardinality($3::bigint[]) = 0 OR i.number = ANY($3))
           AND ($4::text IS NULL OR i.topic = $4)
           AND ($5::boolean IS NULL OR (i.status NOT IN ('resolved', 'closed')) = $5)
         ORDER BY i.created_at DESC LIMIT $6"
    )))
    .bind(f.from)
    .bind(f.to)
    .bind(&f.numbers)
    .bind(f.topic)
    .bind(f.open)
    .bind(f.limit)
    .fetch_all(conn)
    .await?)
}
