//! Partnership management without transport: the annual preparation calendar
//! (template, each customer's tasks per agreement year, owners, outcomes,
//! reminders) and disputes with their two-month clock. Who may do what, the
//! transactions with their outbox events and the mail they send.
//!
//! Scope: staff see and change everything; a customer's contact persons read
//! their own customer's calendar and disputes and may open a dispute on their
//! own agreement; site users and system clients are refused (no grant opens
//! the partnership: it is the parties' own business).

pub mod domain;
pub mod mail;
mod meetings;
mod projects;
pub mod store;

use crate::PRODUCER;
use chrono::{DateTime, NaiveDate, Utc};
use kumppani_platform::AppError;
use kumppani_platform::actors::remember_actor;
use kumppani_platform::auth::{Principal, Role};
use kumppani_platform::events::emit;
use kumppani_platform::validate::{Reason, Violations, id_arg, next_page};
use kumppani_proto::contracts::v1 as pb;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

type Result<T> = std::result::Result<T, AppError>;

#[derive(Clone)]
pub struct Partnership {
    pub pool: PgPool,
    /// A fixed "now" (the demo's history, tests that move the clock); `None`: the wall clock.
    pub at: Option<DateTime<Utc>>,
    /// The portal's public address, for links in e-mails.
    pub portal_url: String,
}

/// The customer a reader is limited to (`None`: staff, every customer).
fn reader(p: &Principal) -> Result<Option<Uuid>> {
    match p.role {
        Role::EnterpriseAdmin | Role::EnterpriseStaff => Ok(None),
        Role::CustomerContact => p.customer_id.map(Some).ok_or_else(|| AppError::denied("the token names no customer")),
        Role::SiteUser => {
            Err(AppError::denied("the annual calendar and disputes are the customer's contact persons' and the producer's staff's"))
        }
        Role::SystemClient => Err(AppError::denied("no grant opens the partnership's calendar and disputes")),
    }
}

/// The customer asked for, within the reader's scope: another customer is refused.
fn scoped(p: &Principal, field: &str, asked: &str) -> Result<Option<Uuid>> {
    let own = reader(p)?;
    let mut v = Violations::default();
    let asked = v.uuid(field, asked, false);
    v.finish()?;
    match (own, asked) {
        (Some(own), Some(a)) if own != a => Err(AppError::denied("a customer's people see only their own customer's partnership")),
        (Some(own), _) => Ok(Some(own)),
        (None, asked) => Ok(asked),
    }
}

/// Adds a violation unless `contact` (when given) is a contact person of
/// `customer`, of `party` when one is named.
async fn check_contact(
    conn: &mut PgConnection,
    v: &mut Violations,
    field: &str,
    contact: Option<Uuid>,
    customer: Uuid,
    party: Option<&'static str>,
) -> Result<()> {
    let Some(contact) = contact else { return Ok(()) };
    match store::contact(conn, contact).await? {
        Some((c, p)) if c == customer && party.is_none_or(|party| p == party) => {}
        Some((c, _)) if c == customer => {
            let party = party.unwrap_or_default();
            v.add(field, Reason::new("wrong_party", format!("must be a contact person of the {party}")).with("party", party))
        }
        _ => v.add(field, Reason::unknown_reference("is not a contact person of this customer")),
    }
    Ok(())
}

/// The customer of a write: it must exist (else a field error on `customer_id`).
async fn existing_customer(conn: &mut PgConnection, id: Uuid) -> Result<()> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM customers WHERE id = $1)").bind(id).fetch_one(conn).await?;
    if exists { Ok(()) } else { Err(AppError::invalid("customer_id", Reason::unknown_reference("no such customer"))) }
}

fn expect_version(field: &str, expected: i32, actual: i32) -> Result<()> {
    if expected != actual {
        return Err(AppError::precondition(format!(
            "{field}: changed by someone else (version {actual}, expected {expected}): reload and try again"
        )));
    }
    Ok(())
}

impl Partnership {
    pub fn new(pool: PgPool, portal_url: impl Into<String>) -> Self {
        Self { pool, at: None, portal_url: portal_url.into() }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.at.unwrap_or_else(Utc::now)
    }

    /// Today in Europe/Helsinki at the service's "now".
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&chrono_tz::Europe::Helsinki).date_naive()
    }

    // ---------- the calendar ----------

    #[tracing::instrument(skip_all)]
    pub async fn steps(&self, p: &Principal, include_inactive: bool) -> Result<Vec<pb::CalendarStep>> {
        reader(p)?;
        let mut conn = self.pool.acquire().await?;
        Ok(store::steps(&mut conn, include_inactive && p.is_enterprise()).await?.into_iter().map(Into::into).collect())
    }

    #[tracing::instrument(skip_all)]
    pub async fn set_step(&self, p: &Principal, r: pb::SetCalendarStepRequest) -> Result<pb::CalendarStep> {
        p.require_enterprise()?;
        let mut v = Violations::default();
        let id = v.uuid("id", &r.id, false);
        v.finish()?;
        let input = domain::validate_step(&r)?;
        let mut tx = self.pool.begin().await?;
        remember_actor(&mut tx, p).await?;
        let id = match id {
            Some(id) => {
                let row = store::step(&mut tx, id, true).await?.ok_or_else(|| AppError::not_found("calendar step"))?;
                expect_version("expected_version", r.expected_version, row.version)?;
                id
            }
            None => Uuid::now_v7(),
        };
        store::upsert_step(&mut tx, id, &input, &p.subject).await?;
        let step = store::step(&mut tx, id, false).await?.ok_or_else(|| AppError::internal("the step just written is gone"))?;
        tx.commit().await?;
        Ok(step.into())
    }

    #[tracing::instrument(skip_all)]
    pub async fn plan(&self, p: &Principal, r: pb::PlanCalendarRequest) -> Result<pb::PlanCalendarResponse> {
        p.require_enterprise()?;
        let mut v = Violations::default();
        let year = v.year("year", r.year, true).unwrap_or_default();
        let customer = v.uuid("customer_id", &r.customer_id, false);
        v.finish()?;
        let mut tx = self.pool.begin().await?;
        remember_actor(&mut tx, p).await?;
        if let Some(c) = customer {
            existing_customer(&mut tx, c).await?;
        }
        let steps: Vec<(Uuid, NaiveDate)> = store::steps(&mut tx, false)
            .await?
            .iter()
            .filter_map(|s| Some((s.id, domain::due_date(year, u32::try_from(s.month).ok()?, u32::try_from(s.day).ok()?)?)))
            .collect();
        let (created, customers) = store::plan(&mut tx, year, customer, &steps, &p.subject).await?;
        tx.commit().await?;
        Ok(pb::PlanCalendarResponse {
            created: i32::try_from(created).unwrap_or(i32::MAX),
            customers: i32::try_from(customers).unwrap_or(i32::MAX),
        })
    }

    #[tracing::instrument(skip_all)]
    pub async fn tasks(&self, p: &Principal, r: pb::ListCalendarTasksRequest) -> Result<pb::ListCalendarTasksResponse> {
        let customer = scoped(p, "customer_id", &r.customer_id)?;
        let today = self.today();
        let mut v = Violations::default();
        let year = v.year("year", r.year, false);
        let due_by = v.date("due_by", r.due_by.as_ref(), false);
        let limit = v.page_size("page_size", r.page_size);
        let after = v.page_token::<(NaiveDate, String, i32, Uuid)>("page_token", &r.page_token);
        v.finish()?;
        let filter = store::TaskFilter {
            year,
            customer_id: customer,
            open_due_by: due_by,
            overdue_before: r.overdue_only.then_some(today),
            after,
            limit,
        };
        let mut conn = self.pool.acquire().await?;
        let mut rows = store::tasks(&mut conn, &filter).await?;
        let next_page_token = next_page(&mut rows, limit, |t| (t.due_on, t.customer_name.clone(), t.position, t.id));
        Ok(pb::ListCalendarTasksResponse { tasks: rows.iter().map(|t| t.to_proto(today)).collect(), next_page_token })
    }

    async fn visible_task(&self, conn: &mut PgConnection, p: &Principal, id: Uuid, lock: bool) -> Result<store::TaskRow> {
        let own = reader(p)?;
        let row = store::task(conn, id, lock).await?.ok_or_else(|| AppError::not_found("calendar task"))?;
        if own.is_some_and(|c| c != row.customer_id) {
            return Err(AppError::not_found("calendar task"));
        }
        Ok(row)
    }

    #[tracing::instrument(skip_all)]
    pub async fn task(&self, p: &Principal, id: &str) -> Result<pb::CalendarTask> {
        let id = id_arg("id", id)?;
        let mut conn = self.pool.acquire().await?;
        Ok(self.visible_task(&mut conn, p, id, false).await?.to_proto(self.today()))
    }

    /// Owners (contact persons of the task's customer, of the right party),
    /// due date, status and outcome; staff.
    #[tracing::instrument(skip_all)]
    pub async fn update_task(&self, p: &Principal, r: pb::UpdateCalendarTaskRequest) -> Result<pb::CalendarTask> {
        p.require_enterprise()?;
        let id = id_arg("id", &r.id)?;
        let today = self.today();
        let change = domain::validate_task_change(&r, today)?;
        let mut tx = self.pool.begin().await?;
        remember_actor(&mut tx, p).await?;
        let row = self.visible_task(&mut tx, p, id, true).await?;
        expect_version("expected_version", r.expected_version, row.version)?;
        let mut v = Violations::default();
        check_contact(&mut tx, &mut v, "enterprise_owner_contact_id", change.enterprise_owner, row.customer_id, Some("enterprise")).await?;
        check_contact(&mut tx, &mut v, "customer_owner_contact_id", change.customer_owner, row.customer_id, Some("customer")).await?;
        v.finish()?;
        let due_on = change.due_on.unwrap_or(row.due_on);
        store::update_task(&mut tx, id, &change, due_on, &p.subject).await?;
        let task = store::task(&mut tx, id, false).await?.ok_or_else(|| AppError::internal("the task just written is gone"))?;
        tx.commit().await?;
        Ok(task.to_proto(today))
    }

    /// The year asked and `years_back` years before it, for a customer or all in scope.
    #[tracing::instrument(skip_all)]
    pub async fn kpis(&self, p: &Principal, r: pb::GetPartnershipKpisRequest) -> Result<pb::PartnershipKpis> {
        let customer = scoped(p, "customer_id", &r.customer_id)?;
        let mut v = Violations::default();
        let year = v.year("year", r.year, true).unwrap_or_default();
        v.check((0..=10).contains(&r.years_back), "years_back", Reason::out_of_range(0, 10));
        v.finish()?;
        let today = self.today();
        let mut conn = self.pool.acquire().await?;
        let mut years = Vec::new();
        for y in (year - r.years_back..=year).rev() {
            let c = store::year_counts(&mut conn, y, customer, today).await?;
            let w = store::projects::year_counts(&mut conn, y, customer, today).await?;
            let n = |x: i64| i32::try_from(x).unwrap_or(i32::MAX);
            years.push(pb::PartnershipYearKpis {
                year: y,
                tasks_due: n(c.tasks_due),
                tasks_done_on_time: n(c.tasks_done_on_time),
                tasks_overdue: n(c.tasks_overdue),
                on_time_percent: domain::percent(c.tasks_done_on_time, c.tasks_due),
                agreements: n(c.agreements),
                agreements_signed_by_deadline: n(c.agreements_signed_by_deadline),
                signed_by_deadline_percent: domain::percent(c.agreements_signed_by_deadline, c.agreements),
                disputes_opened: n(c.disputes_opened),
                disputes_escalated: n(c.disputes_escalated),
                milestones_due: n(w.milestones_due),
                milestones_on_time: n(w.milestones_on_time),
                milestones_on_time_percent: domain::percent(w.milestones_on_time, w.milestones_due),
                projects: n(w.projects),
                projects_on_schedule: n(w.projects_on_schedule),
            });
        }
        Ok(pb::PartnershipKpis { customer_id: customer.map(|c| c.to_string()).unwrap_or_default(), years })
    }

    // ---------- disputes ----------

    /// Opens a dispute on an agreement: staff, or a contact person of the
    /// agreement's customer. Both parties' contract-level contacts are told by e-mail.
    #[tracing::instrument(skip_all)]
    pub async fn open_dispute(&self, p: &Principal, r: pb::OpenDisputeRequest) -> Result<pb::Dispute> {
        let own = reader(p)?;
        let today = self.today();
        let input = domain::validate_dispute(&r, today)?;
        let mut tx = self.pool.begin().await?;
        remember_actor(&mut tx, p).await?;
        let agreement = crate::store::agreement_row(&mut tx, input.agreement_id, false)
            .await?
            .filter(|a| own.is_none_or(|c| c == a.customer_id))
            .ok_or_else(|| AppError::invalid("agreement_id", Reason::unknown_reference("no such agreement of yours")))?;
        let id = Uuid::now_v7();
        let party = if p.is_enterprise() { "enterprise" } else { "customer" };
        let new = store::NewDispute { id, customer_id: agreement.customer_id, input: &input, opened_by: &p.subject, opened_party: party };
        store::insert_dispute(&mut tx, &new).await?;
        let dispute = self.announce(&mut tx, id, "opened", pb::DisputeStatus::Unspecified).await?;
        mail::dispute_mail(&mut tx, &dispute, &self.portal_url).await?;
        tx.commit().await?;
        Ok(dispute)
    }

    /// Emits the dispute's event as it is now and answers it.
    pub(crate) async fn announce(
        &self,
        conn: &mut PgConnection,
        id: Uuid,
        change: &str,
        previous: pb::DisputeStatus,
    ) -> Result<pb::Dispute> {
        let row = store::dispute(&mut *conn, id, false).await?.ok_or_else(|| AppError::internal("the dispute just written is gone"))?;
        let dispute = row.to_proto(self.today());
        let event = pb::DisputeEvent { dispute: Some(dispute.clone()), previous_status: previous as i32 };
        emit(conn, PRODUCER, &format!("contracts.dispute.{change}"), &event).await?;
        Ok(dispute)
    }

    async fn visible_dispute(&self, conn: &mut PgConnection, p: &Principal, id: Uuid, lock: bool) -> Result<store::DisputeRow> {
        let own = reader(p)?;
        let row = store::dispute(conn, id, lock).await?.ok_or_else(|| AppError::not_found("dispute"))?;
        if own.is_some_and(|c| c != row.customer_id) {
            return Err(AppError::not_found("dispute"));
        }
        Ok(row)
    }

    #[tracing::instrument(skip_all)]
    pub async fn dispute(&self, p: &Principal, id: &str) -> Result<pb::Dispute> {
        let id = id_arg("id", id)?;
        let mut conn = self.pool.acquire().await?;
        Ok(self.visible_dispute(&mut conn, p, id, false).await?.to_proto(self.today()))
    }

    #[tracing::instrument(skip_all)]
    pub async fn disputes(&self, p: &Principal, r: pb::ListDisputesRequest) -> Result<pb::ListDisputesResponse> {
        let customer = scoped(p, "customer_id", &r.customer_id)?;
        let mut v = Violations::default();
        let agreement_id = v.uuid("agreement_id", &r.agreement_id, false);
        let status = v.enumeration("status", r.status, domain::dispute_status_text, false);
        let limit = v.page_size("page_size", r.page_size);
        let after = v.page_token::<(NaiveDate, i64)>("page_token", &r.page_token);
        v.finish()?;
        let filter = store::DisputeFilter { customer_id: customer, agreement_id, status, after, limit };
        let mut conn = self.pool.acquire().await?;
        let mut rows = store::disputes(&mut conn, &filter).await?;
        let next_page_token = next_page(&mut rows, limit, |d| (d.opened_on, d.number));
        let today = self.today();
        Ok(pb::ListDisputesResponse { disputes: rows.iter().map(|d| d.to_proto(today)).collect(), next_page_token })
    }

    /// Records the outcome agreed (between the parties, or decided after escalation); staff.
    #[tracing::instrument(skip_all)]
    pub async fn settle(&self, p: &Principal, r: pb::SettleDisputeRequest) -> Result<pb::Dispute> {
        p.require_enterprise()?;
        let id = id_arg("id", &r.id)?;
        let mut tx = self.pool.begin().await?;
        remember_actor(&mut tx, p).await?;
        let row = self.visible_dispute(&mut tx, p, id, true).await?;
        let (outcome, settled_on) = domain::validate_settlement(&r, row.opened_on, self.today())?;
        if row.status == "settled" {
            return Err(AppError::precondition("the dispute is already settled"));
        }
        expect_version("expected_version", r.expected_version, row.version)?;
        store::settle(&mut tx, id, &outcome, settled_on, &p.subject).await?;
        let previous = pb::DisputeStatus::try_from(domain::dispute_status_from(&row.status)).unwrap_or_default();
        let dispute = self.announce(&mut tx, id, "settled", previous).await?;
        tx.commit().await?;
        Ok(dispute)
    }
}
