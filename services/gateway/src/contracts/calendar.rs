//! The annual calendar (vuosikello) in the portal: a customer's steps of an
//! agreement year with owners, due dates, status and outcome; staff see every
//! customer as one timeline (who is late with which step), plan a year, edit a
//! task and the template. A customer's contact persons read their own.

use crate::i18n::I18n;
use crate::page::{CsrfForm, FormError, Invalid, Layout, Page, PageError, PageQuery, PageResult, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chrono::Datelike;
use kumppani_proto::contracts::v1 as pb;
use serde::Deserialize;

/// A text in the user's language, Finnish when that one is empty.
pub(super) fn local(i: &I18n, t: &Option<pb::LocalText>) -> String {
    let t = t.clone().unwrap_or_default();
    let chosen = match i.lang {
        "sv" => t.sv,
        "en" => t.en,
        _ => String::new(),
    };
    if chosen.trim().is_empty() { t.fi } else { chosen }
}

/// The agreement year under preparation: next year's (its steps fall in this one).
pub(super) fn preparation_year() -> i32 {
    kumppani_platform::calendar::today().year() + 1
}

/// A task's state as worded, with its HDS status-label tone ("" for none).
pub(super) fn task_state(i: &I18n, t: &pb::CalendarTask) -> (String, &'static str) {
    use pb::TaskStatus as S;
    let status = S::try_from(t.status).unwrap_or(S::Unspecified);
    let word = i.t(match status {
        S::Done if t.done_late => "calendar-status-done-late",
        S::Done => "calendar-status-done",
        S::InProgress => "calendar-status-in-progress",
        S::Skipped => "calendar-status-skipped",
        _ => "calendar-status-planned",
    });
    if t.overdue {
        return (format!("{} – {word}", i.t("calendar-overdue")), "hds-status-label--error");
    }
    let tone = match status {
        S::Done if t.done_late => "hds-status-label--alert",
        S::Done => "hds-status-label--success",
        _ => "",
    };
    (word, tone)
}

fn owner_name(o: &Option<pb::TaskOwner>) -> String {
    o.as_ref().map(|o| o.name.clone()).unwrap_or_default()
}

pub(super) fn party_word(i: &I18n, v: i32) -> String {
    use pb::OwnerParty as P;
    i.t(match P::try_from(v).unwrap_or(P::Unspecified) {
        P::Enterprise => "calendar-party-enterprise",
        P::Customer => "calendar-party-customer",
        _ => "calendar-party-both",
    })
}

#[derive(Deserialize, Default, Clone)]
struct Params {
    #[serde(default)]
    year: Option<i32>,
    #[serde(default)]
    customer: String,
}

struct TaskRow {
    id: String,
    title: String,
    responsible: String,
    party: String,
    due: String,
    owners: String,
    state: String,
    tone: &'static str,
    outcome: String,
    done: String,
}

struct TimelineRow {
    customer_id: String,
    customer: String,
    cells: Vec<(String, &'static str)>,
    late: usize,
}

#[derive(Template)]
#[template(path = "contracts/calendar.html")]
struct CalendarPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    year: i32,
    years: Vec<i32>,
    customer: String,
    customer_name: String,
    customers: Vec<pb::Customer>,
    tasks: Vec<TaskRow>,
    /// Staff without a customer: the steps (columns) and a row per customer.
    columns: Vec<String>,
    timeline: Vec<TimelineRow>,
    late_summary: String,
    kpi_on_time: String,
    kpi_signed: String,
    error: Vec<String>,
    invalid: Invalid,
    planned: String,
}

/// Every task of the year in scope (a year's tasks fit a few pages).
async fn all_tasks(s: &AppState, page: &Page, year: i32, customer: &str) -> Result<Vec<pb::CalendarTask>, PageError> {
    let mut out = Vec::new();
    let mut token = String::new();
    loop {
        let request = pb::ListCalendarTasksRequest {
            year,
            customer_id: customer.to_owned(),
            page_size: 500,
            page_token: token,
            ..Default::default()
        };
        let r = s.partnership().list_calendar_tasks(page.grpc(request)?).await?.into_inner();
        out.extend(r.tasks);
        if r.next_page_token.is_empty() || out.len() > 20_000 {
            return Ok(out);
        }
        token = r.next_page_token;
    }
}

async fn calendar_page(s: &AppState, page: &Page, mut p: Params, form: FormError, planned: String) -> PageResult {
    let i = &page.i;
    let staff = page.session.is_staff();
    if !staff {
        p.customer = page.session.customer_id.map(|c| c.to_string()).unwrap_or_default();
    }
    let year = p.year.filter(|y| (2000..=2100).contains(y)).unwrap_or_else(preparation_year);
    let customers = if staff {
        let request = pb::ListCustomersRequest { page_size: 500, ..Default::default() };
        s.contracts().list_customers(page.grpc(request)?).await?.into_inner().customers
    } else {
        Vec::new()
    };
    let mut tasks = all_tasks(s, page, year, &p.customer).await?;
    tasks.sort_by(|a, b| (&a.customer_name, a.position, &a.id).cmp(&(&b.customer_name, b.position, &b.id)));
    let kpis = s
        .partnership()
        .get_partnership_kpis(page.grpc(pb::GetPartnershipKpisRequest { year, customer_id: p.customer.clone(), years_back: 0 })?)
        .await?
        .into_inner();
    let k = kpis.years.first().cloned().unwrap_or_default();
    let pct = |v: &str| if v.is_empty() { "–".to_owned() } else { format!("{}\u{a0}%", i.decimal(v)) };
    let kpi_on_time = i.t_args(
        "calendar-kpi-on-time",
        &[("percent", pct(&k.on_time_percent)), ("done", k.tasks_done_on_time.to_string()), ("due", k.tasks_due.to_string())],
    );
    let kpi_signed = i.t_args(
        "calendar-kpi-signed",
        &[
            ("percent", pct(&k.signed_by_deadline_percent)),
            ("signed", k.agreements_signed_by_deadline.to_string()),
            ("agreements", k.agreements.to_string()),
            ("deadline", format!("31.12.{}", year - 1)),
        ],
    );
    let (mut columns, mut timeline) = (Vec::new(), Vec::new());
    let mut rows = Vec::new();
    let mut customer_name = String::new();
    if p.customer.is_empty() {
        // The timeline: a column per step (by position), a row per customer.
        let mut steps: Vec<(i32, String, String)> = tasks.iter().map(|t| (t.position, t.step_id.clone(), local(i, &t.title))).collect();
        steps.sort();
        steps.dedup_by(|a, b| a.1 == b.1);
        columns = steps.iter().map(|(_, _, title)| title.clone()).collect();
        for t in &tasks {
            if timeline.last().is_none_or(|r: &TimelineRow| r.customer_id != t.customer_id) {
                timeline.push(TimelineRow {
                    customer_id: t.customer_id.clone(),
                    customer: t.customer_name.clone(),
                    cells: vec![(String::from("–"), ""); steps.len()],
                    late: 0,
                });
            }
            if let (Some(row), Some(col)) = (timeline.last_mut(), steps.iter().position(|s| s.1 == t.step_id)) {
                row.cells[col] = task_state(i, t);
                row.late += usize::from(t.overdue);
            }
        }
    } else {
        customer_name = tasks.first().map(|t| t.customer_name.clone()).unwrap_or_default();
        if customer_name.is_empty() {
            customer_name = customers.iter().find(|c| c.id == p.customer).map(|c| c.name.clone()).unwrap_or_default();
        }
        rows = tasks
            .iter()
            .map(|t| {
                let (state, tone) = task_state(i, t);
                let owners: Vec<String> =
                    [owner_name(&t.enterprise_owner), owner_name(&t.customer_owner)].into_iter().filter(|n| !n.is_empty()).collect();
                TaskRow {
                    id: t.id.clone(),
                    title: local(i, &t.title),
                    responsible: t.responsible.clone(),
                    party: party_word(i, t.owner_party),
                    due: i.date(&t.due_on),
                    owners: if owners.is_empty() { i.t("calendar-no-owner") } else { owners.join(", ") },
                    state,
                    tone,
                    outcome: t.outcome.clone(),
                    done: if t.done_on.is_some() { i.date(&t.done_on) } else { String::new() },
                }
            })
            .collect();
    }
    let late_customers = timeline.iter().filter(|r| r.late > 0).count();
    let late_summary = if p.customer.is_empty() {
        i.t_args("calendar-late-summary", &[("customers", late_customers.to_string()), ("total", timeline.len().to_string())])
    } else {
        String::new()
    };
    let now = preparation_year();
    let years = (now - 3..=now + 1).rev().collect();
    let l = page.l.at("/portal/calendar");
    let view = CalendarPage {
        l: &l,
        i,
        year,
        years,
        customer: p.customer,
        customer_name,
        customers,
        tasks: rows,
        columns,
        timeline,
        late_summary,
        kpi_on_time,
        kpi_signed,
        error: form.messages.clone(),
        invalid: Invalid::of(&form),
        planned,
    };
    Ok(render(form.status, &view))
}

#[tracing::instrument(skip_all)]
async fn show(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<Params>) -> PageResult {
    calendar_page(&s, &page, p, FormError::none(), String::new()).await
}

#[derive(Deserialize, Default)]
struct PlanForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    customer: String,
}

#[tracing::instrument(skip_all)]
async fn plan(State(s): State<AppState>, page: Page, CsrfForm(f): CsrfForm<PlanForm>) -> PageResult {
    page.require_staff()?;
    let year = f.year.trim().parse().unwrap_or(0);
    let p = Params { year: Some(year), customer: f.customer.clone() };
    let request = pb::PlanCalendarRequest { year, customer_id: f.customer.trim().to_owned() };
    match s.partnership().plan_calendar(page.grpc(request)?).await {
        Ok(r) => {
            let r = r.into_inner();
            let done = page.i.t_args("calendar-planned", &[("tasks", r.created.to_string()), ("customers", r.customers.to_string())]);
            calendar_page(&s, &page, p, FormError::none(), done).await
        }
        Err(status) => {
            let form = FormError::from_call(status, &page.i)?;
            calendar_page(&s, &page, p, form, String::new()).await
        }
    }
}

// ---------- one task ----------

#[derive(Deserialize, Default, Clone)]
struct TaskForm {
    #[serde(default)]
    version: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    done_on: String,
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    enterprise_owner: String,
    #[serde(default)]
    customer_owner: String,
}

#[derive(Template)]
#[template(path = "contracts/calendar_task.html")]
struct TaskPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    t: pb::CalendarTask,
    title: String,
    description: String,
    party: String,
    due: String,
    state: String,
    tone: &'static str,
    enterprise_owner: String,
    customer_owner: String,
    done: String,
    updated_by: String,
    f: TaskForm,
    statuses: Vec<(String, String)>,
    enterprise_contacts: Vec<(String, String)>,
    customer_contacts: Vec<(String, String)>,
    error: Vec<String>,
    invalid: Invalid,
}

/// A date as a date input's value (`2027-03-01`), "" when none.
pub(super) fn iso(d: &Option<kumppani_proto::r#type::v1::Date>) -> String {
    d.as_ref().and_then(|d| d.to_naive()).map(|d| d.to_string()).unwrap_or_default()
}

/// Staff's choices of owners on each side: the customer-level contact persons
/// of the customer, (enterprise, customer), by name and title; nothing for others.
pub(super) async fn owner_choices(
    s: &AppState,
    page: &Page,
    customer: &str,
) -> Result<(Vec<(String, String)>, Vec<(String, String)>), PageError> {
    if !page.session.is_staff() {
        return Ok((Vec::new(), Vec::new()));
    }
    let request = pb::ListContactsRequest { customer_id: customer.to_owned(), site_id: String::new() };
    let contacts = s.contracts().list_contacts(page.grpc(request)?).await?.into_inner().contacts;
    let of = |party: pb::Party| -> Vec<(String, String)> {
        contacts
            .iter()
            .filter(|c| c.party == party as i32 && c.unit_id.is_empty() && c.site_id.is_empty())
            .map(|c| (c.id.clone(), if c.title.is_empty() { c.name.clone() } else { format!("{} ({})", c.name, c.title) }))
            .collect()
    };
    Ok((of(pb::Party::Enterprise), of(pb::Party::Customer)))
}

async fn task_page(s: &AppState, page: &Page, id: &str, f: Option<TaskForm>, form: FormError) -> PageResult {
    let i = &page.i;
    let t = s.partnership().get_calendar_task(page.grpc(pb::GetCalendarTaskRequest { id: id.to_owned() })?).await?.into_inner();
    let (enterprise_contacts, customer_contacts) = owner_choices(s, page, &t.customer_id).await?;
    let f = f.unwrap_or_else(|| TaskForm {
        version: t.version.to_string(),
        status: t.status.to_string(),
        outcome: t.outcome.clone(),
        done_on: iso(&t.done_on),
        due_on: iso(&t.due_on),
        enterprise_owner: t.enterprise_owner.as_ref().map(|o| o.contact_id.clone()).unwrap_or_default(),
        customer_owner: t.customer_owner.as_ref().map(|o| o.contact_id.clone()).unwrap_or_default(),
    });
    use pb::TaskStatus as S;
    let statuses = [
        (S::Planned, "calendar-status-planned"),
        (S::InProgress, "calendar-status-in-progress"),
        (S::Done, "calendar-status-done"),
        (S::Skipped, "calendar-status-skipped"),
    ]
    .iter()
    .map(|(v, key)| ((*v as i32).to_string(), i.t(key)))
    .collect();
    let (state, tone) = task_state(i, &t);
    let l = page.l.at("/portal/calendar");
    let view = TaskPage {
        l: &l,
        i,
        title: local(i, &t.title),
        description: local(i, &t.description),
        party: party_word(i, t.owner_party),
        due: i.date(&t.due_on),
        state,
        tone,
        enterprise_owner: owner_name(&t.enterprise_owner),
        customer_owner: owner_name(&t.customer_owner),
        done: if t.done_on.is_some() { i.date(&t.done_on) } else { String::new() },
        updated_by: if t.updated_by_name.is_empty() { i.t("actor-unknown") } else { t.updated_by_name.clone() },
        t,
        f,
        statuses,
        enterprise_contacts,
        customer_contacts,
        error: form.messages.clone(),
        invalid: Invalid::of(&form),
    };
    Ok(render(form.status, &view))
}

#[tracing::instrument(skip_all)]
async fn task(State(s): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    task_page(&s, &page, &id, None, FormError::none()).await
}

#[tracing::instrument(skip_all)]
async fn save_task(State(s): State<AppState>, page: Page, Path(id): Path<String>, CsrfForm(f): CsrfForm<TaskForm>) -> PageResult {
    page.require_staff()?;
    let i = &page.i;
    let mut bad = Vec::new();
    let mut date = |field: &str, v: &str| match crate::page::date_field(v) {
        Ok(d) => d,
        Err(()) => {
            bad.push((
                field.to_owned(),
                format!("{}: {}", i.t(&format!("field-name-{}", field.replace('_', "-"))), i.t("field-error-invalid-date")),
            ));
            None
        }
    };
    let (done_on, due_on) = (date("done_on", &f.done_on), date("due_on", &f.due_on));
    if !bad.is_empty() {
        let mut form = FormError::invalid(bad.iter().map(|(_, m)| m.clone()).collect());
        form.fields = bad;
        return task_page(&s, &page, &id, Some(f), form).await;
    }
    let request = pb::UpdateCalendarTaskRequest {
        id: id.clone(),
        expected_version: f.version.trim().parse().unwrap_or(0),
        enterprise_owner_contact_id: f.enterprise_owner.trim().to_owned(),
        customer_owner_contact_id: f.customer_owner.trim().to_owned(),
        due_on,
        status: f.status.trim().parse().unwrap_or(0),
        outcome: f.outcome.clone(),
        done_on,
    };
    match s.partnership().update_calendar_task(page.grpc(request)?).await {
        Ok(t) => {
            let t = t.into_inner();
            Ok(Redirect::to(&format!("/portal/calendar?year={}&customer={}", t.year, t.customer_id)).into_response())
        }
        Err(status) => {
            let form = FormError::from_call(status, i)?;
            task_page(&s, &page, &id, Some(f), form).await
        }
    }
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/calendar", get(show))
        .route("/portal/calendar/plan", post(plan))
        .route("/portal/calendar/tasks/{id}", get(task).post(save_task))
        .merge(super::calendar_steps::routes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_falls_back_to_finnish() {
        let t = Some(pb::LocalText { fi: "Allekirjoitus".into(), sv: "Undertecknande".into(), en: String::new() });
        assert_eq!(local(&I18n::new("sv"), &t), "Undertecknande");
        assert_eq!(local(&I18n::new("en"), &t), "Allekirjoitus");
        assert_eq!(local(&I18n::new("fi"), &t), "Allekirjoitus");
    }
}
