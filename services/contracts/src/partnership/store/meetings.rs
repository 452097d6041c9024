//! SQL of meetings and their action items.

use super::owner;
use crate::partnership::domain::{self, ActionInput, MeetingInput};
use chrono::{DateTime, NaiveDate, Utc};
use kumppani_platform::actor_name_sql;
use kumppani_platform::convert::timestamp as ts;
use kumppani_proto::contracts::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub struct MeetingRow {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub kind: String,
    pub held_on: NaiveDate,
    pub title: String,
    pub participants: String,
    pub agenda: String,
    pub minutes: String,
    pub decisions: String,
    pub version: i32,
    pub updated_by_name: String,
    pub updated_at: DateTime<Utc>,
}

impl MeetingRow {
    pub fn to_proto(&self, action_items: Vec<pb::ActionItem>) -> pb::Meeting {
        pb::Meeting {
            id: self.id.to_string(),
            customer_id: self.customer_id.to_string(),
            customer_name: self.customer_name.clone(),
            kind: domain::meeting_kind_from(&self.kind),
            held_on: Some(pb::Date::from_naive(self.held_on)),
            title: self.title.clone(),
            participants: self.participants.clone(),
            agenda: self.agenda.clone(),
            minutes: self.minutes.clone(),
            decisions: self.decisions.clone(),
            action_items,
            version: self.version,
            updated_by_name: self.updated_by_name.clone(),
            updated_at: ts(self.updated_at),
        }
    }
}

const MEETING_FROM: &str = concat!(
    "SELECT m.id, m.customer_id, c.name AS customer_name, m.kind, m.held_on, m.title, m.participants, m.agenda, m.minutes, \
     m.decisions, m.version, m.updated_at, ",
    actor_name_sql!("m.updated_by"),
    " AS updated_by_name FROM meetings m JOIN customers c ON c.id = m.customer_id"
);

pub async fn meeting(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<MeetingRow>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE OF m" } else { "" };
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{MEETING_FROM} WHERE m.id = $1{lock}"))).bind(id).fetch_optional(conn).await
}

/// Newest first; keyset (held_on, id) descending.
pub async fn meetings(
    conn: &mut PgConnection,
    customer: Option<Uuid>,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> Result<Vec<MeetingRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{MEETING_FROM} WHERE ($1::uuid IS NULL OR m.customer_id = $1) AND ($2::date IS NULL OR (m.held_on, m.id) < ($2, $3))
         ORDER BY m.held_on DESC, m.id DESC LIMIT $4"
    )))
    .bind(customer)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit + 1)
    .fetch_all(conn)
    .await
}

pub async fn upsert_meeting(conn: &mut PgConnection, id: Uuid, m: &MeetingInput, by: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO meetings (id, customer_id, kind, held_on, title, participants, agenda, minutes, decisions, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, held_on = EXCLUDED.held_on, title = EXCLUDED.title,
             participants = EXCLUDED.participants, agenda = EXCLUDED.agenda, minutes = EXCLUDED.minutes,
             decisions = EXCLUDED.decisions, updated_by = EXCLUDED.updated_by, updated_at = now(), version = meetings.version + 1",
    )
    .bind(id)
    .bind(m.customer_id)
    .bind(m.kind)
    .bind(m.held_on)
    .bind(&m.title)
    .bind(&m.participants)
    .bind(&m.agenda)
    .bind(&m.minutes)
    .bind(&m.decisions)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
pub struct ActionRow {
    pub id: Uuid,
    pub meeting_id: Uuid,
    pub meeting_title: String,
    pub held_on: NaiveDate,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub description: String,
    pub owner: Option<Uuid>,
    pub owner_name: Option<String>,
    pub owner_email: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub done_on: Option<NaiveDate>,
    pub version: i32,
}

impl ActionRow {
    pub fn to_proto(&self, today: NaiveDate) -> pb::ActionItem {
        pb::ActionItem {
            id: self.id.to_string(),
            meeting_id: self.meeting_id.to_string(),
            meeting_title: self.meeting_title.clone(),
            meeting_held_on: Some(pb::Date::from_naive(self.held_on)),
            customer_id: self.customer_id.to_string(),
            customer_name: self.customer_name.clone(),
            description: self.description.clone(),
            owner: owner(self.owner, self.owner_name.clone(), self.owner_email.clone()),
            due_on: self.due_on.map(pb::Date::from_naive),
            done_on: self.done_on.map(pb::Date::from_naive),
            overdue: self.done_on.is_none() && self.due_on.is_some_and(|d| d < today),
            version: self.version,
        }
    }
}

const ACTION_FROM: &str = "SELECT a.id, a.meeting_id, m.title AS meeting_title, m.held_on, m.customer_id, c.name AS customer_name, \
     a.description, a.owner, o.name AS owner_name, o.email AS owner_email, a.due_on, a.done_on, a.version \
     FROM action_items a JOIN meetings m ON m.id = a.meeting_id JOIN customers c ON c.id = m.customer_id \
     LEFT JOIN contacts o ON o.id = a.owner";

pub async fn action(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<ActionRow>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE OF a" } else { "" };
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{ACTION_FROM} WHERE a.id = $1{lock}"))).bind(id).fetch_optional(conn).await
}

pub async fn actions_of(conn: &mut PgConnection, meetings: &[Uuid]) -> Result<Vec<ActionRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{ACTION_FROM} WHERE a.meeting_id = ANY($1) ORDER BY a.due_on NULLS LAST, a.id")))
        .bind(meetings)
        .fetch_all(conn)
        .await
}

/// What an action-item list asks; keyset (due date with none last, id).
pub struct ActionFilter {
    pub customer_id: Option<Uuid>,
    pub open_only: bool,
    /// The owner's e-mail (case-insensitive).
    pub owner_email: Option<String>,
    /// Keyset position: the last item's due date (none: it had none) and id.
    pub after: Option<(Option<NaiveDate>, Uuid)>,
    pub limit: i64,
}

pub async fn actions(conn: &mut PgConnection, f: &ActionFilter) -> Result<Vec<ActionRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{ACTION_FROM}
         WHERE ($1::uuid IS NULL OR m.customer_id = $1) AND (NOT $2 OR a.done_on IS NULL)
           AND ($3::text IS NULL OR lower(o.email) = lower($3))
           AND (NOT $4 OR CASE WHEN $5::date IS NULL THEN a.due_on IS NULL AND a.id > $6
                               ELSE a.due_on IS NULL OR (a.due_on, a.id) > ($5, $6) END)
         ORDER BY a.due_on NULLS LAST, a.id LIMIT $7"
    )))
    .bind(f.customer_id)
    .bind(f.open_only)
    .bind(f.owner_email.as_deref())
    .bind(f.after.is_some())
    .bind(f.after.and_then(|a| a.0))
    .bind(f.after.map(|a| a.1))
    .bind(f.limit + 1)
    .fetch_all(conn)
    .await
}

pub async fn upsert_action(conn: &mut PgConnection, id: Uuid, meeting_id: Uuid, a: &ActionInput, by: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO action_items (id, meeting_id, description, owner, due_on, done_on, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET description = EXCLUDED.description, owner = EXCLUDED.owner, due_on = EXCLUDED.due_on,
             done_on = EXCLUDED.done_on, updated_by = EXCLUDED.updated_by, updated_at = now(), version = action_items.version + 1",
    )
    .bind(id)
    .bind(meeting_id)
    .bind(&a.description)
    .bind(a.owner)
    .bind(a.due_on)
    .bind(a.done_on)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}
