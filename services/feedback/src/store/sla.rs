//! The SLA job's SQL: the due items (by the `next_alarm_at` index, locked)
//! and one batch's writes, set-based.

use super::{ITEM_COLS, ItemRow, Result};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// Items due a warning or a breach at `now` (by the `next_alarm_at` index),
/// locked; other replicas skip them.
pub async fn due_items_locked(conn: &mut PgConnection, now: DateTime<Utc>, limit: i64) -> Result<Vec<ItemRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ITEM_COLS} FROM items i WHERE i.next_alarm_at <= $1 ORDER BY i.next_alarm_at LIMIT $2 FOR UPDATE OF i SKIP LOCKED"
    )))
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// What one SLA batch writes: each due item's marks, and the history rows
/// and notifications of its alarms (all by [`crate::sla::ACTOR`] at the pass's time).
#[derive(Default)]
pub struct SlaWrites {
    pub marks: Vec<ClockMarks>,
    /// (item, change, detail)
    pub history: Vec<(Uuid, String, String)>,
    /// (recipient, kind, item, detail)
    pub notifications: Vec<(String, String, Uuid, String)>,
}

/// An item as its alarms left it, with when to look at it next and when it is due.
pub struct ClockMarks {
    pub item: ItemRow,
    /// An alarm was raised (the version moved).
    pub changed: bool,
    pub next_alarm: Option<DateTime<Utc>>,
    pub due: Option<DateTime<Utc>>,
}

impl SlaWrites {
    /// A notification to `recipient` (none to an empty address), as [`super::notify`] writes it.
    pub fn notify(&mut self, recipient: &str, kind: &str, item: Uuid, detail: &str) {
        let recipient = recipient.trim().to_lowercase();
        if !recipient.is_empty() {
            self.notifications.push((recipient, kind.to_owned(), item, detail.to_owned()));
        }
    }
}

/// Writes one SLA batch in three statements: every item's alarm stamps,
/// escalation, version and clock marks; the history; the notifications
/// (history and notifications at `at`, the pass's time).
pub async fn write_sla(conn: &mut PgConnection, w: &SlaWrites, by: &str, at: DateTime<Utc>) -> Result<()> {
    let m = &w.marks;
    sqlx::query(
        "UPDATE items i SET acknowledge_warned_at = v.aw, acknowledge_breached_at = v.ab, resolve_warned_at = v.rw,
                resolve_breached_at = v.rb, escalated = v.esc, version = v.version,
                updated_at = CASE WHEN v.changed THEN now() ELSE i.updated_at END, next_alarm_at = v.next, due_at = v.due
         FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[], $6::bool[],
                     $7::int[], $8::bool[], $9::timestamptz[], $10::timestamptz[])
              AS v(id, aw, ab, rw, rb, esc, version, changed, next, due)
         WHERE i.id = v.id",
    )
    .bind(m.iter().map(|x| x.item.id).collect::<Vec<_>>())
    .bind(m.iter().map(|x| x.item.acknowledge_warned_at).collect::<Vec<_>>())
    .bind(m.iter().map(|x| x.item.acknowledge_breached_at).collect::<Vec<_>>())
    .bind(m.iter().map(|x| x.item.resolve_warned_at).collect::<Vec<_>>())
    .bind(m.iter().map(|x| x.item.resolve_breached_at).collect::<Vec<_>>())
    .bind(m.iter().map(|x| x.item.escalated).collect::<Vec<_>>())
    .bind(m.iter().map(|x| x.item.version).collect::<Vec<_>>())
    .bind(m.iter().map(|x| x.changed).collect::<Vec<_>>())
    .bind(m.iter().map(|x| x.next_alarm).collect::<Vec<_>>())
    .bind(m.iter().map(|x| x.due).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    if !w.history.is_empty() {
        // In the order raised: `WITH ORDINALITY` keeps the bigserial ids in that order.
        sqlx::query(
            "INSERT INTO history (item_id, change, detail, by_subject, at)
             SELECT h.item, h.change, h.detail, $4, $5 FROM unnest($1::uuid[], $2::text[], $3::text[]) WITH ORDINALITY AS h(item, change, detail, n)
             ORDER BY h.n",
        )
        .bind(w.history.iter().map(|h| h.0).collect::<Vec<_>>())
        .bind(w.history.iter().map(|h| h.1.as_str()).collect::<Vec<_>>())
        .bind(w.history.iter().map(|h| h.2.as_str()).collect::<Vec<_>>())
        .bind(by)
        .bind(at)
        .execute(&mut *conn)
        .await?;
    }
    if !w.notifications.is_empty() {
        let ids: Vec<Uuid> = w.notifications.iter().map(|_| Uuid::now_v7()).collect();
        sqlx::query(
            "INSERT INTO notifications (id, recipient, kind, item_id, detail, created_at)
             SELECT n.id, n.recipient, n.kind, n.item, n.detail, $6 FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[])
                    AS n(id, recipient, kind, item, detail)",
        )
        .bind(ids)
        .bind(w.notifications.iter().map(|n| n.0.as_str()).collect::<Vec<_>>())
        .bind(w.notifications.iter().map(|n| n.1.as_str()).collect::<Vec<_>>())
        .bind(w.notifications.iter().map(|n| n.2).collect::<Vec<_>>())
        .bind(w.notifications.iter().map(|n| n.3.as_str()).collect::<Vec<_>>())
        .bind(at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
