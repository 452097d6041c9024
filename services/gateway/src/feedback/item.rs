//! A feedback item's page: its facts, SLA clocks, the thread and history, and
//! the forms of what the signed-in person may do ([`view::Allowed`]): staff
//! move it along its lifecycle and hand it to another person of the producer;
//! the submitter's side closes, reopens and rates it; both write in the
//! thread. Every form posts with CSRF and comes back here (303); a refused one
//! shows this page with the reason in the user's language and the form as typed.

use super::view::{self, Allowed, Clock};
use crate::i18n::I18n;
use crate::page::{CsrfForm, CsrfUpload, FormError, Invalid, Layout, Page, PageError, PageResult, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::feedback::v1 as pb;
use serde::Deserialize;

/// Every field of the item page's forms (each form posts some of them).
#[derive(Deserialize, Default, Clone, Debug)]
pub(super) struct ActionForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    corrective_action: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    internal: String,
    #[serde(default)]
    contact_id: String,
    #[serde(default)]
    rating: String,
    #[serde(default)]
    comment: String,
}

/// Which of the page's forms was posted (its values are kept and its fields marked when refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Message,
    Wait,
    Resolve,
    Reopen,
    Reassign,
    Rate,
    Photos,
    /// A button without fields (acknowledge, start, close): the summary says why.
    Button,
}

/// One value per form of the page: what was typed and its invalid fields.
#[derive(Default)]
struct PerForm<T> {
    message: T,
    wait: T,
    resolve: T,
    reopen: T,
    reassign: T,
    rate: T,
    photos: T,
}

impl<T> PerForm<T> {
    fn set(&mut self, which: Which, v: T) {
        match which {
            Which::Message => self.message = v,
            Which::Wait => self.wait = v,
            Which::Resolve => self.resolve = v,
            Which::Reopen => self.reopen = v,
            Which::Reassign => self.reassign = v,
            Which::Rate => self.rate = v,
            Which::Photos => self.photos = v,
            Which::Button => {}
        }
    }
}

struct MessageView {
    body: String,
    author: String,
    at: String,
    internal: bool,
    from_staff: bool,
}

struct PhotoView {
    href: String,
    filename: String,
    /// What the photo is, for a screen reader: "Kuva 1: IMG_0042.jpg".
    alt: String,
    /// Who added it, when, and its size.
    caption: String,
    inline: bool,
    /// The link text of a photo browsers do not show (HEIC).
    download: String,
}

struct HistoryView {
    change: String,
    detail: String,
    by: String,
    at: String,
}

#[derive(Template)]
#[template(path = "feedback/item.html")]
struct ItemPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    x: pb::FeedbackItem,
    title: String,
    kind: String,
    topic: String,
    severity: String,
    critical: bool,
    status: String,
    channel: String,
    service_day: String,
    product: String,
    submitted: String,
    created: String,
    /// The handler's name ("" when none yet), title and e-mail.
    handler: String,
    handler_title: String,
    handler_email: String,
    manager: String,
    ack: Option<Clock>,
    resolve: Option<Clock>,
    compensation: String,
    rating: String,
    resolved: String,
    /// Until when the submitter's side may reopen, worded.
    reopen_help: String,
    messages: Vec<MessageView>,
    history: Vec<HistoryView>,
    photos: Vec<PhotoView>,
    /// The add-photos form: while the conversation is open and fewer than five photos.
    can_add_photos: bool,
    can: Allowed,
    staff_actions: bool,
    /// Producer contact persons to hand the item to: (contact id, "name, title").
    contacts: Vec<(String, String)>,
    error: Vec<String>,
    typed: PerForm<ActionForm>,
    invalid: PerForm<Invalid>,
    ratings: Vec<(String, String)>,
}

async fn item_page(s: &AppState, page: &Page, id: String, form: FormError, which: Which, f: ActionForm) -> PageResult {
    let i = &page.i;
    let staff = page.session.is_staff();
    let x = s.feedback().get_feedback(page.grpc(pb::GetFeedbackRequest { id })?).await?.into_inner();
    let now = chrono::Utc::now().timestamp();
    let status = pb::FeedbackStatus::try_from(x.status).unwrap_or_default();
    let can = Allowed::of(status, staff, x.rating > 0, view::is_after(&x.reopen_until, now));
    let contacts = if can.reassign && !x.customer_id.is_empty() {
        let request = contracts::ListContactsRequest { customer_id: x.customer_id.clone(), site_id: String::new() };
        let mut seen = std::collections::HashSet::new();
        s.contracts()
            .list_contacts(page.grpc(request)?)
            .await?
            .into_inner()
            .contacts
            .into_iter()
            .filter(|c| c.party == contracts::Party::Enterprise as i32 && seen.insert(c.id.clone()))
            .map(|c| (c.id, if c.title.is_empty() { c.name } else { format!("{}, {}", c.name, c.title) }))
            .collect()
    } else {
        Vec::new()
    };
    let compensation = match &x.compensation {
        Some(c) if !c.amount.is_empty() => {
            let amount = format!("{} €", i.cents(&c.amount));
            if c.reason.is_empty() { amount } else { format!("{amount} ({})", c.reason) }
        }
        _ => String::new(),
    };
    let rating = if x.rating > 0 {
        let stars = i.t_args("feedback-rating-of-five", &[("rating", x.rating.to_string())]);
        if x.rating_comment.is_empty() { stars } else { format!("{stars}: {}", x.rating_comment) }
    } else {
        String::new()
    };
    let messages = x
        .messages
        .iter()
        .map(|m| MessageView {
            body: m.body.clone(),
            author: i.person(&m.author_name),
            at: view::at(&m.created_at),
            internal: m.internal,
            from_staff: m.from_staff,
        })
        .collect();
    let history = x
        .history
        .iter()
        .map(|h| HistoryView {
            change: view::change(i, &h.change),
            detail: view::detail_text(i, &h.change, &h.detail),
            by: i.person(&h.by_name),
            at: view::at(&h.at),
        })
        .collect();
    let photos = x
        .photos
        .iter()
        .enumerate()
        .map(|(n, p)| PhotoView {
            href: format!("/portal/feedback/{}/photos/{}", x.id, p.id),
            filename: p.filename.clone(),
            alt: i.t_args("feedback-photo-alt", &[("number", (n + 1).to_string()), ("filename", p.filename.clone())]),
            caption: format!("{}, {} ({})", i.person(&p.added_by_name), view::at(&p.added_at), i.file_size(p.size_bytes)),
            inline: super::photos::shown_inline(&p.content_type),
            download: i.t_args("feedback-photo-download", &[("filename", p.filename.clone())]),
        })
        .collect();
    let can_add_photos = can.message && x.photos.len() < MAX_PHOTOS;
    let mut typed = PerForm::<ActionForm>::default();
    let mut invalid = PerForm::<Invalid>::default();
    invalid.set(which, Invalid::of(&form));
    typed.set(which, f);
    let l = page.l.at("/portal/feedback");
    let p = ItemPage {
        l: &l,
        i,
        title: i.t_args("feedback-item-title", &[("number", x.number.to_string()), ("kind", view::kind(i, x.kind))]),
        kind: view::kind(i, x.kind),
        topic: view::topic(i, x.topic),
        severity: view::severity(i, x.severity),
        critical: x.severity == pb::Severity::Critical as i32,
        status: view::status(i, x.status),
        channel: view::channel(i, x.channel),
        service_day: i.date(&x.service_day),
        product: if x.product_name.is_empty() { x.product_code.clone() } else { x.product_name.clone() },
        submitted: i.person(&x.submitted_by_name),
        created: view::at(&x.created_at),
        handler: x.handler.as_ref().map(|h| i.person(&h.name)).unwrap_or_default(),
        handler_title: x.handler.as_ref().map(|h| h.title.clone()).unwrap_or_default(),
        handler_email: x.handler.as_ref().map(|h| h.email.clone()).unwrap_or_default(),
        manager: x.manager.as_ref().map(|m| i.person(&m.name)).unwrap_or_default(),
        ack: view::clock(i, &x.acknowledge),
        resolve: view::clock(i, &x.resolve),
        compensation,
        rating,
        resolved: if x.resolved_at.is_some() { view::at(&x.resolved_at) } else { String::new() },
        reopen_help: i.t_args("feedback-reopen-help", &[("until", view::at(&x.reopen_until))]),
        messages,
        history,
        photos,
        can_add_photos,
        staff_actions: can.any_staff_action(),
        can,
        contacts,
        error: form.messages,
        typed,
        invalid,
        ratings: (1..=5).rev().map(|n| (n.to_string(), i.t_args("feedback-rating-of-five", &[("rating", n.to_string())]))).collect(),
        x,
    };
    Ok(render(form.status, &p))
}

#[tracing::instrument(skip_all)]
async fn item(State(s): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    item_page(&s, &page, id, FormError::none(), Which::Button, ActionForm::default()).await
}

/// After a form: back to the item (303), or the item with the refusal and the form as typed.
async fn after<T>(
    s: &AppState,
    page: &Page,
    id: String,
    r: Result<T, tonic::Status>,
    which: Which,
    f: ActionForm,
    anchor: &str,
) -> PageResult {
    match r {
        Ok(_) => Ok(Redirect::to(&format!("/portal/feedback/{id}{anchor}")).into_response()),
        Err(status) => {
            let form = FormError::from_call(status, &page.i)?;
            item_page(s, page, id, form, which, f).await
        }
    }
}

#[tracing::instrument(skip_all)]
async fn message(State(s): State<AppState>, page: Page, Path(id): Path<String>, CsrfForm(f): CsrfForm<ActionForm>) -> PageResult {
    let internal = page.session.is_staff() && !f.internal.is_empty();
    let request = pb::PostMessageRequest { id: id.clone(), body: f.body.clone(), internal };
    let r = s.feedback().post_message(page.grpc(request)?).await;
    after(&s, &page, id, r, Which::Message, f, "#thread").await
}

/// At most this many photos per item (the service's rule; the form is hidden at it).
const MAX_PHOTOS: usize = 5;

#[tracing::instrument(skip_all)]
async fn add_photos(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    CsrfUpload(f, files): CsrfUpload<ActionForm>,
) -> PageResult {
    let photos = super::photos::uploads(files);
    if photos.is_empty() {
        let form = FormError::field("photos", format!("{}: {}", page.i.t("field-name-photos"), page.i.t("field-error-required")));
        return item_page(&s, &page, id, form, Which::Photos, f).await;
    }
    let r = s.feedback().add_photos(page.grpc(pb::AddPhotosRequest { id: id.clone(), photos })?).await;
    after(&s, &page, id, r, Which::Photos, f, "#photos").await
}

/// Money as typed in the user's language ("25,50") as the service reads it ("25.50").
fn amount(typed: &str) -> String {
    typed.trim().replace([' ', '\u{a0}', '€'], "").replace(',', ".")
}

#[tracing::instrument(skip_all)]
async fn transition(State(s): State<AppState>, page: Page, Path(id): Path<String>, CsrfForm(f): CsrfForm<ActionForm>) -> PageResult {
    let action = view::action(&f.action).ok_or_else(|| PageError::BadParam("action".into()))?;
    let which = match action {
        pb::FeedbackAction::WaitForCustomer => Which::Wait,
        pb::FeedbackAction::Resolve => Which::Resolve,
        pb::FeedbackAction::Reopen => Which::Reopen,
        _ => Which::Button,
    };
    let resolve = action == pb::FeedbackAction::Resolve;
    let compensation = (resolve && !(f.amount.trim().is_empty() && f.reason.trim().is_empty()))
        .then(|| pb::Compensation { amount: amount(&f.amount), reason: f.reason.trim().to_owned() });
    let request = pb::TransitionFeedbackRequest {
        id: id.clone(),
        action: action as i32,
        corrective_action: if resolve { f.corrective_action.clone() } else { String::new() },
        compensation,
        note: if matches!(which, Which::Wait | Which::Reopen) { f.note.clone() } else { String::new() },
        expected_version: f.version.trim().parse().ok(),
    };
    let r = s.feedback().transition_feedback(page.grpc(request)?).await;
    after(&s, &page, id, r, which, f, "").await
}

#[tracing::instrument(skip_all)]
async fn reassign(State(s): State<AppState>, page: Page, Path(id): Path<String>, CsrfForm(f): CsrfForm<ActionForm>) -> PageResult {
    page.require_staff()?;
    let request = pb::ReassignFeedbackRequest { id: id.clone(), contact_id: f.contact_id.trim().to_owned(), note: f.note.clone() };
    let r = s.feedback().reassign_feedback(page.grpc(request)?).await;
    after(&s, &page, id, r, Which::Reassign, f, "").await
}

#[tracing::instrument(skip_all)]
async fn rate(State(s): State<AppState>, page: Page, Path(id): Path<String>, CsrfForm(f): CsrfForm<ActionForm>) -> PageResult {
    let request = pb::RateHandlingRequest { id: id.clone(), rating: f.rating.trim().parse().unwrap_or(0), comment: f.comment.clone() };
    let r = s.feedback().rate_handling(page.grpc(request)?).await;
    after(&s, &page, id, r, Which::Rate, f, "").await
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/feedback/{id}", get(item))
        .route("/portal/feedback/{id}/messages", post(message))
        .route("/portal/feedback/{id}/transitions", post(transition))
        .route("/portal/feedback/{id}/reassign", post(reassign))
        .route("/portal/feedback/{id}/rating", post(rate))
        .route("/portal/feedback/{id}/photos", post(add_photos).layer(axum::extract::DefaultBodyLimit::max(super::photos::MAX_FORM_BYTES)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn amounts_typed_in_finnish_reach_the_service_as_decimals() {
        assert_eq!(super::amount(" 25,50 € "), "25.50");
        assert_eq!(super::amount("1\u{a0}250,00"), "1250.00");
        assert_eq!(super::amount("12.5"), "12.5");
    }
}
