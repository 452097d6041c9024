//! All SQL of the feedback schema. Every function takes a connection, so the
//! caller composes one transaction with the outbox write.

use chrono::{DateTime, NaiveDate, Utc};
use kumppani_platform::AppError;
use kumppani_proto::contracts::v1 as contracts;
use prost::Message as _;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

pub mod announcements;
mod kpi;
mod open311;
pub mod photo;
mod sla;
mod survey;

pub use kpi::*;
pub use open311::*;
pub use sla::*;
pub use survey::*;

type Result<T> = std::result::Result<T, AppError>;
pub type Pause = (DateTime<Utc>, Option<DateTime<Utc>>);

// ---------- projections ----------

pub async fn project_customer(conn: &mut PgConnection, id: Uuid, code: &str, name: &str) -> Result<()> {
    sqlx::query("INSERT INTO customers (id, code, name) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET code = $2, name = $3")
        .bind(id)
        .bind(code)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

pub struct SiteFacts<'a> {
    pub id: Uuid,
    pub customer: Uuid,
    pub unit: Option<Uuid>,
    pub code: &'a str,
    pub name: &'a str,
    pub address: &'a str,
    pub closed_on: Option<NaiveDate>,
    /// contracts' SiteKind number.
    pub kind: i32,
}

pub async fn project_site(conn: &mut PgConnection, s: &SiteFacts<'_>) -> Result<()> {
    sqlx::query(
        "INSERT INTO sites (id, customer_id, unit_id, code, name, address, closed_on, kind) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (id) DO UPDATE SET customer_id = $2, unit_id = $3, code = $4, name = $5, address = $6, closed_on = $7, kind = $8",
    )
    .bind(s.id)
    .bind(s.customer)
    .bind(s.unit)
    .bind(s.code)
    .bind(s.name)
    .bind(s.address)
    .bind(s.closed_on)
    .bind(s.kind)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn project_contact(conn: &mut PgConnection, id: Uuid, customer: Uuid, c: &contracts::Contact) -> Result<()> {
    let party = if c.party == contracts::Party::Enterprise as i32 { "producer" } else { "customer" };
    sqlx::query(
        "INSERT INTO contacts (id, customer_id, party, email, contact) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET customer_id = $2, party = $3, email = $4, contact = $5",
    )
    .bind(id)
    .bind(customer)
    .bind(party)
    .bind(c.email.to_lowercase())
    .bind(c.encode_to_vec())
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn project_agreement(conn: &mut PgConnection, id: Uuid, customer: Uuid, year: i32, status: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO agreements (id, customer_id, year, status) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET customer_id = $2, year = $3, status = $4",
    )
    .bind(id)
    .bind(customer)
    .bind(year)
    .bind(status)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn project_product(conn: &mut PgConnection, code: &str, name: &str, service_line: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO products (code, name, service_line) VALUES ($1, $2, $3) ON CONFLICT (code) DO UPDATE SET name = $2, service_line = $3",
    )
    .bind(code)
    .bind(name)
    .bind(service_line)
    .execute(conn)
    .await?;
    Ok(())
}

/// A delivery as confirmed or corrected; an older version never overwrites a newer one.
pub async fn project_delivery(
    conn: &mut PgConnection,
    id: Uuid,
    customer: Uuid,
    day: NaiveDate,
    product: &str,
    quantity: i32,
    version: i32,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO deliveries (id, customer_id, service_day, product_code, quantity, version) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET quantity = $5, version = $6 WHERE deliveries.version < $6",
    )
    .bind(id)
    .bind(customer)
    .bind(day)
    .bind(product)
    .bind(quantity)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------- reads of the projection ----------

/// An agreement's customer, if the projection knows the agreement.
pub async fn agreement_customer(conn: &mut PgConnection, id: Uuid) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar("SELECT customer_id FROM agreements WHERE id = $1").bind(id).fetch_optional(conn).await?)
}

/// A site's unit, if it has one.
pub async fn site_unit(conn: &mut PgConnection, site: Uuid) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar::<_, Option<Uuid>>("SELECT unit_id FROM sites WHERE id = $1").bind(site).fetch_optional(conn).await?.flatten())
}

/// A site's customer, if the projection knows the site.
pub async fn site_customer(conn: &mut PgConnection, site: Uuid) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar("SELECT customer_id FROM sites WHERE id = $1").bind(site).fetch_optional(conn).await?)
}

pub async fn product_exists(conn: &mut PgConnection, code: &str) -> Result<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM products WHERE code = $1)").bind(code).fetch_one(conn).await?)
}

fn decode_contacts(rows: Vec<Vec<u8>>) -> Vec<contracts::Contact> {
    rows.into_iter().filter_map(|b| contracts::Contact::decode(b.as_slice()).ok()).collect()
}

/// Every contact person of a customer (both parties).
pub async fn contacts_of(conn: &mut PgConnection, customer: Uuid) -> Result<Vec<contracts::Contact>> {
    let rows: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT contact FROM contacts WHERE customer_id = $1").bind(customer).fetch_all(conn).await?;
    Ok(decode_contacts(rows))
}

/// The e-mail language of each address the registry knows one for (keyed by
/// the lower-cased address): a person listed in several scopes with a
/// language in one of them has that one.
pub async fn languages<'a>(
    conn: &mut PgConnection,
    emails: impl IntoIterator<Item = &'a str>,
) -> Result<std::collections::HashMap<String, String>> {
    let emails: Vec<String> = emails.into_iter().map(|e| e.trim().to_lowercase()).collect();
    let rows: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT contact FROM contacts WHERE lower(email) = ANY($1)").bind(&emails).fetch_all(conn).await?;
    Ok(decode_contacts(rows).into_iter().filter(|c| !c.language.is_empty()).map(|c| (c.email.trim().to_lowercase(), c.language)).collect())
}

pub async fn contact(conn: &mut PgConnection, id: Uuid) -> Result<Option<contracts::Contact>> {
    let row: Option<Vec<u8>> = sqlx::query_scalar("SELECT contact FROM contacts WHERE id = $1").bind(id).fetch_optional(conn).await?;
    Ok(decode_contacts(row.into_iter().collect()).pop())
}

/// The SLA target for an item: the own target of the customer's agreement in
/// force that year (signed or active; a draft or one still being negotiated
/// binds nobody yet) before the default, a topic's before "every topic".
pub async fn sla_target(conn: &mut PgConnection, severity: &str, topic: &str, customer: Uuid, year: i32) -> Result<(i32, i32, bool)> {
    let row: Option<(i32, i32, bool)> = sqlx::query_as(
        "SELECT t.acknowledge_minutes, t.resolve_minutes, t.around_the_clock FROM sla_targets t
         WHERE t.severity = $1 AND (t.topic IS NULL OR t.topic = $2)
           AND (t.agreement_id IS NULL OR t.agreement_id IN (
                SELECT id FROM agreements WHERE customer_id = $3 AND year = $4 AND status IN ('signed', 'active')))
         ORDER BY (t.agreement_id IS NOT NULL) DESC, (t.topic IS NOT NULL) DESC LIMIT 1",
    )
    .bind(severity)
    .bind(topic)
    .bind(customer)
    .bind(year)
    .fetch_optional(conn)
    .await?;
    row.ok_or_else(|| AppError::internal(format!("no SLA target for severity {severity}")))
}

#[derive(sqlx::FromRow)]
pub struct TargetRow {
    pub id: Uuid,
    pub severity: String,
    pub topic: Option<String>,
    pub agreement_id: Option<Uuid>,
    pub acknowledge_minutes: i32,
    pub resolve_minutes: i32,
    pub around_the_clock: bool,
}

const TARGET_COLS: &str = "id, severity, topic, agreement_id, acknowledge_minutes, resolve_minutes, around_the_clock";

pub async fn targets(conn: &mut PgConnection, agreement: Option<Uuid>) -> Result<Vec<TargetRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {TARGET_COLS} FROM sla_targets WHERE agreement_id IS NULL OR agreement_id = $1
         ORDER BY agreement_id NULLS FIRST, array_position(ARRAY['normal','urgent','critical'], severity), topic NULLS FIRST"
    )))
    .bind(agreement)
    .fetch_all(conn)
    .await?)
}

pub async fn agreement_exists(conn: &mut PgConnection, id: Uuid) -> Result<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM agreements WHERE id = $1)").bind(id).fetch_one(conn).await?)
}

pub async fn set_target(
    conn: &mut PgConnection,
    (severity, topic, agreement): (&str, Option<&str>, Option<Uuid>),
    ack: i32,
    resolve: i32,
    around_the_clock: bool,
) -> Result<TargetRow> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO sla_targets ({TARGET_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (severity, topic, agreement_id) DO UPDATE
             SET acknowledge_minutes = $5, resolve_minutes = $6, around_the_clock = $7
         RETURNING {TARGET_COLS}"
    )))
    .bind(Uuid::now_v7())
    .bind(severity)
    .bind(topic)
    .bind(agreement)
    .bind(ack)
    .bind(resolve)
    .bind(around_the_clock)
    .fetch_one(conn)
    .await?)
}

// ---------- items ----------

#[derive(sqlx::FromRow, Clone)]
pub struct ItemRow {
    pub id: Uuid,
    pub number: i64,
    pub kind: String,
    pub topic: String,
    pub severity: String,
    pub status: String,
    pub channel: String,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub site_id: Uuid,
    pub site_name: String,
    pub service_day: Option<NaiveDate>,
    pub product_code: String,
    pub product_name: String,
    pub description: String,
    pub submitted_by: String,
    pub submitted_by_name: String,
    pub contact_name: String,
    pub contact_email: String,
    pub handler: serde_json::Value,
    pub manager: serde_json::Value,
    pub acknowledge_minutes: i32,
    pub resolve_minutes: i32,
    pub around_the_clock: bool,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub acknowledge_warned_at: Option<DateTime<Utc>>,
    pub acknowledge_breached_at: Option<DateTime<Utc>>,
    pub resolve_warned_at: Option<DateTime<Utc>>,
    pub resolve_breached_at: Option<DateTime<Utc>>,
    pub escalated: bool,
    pub recurring: bool,
    pub corrective_action: String,
    pub compensation_amount: Option<Decimal>,
    pub compensation_reason: String,
    pub rating: Option<i32>,
    pub rating_comment: String,
    pub created_at: DateTime<Utc>,
    pub version: i32,
    pub due_at: Option<DateTime<Utc>>,
}

const ITEM_COLS: &str = concat!(
    "i.id, i.number, i.kind, i.topic, i.severity, i.status, i.channel, i.customer_id,
     COALESCE((SELECT name FROM customers WHERE id = i.customer_id), '') AS customer_name,
     i.site_id, COALESCE((SELECT name FROM sites WHERE id = i.site_id), '') AS site_name,
     i.service_day, i.product_code, COALESCE((SELECT name FROM products WHERE code = i.product_code), '') AS product_name,
     i.description, i.submitted_by, ",
    kumppani_platform::actor_name_sql!("i.submitted_by"),
    " AS submitted_by_name, i.contact_name, i.contact_email, i.handler, i.manager,
     i.acknowledge_minutes, i.resolve_minutes, i.around_the_clock, i.acknowledged_at, i.resolved_at,
     i.acknowledge_warned_at, i.acknowledge_breached_at, i.resolve_warned_at, i.resolve_breached_at,
     i.escalated, i.recurring, i.corrective_action, i.compensation_amount, i.compensation_reason,
     i.rating, i.rating_comment, i.created_at, i.version, i.due_at"
);

/// A person as an item keeps them (handler, manager).
#[derive(serde::Serialize, serde::Deserialize, Default, Debug, Clone, PartialEq)]
pub struct Person {
    #[serde(default)]
    pub contact_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub title: String,
}

impl Person {
    pub fn of(c: &contracts::Contact) -> Self {
        Self { contact_id: c.id.clone(), name: c.name.clone(), email: c.email.to_lowercase(), title: c.title.clone() }
    }
    pub fn from_json(v: &serde_json::Value) -> Self {
        serde_json::from_value(v.clone()).unwrap_or_default()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

pub async fn item_by_key(conn: &mut PgConnection, subject: &str, key: &str) -> Result<Option<Uuid>> {
    Ok(sqlx::query_scalar("SELECT id FROM items WHERE submitted_by = $1 AND idempotency_key = $2")
        .bind(subject)
        .bind(key)
        .fetch_optional(conn)
        .await?)
}

pub struct Insert<'a> {
    pub id: Uuid,
    pub item: &'a crate::domain::NewItem,
    pub customer: Uuid,
    pub submitted_by: &'a str,
    pub handler: Person,
    pub manager: Person,
    pub target: (i32, i32, bool),
    pub recurring: bool,
    pub at: DateTime<Utc>,
}

/// Inserts an item; `false` when the same submitter's idempotency key was
/// taken meanwhile (the caller answers with that item).
pub async fn insert_item(conn: &mut PgConnection, x: Insert<'_>) -> Result<bool> {
    let n = x.item;
    let key = (!n.idempotency_key.is_empty()).then_some(n.idempotency_key.as_str());
    let done = sqlx::query(
        "INSERT INTO items (id, kind, topic, severity, status, channel, customer_id, site_id, service_day, product_code, description,
                            submitted_by, contact_name, contact_email, handler, manager, acknowledge_minutes, resolve_minutes,
                            around_the_clock, recurring, idempotency_key, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'received', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21)
         ON CONFLICT (submitted_by, idempotency_key) DO NOTHING",
    )
    .bind(x.id)
    .bind(n.kind)
    .bind(n.topic)
    .bind(n.severity)
    .bind(n.channel)
    .bind(x.customer)
    .bind(n.site)
    .bind(n.service_day)
    .bind(&n.product_code)
    .bind(&n.description)
    .bind(x.submitted_by)
    .bind(&n.contact_name)
    .bind(&n.contact_email)
    .bind(x.handler.json())
    .bind(x.manager.json())
    .bind(x.target.0)
    .bind(x.target.1)
    .bind(x.target.2)
    .bind(x.recurring)
    .bind(key)
    .bind(x.at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Items of a site and topic since `since` (the new one included once inserted).
pub async fn count_recent(conn: &mut PgConnection, site: Uuid, topic: &str, since: DateTime<Utc>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM items WHERE site_id = $1 AND topic = $2 AND created_at >= $3 AND kind IN ('reclamation', 'feedback')",
    )
    .bind(site)
    .bind(topic)
    .bind(since)
    .fetch_one(conn)
    .await?)
}

pub async fn item(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<ItemRow>> {
    let lock = if lock { " FOR UPDATE OF i" } else { "" };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {ITEM_COLS} FROM items i WHERE i.id = $1{lock}")))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// The filters of a list, already scoped to the caller.
#[derive(Default)]
pub struct ListFilter {
    pub customer: Option<Uuid>,
    pub site: Option<Uuid>,
    pub statuses: Vec<&'static str>,
    pub handler_email: Option<String>,
    /// Keyset: items after this (created_at, id) newest first, or (due time, id) in the queue order.
    pub before: Option<(DateTime<Utc>, Uuid)>,
    /// The staff queue's order: soonest due first, clocks that stand still last.
    pub by_due: bool,
    pub limit: i64,
}

/// The queue's sort key of an item without a running clock (after every real due time).
pub fn queue_key(due_at: Option<DateTime<Utc>>) -> DateTime<Utc> {
    due_at.unwrap_or(DateTime::<Utc>::MAX_UTC)
}

pub async fn list(conn: &mut PgConnection, f: &ListFilter) -> Result<Vec<ItemRow>> {
    let (before_at, before_id) = f.before.map_or((None, None), |(a, b)| (Some(a), Some(b)));
    // 'infinity' sorts after every time, as DateTime::MAX_UTC does for the page token.
    let (after, order) = if f.by_due {
        (
            "(COALESCE(i.due_at, 'infinity'), i.id) > (CASE WHEN $5 >= '262142-12-31' THEN 'infinity' ELSE $5 END, $6)",
            "COALESCE(i.due_at, 'infinity'), i.id",
        )
    } else {
        ("(i.created_at, i.id) < ($5, $6)", "i.created_at DESC, i.id DESC")
    };
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ITEM_COLS} FROM items i
         WHERE ($1::uuid IS NULL OR i.customer_id = $1) AND ($2::uuid IS NULL OR i.site_id = $2)
           AND (cardinality($3::text[]) = 0 OR i.status = ANY($3))
           AND ($4::text IS NULL OR lower(i.handler->>'email') = $4)
           AND ($5::timestamptz IS NULL OR {after})
         ORDER BY {order} LIMIT $7"
    )))
    .bind(f.customer)
    .bind(f.site)
    .bind(&f.statuses)
    .bind(f.handler_email.as_deref())
    .bind(before_at)
    .bind(before_id)
    .bind(f.limit)
    .fetch_all(conn)
    .await?)
}

/// The pauses of some items, oldest first.
pub async fn pauses(conn: &mut PgConnection, items: &[Uuid]) -> Result<HashMap<Uuid, Vec<Pause>>> {
    let rows: Vec<(Uuid, DateTime<Utc>, Option<DateTime<Utc>>)> =
        sqlx::query_as("SELECT item_id, started_at, ended_at FROM pauses WHERE item_id = ANY($1) ORDER BY started_at")
            .bind(items)
            .fetch_all(conn)
            .await?;
    let mut out: HashMap<Uuid, Vec<Pause>> = HashMap::new();
    for (item, s, e) in rows {
        out.entry(item).or_default().push((s, e));
    }
    Ok(out)
}

pub async fn start_pause(conn: &mut PgConnection, item: Uuid, at: DateTime<Utc>) -> Result<()> {
    sqlx::query("INSERT INTO pauses (item_id, started_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(item)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn end_pauses(conn: &mut PgConnection, item: Uuid, at: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE pauses SET ended_at = $2 WHERE item_id = $1 AND ended_at IS NULL").bind(item).bind(at).execute(conn).await?;
    Ok(())
}

/// A status change with what it stops (NULL leaves a column as it is).
pub struct StatusUpdate<'a> {
    pub status: &'a str,
    pub acknowledged: Option<(DateTime<Utc>, i32)>,
    pub resolved: Option<(DateTime<Utc>, i32)>,
    pub reopened: bool,
    pub closed: Option<DateTime<Utc>>,
    pub corrective_action: Option<&'a str>,
    pub compensation: Option<(Decimal, &'a str)>,
}

pub async fn update_status(conn: &mut PgConnection, id: Uuid, u: &StatusUpdate<'_>) -> Result<()> {
    sqlx::query(
        "UPDATE items SET status = $2,
             acknowledged_at = COALESCE(acknowledged_at, $3), acknowledge_elapsed_min = COALESCE(acknowledge_elapsed_min, $4),
             resolved_at = CASE WHEN $7 THEN NULL ELSE COALESCE($5, resolved_at) END,
             resolve_elapsed_min = CASE WHEN $7 THEN NULL ELSE COALESCE($6, resolve_elapsed_min) END,
             closed_at = CASE WHEN $7 THEN NULL ELSE COALESCE($8, closed_at) END,
             corrective_action = COALESCE($9, corrective_action),
             compensation_amount = COALESCE($10, compensation_amount), compensation_reason = COALESCE($11, compensation_reason),
             updated_at = now(), version = version + 1
         WHERE id = $1",
    )
    .bind(id)
    .bind(u.status)
    .bind(u.acknowledged.map(|a| a.0))
    .bind(u.acknowledged.map(|a| a.1))
    .bind(u.resolved.map(|a| a.0))
    .bind(u.resolved.map(|a| a.1))
    .bind(u.reopened)
    .bind(u.closed)
    .bind(u.corrective_action)
    .bind(u.compensation.map(|c| c.0))
    .bind(u.compensation.map(|c| c.1))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_handler(conn: &mut PgConnection, id: Uuid, handler: &Person) -> Result<()> {
    sqlx::query("UPDATE items SET handler = $2, updated_at = now(), version = version + 1 WHERE id = $1")
        .bind(id)
        .bind(handler.json())
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn set_rating(conn: &mut PgConnection, id: Uuid, rating: i32, comment: &str) -> Result<()> {
    sqlx::query("UPDATE items SET rating = $2, rating_comment = $3, updated_at = now(), version = version + 1 WHERE id = $1")
        .bind(id)
        .bind(rating)
        .bind(comment)
        .execute(conn)
        .await?;
    Ok(())
}

/// When the SLA job must look at the item next and when it is due (`None`: no clock runs).
pub async fn set_clock_marks(
    conn: &mut PgConnection,
    id: Uuid,
    next_alarm: Option<DateTime<Utc>>,
    due: Option<DateTime<Utc>>,
) -> Result<()> {
    sqlx::query("UPDATE items SET next_alarm_at = $2, due_at = $3 WHERE id = $1").bind(id).bind(next_alarm).bind(due).execute(conn).await?;
    Ok(())
}

pub async fn set_escalated(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    sqlx::query("UPDATE items SET escalated = true WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

// ---------- thread and history ----------

pub async fn add_history(conn: &mut PgConnection, item: Uuid, change: &str, detail: &str, by: &str, at: DateTime<Utc>) -> Result<()> {
    sqlx::query("INSERT INTO history (item_id, change, detail, by_subject, at) VALUES ($1, $2, $3, $4, $5)")
        .bind(item)
        .bind(change)
        .bind(detail)
        .bind(by)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn add_message(
    conn: &mut PgConnection,
    item: Uuid,
    body: &str,
    internal: bool,
    author: &str,
    from_staff: bool,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("INSERT INTO messages (id, item_id, body, internal, author, from_staff, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(Uuid::now_v7())
        .bind(item)
        .bind(body)
        .bind(internal)
        .bind(author)
        .bind(from_staff)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    touch(conn, item).await
}

/// A change that is not a status change (a message, photos added): the item's version moves on.
pub async fn touch(conn: &mut PgConnection, item: Uuid) -> Result<()> {
    sqlx::query("UPDATE items SET updated_at = now(), version = version + 1 WHERE id = $1").bind(item).execute(conn).await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
pub struct MessageRow {
    pub id: Uuid,
    pub body: String,
    pub internal: bool,
    pub author: String,
    pub author_name: String,
    pub from_staff: bool,
    pub created_at: DateTime<Utc>,
}

pub async fn messages(conn: &mut PgConnection, item: Uuid, internal_too: bool) -> Result<Vec<MessageRow>> {
    Ok(sqlx::query_as(concat!(
        "SELECT id, body, internal, author, ",
        kumppani_platform::actor_name_sql!("author"),
        " AS author_name, from_staff, created_at FROM messages WHERE item_id = $1 AND (NOT internal OR $2) ORDER BY created_at, id"
    ))
    .bind(item)
    .bind(internal_too)
    .fetch_all(conn)
    .await?)
}

#[derive(sqlx::FromRow)]
pub struct HistoryRow {
    pub change: String,
    pub detail: String,
    pub by_subject: String,
    pub by_name: String,
    pub at: DateTime<Utc>,
}

pub async fn history(conn: &mut PgConnection, item: Uuid) -> Result<Vec<HistoryRow>> {
    Ok(sqlx::query_as(concat!(
        "SELECT change, detail, by_subject, ",
        kumppani_platform::actor_name_sql!("by_subject"),
        " AS by_name, at FROM history WHERE item_id = $1 ORDER BY id"
    ))
    .bind(item)
    .fetch_all(conn)
    .await?)
}

// ---------- notifications ----------

pub async fn notify(conn: &mut PgConnection, recipient: &str, kind: &str, item: Uuid, detail: &str, at: DateTime<Utc>) -> Result<()> {
    let recipient = recipient.trim().to_lowercase();
    if recipient.is_empty() {
        return Ok(());
    }
    sqlx::query("INSERT INTO notifications (id, recipient, kind, item_id, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(Uuid::now_v7())
        .bind(recipient)
        .bind(kind)
        .bind(item)
        .bind(detail)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// A notification waiting to be e-mailed.
#[derive(sqlx::FromRow, Debug)]
pub struct PendingMail {
    pub id: Uuid,
    pub recipient: String,
    pub kind: String,
    pub detail: String,
    pub item_id: Uuid,
    pub item_number: i64,
    pub site_name: String,
}

/// Notifications since `since` not yet e-mailed, oldest first, locked.
pub async fn pending_mail(conn: &mut PgConnection, since: DateTime<Utc>, limit: i64) -> Result<Vec<PendingMail>> {
    Ok(sqlx::query_as(
        "SELECT n.id, n.recipient, n.kind, n.detail, n.item_id, i.number AS item_number,
                COALESCE((SELECT name FROM sites WHERE id = i.site_id), '') AS site_name
         FROM notifications n JOIN items i ON i.id = n.item_id
         WHERE n.emailed_at IS NULL AND n.created_at >= $1
         ORDER BY n.created_at, n.id LIMIT $2 FOR UPDATE OF n SKIP LOCKED",
    )
    .bind(since)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

pub async fn mark_emailed(conn: &mut PgConnection, id: Uuid, at: DateTime<Utc>) -> Result<()> {
    sqlx::query("UPDATE notifications SET emailed_at = $2 WHERE id = $1").bind(id).bind(at).execute(conn).await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
pub struct NotificationRow {
    pub id: Uuid,
    pub kind: String,
    pub item_id: Uuid,
    pub item_number: i64,
    pub site_name: String,
    pub detail: String,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

pub async fn notifications(
    conn: &mut PgConnection,
    recipient: &str,
    unread_only: bool,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<NotificationRow>> {
    let (before_at, before_id) = before.map_or((None, None), |(a, b)| (Some(a), Some(b)));
    Ok(sqlx::query_as(
        "SELECT n.id, n.kind, n.item_id, i.number AS item_number, COALESCE(s.name, '') AS site_name, n.detail, n.created_at, n.read_at
         FROM notifications n JOIN items i ON i.id = n.item_id LEFT JOIN sites s ON s.id = i.site_id
         WHERE n.recipient = $1 AND (NOT $2 OR n.read_at IS NULL)
           AND ($3::timestamptz IS NULL OR (n.created_at, n.id) < ($3, $4))
         ORDER BY n.created_at DESC, n.id DESC LIMIT $5",
    )
    .bind(recipient)
    .bind(unread_only)
    .bind(before_at)
    .bind(before_id)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

pub async fn unread_count(conn: &mut PgConnection, recipient: &str) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM notifications WHERE recipient = $1 AND read_at IS NULL")
        .bind(recipient)
        .fetch_one(conn)
        .await?)
}

pub async fn mark_read(conn: &mut PgConnection, recipient: &str, ids: &[Uuid]) -> Result<i64> {
    let done = sqlx::query(
        "UPDATE notifications SET read_at = now() WHERE recipient = $1 AND read_at IS NULL AND (cardinality($2::uuid[]) = 0 OR id = ANY($2))",
    )
    .bind(recipient)
    .bind(ids)
    .execute(conn)
    .await?;
    Ok(i64::try_from(done.rows_affected()).unwrap_or(i64::MAX))
}

// ---------- KPIs ----------

pub async fn open_counts(conn: &mut PgConnection, customer: Option<Uuid>) -> Result<(i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE acknowledge_breached_at IS NOT NULL OR resolve_breached_at IS NOT NULL)
         FROM items WHERE status NOT IN ('resolved', 'closed') AND ($1::uuid IS NULL OR customer_id = $1)",
    )
    .bind(customer)
    .fetch_one(conn)
    .await?)
}
