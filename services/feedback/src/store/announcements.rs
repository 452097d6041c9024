//! SQL of announcements: writing one, the lists (a reader's: aimed at them and
//! in its window; staff's: all with read counts), reads, and the e-mail rows.

use chrono::{DateTime, Utc};
use kumppani_platform::actor_name_sql;
use sqlx::PgConnection;
use uuid::Uuid;

type Result<T> = std::result::Result<T, sqlx::Error>;

#[derive(sqlx::FromRow, Clone, Debug)]
pub struct AnnouncementRow {
    pub id: Uuid,
    pub title_fi: String,
    pub title_sv: String,
    pub title_en: String,
    pub body_fi: String,
    pub body_sv: String,
    pub body_en: String,
    pub customer_ids: Vec<Uuid>,
    pub unit_ids: Vec<Uuid>,
    pub site_kinds: Vec<i32>,
    pub site_ids: Vec<Uuid>,
    pub level: String,
    pub publish_from: DateTime<Utc>,
    pub publish_until: Option<DateTime<Utc>>,
    pub created_by_name: String,
    pub created_at: DateTime<Utc>,
    /// The caller has read it (reader lists; false in staff's).
    pub read: bool,
    pub read_count: i64,
}

/// A new announcement as validated.
pub struct NewAnnouncement {
    pub title: [String; 3],
    pub body: [String; 3],
    pub customer_ids: Vec<Uuid>,
    pub unit_ids: Vec<Uuid>,
    pub site_kinds: Vec<i32>,
    pub site_ids: Vec<Uuid>,
    pub level: &'static str,
    pub publish_from: DateTime<Utc>,
    pub publish_until: Option<DateTime<Utc>>,
}

const COLS: &str = concat!(
    "a.id, a.title_fi, a.title_sv, a.title_en, a.body_fi, a.body_sv, a.body_en, a.customer_ids, a.unit_ids, a.site_kinds, \
     a.site_ids, a.level, a.publish_from, a.publish_until, a.created_at, ",
    actor_name_sql!("a.created_by"),
    " AS created_by_name, (SELECT count(*) FROM announcement_reads r WHERE r.announcement_id = a.id) AS read_count"
);

pub async fn insert(conn: &mut PgConnection, id: Uuid, a: &NewAnnouncement, by: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO announcements (id, title_fi, title_sv, title_en, body_fi, body_sv, body_en, customer_ids, unit_ids, site_kinds,
                                    site_ids, level, publish_from, publish_until, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(id)
    .bind(&a.title[0])
    .bind(&a.title[1])
    .bind(&a.title[2])
    .bind(&a.body[0])
    .bind(&a.body[1])
    .bind(&a.body[2])
    .bind(&a.customer_ids)
    .bind(&a.unit_ids)
    .bind(&a.site_kinds)
    .bind(&a.site_ids)
    .bind(a.level)
    .bind(a.publish_from)
    .bind(a.publish_until)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn get(conn: &mut PgConnection, id: Uuid, subject: &str) -> Result<Option<AnnouncementRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS}, EXISTS (SELECT 1 FROM announcement_reads r WHERE r.announcement_id = a.id AND r.subject = $2) AS read
         FROM announcements a WHERE a.id = $1"
    )))
    .bind(id)
    .bind(subject)
    .fetch_optional(conn)
    .await
}

/// Who reads: their customer, their site (site users), their level.
pub struct Reader<'a> {
    pub subject: &'a str,
    pub customer: Uuid,
    pub site: Option<Uuid>,
    /// 'contract' or 'operational'.
    pub level: &'static str,
}

/// The SQL condition "in its window at $4".
const WINDOW: &str = "a.publish_from <= $4 AND (a.publish_until IS NULL OR a.publish_until > $4)";

/// The SQL condition "aimed at the reader": $1 customer, $2 site (NULL for a
/// customer's contact person: any of the customer's sites), $3 level.
const TARGET: &str = "(a.level = 'all' OR a.level = $3)
      AND ((cardinality(a.customer_ids) = 0 AND cardinality(a.unit_ids) = 0 AND cardinality(a.site_kinds) = 0 AND cardinality(a.site_ids) = 0)
        OR $1 = ANY (a.customer_ids)
        OR EXISTS (SELECT 1 FROM sites s WHERE s.customer_id = $1 AND ($2::uuid IS NULL OR s.id = $2)
                   AND (s.unit_id = ANY (a.unit_ids) OR s.kind = ANY (a.site_kinds) OR s.id = ANY (a.site_ids))))";

/// A reader's announcements, newest first; keyset (publish_from, id) descending.
pub async fn for_reader(
    conn: &mut PgConnection,
    r: &Reader<'_>,
    now: DateTime<Utc>,
    unread_only: bool,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<AnnouncementRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS}, EXISTS (SELECT 1 FROM announcement_reads r WHERE r.announcement_id = a.id AND r.subject = $5) AS read
         FROM announcements a
         WHERE {WINDOW} AND {TARGET}
           AND (NOT $6 OR NOT EXISTS (SELECT 1 FROM announcement_reads r WHERE r.announcement_id = a.id AND r.subject = $5))
           AND ($7::timestamptz IS NULL OR (a.publish_from, a.id) < ($7, $8))
         ORDER BY a.publish_from DESC, a.id DESC LIMIT $9"
    )))
    .bind(r.customer)
    .bind(r.site)
    .bind(r.level)
    .bind(now)
    .bind(r.subject)
    .bind(unread_only)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit + 1)
    .fetch_all(conn)
    .await
}

/// How many of the reader's announcements (in their window) they have not read.
pub async fn unread(conn: &mut PgConnection, r: &Reader<'_>, now: DateTime<Utc>) -> Result<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM announcements a WHERE {WINDOW} AND {TARGET}
           AND NOT EXISTS (SELECT 1 FROM announcement_reads r WHERE r.announcement_id = a.id AND r.subject = $5)"
    )))
    .bind(r.customer)
    .bind(r.site)
    .bind(r.level)
    .bind(now)
    .bind(r.subject)
    .fetch_one(conn)
    .await
}

/// Is the announcement aimed at the reader (whatever its window)?
pub async fn aimed_at(conn: &mut PgConnection, id: Uuid, r: &Reader<'_>) -> Result<bool> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT EXISTS (SELECT 1 FROM announcements a WHERE a.id = $4 AND {TARGET})")))
        .bind(r.customer)
        .bind(r.site)
        .bind(r.level)
        .bind(id)
        .fetch_one(conn)
        .await
}

/// Every announcement (staff), newest first.
pub async fn all(conn: &mut PgConnection, after: Option<(DateTime<Utc>, Uuid)>, limit: i64) -> Result<Vec<AnnouncementRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS}, false AS read FROM announcements a
         WHERE ($1::timestamptz IS NULL OR (a.publish_from, a.id) < ($1, $2))
         ORDER BY a.publish_from DESC, a.id DESC LIMIT $3"
    )))
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit + 1)
    .fetch_all(conn)
    .await
}

pub async fn mark_read(conn: &mut PgConnection, id: Uuid, subject: &str) -> Result<()> {
    sqlx::query("INSERT INTO announcement_reads (announcement_id, subject) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(id)
        .bind(subject)
        .execute(conn)
        .await?;
    Ok(())
}

/// The projected sites (id, customer, unit, kind) for matching contact persons.
pub async fn sites(conn: &mut PgConnection) -> Result<Vec<(Uuid, Uuid, Option<Uuid>, i32)>> {
    sqlx::query_as("SELECT id, customer_id, unit_id, kind FROM sites").fetch_all(conn).await
}

/// Every customer-side contact person as contracts published them.
pub async fn customer_contacts(conn: &mut PgConnection) -> Result<Vec<Vec<u8>>> {
    sqlx::query_scalar("SELECT contact FROM contacts WHERE party = 'customer' AND email <> ''").fetch_all(conn).await
}

/// Published announcements whose e-mail is not written yet, locked for this pass.
pub async fn to_mail(conn: &mut PgConnection, now: DateTime<Utc>) -> Result<Vec<AnnouncementRow>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS}, false AS read FROM announcements a
         WHERE a.mailed_at IS NULL AND a.publish_from <= $1 AND (a.publish_until IS NULL OR a.publish_until > $1)
         ORDER BY a.publish_from, a.id LIMIT 20 FOR UPDATE OF a SKIP LOCKED"
    )))
    .bind(now)
    .fetch_all(conn)
    .await
}

pub async fn write_mail(conn: &mut PgConnection, id: Uuid, recipients: &[String], now: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "INSERT INTO announcement_mail (announcement_id, recipient) SELECT $1, r FROM unnest($2::text[]) AS r ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(recipients)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE announcements SET mailed_at = $2 WHERE id = $1").bind(id).bind(now).execute(conn).await?;
    Ok(())
}

/// Unsent announcement e-mail written since `since`, locked for this sender: (announcement, recipient).
pub async fn unsent_mail(conn: &mut PgConnection, since: DateTime<Utc>, limit: i64) -> Result<Vec<(Uuid, String)>> {
    sqlx::query_as(
        "SELECT announcement_id, recipient FROM announcement_mail WHERE emailed_at IS NULL AND created_at >= $1
         ORDER BY created_at, recipient LIMIT $2 FOR UPDATE SKIP LOCKED",
    )
    .bind(since)
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn mail_sent(conn: &mut PgConnection, id: Uuid, recipient: &str) -> Result<()> {
    sqlx::query("UPDATE announcement_mail SET emailed_at = now() WHERE announcement_id = $1 AND recipient = $2")
        .bind(id)
        .bind(recipient)
        .execute(conn)
        .await?;
    Ok(())
}
