//! Development projects in the portal: the list with each project's schedule
//! (a customer's people: their own), a project's goal, responsible persons,
//! hours and milestones; staff start a project, change it, add milestones and
//! record when one was reached.

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

fn status_word(i: &I18n, v: i32) -> String {
    use pb::ProjectStatus as S;
    i.t(match S::try_from(v).unwrap_or(S::Unspecified) {
        S::Active => "project-status-active",
        S::Completed => "project-status-completed",
        S::Cancelled => "project-status-cancelled",
        _ => "project-status-planned",
    })
}

fn statuses(i: &I18n) -> Vec<(String, String)> {
    use pb::ProjectStatus as S;
    [S::Planned, S::Active, S::Completed, S::Cancelled].iter().map(|s| ((*s as i32).to_string(), status_word(i, *s as i32))).collect()
}

/// "On schedule" or "behind schedule", with its tone.
fn schedule(i: &I18n, p: &pb::Project) -> (String, &'static str) {
    if p.on_schedule {
        (i.t("project-on-schedule"), "hds-status-label--success")
    } else {
        (i.t("project-behind-schedule"), "hds-status-label--error")
    }
}

#[derive(Deserialize, Default, Clone)]
struct Params {
    #[serde(default)]
    customer: String,
}

#[derive(Deserialize, Default, Clone)]
struct ProjectForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    goal: String,
    #[serde(default)]
    enterprise_responsible: String,
    #[serde(default)]
    customer_responsible: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    hours_planned: String,
    #[serde(default)]
    hours_used: String,
}

struct Row {
    id: String,
    title: String,
    customer: String,
    status: String,
    schedule: String,
    tone: &'static str,
    next: String,
}

#[derive(Template)]
#[template(path = "contracts/projects.html")]
struct ListPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    rows: Vec<Row>,
    p: Params,
    customers: Vec<pb::Customer>,
    statuses: Vec<(String, String)>,
    f: ProjectForm,
    error: Vec<String>,
    invalid: Invalid,
}

async fn list_page(s: &AppState, page: &Page, mut p: Params, f: ProjectForm, form: FormError) -> PageResult {
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
    let request = pb::ListProjectsRequest { customer_id: p.customer.clone(), page_size: 200, ..Default::default() };
    let projects = s.partnership().list_projects(page.grpc(request)?).await?.into_inner().projects;
    let rows = projects
        .iter()
        .map(|x| {
            let (schedule, tone) = schedule(i, x);
            let next = x
                .milestones
                .iter()
                .find(|m| m.done_on.is_none())
                .map(|m| format!("{} {}", i.date(&m.planned_on), m.title))
                .unwrap_or_else(|| "–".into());
            Row {
                id: x.id.clone(),
                title: x.title.clone(),
                customer: x.customer_name.clone(),
                status: status_word(i, x.status),
                schedule,
                tone,
                next,
            }
        })
        .collect();
    let l = page.l.at("/portal/projects");
    let view =
        ListPage { l: &l, i, rows, p, customers, statuses: statuses(i), f, error: form.messages.clone(), invalid: Invalid::of(&form) };
    Ok(render(form.status, &view))
}

#[tracing::instrument(skip_all)]
async fn list(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<Params>) -> PageResult {
    list_page(&s, &page, p, ProjectForm { status: (pb::ProjectStatus::Active as i32).to_string(), ..Default::default() }, FormError::none())
        .await
}

#[tracing::instrument(skip_all)]
async fn save(State(s): State<AppState>, page: Page, CsrfForm(f): CsrfForm<ProjectForm>) -> PageResult {
    page.require_staff()?;
    let request = pb::SaveProjectRequest {
        id: f.id.trim().to_owned(),
        expected_version: f.version.trim().parse().unwrap_or(0),
        customer_id: f.customer.trim().to_owned(),
        title: f.title.clone(),
        goal: f.goal.clone(),
        enterprise_responsible_contact_id: f.enterprise_responsible.trim().to_owned(),
        customer_responsible_contact_id: f.customer_responsible.trim().to_owned(),
        status: f.status.trim().parse().unwrap_or(0),
        hours_planned: f.hours_planned.trim().replace(',', "."),
        hours_used: f.hours_used.trim().replace(',', "."),
    };
    match s.partnership().save_project(page.grpc(request)?).await {
        Ok(x) => Ok(Redirect::to(&format!("/portal/projects/{}", x.into_inner().id)).into_response()),
        Err(status) => {
            let form = FormError::from_call(status, &page.i)?;
            if f.id.trim().is_empty() {
                list_page(&s, &page, Params { customer: f.customer.clone() }, f, form).await
            } else {
                let id = f.id.clone();
                project_page(&s, &page, &id, Some(f), MilestoneForm::default(), form).await
            }
        }
    }
}

#[derive(Deserialize, Default, Clone)]
struct MilestoneForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    planned_on: String,
    #[serde(default)]
    done_on: String,
}

struct MilestoneRow {
    id: String,
    version: i32,
    title: String,
    planned: String,
    planned_iso: String,
    done: String,
    state: String,
    tone: &'static str,
}

#[derive(Template)]
#[template(path = "contracts/project.html")]
struct ProjectPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    x: pb::Project,
    status: String,
    schedule: String,
    tone: &'static str,
    enterprise: String,
    customer: String,
    hours: String,
    milestones: Vec<MilestoneRow>,
    f: ProjectForm,
    m: MilestoneForm,
    statuses: Vec<(String, String)>,
    enterprise_contacts: Vec<(String, String)>,
    customer_contacts: Vec<(String, String)>,
    error: Vec<String>,
    invalid: Invalid,
}

async fn project_page(s: &AppState, page: &Page, id: &str, f: Option<ProjectForm>, m: MilestoneForm, form: FormError) -> PageResult {
    let i = &page.i;
    let x = s.partnership().get_project(page.grpc(pb::GetProjectRequest { id: id.to_owned() })?).await?.into_inner();
    let (enterprise_contacts, customer_contacts) = super::calendar::owner_choices(s, page, &x.customer_id).await?;
    let name = |o: &Option<pb::TaskOwner>| o.as_ref().map(|o| o.name.clone()).unwrap_or_else(|| i.t("calendar-no-owner"));
    let iso = super::calendar::iso;
    let f = f.unwrap_or_else(|| ProjectForm {
        id: x.id.clone(),
        version: x.version.to_string(),
        customer: x.customer_id.clone(),
        title: x.title.clone(),
        goal: x.goal.clone(),
        enterprise_responsible: x.enterprise_responsible.as_ref().map(|o| o.contact_id.clone()).unwrap_or_default(),
        customer_responsible: x.customer_responsible.as_ref().map(|o| o.contact_id.clone()).unwrap_or_default(),
        status: x.status.to_string(),
        hours_planned: i.decimal(&x.hours_planned),
        hours_used: i.decimal(&x.hours_used),
    });
    let milestones = x
        .milestones
        .iter()
        .map(|ms| {
            let (state, tone) = if ms.done_late {
                (i.t("calendar-status-done-late"), "hds-status-label--alert")
            } else if ms.done_on.is_some() {
                (i.t("calendar-status-done"), "hds-status-label--success")
            } else if ms.late {
                (i.t("calendar-overdue"), "hds-status-label--error")
            } else {
                (i.t("calendar-status-planned"), "")
            };
            MilestoneRow {
                id: ms.id.clone(),
                version: ms.version,
                title: ms.title.clone(),
                planned: i.date(&ms.planned_on),
                planned_iso: iso(&ms.planned_on),
                done: if ms.done_on.is_some() { i.date(&ms.done_on) } else { String::new() },
                state,
                tone,
            }
        })
        .collect();
    let (schedule, tone) = schedule(i, &x);
    let hours = i.t_args("projects-hours-of", &[("used", i.decimal(&x.hours_used)), ("planned", i.decimal(&x.hours_planned))]);
    let l = page.l.at("/portal/projects");
    let view = ProjectPage {
        l: &l,
        i,
        status: status_word(i, x.status),
        schedule,
        tone,
        enterprise: name(&x.enterprise_responsible),
        customer: name(&x.customer_responsible),
        hours,
        milestones,
        f,
        m,
        statuses: statuses(i),
        enterprise_contacts,
        customer_contacts,
        error: form.messages.clone(),
        invalid: Invalid::of(&form),
        x,
    };
    Ok(render(form.status, &view))
}

#[tracing::instrument(skip_all)]
async fn show(State(s): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    project_page(&s, &page, &id, None, MilestoneForm::default(), FormError::none()).await
}

#[tracing::instrument(skip_all)]
async fn save_milestone(State(s): State<AppState>, page: Page, Path(id): Path<String>, CsrfForm(m): CsrfForm<MilestoneForm>) -> PageResult {
    page.require_staff()?;
    let i = &page.i;
    let (Ok(planned_on), Ok(done_on)) = (date_field(&m.planned_on), date_field(&m.done_on)) else {
        let form = FormError::invalid(vec![i.t("field-error-invalid-date")]);
        return project_page(&s, &page, &id, None, m, form).await;
    };
    let request = pb::SaveMilestoneRequest {
        id: m.id.trim().to_owned(),
        expected_version: m.version.trim().parse().unwrap_or(0),
        project_id: id.clone(),
        title: m.title.clone(),
        planned_on,
        done_on,
    };
    match s.partnership().save_milestone(page.grpc(request)?).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/projects/{id}")).into_response()),
        Err(status) => {
            let form = FormError::from_call(status, i)?;
            project_page(&s, &page, &id, None, m, form).await
        }
    }
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/projects", get(list).post(save))
        .route("/portal/projects/{id}", get(show))
        .route("/portal/projects/{id}/milestones", post(save_milestone))
}
