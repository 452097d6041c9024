//! The photos of items: their bytes and who added them.

use super::Result;
use crate::photo::NewPhoto;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub struct PhotoRow {
    pub id: Uuid,
    pub item_id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size_bytes: i32,
    pub added_by: String,
    pub added_by_name: String,
    pub added_at: DateTime<Utc>,
}

pub async fn count(conn: &mut PgConnection, item: Uuid) -> Result<usize> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM photos WHERE item_id = $1").bind(item).fetch_one(conn).await?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

pub async fn insert(conn: &mut PgConnection, item: Uuid, photo: &NewPhoto, by: &str, at: DateTime<Utc>) -> Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO photos (id, item_id, filename, content_type, size_bytes, sha256, content, added_by, added_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(item)
    .bind(&photo.filename)
    .bind(photo.content_type)
    .bind(i32::try_from(photo.content.len()).unwrap_or(i32::MAX))
    .bind(Sha256::digest(&photo.content).to_vec())
    .bind(&photo.content)
    .bind(by)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(id)
}

/// The columns of [`PhotoRow`] (a macro, so the queries stay static strings).
macro_rules! columns {
    () => {
        concat!(
            "id, item_id, filename, content_type, size_bytes, added_by, ",
            kumppani_platform::actor_name_sql!("added_by"),
            " AS added_by_name, added_at"
        )
    };
}

/// An item's photos without their bytes, in the order they were added.
pub async fn list(conn: &mut PgConnection, item: Uuid) -> Result<Vec<PhotoRow>> {
    Ok(sqlx::query_as(concat!("SELECT ", columns!(), " FROM photos WHERE item_id = $1 ORDER BY added_at, id"))
        .bind(item)
        .fetch_all(conn)
        .await?)
}

#[derive(sqlx::FromRow)]
struct PhotoWithBytes {
    #[sqlx(flatten)]
    row: PhotoRow,
    content: Vec<u8>,
}

/// One photo of an item with its bytes.
pub async fn get(conn: &mut PgConnection, item: Uuid, id: Uuid) -> Result<Option<(PhotoRow, Vec<u8>)>> {
    let found: Option<PhotoWithBytes> =
        sqlx::query_as(concat!("SELECT ", columns!(), ", content FROM photos WHERE item_id = $1 AND id = $2"))
            .bind(item)
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(found.map(|f| (f.row, f.content)))
}
