//! The feedback service without transport: who may do what, validation,
//! routing, the lifecycle with its history, notifications and events, each
//! write in one transaction with its outbox events.

use crate::PRODUCER;
use crate::convert;
use crate::domain::{self, Side};
use crate::store::{self, ItemRow, ListFilter, Person};
use chrono::{DateTime, Datelike, Duration, Utc};
use kumppani_platform::auth::{Principal, Role};
use kumppani_platform::events::emit;
use kumppani_platform::validate::{Violations, id_arg, next_page};
use kumppani_platform::{AppError, Reason};
use kumppani_proto::feedback::v1 as pb;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

type Result<T> = std::result::Result<T, AppError>;

/// Who an item is from: a person (subject and name as their token says) or an Open311 client.
#[derive(Debug, Clone)]
pub struct Submitter {
    pub subject: String,
    pub name: String,
}

#[derive(Clone)]
pub struct Feedback {
    pub pool: PgPool,
    /// A fixed "now" (the demo's history, tests that move the clock); `None`: the wall clock.
    pub at: Option<DateTime<Utc>>,
}

/// May the caller see this item? Staff: every item; a customer's contact:
/// their customer's; a site user: their site's.
fn may_see(p: &Principal, r: &ItemRow) -> bool {
    match p.role {
        Role::EnterpriseAdmin | Role::EnterpriseStaff => true,
        Role::CustomerContact => p.customer_id == Some(r.customer_id),
        Role::SiteUser => p.site_id == Some(r.site_id) && p.customer_id == Some(r.customer_id),
        Role::SystemClient => false,
    }
}

/// The item's event type for a change, e.g. `feedback.item.resolved`.
fn event_type(change: &str) -> String {
    format!("feedback.item.{change}")
}

/// The item as stored now, with its clocks (no thread).
async fn load(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<(ItemRow, Vec<store::Pause>)> {
    let row = store::item(&mut *conn, id, lock).await?.ok_or_else(|| AppError::not_found("feedback item"))?;
    let pauses = store::pauses(&mut *conn, &[id]).await?.remove(&id).unwrap_or_default();
    Ok((row, pauses))
}

async fn current(conn: &mut PgConnection, id: Uuid) -> Result<pb::FeedbackItem> {
    let (row, pauses) = load(conn, id, false).await?;
    Ok(convert::item(&row, &pauses, Utc::now()))
}

/// Emits the item's event as it is now.
/// Every change ends here, so the SLA job's `next_alarm_at` is kept here too.
async fn announce(conn: &mut PgConnection, id: Uuid, change: &str, previous: &str) -> Result<pb::FeedbackItem> {
    let (row, pauses) = load(&mut *conn, id, false).await?;
    store::set_clock_marks(&mut *conn, id, convert::next_alarm(&row, &pauses), convert::due_at(&row, &pauses)).await?;
    let item = convert::item(&row, &pauses, Utc::now());
    let event = pb::FeedbackEvent { item: Some(item.clone()), previous_status: domain::status_from(previous) };
    emit(&mut *conn, PRODUCER, &event_type(change), &event).await?;
    Ok(item)
}

/// An item the caller may see and still talk about (not closed), locked for a change.
async fn open_item(conn: &mut PgConnection, p: &Principal, id: Uuid) -> Result<ItemRow> {
    let (row, _) = load(conn, id, true).await?;
    if !may_see(p, &row) {
        return Err(AppError::not_found("feedback item"));
    }
    if row.status == "closed" {
        return Err(AppError::precondition("the item is closed: reopen it (within 14 days of its resolution) or give new feedback"));
    }
    Ok(row)
}

fn handler_of(r: &ItemRow) -> Person {
    Person::from_json(&r.handler)
}

fn first_words(s: &str) -> String {
    let mut out: String = s.chars().take(120).collect();
    if s.chars().count() > 120 {
        out.push('…');
    }
    out
}

impl Feedback {
    pub fn new(pool: PgPool) -> Self {
        Self { pool, at: None }
    }

    /// The service's "now".
    pub fn now(&self) -> DateTime<Utc> {
        self.at.unwrap_or_else(Utc::now)
    }

    /// A new item: routed to the producer's person for the site and topic,
    /// its SLA target fixed, flagged when recurring; a critical item escalates
    /// to the manager at once.
    #[tracing::instrument(skip_all)]
    pub async fn submit(&self, p: &Principal, r: pb::SubmitFeedbackRequest) -> Result<pb::FeedbackItem> {
        let side = domain::side(p)?;
        let mut r = r;
        let photos = std::mem::take(&mut r.photos);
        let new = domain::validate_submit(p, &r, photos, kumppani_platform::calendar::today())?;
        let mut conn = self.pool.acquire().await?;
        if !new.idempotency_key.is_empty() {
            if let Some(id) = store::item_by_key(&mut conn, &p.subject, &new.idempotency_key).await? {
                return current(&mut conn, id).await;
            }
        }
        let customer = store::site_customer(&mut conn, new.site).await?;
        let mut v = Violations::default();
        match customer {
            None => v.add("site_id", Reason::unknown_reference("no such site")),
            Some(c) if side == Side::Customer && (p.customer_id != Some(c) || p.site_scope().is_some_and(|s| s != new.site)) => {
                v.add("site_id", Reason::new("not_your_site", "is not a site of yours"));
            }
            Some(_) => {}
        }
        if !new.product_code.is_empty() && !store::product_exists(&mut conn, &new.product_code).await? {
            v.add("product_code", Reason::unknown_reference("no such product"));
        }
        v.finish()?;
        drop(conn);
        self.create(&Submitter { subject: p.subject.clone(), name: p.name.clone() }, new).await
    }

    /// Writes a validated new item (portal, staff or Open311): routed to the
    /// producer's person for the site and topic, its SLA target fixed,
    /// flagged when recurring; a critical item escalates to the manager at once.
    pub(crate) async fn create(&self, by: &Submitter, new: domain::NewItem) -> Result<pb::FeedbackItem> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let Some(customer) = store::site_customer(&mut tx, new.site).await? else {
            return Err(AppError::invalid("site_id", Reason::unknown_reference("no such site")));
        };
        let unit = store::site_unit(&mut tx, new.site).await?;
        let contacts = domain::covering(store::contacts_of(&mut tx, customer).await?, new.site, unit);
        let (handler, manager) = domain::route(&contacts, new.topic);
        let handler = handler.as_ref().map(Person::of).unwrap_or_default();
        let manager = manager.as_ref().map(Person::of).unwrap_or_default();
        let year = kumppani_platform::calendar::today().year();
        let target = store::sla_target(&mut tx, new.severity, new.topic, customer, year).await?;
        let since = now - Duration::days(domain::RECURRING_WINDOW_DAYS);
        let problem = matches!(new.kind, "reclamation" | "feedback");
        let recurring = problem && domain::is_recurring(store::count_recent(&mut tx, new.site, new.topic, since).await? + 1);
        kumppani_platform::actors::remember_name(&mut tx, &by.subject, &by.name).await?;
        let id = Uuid::now_v7();
        let insert = store::Insert {
            id,
            item: &new,
            customer,
            submitted_by: &by.subject,
            handler: handler.clone(),
            manager: manager.clone(),
            target,
            recurring,
            at: now,
        };
        if !store::insert_item(&mut tx, insert).await? {
            // The same key won a race: answer with its item.
            drop(tx);
            let mut conn = self.pool.acquire().await?;
            let id = store::item_by_key(&mut conn, &by.subject, &new.idempotency_key)
                .await?
                .ok_or_else(|| AppError::internal("keyed item lost"))?;
            return current(&mut conn, id).await;
        }
        let detail = match new.channel {
            "phone" | "email" => format!("{}: {}", new.channel, new.contact_name),
            "open311" => "open311".to_owned(),
            _ => String::new(),
        };
        store::add_history(&mut tx, id, "received", &detail, &by.subject, now).await?;
        for photo in &new.photos {
            store::photo::insert(&mut tx, id, photo, &by.subject, now).await?;
        }
        store::notify(&mut tx, &handler.email, "feedback_received", id, &first_words(&new.description), now).await?;
        if new.severity == "critical" {
            store::set_escalated(&mut tx, id).await?;
            store::add_history(&mut tx, id, "escalated", &manager.name, "feedback-sla", now).await?;
            store::notify(&mut tx, &manager.email, "escalated", id, &first_words(&new.description), now).await?;
        }
        if recurring {
            store::add_history(&mut tx, id, "recurring_flagged", "", "feedback-sla", now).await?;
            store::notify(&mut tx, &manager.email, "recurring", id, new.topic, now).await?;
        }
        let item = announce(&mut tx, id, "received", "").await?;
        if recurring {
            let event = pb::FeedbackEvent { item: Some(item.clone()), previous_status: 0 };
            emit(&mut tx, PRODUCER, "feedback.item.recurring", &event).await?;
        }
        tx.commit().await?;
        Ok(item)
    }

    /// An item with its thread (internal notes for staff only) and history.
    #[tracing::instrument(skip_all)]
    pub async fn get(&self, p: &Principal, id: &str) -> Result<pb::FeedbackItem> {
        let side = domain::side(p)?;
        let id = id_arg("id", id)?;
        let mut conn = self.pool.acquire().await?;
        let (row, pauses) = load(&mut conn, id, false).await?;
        if !may_see(p, &row) {
            return Err(AppError::not_found("feedback item"));
        }
        let mut item = convert::item(&row, &pauses, Utc::now());
        item.messages = store::messages(&mut conn, id, side == Side::Staff).await?.into_iter().map(convert::message).collect();
        item.history = store::history(&mut conn, id).await?.into_iter().map(convert::history).collect();
        item.photos = store::photo::list(&mut conn, id).await?.into_iter().map(convert::photo).collect();
        Ok(item)
    }

    /// Adds photos to an item: whoever may see it (the submitter's side,
    /// staff) while it is not closed; at most five per item in all.
    #[tracing::instrument(skip_all)]
    pub async fn add_photos(&self, p: &Principal, r: pb::AddPhotosRequest) -> Result<pb::FeedbackItem> {
        domain::side(p)?;
        let id = id_arg("id", &r.id)?;
        if r.photos.is_empty() {
            return Err(AppError::invalid("photos", Reason::required()));
        }
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        open_item(&mut tx, p, id).await?;
        let mut v = Violations::default();
        let photos = crate::photo::check(&mut v, r.photos, store::photo::count(&mut tx, id).await?);
        v.finish()?;
        kumppani_platform::actors::remember_actor(&mut tx, p).await?;
        for photo in &photos {
            store::photo::insert(&mut tx, id, photo, &p.subject, now).await?;
        }
        let names = photos.iter().map(|x| x.filename.as_str()).collect::<Vec<_>>().join(", ");
        store::add_history(&mut tx, id, "photos_added", &names, &p.subject, now).await?;
        store::touch(&mut tx, id).await?;
        tx.commit().await?;
        self.get(p, &r.id).await
    }

    /// A photo of an item with its bytes, for whoever may see the item.
    #[tracing::instrument(skip_all)]
    pub async fn photo(&self, p: &Principal, r: pb::GetPhotoRequest) -> Result<pb::PhotoFile> {
        domain::side(p)?;
        let mut v = Violations::default();
        let id = v.uuid("id", &r.id, true);
        let photo = v.uuid("photo_id", &r.photo_id, true);
        v.finish()?;
        let (Some(id), Some(photo)) = (id, photo) else { return Err(AppError::internal("validated fields missing")) };
        let mut conn = self.pool.acquire().await?;
        let (row, _) = load(&mut conn, id, false).await?;
        if !may_see(p, &row) {
            return Err(AppError::not_found("feedback item"));
        }
        let (photo, content) = store::photo::get(&mut conn, id, photo).await?.ok_or_else(|| AppError::not_found("photo"))?;
        Ok(pb::PhotoFile { photo: Some(convert::photo(photo)), content })
    }

    #[tracing::instrument(skip_all)]
    pub async fn list(&self, p: &Principal, r: pb::ListFeedbackRequest) -> Result<pb::ListFeedbackResponse> {
        domain::side(p)?;
        let mut v = Violations::default();
        let customer = v.uuid("customer_id", &r.customer_id, false);
        let site = v.uuid("site_id", &r.site_id, false);
        let limit = v.page_size("page_size", r.page_size);
        let before: Option<(DateTime<Utc>, Uuid)> = v.page_token("page_token", &r.page_token);
        let mut statuses = Vec::new();
        if r.status != 0 {
            statuses.extend(v.enumeration("status", r.status, domain::status_text, true));
        } else if r.open_only {
            statuses.extend(["received", "acknowledged", "in_progress", "waiting_for_customer"]);
        }
        if r.mine && !p.is_enterprise() {
            v.add("mine", Reason::new("staff_only", "only the producer's staff handle items"));
        } else if r.mine && p.email.trim().is_empty() {
            v.add("mine", Reason::new("no_email", "your sign-in carries no e-mail address to find your items by"));
        }
        v.finish()?;
        let (customer, site) = match p.role {
            Role::CustomerContact | Role::SiteUser => {
                if customer.is_some_and(|c| Some(c) != p.customer_id)
                    || (p.site_scope().is_some() && site.is_some_and(|s| Some(s) != p.site_scope()))
                {
                    return Ok(pb::ListFeedbackResponse::default());
                }
                (p.customer_id, p.site_scope().or(site))
            }
            _ => (customer, site),
        };
        let filter = ListFilter {
            customer,
            site,
            statuses,
            handler_email: r.mine.then(|| p.email.to_lowercase()),
            before,
            by_due: r.by_due,
            limit: limit + 1,
        };
        let mut conn = self.pool.acquire().await?;
        let mut rows = store::list(&mut conn, &filter).await?;
        let next_page_token =
            next_page(&mut rows, limit, |r| (if filter.by_due { store::queue_key(r.due_at) } else { r.created_at }, r.id));
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let pauses = store::pauses(&mut conn, &ids).await?;
        let now = self.now();
        let items = rows.iter().map(|r| convert::item(r, pauses.get(&r.id).map(Vec::as_slice).unwrap_or(&[]), now)).collect();
        Ok(pb::ListFeedbackResponse { items, next_page_token })
    }

    /// A lifecycle step (domain::transition says which are allowed); the
    /// submitter hears of every status change, a resolution's compensation
    /// goes to invoicing as an event.
    #[tracing::instrument(skip_all)]
    pub async fn transition(&self, p: &Principal, r: pb::TransitionFeedbackRequest) -> Result<pb::FeedbackItem> {
        let side = domain::side(p)?;
        let id = id_arg("id", &r.id)?;
        let action =
            pb::FeedbackAction::try_from(r.action).map_err(|_| AppError::invalid("action", Reason::unknown_reference("no such action")))?;
        let mut v = Violations::default();
        let note = v.text("note", &r.note, domain::MAX_TEXT, false);
        v.finish()?;
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let (row, pauses) = load(&mut tx, id, true).await?;
        if !may_see(p, &row) {
            return Err(AppError::not_found("feedback item"));
        }
        if r.expected_version.is_some_and(|e| e != row.version) {
            return Err(AppError::new(kumppani_platform::ErrorCode::Aborted, "the item changed meanwhile: reload it"));
        }
        let t = domain::transition(action, &row.status, side, row.resolved_at, now)?;
        let (corrective, compensation) = if t.resolves { domain::validate_resolution(&row.kind, &r)? } else { (String::new(), None) };
        if compensation.is_some() && row.compensation_amount.is_some() {
            // A reopened item was compensated at its first resolution: invoicing has credited it.
            return Err(AppError::invalid("compensation.amount", Reason::new("already_granted", "this item has been compensated already")));
        }
        kumppani_platform::actors::remember_actor(&mut tx, p).await?;
        let clock = domain::clock(row.around_the_clock);
        if t.resumes {
            store::end_pauses(&mut tx, id, now).await?;
        }
        let acknowledged =
            (t.acknowledges && row.acknowledged_at.is_none()).then(|| (now, minutes(clock.elapsed(row.created_at, now, &[]))));
        let resolved = t.resolves.then(|| {
            let mut ended = pauses.clone();
            for pause in &mut ended {
                pause.1 = pause.1.or(Some(now));
            }
            (now, minutes(clock.elapsed(row.created_at, now, &ended)))
        });
        if t.pauses {
            store::start_pause(&mut tx, id, now).await?;
        }
        let update = store::StatusUpdate {
            status: t.to,
            acknowledged,
            resolved,
            reopened: t.change == "reopened",
            closed: t.closes.then_some(now),
            corrective_action: t.resolves.then_some(corrective.as_str()),
            compensation: compensation.as_ref().map(|(a, r)| (*a, r.as_str())),
        };
        store::update_status(&mut tx, id, &update).await?;
        let detail = if t.resolves { corrective.clone() } else { note.clone() };
        store::add_history(&mut tx, id, t.change, &detail, &p.subject, self.now()).await?;
        if !note.is_empty() {
            store::add_message(&mut tx, id, &note, false, &p.subject, side == Side::Staff, self.now()).await?;
        }
        // Who hears of it: the customer's side of the producer's steps, the handler of the customer's.
        let recipient = if side == Side::Staff { row.contact_email.clone() } else { handler_of(&row).email };
        store::notify(&mut tx, &recipient, "status", id, t.to, self.now()).await?;
        let item = announce(&mut tx, id, t.change, &row.status).await?;
        if let Some((amount, reason)) = &compensation {
            let event = pb::CompensationEvent {
                item_id: id.to_string(),
                item_number: row.number,
                customer_id: row.customer_id.to_string(),
                site_id: row.site_id.to_string(),
                service_day: row.service_day.map(pb::Date::from_naive),
                amount: format!("{amount:.2}"),
                reason: format!("#{} {reason}", row.number),
                granted_by: p.subject.clone(),
                topic: domain::topic_from(&row.topic),
            };
            emit(&mut tx, PRODUCER, "feedback.compensation.granted", &event).await?;
        }
        tx.commit().await?;
        Ok(item)
    }

    /// A message in the thread. The customer's answer to an item waiting for
    /// them resumes its handling (the clock runs again).
    #[tracing::instrument(skip_all)]
    pub async fn post_message(&self, p: &Principal, r: pb::PostMessageRequest) -> Result<pb::FeedbackItem> {
        let side = domain::side(p)?;
        let id = id_arg("id", &r.id)?;
        let mut v = Violations::default();
        let body = v.text("body", &r.body, domain::MAX_TEXT, true);
        if r.internal && side != Side::Staff {
            v.add("internal", Reason::new("staff_only", "internal notes are the producer's staff's"));
        }
        v.finish()?;
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let row = open_item(&mut tx, p, id).await?;
        kumppani_platform::actors::remember_actor(&mut tx, p).await?;
        store::add_message(&mut tx, id, &body, r.internal, &p.subject, side == Side::Staff, self.now()).await?;
        let mut change = "message";
        if side == Side::Customer && row.status == "waiting_for_customer" {
            store::end_pauses(&mut tx, id, now).await?;
            let update = store::StatusUpdate {
                status: "in_progress",
                acknowledged: None,
                resolved: None,
                reopened: false,
                closed: None,
                corrective_action: None,
                compensation: None,
            };
            store::update_status(&mut tx, id, &update).await?;
            store::add_history(&mut tx, id, "resumed", "", &p.subject, self.now()).await?;
            change = "resumed";
        } else if side == Side::Staff && !r.internal && row.acknowledged_at.is_none() {
            // A public answer is the producer's first reaction: it acknowledges.
            let clock = domain::clock(row.around_the_clock);
            let update = store::StatusUpdate {
                status: if row.status == "received" { "acknowledged" } else { &row.status },
                acknowledged: Some((now, minutes(clock.elapsed(row.created_at, now, &[])))),
                resolved: None,
                reopened: false,
                closed: None,
                corrective_action: None,
                compensation: None,
            };
            store::update_status(&mut tx, id, &update).await?;
            store::add_history(&mut tx, id, "acknowledged", "", &p.subject, self.now()).await?;
            change = "acknowledged";
        }
        if !r.internal {
            let recipient = if side == Side::Staff { row.contact_email.clone() } else { handler_of(&row).email };
            store::notify(&mut tx, &recipient, "message", id, &first_words(&body), self.now()).await?;
        }
        let item = if change == "message" { current(&mut tx, id).await? } else { announce(&mut tx, id, change, &row.status).await? };
        tx.commit().await?;
        Ok(item)
    }

    /// Staff hand an item to another person of the producer.
    #[tracing::instrument(skip_all)]
    pub async fn reassign(&self, p: &Principal, r: pb::ReassignFeedbackRequest) -> Result<pb::FeedbackItem> {
        p.require_enterprise()?;
        let id = id_arg("id", &r.id)?;
        let mut v = Violations::default();
        let contact = v.uuid("contact_id", &r.contact_id, true);
        let note = v.text("note", &r.note, domain::MAX_TEXT, false);
        v.finish()?;
        let mut tx = self.pool.begin().await?;
        let (row, _) = load(&mut tx, id, true).await?;
        let contact = match contact {
            Some(c) => store::contact(&mut tx, c).await?,
            None => None,
        };
        let Some(contact) = contact.filter(|c| c.party == kumppani_proto::contracts::v1::Party::Enterprise as i32) else {
            return Err(AppError::invalid("contact_id", Reason::unknown_reference("is not a contact person of the producer")));
        };
        if matches!(row.status.as_str(), "resolved" | "closed") {
            return Err(AppError::precondition(format!("the item is {}: reopen it first", row.status)));
        }
        let handler = Person::of(&contact);
        if handler.contact_id == handler_of(&row).contact_id {
            return current(&mut tx, id).await;
        }
        kumppani_platform::actors::remember_actor(&mut tx, p).await?;
        store::set_handler(&mut tx, id, &handler).await?;
        // The history (which the customer's side reads) names the new handler; the note is an internal one.
        store::add_history(&mut tx, id, "reassigned", &handler.name, &p.subject, self.now()).await?;
        if !note.is_empty() {
            store::add_message(&mut tx, id, &note, true, &p.subject, true, self.now()).await?;
        }
        store::notify(&mut tx, &handler.email, "assigned", id, &first_words(&row.description), self.now()).await?;
        let item = announce(&mut tx, id, "reassigned", &row.status).await?;
        tx.commit().await?;
        Ok(item)
    }

    /// The customer's side rates the handling once the item is resolved.
    #[tracing::instrument(skip_all)]
    pub async fn rate(&self, p: &Principal, r: pb::RateHandlingRequest) -> Result<pb::FeedbackItem> {
        let side = domain::side(p)?;
        let id = id_arg("id", &r.id)?;
        let comment = domain::validate_rating(&r)?;
        if side != Side::Customer {
            return Err(AppError::denied("the customer's side rates the handling"));
        }
        let mut tx = self.pool.begin().await?;
        let (row, _) = load(&mut tx, id, true).await?;
        if !may_see(p, &row) {
            return Err(AppError::not_found("feedback item"));
        }
        if !matches!(row.status.as_str(), "resolved" | "closed") {
            return Err(AppError::precondition("the handling can be rated once the item is resolved"));
        }
        if row.rating.is_some() {
            return Err(AppError::precondition("the handling of this item has been rated already"));
        }
        kumppani_platform::actors::remember_actor(&mut tx, p).await?;
        store::set_rating(&mut tx, id, r.rating, &comment).await?;
        store::add_history(&mut tx, id, "rated", &r.rating.to_string(), &p.subject, self.now()).await?;
        store::notify(&mut tx, &handler_of(&row).email, "rated", id, &r.rating.to_string(), self.now()).await?;
        let item = announce(&mut tx, id, "rated", &row.status).await?;
        tx.commit().await?;
        Ok(item)
    }

    pub async fn targets(&self, p: &Principal, agreement_id: &str) -> Result<Vec<pb::SlaTarget>> {
        domain::side(p)?;
        let mut v = Violations::default();
        let agreement = v.uuid("agreement_id", agreement_id, false);
        v.finish()?;
        let mut conn = self.pool.acquire().await?;
        if let (Some(a), Some(own)) = (agreement, p.customer_scope()) {
            if store::agreement_customer(&mut conn, a).await? != Some(own) {
                return Err(AppError::not_found("agreement"));
            }
        }
        Ok(store::targets(&mut conn, agreement).await?.into_iter().map(convert::target).collect())
    }

    #[tracing::instrument(skip_all)]
    pub async fn set_target(&self, p: &Principal, r: pb::SetSlaTargetRequest) -> Result<pb::SlaTarget> {
        p.require_enterprise()?;
        let key = domain::validate_target(&r)?;
        let mut tx = self.pool.begin().await?;
        if let Some(a) = key.2 {
            if !store::agreement_exists(&mut tx, a).await? {
                return Err(AppError::invalid("agreement_id", Reason::unknown_reference("no such agreement")));
            }
        }
        let ack = i32::try_from(r.acknowledge_minutes).unwrap_or(i32::MAX);
        let resolve = i32::try_from(r.resolve_minutes).unwrap_or(i32::MAX);
        let row = store::set_target(&mut tx, key, ack, resolve, r.around_the_clock).await?;
        tx.commit().await?;
        Ok(convert::target(row))
    }

    pub async fn notifications(&self, p: &Principal, r: pb::ListNotificationsRequest) -> Result<pb::ListNotificationsResponse> {
        let recipient = recipient(p)?;
        let mut v = Violations::default();
        let limit = v.page_size("page_size", r.page_size);
        let before: Option<(DateTime<Utc>, Uuid)> = v.page_token("page_token", &r.page_token);
        v.finish()?;
        let mut conn = self.pool.acquire().await?;
        let mut rows = store::notifications(&mut conn, &recipient, r.unread_only, before, limit + 1).await?;
        let next_page_token = next_page(&mut rows, limit, |n| (n.created_at, n.id));
        let unread = store::unread_count(&mut conn, &recipient).await?;
        Ok(pb::ListNotificationsResponse { notifications: rows.into_iter().map(convert::notification).collect(), next_page_token, unread })
    }

    pub async fn mark_read(&self, p: &Principal, r: pb::MarkNotificationsReadRequest) -> Result<pb::MarkNotificationsReadResponse> {
        let recipient = recipient(p)?;
        let mut v = Violations::default();
        let ids: Vec<Uuid> = r.ids.iter().filter_map(|s| v.uuid("ids", s, true)).collect();
        v.finish()?;
        let mut conn = self.pool.acquire().await?;
        Ok(pb::MarkNotificationsReadResponse { marked: store::mark_read(&mut conn, &recipient, &ids).await? })
    }

    #[tracing::instrument(skip_all)]
    pub async fn kpis(&self, p: &Principal, r: pb::GetFeedbackKpisRequest) -> Result<pb::FeedbackKpis> {
        domain::side(p)?;
        let mut v = Violations::default();
        let customer = v.uuid("customer_id", &r.customer_id, false);
        let year = if r.year == 0 { Some(kumppani_platform::calendar::today().year()) } else { v.year("year", r.year, true) };
        v.finish()?;
        let customer = match p.customer_scope() {
            Some(own) if customer.is_some_and(|c| c != own) => return Err(AppError::not_found("customer")),
            Some(own) => Some(own),
            None => customer,
        };
        let year = year.unwrap_or(2026);
        let mut conn = self.pool.acquire().await?;
        let months = store::kpis(&mut conn, customer, year).await?;
        let (open, breached_open) = store::open_counts(&mut conn, customer).await?;
        let since = store::open_since(&mut conn, customer).await?;
        let backlog =
            domain::backlog(&since, self.now()).into_iter().map(|(age, items)| pb::BacklogBucket { age: age.to_owned(), items }).collect();
        let share = |part: i64, all: i64| if all == 0 { String::new() } else { format!("{:.1}", part as f64 * 100.0 / all as f64) };
        let hours = |m: Option<f64>| m.map(|x| format!("{:.1}", x / 60.0)).unwrap_or_default();
        let stopped: i64 = months.iter().map(|m| m.acknowledged + m.resolved).sum();
        let in_time: i64 = months.iter().map(|m| m.acknowledged_in_time + m.resolved_in_time).sum();
        Ok(pb::FeedbackKpis {
            year,
            customer_id: customer.map(|c| c.to_string()).unwrap_or_default(),
            months: months
                .into_iter()
                .map(|m| pb::MonthKpi {
                    month: m.month,
                    received: m.received,
                    resolved: m.resolved,
                    acknowledged_in_time_percent: share(m.acknowledged_in_time, m.acknowledged),
                    resolved_in_time_percent: share(m.resolved_in_time, m.resolved),
                    median_resolve_working_hours: hours(m.median_resolve_minutes),
                    average_rating: m.average_rating.map(|a| format!("{a:.1}")).unwrap_or_default(),
                    reclamations: m.reclamations,
                    meals_delivered: m.meals,
                    reclamations_per_1000_meals: domain::per_thousand(m.reclamations, m.meals),
                    median_acknowledge_working_hours: hours(m.median_acknowledge_minutes),
                    p90_acknowledge_working_hours: hours(m.p90_acknowledge_minutes),
                    p90_resolve_working_hours: hours(m.p90_resolve_minutes),
                })
                .collect(),
            open,
            breached_open,
            backlog,
            sla_compliance_percent: share(in_time, stopped),
        })
    }
}

/// Clock time in whole minutes, rounded up (240 min 1 s is over a 240-minute target, as the clock says).
fn minutes(d: Duration) -> i32 {
    i32::try_from((d.num_seconds() + 59).div_euclid(60)).unwrap_or(i32::MAX)
}

/// Notifications belong to the e-mail address of the caller's token.
fn recipient(p: &Principal) -> Result<String> {
    domain::side(p)?;
    let email = p.email.trim().to_lowercase();
    if email.is_empty() {
        return Err(AppError::precondition("your sign-in carries no e-mail address, so no notifications can be yours"));
    }
    Ok(email)
}
