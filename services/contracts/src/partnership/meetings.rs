//! Customer meetings and status reviews (table 10) with their minutes,
//! decisions and action items. Staff record them; the customer's contact
//! persons read their own customer's; everyone finds their own open action
//! items (owned by the contact person with their e-mail address).

use super::{Partnership, Result, check_contact, domain, existing_customer, expect_version, reader, scoped, store};
use chrono::NaiveDate;
use kumppani_platform::AppError;
use kumppani_platform::actors::remember_actor;
use kumppani_platform::auth::Principal;
use kumppani_platform::validate::{Violations, id_arg, next_page};
use kumppani_proto::contracts::v1 as pb;
use sqlx::PgConnection;
use store::meetings as sql;
use uuid::Uuid;

impl Partnership {
    async fn meeting_with_actions(&self, conn: &mut PgConnection, row: &sql::MeetingRow) -> Result<pb::Meeting> {
        let today = self.today();
        let actions = sql::actions_of(conn, &[row.id]).await?.iter().map(|a| a.to_proto(today)).collect();
        Ok(row.to_proto(actions))
    }

    async fn visible_meeting(&self, conn: &mut PgConnection, p: &Principal, id: Uuid, lock: bool) -> Result<sql::MeetingRow> {
        let own = reader(p)?;
        let row = sql::meeting(conn, id, lock).await?.ok_or_else(|| AppError::not_found("meeting"))?;
        if own.is_some_and(|c| c != row.customer_id) {
            return Err(AppError::not_found("meeting"));
        }
        Ok(row)
    }

    /// A new meeting (no id) or its minutes and decisions recorded (id + expected_version); staff.
    #[tracing::instrument(skip_all)]
    pub async fn save_meeting(&self, p: &Principal, r: pb::SaveMeetingRequest) -> Result<pb::Meeting> {
        p.require_enterprise()?;
        let mut v = Violations::default();
        let id = v.uuid("id", &r.id, false);
        v.finish()?;
        let input = domain::validate_meeting(&r)?;
        let mut tx = self.pool.begin().await?;
        remember_actor(&mut tx, p).await?;
        let id = match id {
            Some(id) => {
                let row = self.visible_meeting(&mut tx, p, id, true).await?;
                expect_version("expected_version", r.expected_version, row.version)?;
                if row.customer_id != input.customer_id {
                    return Err(AppError::precondition("a meeting stays with its customer: record a new one"));
                }
                id
            }
            None => {
                existing_customer(&mut tx, input.customer_id).await?;
                Uuid::now_v7()
            }
        };
        sql::upsert_meeting(&mut tx, id, &input, &p.subject).await?;
        let row = sql::meeting(&mut tx, id, false).await?.ok_or_else(|| AppError::internal("the meeting just written is gone"))?;
        let meeting = self.meeting_with_actions(&mut tx, &row).await?;
        tx.commit().await?;
        Ok(meeting)
    }

    #[tracing::instrument(skip_all)]
    pub async fn meeting(&self, p: &Principal, id: &str) -> Result<pb::Meeting> {
        let id = id_arg("id", id)?;
        let mut conn = self.pool.acquire().await?;
        let row = self.visible_meeting(&mut conn, p, id, false).await?;
        self.meeting_with_actions(&mut conn, &row).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn meetings(&self, p: &Principal, r: pb::ListMeetingsRequest) -> Result<pb::ListMeetingsResponse> {
        let customer = scoped(p, "customer_id", &r.customer_id)?;
        let mut v = Violations::default();
        let limit = v.page_size("page_size", r.page_size);
        let after = v.page_token::<(NaiveDate, Uuid)>("page_token", &r.page_token);
        v.finish()?;
        let mut conn = self.pool.acquire().await?;
        let mut rows = sql::meetings(&mut conn, customer, after, limit).await?;
        let next_page_token = next_page(&mut rows, limit, |m| (m.held_on, m.id));
        let ids: Vec<Uuid> = rows.iter().map(|m| m.id).collect();
        let today = self.today();
        let actions = sql::actions_of(&mut conn, &ids).await?;
        let meetings =
            rows.iter().map(|m| m.to_proto(actions.iter().filter(|a| a.meeting_id == m.id).map(|a| a.to_proto(today)).collect())).collect();
        Ok(pb::ListMeetingsResponse { meetings, next_page_token })
    }

    /// A new action item of a meeting (no id) or a change to one; staff. The
    /// owner must be a contact person of the meeting's customer (either side).
    #[tracing::instrument(skip_all)]
    pub async fn save_action(&self, p: &Principal, r: pb::SaveActionItemRequest) -> Result<pb::ActionItem> {
        p.require_enterprise()?;
        let mut v = Violations::default();
        let id = v.uuid("id", &r.id, false);
        let meeting_id = if id.is_none() { v.uuid("meeting_id", &r.meeting_id, true) } else { None };
        v.finish()?;
        let input = domain::validate_action(&r, self.today())?;
        let mut tx = self.pool.begin().await?;
        remember_actor(&mut tx, p).await?;
        let (id, meeting_id, customer) = match (id, meeting_id) {
            (Some(id), _) => {
                let row = sql::action(&mut tx, id, true).await?.ok_or_else(|| AppError::not_found("action item"))?;
                expect_version("expected_version", r.expected_version, row.version)?;
                (id, row.meeting_id, row.customer_id)
            }
            (None, Some(meeting_id)) => {
                let meeting = sql::meeting(&mut tx, meeting_id, true)
                    .await?
                    .ok_or_else(|| AppError::invalid("meeting_id", kumppani_platform::Reason::unknown_reference("no such meeting")))?;
                (Uuid::now_v7(), meeting_id, meeting.customer_id)
            }
            (None, None) => return Err(AppError::invalid("meeting_id", kumppani_platform::Reason::required())),
        };
        let mut v = Violations::default();
        check_contact(&mut tx, &mut v, "owner_contact_id", input.owner, customer, None).await?;
        v.finish()?;
        sql::upsert_action(&mut tx, id, meeting_id, &input, &p.subject).await?;
        let row = sql::action(&mut tx, id, false).await?.ok_or_else(|| AppError::internal("the action item just written is gone"))?;
        tx.commit().await?;
        Ok(row.to_proto(self.today()))
    }

    /// Action items in scope: of a customer, open only, or the caller's own
    /// (`mine`: owned by the contact person with the token's e-mail address).
    #[tracing::instrument(skip_all)]
    pub async fn actions(&self, p: &Principal, r: pb::ListActionItemsRequest) -> Result<pb::ListActionItemsResponse> {
        let customer = scoped(p, "customer_id", &r.customer_id)?;
        let mut v = Violations::default();
        let limit = v.page_size("page_size", r.page_size);
        let after = v.page_token::<(Option<NaiveDate>, Uuid)>("page_token", &r.page_token);
        v.finish()?;
        let owner_email = if r.mine {
            if p.email.trim().is_empty() {
                return Ok(pb::ListActionItemsResponse::default());
            }
            Some(p.email.trim().to_owned())
        } else {
            None
        };
        let filter = sql::ActionFilter { customer_id: customer, open_only: r.open_only, owner_email, after, limit };
        let mut conn = self.pool.acquire().await?;
        let mut rows = sql::actions(&mut conn, &filter).await?;
        let next_page_token = next_page(&mut rows, limit, |a| (a.due_on, a.id));
        let today = self.today();
        Ok(pb::ListActionItemsResponse { action_items: rows.iter().map(|a| a.to_proto(today)).collect(), next_page_token })
    }
}
