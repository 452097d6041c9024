//! Development projects agreed with customers (kehittämishankkeet, Liite 4
//! 1.5): goal, the responsible persons of both sides, status, hours (priced
//! separately with the development-work product) and milestones with planned
//! and actual days. Staff record them; the customer's contact persons read
//! their own customer's. A project is on schedule while no milestone is late
//! or was done late.

use super::{Partnership, Result, check_contact, domain, existing_customer, expect_version, reader, scoped, store};
use kumppani_platform::AppError;
use kumppani_platform::actors::remember_actor;
use kumppani_platform::auth::Principal;
use kumppani_platform::validate::{Reason, Violations, id_arg, next_page};
use kumppani_proto::contracts::v1 as pb;
use sqlx::PgConnection;
use store::projects as sql;
use uuid::Uuid;

impl Partnership {
    async fn project_proto(&self, conn: &mut PgConnection, row: &sql::ProjectRow) -> Result<pb::Project> {
        let milestones = sql::milestones_of(conn, &[row.id]).await?;
        Ok(row.to_proto(&milestones, self.today()))
    }

    async fn visible_project(&self, conn: &mut PgConnection, p: &Principal, id: Uuid, lock: bool) -> Result<sql::ProjectRow> {
        let own = reader(p)?;
        let row = sql::project(conn, id, lock).await?.ok_or_else(|| AppError::not_found("project"))?;
        if own.is_some_and(|c| c != row.customer_id) {
            return Err(AppError::not_found("project"));
        }
        Ok(row)
    }

    #[tracing::instrument(skip_all)]
    pub async fn save_project(&self, p: &Principal, r: pb::SaveProjectRequest) -> Result<pb::Project> {
        p.require_enterprise()?;
        let mut v = Violations::default();
        let id = v.uuid("id", &r.id, false);
        v.finish()?;
        let input = domain::validate_project(&r)?;
        let mut tx = self.pool.begin().await?;
        remember_actor(&mut tx, p).await?;
        let id = match id {
            Some(id) => {
                let row = self.visible_project(&mut tx, p, id, true).await?;
                expect_version("expected_version", r.expected_version, row.version)?;
                if row.customer_id != input.customer_id {
                    return Err(AppError::precondition("a project stays with its customer"));
                }
                id
            }
            None => {
                existing_customer(&mut tx, input.customer_id).await?;
                Uuid::now_v7()
            }
        };
        let mut v = Violations::default();
        let c = input.customer_id;
        check_contact(&mut tx, &mut v, "enterprise_responsible_contact_id", input.enterprise_responsible, c, Some("enterprise")).await?;
        check_contact(&mut tx, &mut v, "customer_responsible_contact_id", input.customer_responsible, c, Some("customer")).await?;
        v.finish()?;
        sql::upsert_project(&mut tx, id, &input, &p.subject).await?;
        let row = sql::project(&mut tx, id, false).await?.ok_or_else(|| AppError::internal("the project just written is gone"))?;
        let project = self.project_proto(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(project)
    }

    #[tracing::instrument(skip_all)]
    pub async fn project(&self, p: &Principal, id: &str) -> Result<pb::Project> {
        let id = id_arg("id", id)?;
        let mut conn = self.pool.acquire().await?;
        let row = self.visible_project(&mut conn, p, id, false).await?;
        self.project_proto(&mut conn, &row).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn projects(&self, p: &Principal, r: pb::ListProjectsRequest) -> Result<pb::ListProjectsResponse> {
        let customer = scoped(p, "customer_id", &r.customer_id)?;
        let mut v = Violations::default();
        let status = v.enumeration("status", r.status, domain::project_status_text, false);
        let limit = v.page_size("page_size", r.page_size);
        let after = v.page_token::<(String, String, Uuid)>("page_token", &r.page_token);
        v.finish()?;
        let mut conn = self.pool.acquire().await?;
        let mut rows = sql::projects(&mut conn, customer, status, after, limit).await?;
        let next_page_token = next_page(&mut rows, limit, |p| (p.customer_name.clone(), p.title.clone(), p.id));
        let ids: Vec<Uuid> = rows.iter().map(|p| p.id).collect();
        let milestones = sql::milestones_of(&mut conn, &ids).await?;
        let today = self.today();
        Ok(pb::ListProjectsResponse { projects: rows.iter().map(|p| p.to_proto(&milestones, today)).collect(), next_page_token })
    }

    /// A new milestone of a project (no id) or a change to one; staff. Answers the whole project.
    #[tracing::instrument(skip_all)]
    pub async fn save_milestone(&self, p: &Principal, r: pb::SaveMilestoneRequest) -> Result<pb::Project> {
        p.require_enterprise()?;
        let mut v = Violations::default();
        let id = v.uuid("id", &r.id, false);
        let project_id = if id.is_none() { v.uuid("project_id", &r.project_id, true) } else { None };
        v.finish()?;
        let (title, planned_on, done_on) = domain::validate_milestone(&r, self.today())?;
        let mut tx = self.pool.begin().await?;
        remember_actor(&mut tx, p).await?;
        let (id, project_id) = match (id, project_id) {
            (Some(id), _) => {
                let row = sql::milestone(&mut tx, id).await?.ok_or_else(|| AppError::not_found("milestone"))?;
                expect_version("expected_version", r.expected_version, row.version)?;
                (id, row.project_id)
            }
            (None, Some(project_id)) => {
                sql::project(&mut tx, project_id, true)
                    .await?
                    .ok_or_else(|| AppError::invalid("project_id", Reason::unknown_reference("no such project")))?;
                (Uuid::now_v7(), project_id)
            }
            (None, None) => return Err(AppError::invalid("project_id", Reason::required())),
        };
        let new = sql::NewMilestone { id, project_id, title: &title, planned_on, done_on };
        sql::upsert_milestone(&mut tx, &new, &p.subject).await?;
        let row = sql::project(&mut tx, project_id, false).await?.ok_or_else(|| AppError::internal("the project is gone"))?;
        let project = self.project_proto(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(project)
    }
}
