//! SQL of the partnership tables, and only here: calendar steps and tasks,
//! disputes, the KPIs' counts and the mail outbox. Every function takes a
//! connection so the caller composes one transaction with the outbox event.

pub mod meetings;
pub mod projects;

use super::domain::{self, StepInput, TaskChange};
use chrono::{DateTime, NaiveDate, Utc};
use kumppani_platform::actor_name_sql;
use kumppani_platform::convert::timestamp as ts;
use kumppani_proto::contracts::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

fn text3(fi: String, sv: String, en: String) -> Option<pb::LocalText> {
    Some(pb::LocalText { fi, sv, en })
}

// ---------- steps ----------

#[derive(sqlx::FromRow)]
pub struct StepRow {
    pub id: Uuid,
    pub position: i32,
    pub month: i32,
    pub day: i32,
    pub owner_party: String,
    pub responsible: String,
    pub title_fi: String,
    pub title_sv: String,
    pub title_en: String,
    pub description_fi: String,
    pub description_sv: String,
    pub description_en: String,
    pub active: bool,
    pub version: i32,
    pub updated_by_name: String,
    pub updated_at: DateTime<Utc>,
}

impl From<StepRow> for pb::CalendarStep {
    fn from(r: StepRow) -> Self {
        Self {
            id: r.id.to_string(),
            position: r.position,
            month: r.month,
            day: r.day,
            owner_party: domain::owner_party_from(&r.owner_party),
            responsible: r.responsible,
            title: text3(r.title_fi, r.title_sv, r.title_en),
            description: text3(r.description_fi, r.description_sv, r.description_en),
            active: r.active,
            version: r.version,
            updated_by_name: r.updated_by_name,
            updated_at: ts(r.updated_at),
        }
    }
}

const STEP_COLS: &str = concat!(
    "id, position, month, day, owner_party, responsible, title_fi, title_sv, title_en, description_fi, description_sv, \
     description_en, active, version, updated_at, ",
    actor_name_sql!("updated_by"),
    " AS updated_by_name"
);

pub async fn steps(conn: &mut PgConnection, include_inactive: bool) -> Result<Vec<StepRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {STEP_COLS} FROM calendar_steps WHERE active OR $1 ORDER BY position, month, day, id"
    )))
    .bind(include_inactive)
    .fetch_all(conn)
    .await
}

pub async fn step(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<StepRow>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {STEP_COLS} FROM calendar_steps WHERE id = $1{lock}")))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// Inserts a new step, or replaces an existing one's fields (its version + 1).
pub async fn upsert_step(conn: &mut PgConnection, id: Uuid, s: &StepInput, by: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO calendar_steps (id, position, month, day, owner_party, responsible, title_fi, title_sv, title_en,
                                     description_fi, description_sv, description_en, active, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (id) DO UPDATE SET position = EXCLUDED.position, month = EXCLUDED.month, day = EXCLUDED.day,
             owner_party = EXCLUDED.owner_party, responsible = EXCLUDED.responsible, title_fi = EXCLUDED.title_fi,
             title_sv = EXCLUDED.title_sv, title_en = EXCLUDED.title_en, description_fi = EXCLUDED.description_fi,
             description_sv = EXCLUDED.description_sv, description_en = EXCLUDED.description_en, active = EXCLUDED.active,
             updated_by = EXCLUDED.updated_by, updated_at = now(), version = calendar_steps.version + 1",
    )
    .bind(id)
    .bind(s.position)
    .bind(s.month)
    .bind(s.day)
    .bind(s.owner_party)
    .bind(&s.responsible)
    .bind(&s.title[0])
    .bind(&s.title[1])
    .bind(&s.title[2])
    .bind(&s.description[0])
    .bind(&s.description[1])
    .bind(&s.description[2])
    .bind(s.active)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

// ---------- tasks ----------

#[derive(sqlx::FromRow, Clone)]
pub struct TaskRow {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub year: i32,
    pub step_id: Uuid,
    pub position: i32,
    pub owner_party: String,
    pub responsible: String,
    pub title_fi: String,
    pub title_sv: String,
    pub title_en: String,
    pub description_fi: String,
    pub description_sv: String,
    pub description_en: String,
    pub due_on: NaiveDate,
    pub enterprise_owner: Option<Uuid>,
    pub eo_name: Option<String>,
    pub eo_email: Option<String>,
    pub customer_owner: Option<Uuid>,
    pub co_name: Option<String>,
    pub co_email: Option<String>,
    pub status: String,
    pub outcome: String,
    pub done_on: Option<NaiveDate>,
    pub version: i32,
    pub updated_by_name: String,
    pub updated_at: DateTime<Utc>,
}

pub(crate) fn owner(id: Option<Uuid>, name: Option<String>, email: Option<String>) -> Option<pb::TaskOwner> {
    id.map(|id| pb::TaskOwner { contact_id: id.to_string(), name: name.unwrap_or_default(), email: email.unwrap_or_default() })
}

impl TaskRow {
    pub fn to_proto(&self, today: NaiveDate) -> pb::CalendarTask {
        let r = self.clone();
        pb::CalendarTask {
            id: r.id.to_string(),
            customer_id: r.customer_id.to_string(),
            customer_name: r.customer_name,
            year: r.year,
            step_id: r.step_id.to_string(),
            position: r.position,
            owner_party: domain::owner_party_from(&r.owner_party),
            responsible: r.responsible,
            title: text3(r.title_fi, r.title_sv, r.title_en),
            description: text3(r.description_fi, r.description_sv, r.description_en),
            due_on: Some(pb::Date::from_naive(r.due_on)),
            enterprise_owner: owner(r.enterprise_owner, r.eo_name, r.eo_email),
            customer_owner: owner(r.customer_owner, r.co_name, r.co_email),
            status: domain::task_status_from(&r.status),
            outcome: r.outcome,
            done_on: r.done_on.map(pb::Date::from_naive),
            overdue: domain::overdue(&self.status, self.due_on, today),
            done_late: domain::done_late(self.due_on, self.done_on),
            version: r.version,
            updated_by_name: r.updated_by_name,
            updated_at: ts(r.updated_at),
        }
    }
}

const TASK_FROM: &str = concat!(
    "SELECT t.id, t.customer_id, c.name AS customer_name, t.year, t.step_id, t.position, t.owner_party, t.responsible, \
     t.title_fi, t.title_sv, t.title_en, t.description_fi, t.description_sv, t.description_en, t.due_on, \
     t.enterprise_owner, eo.name AS eo_name, eo.email AS eo_email, t.customer_owner, co.name AS co_name, co.email AS co_email, \
     t.status, t.outcome, t.done_on, t.version, t.updated_at, ",
    actor_name_sql!("t.updated_by"),
    " AS updated_by_name \
     FROM calendar_tasks t JOIN customers c ON c.id = t.customer_id \
     LEFT JOIN contacts eo ON eo.id = t.enterprise_owner LEFT JOIN contacts co ON co.id = t.customer_owner"
);

pub async fn task(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<TaskRow>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE OF t" } else { "" };
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{TASK_FROM} WHERE t.id = $1{lock}"))).bind(id).fetch_optional(conn).await
}

/// What a task list asks; `after` is the keyset position (due date, customer name, position, id).
pub struct TaskFilter {
    pub year: Option<i32>,
    pub customer_id: Option<Uuid>,
    pub open_due_by: Option<NaiveDate>,
    pub overdue_before: Option<NaiveDate>,
    pub after: Option<(NaiveDate, String, i32, Uuid)>,
    pub limit: i64,
}

pub async fn tasks(conn: &mut PgConnection, f: &TaskFilter) -> Result<Vec<TaskRow>, sqlx::Error> {
    let after = f.after.clone();
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TASK_FROM}
         WHERE ($1::int IS NULL OR t.year = $1) AND ($2::uuid IS NULL OR t.customer_id = $2)
           AND ($3::date IS NULL OR (t.status IN ('planned', 'in_progress') AND t.due_on <= $3))
           AND ($4::date IS NULL OR (t.status IN ('planned', 'in_progress') AND t.due_on < $4))
           AND ($5::date IS NULL OR (t.due_on, c.name, t.position, t.id) > ($5, $6, $7, $8))
         ORDER BY t.due_on, c.name, t.position, t.id LIMIT $9"
    )))
    .bind(f.year)
    .bind(f.customer_id)
    .bind(f.open_due_by)
    .bind(f.overdue_before)
    .bind(after.as_ref().map(|a| a.0))
    .bind(after.as_ref().map(|a| a.1.clone()))
    .bind(after.as_ref().map(|a| a.2))
    .bind(after.as_ref().map(|a| a.3))
    .bind(f.limit + 1)
    .fetch_all(conn)
    .await
}

/// Makes `year`'s tasks from the active steps for the given customers (every
/// customer when `None`); a step already planned for a customer is kept.
/// Owners are the customer-level contract contacts of each party (first by name).
/// Returns (tasks made, customers planned).
pub async fn plan(
    conn: &mut PgConnection,
    year: i32,
    customer: Option<Uuid>,
    steps: &[(Uuid, NaiveDate)],
    by: &str,
) -> Result<(i64, i64), sqlx::Error> {
    let customers: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM customers WHERE $1::uuid IS NULL OR id = $1 ORDER BY id")
        .bind(customer)
        .fetch_all(&mut *conn)
        .await?;
    let (mut ids, mut cs, mut ss, mut dues) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for c in &customers {
        for (s, due) in steps {
            ids.push(Uuid::now_v7());
            cs.push(*c);
            ss.push(*s);
            dues.push(*due);
        }
    }
    let made = sqlx::query(
        "INSERT INTO calendar_tasks (id, customer_id, year, step_id, position, owner_party, responsible, title_fi, title_sv,
                                     title_en, description_fi, description_sv, description_en, due_on, enterprise_owner,
                                     customer_owner, updated_by)
         SELECT n.id, n.customer_id, $5, s.id, s.position, s.owner_party, s.responsible, s.title_fi, s.title_sv, s.title_en,
                s.description_fi, s.description_sv, s.description_en, n.due_on,
                (SELECT k.id FROM contacts k WHERE k.customer_id = n.customer_id AND k.party = 'enterprise' AND k.level = 'contract'
                   AND k.unit_id IS NULL AND k.site_id IS NULL ORDER BY k.name, k.id LIMIT 1),
                (SELECT k.id FROM contacts k WHERE k.customer_id = n.customer_id AND k.party = 'customer' AND k.level = 'contract'
                   AND k.unit_id IS NULL AND k.site_id IS NULL ORDER BY k.name, k.id LIMIT 1),
                $6
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::date[]) AS n(id, customer_id, step_id, due_on)
         JOIN calendar_steps s ON s.id = n.step_id
         ON CONFLICT (customer_id, year, step_id) DO NOTHING",
    )
    .bind(&ids)
    .bind(&cs)
    .bind(&ss)
    .bind(&dues)
    .bind(year)
    .bind(by)
    .execute(conn)
    .await?;
    Ok((i64::try_from(made.rows_affected()).unwrap_or(i64::MAX), customers.len() as i64))
}

/// A contact person's customer and party, when it exists.
pub async fn contact(conn: &mut PgConnection, id: Uuid) -> Result<Option<(Uuid, String)>, sqlx::Error> {
    sqlx::query_as("SELECT customer_id, party FROM contacts WHERE id = $1").bind(id).fetch_optional(conn).await
}

pub async fn update_task(conn: &mut PgConnection, id: Uuid, c: &TaskChange, due_on: NaiveDate, by: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE calendar_tasks SET enterprise_owner = $2, customer_owner = $3, due_on = $4, status = $5, outcome = $6,
                done_on = $7, updated_by = $8, updated_at = now(), version = version + 1,
                reminded_at = CASE WHEN due_on = $4 THEN reminded_at END,
                overdue_noticed_at = CASE WHEN due_on = $4 THEN overdue_noticed_at END
         WHERE id = $1",
    )
    .bind(id)
    .bind(c.enterprise_owner)
    .bind(c.customer_owner)
    .bind(due_on)
    .bind(c.status)
    .bind(&c.outcome)
    .bind(c.done_on)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Open tasks whose reminder (a week before) or lateness notice is due today
/// and not yet sent, locked so replicas do not send twice; the caller stamps them.
pub async fn tasks_to_remind(conn: &mut PgConnection, today: NaiveDate, notice_window_days: i32) -> Result<Vec<TaskRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TASK_FROM}
         WHERE t.status IN ('planned', 'in_progress')
           AND ((t.reminded_at IS NULL AND t.due_on BETWEEN $1 AND $1 + $2::int)
             OR (t.overdue_noticed_at IS NULL AND t.due_on < $1 AND t.due_on >= $1 - $3::int))
         ORDER BY t.due_on, t.id LIMIT 200 FOR UPDATE OF t SKIP LOCKED"
    )))
    .bind(today)
    .bind(i32::try_from(domain::REMINDER_DAYS).unwrap_or(7))
    .bind(notice_window_days)
    .fetch_all(conn)
    .await
}

/// Stamps a task's reminder or lateness notice as sent (`late`: the notice).
pub async fn stamp_reminder(conn: &mut PgConnection, id: Uuid, late: bool, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    let column = if late { "overdue_noticed_at" } else { "reminded_at" };
    sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE calendar_tasks SET {column} = $2 WHERE id = $1")))
        .bind(id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

// ---------- KPIs ----------

/// Counts of one agreement year (customer `None`: every customer).
#[derive(sqlx::FromRow, Default, Debug)]
pub struct YearCounts {
    pub tasks_due: i64,
    pub tasks_done_on_time: i64,
    pub tasks_overdue: i64,
    pub agreements: i64,
    pub agreements_signed_by_deadline: i64,
    pub disputes_opened: i64,
    pub disputes_escalated: i64,
}

pub async fn year_counts(conn: &mut PgConnection, year: i32, customer: Option<Uuid>, today: NaiveDate) -> Result<YearCounts, sqlx::Error> {
    sqlx::query_as(
        "SELECT
           (SELECT count(*) FROM calendar_tasks t WHERE t.year = $1 AND ($2::uuid IS NULL OR t.customer_id = $2)
              AND t.status <> 'skipped' AND (t.due_on < $3 OR t.status = 'done')) AS tasks_due,
           (SELECT count(*) FROM calendar_tasks t WHERE t.year = $1 AND ($2::uuid IS NULL OR t.customer_id = $2)
              AND t.status = 'done' AND t.done_on <= t.due_on) AS tasks_done_on_time,
           (SELECT count(*) FROM calendar_tasks t WHERE t.year = $1 AND ($2::uuid IS NULL OR t.customer_id = $2)
              AND t.status IN ('planned', 'in_progress') AND t.due_on < $3) AS tasks_overdue,
           (SELECT count(*) FROM agreements a WHERE a.year = $1 AND ($2::uuid IS NULL OR a.customer_id = $2)) AS agreements,
           (SELECT count(*) FROM agreements a WHERE a.year = $1 AND ($2::uuid IS NULL OR a.customer_id = $2)
              AND a.signed_on IS NOT NULL AND a.signed_on <= make_date($1 - 1, 12, 31)) AS agreements_signed_by_deadline,
           (SELECT count(*) FROM disputes d JOIN agreements a ON a.id = d.agreement_id
              WHERE a.year = $1 AND ($2::uuid IS NULL OR d.customer_id = $2)) AS disputes_opened,
           (SELECT count(*) FROM disputes d JOIN agreements a ON a.id = d.agreement_id
              WHERE a.year = $1 AND ($2::uuid IS NULL OR d.customer_id = $2) AND d.escalated_at IS NOT NULL) AS disputes_escalated",
    )
    .bind(year)
    .bind(customer)
    .bind(today)
    .fetch_one(conn)
    .await
}

// ---------- disputes ----------

#[derive(sqlx::FromRow)]
pub struct DisputeRow {
    pub id: Uuid,
    pub number: i64,
    pub agreement_id: Uuid,
    pub agreement_year: i32,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub topic: String,
    pub description: String,
    pub opened_party: String,
    pub opened_by_name: String,
    pub opened_on: NaiveDate,
    pub escalates_on: NaiveDate,
    pub escalation_name: String,
    pub escalation_email: String,
    pub status: String,
    pub escalated_at: Option<DateTime<Utc>>,
    pub outcome: String,
    pub settled_on: Option<NaiveDate>,
    pub settled_by_name: String,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

impl DisputeRow {
    pub fn to_proto(&self, today: NaiveDate) -> pb::Dispute {
        pb::Dispute {
            id: self.id.to_string(),
            number: self.number,
            agreement_id: self.agreement_id.to_string(),
            agreement_year: self.agreement_year,
            customer_id: self.customer_id.to_string(),
            customer_name: self.customer_name.clone(),
            topic: self.topic.clone(),
            description: self.description.clone(),
            opened_party: crate::domain::party_from(&self.opened_party),
            opened_by_name: self.opened_by_name.clone(),
            opened_on: Some(pb::Date::from_naive(self.opened_on)),
            escalates_on: Some(pb::Date::from_naive(self.escalates_on)),
            days_left: domain::days_left(&self.status, self.escalates_on, today),
            escalation_name: self.escalation_name.clone(),
            escalation_email: self.escalation_email.clone(),
            status: domain::dispute_status_from(&self.status),
            escalated_at: self.escalated_at.and_then(ts),
            outcome: self.outcome.clone(),
            settled_on: self.settled_on.map(pb::Date::from_naive),
            settled_by_name: self.settled_by_name.clone(),
            version: self.version,
            updated_at: ts(self.updated_at),
        }
    }
}

const DISPUTE_FROM: &str = concat!(
    "SELECT d.id, d.number, d.agreement_id, a.year AS agreement_year, d.customer_id, c.name AS customer_name, d.topic,
            d.description, d.opened_party, d.opened_on, d.escalates_on, d.escalation_name, d.escalation_email, d.status,
            d.escalated_at, d.outcome, d.settled_on, d.version, d.updated_at, ",
    actor_name_sql!("d.opened_by"),
    " AS opened_by_name, ",
    actor_name_sql!("d.settled_by"),
    " AS settled_by_name
     FROM disputes d JOIN agreements a ON a.id = d.agreement_id JOIN customers c ON c.id = d.customer_id"
);

pub async fn dispute(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<DisputeRow>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE OF d" } else { "" };
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{DISPUTE_FROM} WHERE d.id = $1{lock}"))).bind(id).fetch_optional(conn).await
}

pub struct DisputeFilter {
    pub customer_id: Option<Uuid>,
    pub agreement_id: Option<Uuid>,
    pub status: Option<&'static str>,
    /// Keyset position: (opened_on, number), newest first.
    pub after: Option<(NaiveDate, i64)>,
    pub limit: i64,
}

pub async fn disputes(conn: &mut PgConnection, f: &DisputeFilter) -> Result<Vec<DisputeRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{DISPUTE_FROM}
         WHERE ($1::uuid IS NULL OR d.customer_id = $1) AND ($2::uuid IS NULL OR d.agreement_id = $2)
           AND ($3::text IS NULL OR d.status = $3)
           AND ($4::date IS NULL OR (d.opened_on, d.number) < ($4, $5))
         ORDER BY d.opened_on DESC, d.number DESC LIMIT $6"
    )))
    .bind(f.customer_id)
    .bind(f.agreement_id)
    .bind(f.status)
    .bind(f.after.map(|a| a.0))
    .bind(f.after.map(|a| a.1))
    .bind(f.limit + 1)
    .fetch_all(conn)
    .await
}

pub struct NewDispute<'a> {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub input: &'a domain::DisputeInput,
    pub opened_by: &'a str,
    pub opened_party: &'static str,
}

pub async fn insert_dispute(conn: &mut PgConnection, d: &NewDispute<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO disputes (id, agreement_id, customer_id, topic, description, opened_by, opened_party, opened_on, escalates_on,
                               escalation_name, escalation_email)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(d.id)
    .bind(d.input.agreement_id)
    .bind(d.customer_id)
    .bind(&d.input.topic)
    .bind(&d.input.description)
    .bind(d.opened_by)
    .bind(d.opened_party)
    .bind(d.input.opened_on)
    .bind(domain::escalates_on(d.input.opened_on))
    .bind(&d.input.escalation_name)
    .bind(&d.input.escalation_email)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn settle(conn: &mut PgConnection, id: Uuid, outcome: &str, on: NaiveDate, by: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE disputes SET status = 'settled', outcome = $2, settled_on = $3, settled_by = $4, version = version + 1, updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(outcome)
    .bind(on)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Escalates every open dispute whose clock has run out by `today`, rows
/// locked (skipping those another replica holds); returns their ids.
pub async fn escalate_due(conn: &mut PgConnection, today: NaiveDate, now: DateTime<Utc>) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE disputes SET status = 'escalated', escalated_at = $2, version = version + 1, updated_at = $2
         WHERE id IN (SELECT id FROM disputes WHERE status = 'open' AND escalates_on <= $1 ORDER BY escalates_on, id
                      LIMIT 200 FOR UPDATE SKIP LOCKED)
         RETURNING id",
    )
    .bind(today)
    .bind(now)
    .fetch_all(conn)
    .await
}

/// The e-mail addresses of a customer's contract-level contacts on both sides (customer scope).
pub async fn contract_contacts(conn: &mut PgConnection, customer_id: Uuid) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT email FROM contacts WHERE customer_id = $1 AND level = 'contract' AND unit_id IS NULL AND site_id IS NULL
         AND email <> '' ORDER BY email",
    )
    .bind(customer_id)
    .fetch_all(conn)
    .await
}

/// The e-mail language of each address the registry knows one for (keyed by
/// the lower-cased address).
pub async fn languages(conn: &mut PgConnection, emails: &[String]) -> Result<std::collections::HashMap<String, String>, sqlx::Error> {
    let emails: Vec<String> = emails.iter().map(|e| e.trim().to_lowercase()).collect();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT lower(email), max(language) FROM contacts WHERE lower(email) = ANY($1) AND language <> '' GROUP BY lower(email)",
    )
    .bind(&emails)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().collect())
}

// ---------- mail ----------

pub async fn enqueue_mail(conn: &mut PgConnection, to: &str, subject: &str, body: &str) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO mail_outbox (id, recipient, subject, body) VALUES ($1, $2, $3, $4)")
        .bind(Uuid::now_v7())
        .bind(to)
        .bind(subject)
        .bind(body)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
pub struct Mail {
    pub id: Uuid,
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

/// Unsent mail written since `since`, oldest first, locked for this sender.
pub async fn unsent_mail(conn: &mut PgConnection, since: DateTime<Utc>, limit: i64) -> Result<Vec<Mail>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, recipient, subject, body FROM mail_outbox WHERE sent_at IS NULL AND created_at >= $1
         ORDER BY created_at, id LIMIT $2 FOR UPDATE SKIP LOCKED",
    )
    .bind(since)
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn mail_sent(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE mail_outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = $1").bind(id).execute(conn).await?;
    Ok(())
}

pub async fn mail_failed(conn: &mut PgConnection, id: Uuid, error: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE mail_outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1").bind(id).bind(error).execute(conn).await?;
    Ok(())
}
