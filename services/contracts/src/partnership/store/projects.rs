//! SQL of development projects and their milestones, and the projects' KPI counts.

use super::owner;
use crate::partnership::domain::{self, ProjectInput};
use chrono::{DateTime, NaiveDate, Utc};
use kumppani_platform::actor_name_sql;
use kumppani_platform::convert::timestamp as ts;
use kumppani_proto::contracts::v1 as pb;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub struct ProjectRow {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub title: String,
    pub goal: String,
    pub enterprise_responsible: Option<Uuid>,
    pub er_name: Option<String>,
    pub er_email: Option<String>,
    pub customer_responsible: Option<Uuid>,
    pub cr_name: Option<String>,
    pub cr_email: Option<String>,
    pub status: String,
    pub hours_planned: Decimal,
    pub hours_used: Decimal,
    pub version: i32,
    pub updated_by_name: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub struct MilestoneRow {
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: String,
    pub planned_on: NaiveDate,
    pub done_on: Option<NaiveDate>,
    pub version: i32,
}

impl MilestoneRow {
    pub fn to_proto(&self, today: NaiveDate) -> pb::Milestone {
        pb::Milestone {
            id: self.id.to_string(),
            title: self.title.clone(),
            planned_on: Some(pb::Date::from_naive(self.planned_on)),
            done_on: self.done_on.map(pb::Date::from_naive),
            late: self.done_on.is_none() && self.planned_on < today,
            done_late: domain::done_late(self.planned_on, self.done_on),
            version: self.version,
        }
    }
}

impl ProjectRow {
    pub fn to_proto(&self, milestones: &[MilestoneRow], today: NaiveDate) -> pb::Project {
        let milestones: Vec<pb::Milestone> = milestones.iter().filter(|m| m.project_id == self.id).map(|m| m.to_proto(today)).collect();
        let on_schedule = milestones.iter().all(|m| !m.late && !m.done_late);
        pb::Project {
            id: self.id.to_string(),
            customer_id: self.customer_id.to_string(),
            customer_name: self.customer_name.clone(),
            title: self.title.clone(),
            goal: self.goal.clone(),
            enterprise_responsible: owner(self.enterprise_responsible, self.er_name.clone(), self.er_email.clone()),
            customer_responsible: owner(self.customer_responsible, self.cr_name.clone(), self.cr_email.clone()),
            status: domain::project_status_from(&self.status),
            hours_planned: self.hours_planned.normalize().to_string(),
            hours_used: self.hours_used.normalize().to_string(),
            milestones,
            on_schedule,
            version: self.version,
            updated_by_name: self.updated_by_name.clone(),
            updated_at: ts(self.updated_at),
        }
    }
}

const PROJECT_FROM: &str = concat!(
    "SELECT p.id, p.customer_id, c.name AS customer_name, p.title, p.goal, p.enterprise_responsible, er.name AS er_name, \
     er.email AS er_email, p.customer_responsible, cr.name AS cr_name, cr.email AS cr_email, p.status, p.hours_planned, \
     p.hours_used, p.version, p.updated_at, ",
    actor_name_sql!("p.updated_by"),
    " AS updated_by_name FROM projects p JOIN customers c ON c.id = p.customer_id \
     LEFT JOIN contacts er ON er.id = p.enterprise_responsible LEFT JOIN contacts cr ON cr.id = p.customer_responsible"
);

pub async fn project(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<ProjectRow>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE OF p" } else { "" };
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{PROJECT_FROM} WHERE p.id = $1{lock}"))).bind(id).fetch_optional(conn).await
}

/// By customer name, then title; keyset (customer name, title, id).
pub async fn projects(
    conn: &mut PgConnection,
    customer: Option<Uuid>,
    status: Option<&str>,
    after: Option<(String, String, Uuid)>,
    limit: i64,
) -> Result<Vec<ProjectRow>, sqlx::Error> {
    let after = after.clone();
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{PROJECT_FROM} WHERE ($1::uuid IS NULL OR p.customer_id = $1) AND ($2::text IS NULL OR p.status = $2)
           AND ($3::text IS NULL OR (c.name, p.title, p.id) > ($3, $4, $5))
         ORDER BY c.name, p.title, p.id LIMIT $6"
    )))
    .bind(customer)
    .bind(status)
    .bind(after.as_ref().map(|a| a.0.clone()))
    .bind(after.as_ref().map(|a| a.1.clone()))
    .bind(after.as_ref().map(|a| a.2))
    .bind(limit + 1)
    .fetch_all(conn)
    .await
}

pub async fn milestones_of(conn: &mut PgConnection, projects: &[Uuid]) -> Result<Vec<MilestoneRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, project_id, title, planned_on, done_on, version FROM milestones WHERE project_id = ANY($1) ORDER BY planned_on, id",
    )
    .bind(projects)
    .fetch_all(conn)
    .await
}

pub async fn milestone(conn: &mut PgConnection, id: Uuid) -> Result<Option<MilestoneRow>, sqlx::Error> {
    sqlx::query_as("SELECT id, project_id, title, planned_on, done_on, version FROM milestones WHERE id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn upsert_project(conn: &mut PgConnection, id: Uuid, p: &ProjectInput, by: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO projects (id, customer_id, title, goal, enterprise_responsible, customer_responsible, status, hours_planned,
                               hours_used, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, goal = EXCLUDED.goal,
             enterprise_responsible = EXCLUDED.enterprise_responsible, customer_responsible = EXCLUDED.customer_responsible,
             status = EXCLUDED.status, hours_planned = EXCLUDED.hours_planned, hours_used = EXCLUDED.hours_used,
             updated_by = EXCLUDED.updated_by, updated_at = now(), version = projects.version + 1",
    )
    .bind(id)
    .bind(p.customer_id)
    .bind(&p.title)
    .bind(&p.goal)
    .bind(p.enterprise_responsible)
    .bind(p.customer_responsible)
    .bind(p.status)
    .bind(p.hours_planned)
    .bind(p.hours_used)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

pub struct NewMilestone<'a> {
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: &'a str,
    pub planned_on: NaiveDate,
    pub done_on: Option<NaiveDate>,
}

pub async fn upsert_milestone(conn: &mut PgConnection, m: &NewMilestone<'_>, by: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO milestones (id, project_id, title, planned_on, done_on, updated_by) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, planned_on = EXCLUDED.planned_on, done_on = EXCLUDED.done_on,
             updated_by = EXCLUDED.updated_by, updated_at = now(), version = milestones.version + 1",
    )
    .bind(m.id)
    .bind(m.project_id)
    .bind(m.title)
    .bind(m.planned_on)
    .bind(m.done_on)
    .bind(by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Milestones and projects of one year (customer `None`: every customer).
#[derive(sqlx::FromRow, Default, Debug)]
pub struct ProjectCounts {
    pub milestones_due: i64,
    pub milestones_on_time: i64,
    pub projects: i64,
    pub projects_on_schedule: i64,
}

pub async fn year_counts(
    conn: &mut PgConnection,
    year: i32,
    customer: Option<Uuid>,
    today: NaiveDate,
) -> Result<ProjectCounts, sqlx::Error> {
    sqlx::query_as(
        "WITH m AS (
           SELECT m.project_id, m.planned_on, m.done_on,
                  (m.done_on IS NULL AND m.planned_on < $3) OR m.done_on > m.planned_on AS off_schedule
           FROM milestones m JOIN projects p ON p.id = m.project_id
           WHERE p.status <> 'cancelled' AND extract(year FROM m.planned_on) = $1 AND ($2::uuid IS NULL OR p.customer_id = $2))
         SELECT (SELECT count(*) FROM m WHERE m.planned_on < $3 OR m.done_on IS NOT NULL) AS milestones_due,
                (SELECT count(*) FROM m WHERE m.done_on IS NOT NULL AND m.done_on <= m.planned_on) AS milestones_on_time,
                (SELECT count(DISTINCT project_id) FROM m) AS projects,
                (SELECT count(*) FROM (SELECT project_id FROM m GROUP BY project_id HAVING NOT bool_or(off_schedule)) x) AS projects_on_schedule",
    )
    .bind(year)
    .bind(customer)
    .bind(today)
    .fetch_one(conn)
    .await
}
