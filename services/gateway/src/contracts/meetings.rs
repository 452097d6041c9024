//! Customer meetings and status reviews in the portal: the list (a
//! customer's people: their own), a meeting's minutes, decisions and action
//! items; staff record a meeting, its minutes and action items and mark an
//! item done.

use crate::i18n::I18n;
use crate::page::{CsrfForm, FormError, Invalid, Layout, Page, PageQuery, PageResult, date_field, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use kumppani_proto::contracts::v1 as pb;
use serde::Deserialize;

fn kind_word(i: &I18n, v: i32) -> String {
    i.t(if v == pb::MeetingKind::StatusReview as i32 { "meeting-kind-status-review" } else { "meeting-kind-customer-meeting" })
}

/// An action item as a row: owner by name, due and done days, late marked.
pub(super) struct ActionRow {
    pub id: String,
    pub description: String,
    pub owner: String,
    pub due: String,
    pub done: String,
    pub overdue: bool,
    pub meeting_id: String,
    pub meeting: String,
    pub customer: String,
}

pub(super) fn action_row(i: &I18n, a: &pb::ActionItem) -> ActionRow {
    ActionRow {
        id: a.id.clone(),
        description: a.description.clone(),
        owner: a.owner.as_ref().map(|o| o.name.clone()).unwrap_or_else(|| i.t("calendar-no-owner")),
        due: if a.due_on.is_some() { i.date(&a.due_on) } else { "–".into() },
        done: if a.done_on.is_some() { i.date(&a.done_on) } else { String::new() },
        overdue: a.overdue,
        meeting_id: a.meeting_id.clone(),
        meeting: format!("{} {}", i.date(&a.meeting_held_on), a.meeting_title),
        customer: a.customer_name.clone(),
    }
}

#[derive(Deserialize, Default, Clone)]
struct Params {
    #[serde(default)]
    customer: String,
}

#[derive(Deserialize, Default, Clone)]
struct MeetingForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    held_on: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    participants: String,
    #[serde(default)]
    agenda: String,
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    decisions: String,
}

struct Row {
    id: String,
    held: String,
    kind: String,
    title: String,
    customer: String,
    open_actions: usize,
}

#[derive(Template)]
#[template(path = "contracts/meetings.html")]
struct ListPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    rows: Vec<Row>,
    p: Params,
    customers: Vec<pb::Customer>,
    kinds: Vec<(String, String)>,
    f: MeetingForm,
    error: Vec<String>,
    invalid: Invalid,
}

fn kinds(i: &I18n) -> Vec<(String, String)> {
    [pb::MeetingKind::CustomerMeeting, pb::MeetingKind::StatusReview]
        .iter()
        .map(|k| ((*k as i32).to_string(), kind_word(i, *k as i32)))
        .collect()
}

async fn list_page(s: &AppState, page: &Page, mut p: Params, f: MeetingForm, form: FormError) -> PageResult {
    let i = &page.i;
    let staff = page.session.is_staff();
    if !staff {
        p.customer = page.session.customer_id.map(|c| c.to_string()).unwrap_or_default();
    }
    let customers = if staff {
        let request = pb::ListCustomersRequest { page_size: 500, ..Default::default() };
        s.contracts().list_customers(page.grpc(request)?).await?.into_inner().customers
    } else {
        Vec::new()
    };
    let request = pb::ListMeetingsRequest { customer_id: p.customer.clone(), page_size: 200, ..Default::default() };
    let meetings = s.partnership().list_meetings(page.grpc(request)?).await?.into_inner().meetings;
    let rows = meetings
        .iter()
        .map(|m| Row {
            id: m.id.clone(),
            held: i.date(&m.held_on),
            kind: kind_word(i, m.kind),
            title: m.title.clone(),
            customer: m.customer_name.clone(),
            open_actions: m.action_items.iter().filter(|a| a.done_on.is_none()).count(),
        })
        .collect();
    let l = page.l.at("/portal/meetings");
    let view = ListPage { l: &l, i, rows, p, customers, kinds: kinds(i), f, error: form.messages.clone(), invalid: Invalid::of(&form) };
    Ok(render(form.status, &view))
}

#[tracing::instrument(skip_all)]
async fn list(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<Params>) -> PageResult {
    list_page(&s, &page, p, MeetingForm::default(), FormError::none()).await
}

fn meeting_request(f: &MeetingForm, held_on: Option<kumppani_proto::r#type::v1::Date>) -> pb::SaveMeetingRequest {
    pb::SaveMeetingRequest {
        id: f.id.trim().to_owned(),
        expected_version: f.version.trim().parse().unwrap_or(0),
        customer_id: f.customer.trim().to_owned(),
        kind: f.kind.trim().parse().unwrap_or(0),
        held_on,
        title: f.title.clone(),
        participants: f.participants.clone(),
        agenda: f.agenda.clone(),
        minutes: f.minutes.clone(),
        decisions: f.decisions.clone(),
    }
}

#[tracing::instrument(skip_all)]
async fn save(State(s): State<AppState>, page: Page, CsrfForm(f): CsrfForm<MeetingForm>) -> PageResult {
    page.require_staff()?;
    let i = &page.i;
    let existing = !f.id.trim().is_empty();
    let back = |s: AppState, page: Page, f: MeetingForm, form: FormError| async move {
        if existing {
            let id = f.id.clone();
            meeting_page(&s, &page, &id, Some(f), ActionForm::default(), form).await
        } else {
            list_page(&s, &page, Params { customer: f.customer.clone() }, f, form).await
        }
    };
    let Ok(held_on) = date_field(&f.held_on) else {
        let form = FormError::field("held_on", format!("{}: {}", i.t("field-name-held-on"), i.t("field-error-invalid-date")));
        return back(s, page, f, form).await;
    };
    match s.partnership().save_meeting(page.grpc(meeting_request(&f, held_on))?).await {
        Ok(m) => Ok(Redirect::to(&format!("/portal/meetings/{}", m.into_inner().id)).into_response()),
        Err(status) => {
            let form = FormError::from_call(status, i)?;
            back(s, page, f, form).await
        }
    }
}

#[derive(Deserialize, Default, Clone)]
struct ActionForm {
    #[serde(default)]
    description: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    due_on: String,
}

#[derive(Template)]
#[template(path = "contracts/meeting.html")]
struct MeetingPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    m: pb::Meeting,
    held: String,
    kind: String,
    updated_by: String,
    actions: Vec<ActionRow>,
    f: MeetingForm,
    a: ActionForm,
    kinds: Vec<(String, String)>,
    contacts: Vec<(String, String)>,
    error: Vec<String>,
    invalid: Invalid,
}

async fn meeting_page(s: &AppState, page: &Page, id: &str, f: Option<MeetingForm>, a: ActionForm, form: FormError) -> PageResult {
    let i = &page.i;
    let m = s.partnership().get_meeting(page.grpc(pb::GetMeetingRequest { id: id.to_owned() })?).await?.into_inner();
    let contacts = if page.session.is_staff() {
        let request = pb::ListContactsRequest { customer_id: m.customer_id.clone(), site_id: String::new() };
        let list = s.contracts().list_contacts(page.grpc(request)?).await?.into_inner().contacts;
        list.iter()
            .filter(|c| c.unit_id.is_empty() && c.site_id.is_empty())
            .map(|c| {
                let side =
                    i.t(if c.party == pb::Party::Enterprise as i32 { "calendar-party-enterprise" } else { "calendar-party-customer" });
                (c.id.clone(), format!("{} ({side})", c.name))
            })
            .collect()
    } else {
        Vec::new()
    };
    let iso = super::calendar::iso;
    let f = f.unwrap_or_else(|| MeetingForm {
        id: m.id.clone(),
        version: m.version.to_string(),
        customer: m.customer_id.clone(),
        kind: m.kind.to_string(),
        held_on: iso(&m.held_on),
        title: m.title.clone(),
        participants: m.participants.clone(),
        agenda: m.agenda.clone(),
        minutes: m.minutes.clone(),
        decisions: m.decisions.clone(),
    });
    let actions = m.action_items.iter().map(|a| action_row(i, a)).collect();
    let l = page.l.at("/portal/meetings");
    let view = MeetingPage {
        l: &l,
        i,
        held: i.date(&m.held_on),
        kind: kind_word(i, m.kind),
        updated_by: if m.updated_by_name.is_empty() { i.t("actor-unknown") } else { m.updated_by_name.clone() },
        actions,
        f,
        a,
        kinds: kinds(i),
        contacts,
        error: form.messages.clone(),
        invalid: Invalid::of(&form),
        m,
    };
    Ok(render(form.status, &view))
}

#[tracing::instrument(skip_all)]
async fn show(State(s): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    meeting_page(&s, &page, &id, None, ActionForm::default(), FormError::none()).await
}

#[tracing::instrument(skip_all)]
async fn add_action(State(s): State<AppState>, page: Page, Path(id): Path<String>, CsrfForm(a): CsrfForm<ActionForm>) -> PageResult {
    page.require_staff()?;
    let i = &page.i;
    let Ok(due_on) = date_field(&a.due_on) else {
        let form = FormError::field("due_on", format!("{}: {}", i.t("field-name-due-on"), i.t("field-error-invalid-date")));
        return meeting_page(&s, &page, &id, None, a, form).await;
    };
    let request = pb::SaveActionItemRequest {
        meeting_id: id.clone(),
        description: a.description.clone(),
        owner_contact_id: a.owner.trim().to_owned(),
        due_on,
        ..Default::default()
    };
    match s.partnership().save_action_item(page.grpc(request)?).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/meetings/{id}")).into_response()),
        Err(status) => {
            let form = FormError::from_call(status, i)?;
            meeting_page(&s, &page, &id, None, a, form).await
        }
    }
}

#[derive(Deserialize, Default)]
struct DoneForm {
    #[serde(default)]
    meeting: String,
}

/// Marks an action item of the form's meeting done today (its other fields as they are).
#[tracing::instrument(skip_all)]
async fn action_done(State(s): State<AppState>, page: Page, Path(id): Path<String>, CsrfForm(f): CsrfForm<DoneForm>) -> PageResult {
    page.require_staff()?;
    let meeting = f.meeting.trim().to_owned();
    if meeting.is_empty() {
        return Err(crate::page::PageError::NotFound);
    }
    let m = s.partnership().get_meeting(page.grpc(pb::GetMeetingRequest { id: meeting.clone() })?).await?.into_inner();
    let Some(a) = m.action_items.iter().find(|a| a.id == id) else {
        return Err(crate::page::PageError::NotFound);
    };
    let request = pb::SaveActionItemRequest {
        id: a.id.clone(),
        expected_version: a.version,
        meeting_id: String::new(),
        description: a.description.clone(),
        owner_contact_id: a.owner.as_ref().map(|o| o.contact_id.clone()).unwrap_or_default(),
        due_on: a.due_on,
        done_on: Some(kumppani_platform::calendar::today().into()),
    };
    match s.partnership().save_action_item(page.grpc(request)?).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/meetings/{meeting}")).into_response()),
        Err(status) => {
            let form = FormError::from_call(status, &page.i)?;
            meeting_page(&s, &page, &meeting, None, ActionForm::default(), form).await
        }
    }
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/meetings", get(list).post(save))
        .route("/portal/meetings/{id}", get(show))
        .route("/portal/meetings/{id}/action-items", post(add_action))
        .route("/portal/action-items/{id}/done", post(action_done))
}
