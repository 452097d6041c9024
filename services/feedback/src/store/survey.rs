//! The annual survey's SQL.

use super::Result;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(sqlx::FromRow, Clone)]
pub struct SurveyRow {
    pub id: Uuid,
    pub year: i32,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub questions: serde_json::Value,
    pub recipients: i64,
    pub respondents: i64,
}

const SURVEY_COLS: &str = "s.id, s.year, s.opens_on, s.closes_on, s.questions,
     (SELECT count(*) FROM survey_recipients r WHERE r.survey_id = s.id AND ($1::uuid IS NULL OR r.customer_id = $1)) AS recipients,
     (SELECT count(DISTINCT (a.customer_id, a.respondent)) FROM survey_answers a WHERE a.survey_id = s.id
          AND ($1::uuid IS NULL OR a.customer_id = $1)) AS respondents";

/// `false` when the year has a survey already.
pub async fn insert_survey(
    conn: &mut PgConnection,
    id: Uuid,
    year: i32,
    opens_on: NaiveDate,
    closes_on: NaiveDate,
    questions: &serde_json::Value,
    by: &str,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO surveys (id, year, opens_on, closes_on, questions, created_by) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (year) DO NOTHING",
    )
    .bind(id)
    .bind(year)
    .bind(opens_on)
    .bind(closes_on)
    .bind(questions)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The customers' own contact persons (both levels) become the recipients.
pub async fn add_recipients(conn: &mut PgConnection, survey: Uuid, people: &[(Uuid, String, String, String)]) -> Result<()> {
    let (customers, rest): (Vec<Uuid>, Vec<(String, String, String)>) =
        people.iter().map(|(c, e, n, l)| (*c, (e.clone(), n.clone(), l.clone()))).unzip();
    let (emails, rest): (Vec<String>, Vec<(String, String)>) = rest.into_iter().map(|(e, n, l)| (e, (n, l))).unzip();
    let (names, levels): (Vec<String>, Vec<String>) = rest.into_iter().unzip();
    sqlx::query(
        "INSERT INTO survey_recipients (survey_id, customer_id, email, name, level)
         SELECT $1, c, e, n, l FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[]) AS t(c, e, n, l)
         WHERE e <> '' ON CONFLICT DO NOTHING",
    )
    .bind(survey)
    .bind(&customers)
    .bind(&emails)
    .bind(&names)
    .bind(&levels)
    .execute(conn)
    .await?;
    Ok(())
}

/// Surveys newest first; counts within `customer` (or all).
pub async fn surveys(conn: &mut PgConnection, customer: Option<Uuid>) -> Result<Vec<SurveyRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SURVEY_COLS} FROM surveys s ORDER BY s.year DESC")))
        .bind(customer)
        .fetch_all(conn)
        .await?)
}

pub async fn survey(conn: &mut PgConnection, id: Uuid, customer: Option<Uuid>) -> Result<Option<SurveyRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SURVEY_COLS} FROM surveys s WHERE s.id = $2")))
        .bind(customer)
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

pub async fn survey_of_year(conn: &mut PgConnection, year: i32, customer: Option<Uuid>) -> Result<Option<SurveyRow>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {SURVEY_COLS} FROM surveys s WHERE s.year = $2")))
        .bind(customer)
        .bind(year)
        .fetch_optional(conn)
        .await?)
}

pub async fn is_recipient(conn: &mut PgConnection, survey: Uuid, customer: Uuid, email: &str) -> Result<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM survey_recipients WHERE survey_id = $1 AND customer_id = $2 AND email = $3)")
        .bind(survey)
        .bind(customer)
        .bind(email)
        .fetch_one(conn)
        .await?)
}

/// (question, score, comment) of a respondent.
pub async fn answers_of(conn: &mut PgConnection, survey: Uuid, customer: Uuid, respondent: &str) -> Result<Vec<(i32, i32, String)>> {
    Ok(sqlx::query_as(
        "SELECT question, score, comment FROM survey_answers WHERE survey_id = $1 AND customer_id = $2 AND respondent = $3 ORDER BY question",
    )
    .bind(survey)
    .bind(customer)
    .bind(respondent)
    .fetch_all(conn)
    .await?)
}

/// Replaces a respondent's answers: (question, dimension, score, comment).
pub async fn replace_answers(
    conn: &mut PgConnection,
    survey: Uuid,
    customer: Uuid,
    respondent: &str,
    answers: &[(i32, String, i32, String)],
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("DELETE FROM survey_answers WHERE survey_id = $1 AND customer_id = $2 AND respondent = $3")
        .bind(survey)
        .bind(customer)
        .bind(respondent)
        .execute(&mut *conn)
        .await?;
    let questions: Vec<i32> = answers.iter().map(|a| a.0).collect();
    let dimensions: Vec<String> = answers.iter().map(|a| a.1.clone()).collect();
    let scores: Vec<i32> = answers.iter().map(|a| a.2).collect();
    let comments: Vec<String> = answers.iter().map(|a| a.3.clone()).collect();
    sqlx::query(
        "INSERT INTO survey_answers (survey_id, customer_id, respondent, question, dimension, score, comment, answered_at)
         SELECT $1, $2, $3, q, d, s, c, $8 FROM unnest($4::int[], $5::text[], $6::int[], $7::text[]) AS t(q, d, s, c)",
    )
    .bind(survey)
    .bind(customer)
    .bind(respondent)
    .bind(&questions)
    .bind(&dimensions)
    .bind(&scores)
    .bind(&comments)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
pub struct DimensionRow {
    pub customer_id: Uuid,
    pub dimension: String,
    pub total: i64,
    pub answers: i64,
}

/// Sum and count of scores per customer and dimension of a survey.
pub async fn dimension_sums(conn: &mut PgConnection, survey: Uuid, customer: Option<Uuid>) -> Result<Vec<DimensionRow>> {
    Ok(sqlx::query_as(
        "SELECT customer_id, dimension, sum(score)::bigint AS total, count(*) AS answers FROM survey_answers
         WHERE survey_id = $1 AND ($2::uuid IS NULL OR customer_id = $2) GROUP BY customer_id, dimension",
    )
    .bind(survey)
    .bind(customer)
    .fetch_all(conn)
    .await?)
}

/// (customer, name, recipients, respondents) per customer of a survey.
pub async fn customer_counts(conn: &mut PgConnection, survey: Uuid, customer: Option<Uuid>) -> Result<Vec<(Uuid, String, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT r.customer_id, COALESCE((SELECT name FROM customers WHERE id = r.customer_id), '') AS name, count(*) AS recipients,
                (SELECT count(DISTINCT a.respondent) FROM survey_answers a WHERE a.survey_id = $1 AND a.customer_id = r.customer_id) AS respondents
         FROM survey_recipients r WHERE r.survey_id = $1 AND ($2::uuid IS NULL OR r.customer_id = $2)
         GROUP BY r.customer_id ORDER BY name",
    )
    .bind(survey)
    .bind(customer)
    .fetch_all(conn)
    .await?)
}

/// Answers with a comment: (customer name, dimension, question, score, comment).
pub async fn comments(conn: &mut PgConnection, survey: Uuid, customer: Option<Uuid>) -> Result<Vec<(String, String, i32, i32, String)>> {
    Ok(sqlx::query_as(
        "SELECT COALESCE((SELECT name FROM customers WHERE id = a.customer_id), '') AS name, a.dimension, a.question, a.score, a.comment
         FROM survey_answers a WHERE a.survey_id = $1 AND ($2::uuid IS NULL OR a.customer_id = $2) AND a.comment <> ''
         ORDER BY name, a.question",
    )
    .bind(survey)
    .bind(customer)
    .fetch_all(conn)
    .await?)
}

/// The customers' own contact persons: (customer, email, name, level) from the projection.
pub async fn customer_contacts(conn: &mut PgConnection) -> Result<Vec<(Uuid, Vec<u8>)>> {
    Ok(sqlx::query_as("SELECT customer_id, contact FROM contacts WHERE party = 'customer' ORDER BY customer_id").fetch_all(conn).await?)
}

/// A survey message due to one recipient.
#[derive(sqlx::FromRow, Debug, Clone)]
pub struct SurveyMailDue {
    pub survey_id: Uuid,
    pub year: i32,
    pub closes_on: NaiveDate,
    pub questions: i32,
    pub customer_id: Uuid,
    pub email: String,
    pub name: String,
    /// `invitation` or `reminder`.
    pub kind: String,
}

/// The survey mail due on `today`: an invitation to every recipient of an
/// open survey who has neither had one nor answered; a reminder in the last
/// `reminder_days` before closing to those invited at least two days ago who
/// have not answered and had no reminder.
pub async fn survey_mail_due(
    conn: &mut PgConnection,
    today: NaiveDate,
    now: DateTime<Utc>,
    reminder_days: i32,
    limit: i64,
) -> Result<Vec<SurveyMailDue>> {
    Ok(sqlx::query_as(
        "SELECT s.id AS survey_id, s.year, s.closes_on, jsonb_array_length(s.questions) AS questions,
                r.customer_id, r.email, r.name,
                CASE WHEN inv.sent_at IS NULL THEN 'invitation' ELSE 'reminder' END AS kind
         FROM surveys s
         JOIN survey_recipients r ON r.survey_id = s.id
         LEFT JOIN survey_mail inv
                ON inv.survey_id = r.survey_id AND inv.customer_id = r.customer_id AND inv.email = r.email AND inv.kind = 'invitation'
         WHERE $1 BETWEEN s.opens_on AND s.closes_on
           AND NOT EXISTS (SELECT 1 FROM survey_answers a
                           WHERE a.survey_id = r.survey_id AND a.customer_id = r.customer_id AND a.respondent = r.email)
           AND (inv.sent_at IS NULL
                OR ($1 >= s.closes_on - $3::int AND inv.sent_at < $2 - interval '2 days'
                    AND NOT EXISTS (SELECT 1 FROM survey_mail m
                                    WHERE m.survey_id = r.survey_id AND m.customer_id = r.customer_id
                                      AND m.email = r.email AND m.kind = 'reminder')))
         ORDER BY s.year, r.customer_id, r.email
         LIMIT $4",
    )
    .bind(today)
    .bind(now)
    .bind(reminder_days)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Stamps a survey message as sent.
pub async fn survey_mail_sent(conn: &mut PgConnection, m: &SurveyMailDue, at: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "INSERT INTO survey_mail (survey_id, customer_id, email, kind, sent_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(m.survey_id)
    .bind(m.customer_id)
    .bind(&m.email)
    .bind(&m.kind)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes the survey mail pass for this transaction; `false` when another
/// replica has it (it sends, this one does not).
pub async fn lock_survey_mail(conn: &mut PgConnection) -> Result<bool> {
    Ok(sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtext('feedback.survey_mail'))").fetch_one(conn).await?)
}
