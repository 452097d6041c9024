//! The annual calendar's template: its steps in the order of the year, read by
//! everyone who sees a calendar; staff add a step or edit one (texts in
//! Finnish, Swedish and English, the month and day it is due, who owns it).

use super::calendar::local;
use crate::i18n::I18n;
use crate::page::{CsrfForm, FormError, Invalid, Layout, Page, PageQuery, PageResult, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use kumppani_proto::contracts::v1 as pb;
use serde::Deserialize;

#[derive(Deserialize, Default, Clone)]
struct Params {
    /// The step whose form is shown ("new": a new step).
    #[serde(default)]
    step: String,
}

#[derive(Deserialize, Default, Clone)]
struct StepForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    position: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    owner_party: String,
    #[serde(default)]
    responsible: String,
    #[serde(default)]
    title_fi: String,
    #[serde(default)]
    title_sv: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    description_fi: String,
    #[serde(default)]
    description_sv: String,
    #[serde(default)]
    description_en: String,
    #[serde(default)]
    active: String,
}

struct Row {
    id: String,
    due: String,
    title: String,
    description: String,
    responsible: String,
    party: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "contracts/calendar_steps.html")]
struct StepsPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    rows: Vec<Row>,
    editing: bool,
    f: StepForm,
    parties: Vec<(String, String)>,
    months: Vec<(String, String)>,
    error: Vec<String>,
    invalid: Invalid,
}

fn month_name(i: &I18n, m: i32) -> String {
    i.t(&format!("month-{m}"))
}

async fn steps_page(s: &AppState, page: &Page, p: Params, f: Option<StepForm>, form: FormError) -> PageResult {
    let i = &page.i;
    let staff = page.session.is_staff();
    let request = pb::ListCalendarStepsRequest { include_inactive: staff };
    let steps = s.partnership().list_calendar_steps(page.grpc(request)?).await?.into_inner().steps;
    let rows = steps
        .iter()
        .map(|st| Row {
            id: st.id.clone(),
            due: i.t_args("calendar-step-due", &[("day", st.day.to_string()), ("month", st.month.to_string())]),
            title: local(i, &st.title),
            description: local(i, &st.description),
            responsible: st.responsible.clone(),
            party: super::calendar::party_word(i, st.owner_party),
            active: st.active,
        })
        .collect();
    let editing = staff && (f.is_some() || !p.step.is_empty());
    let f = f.unwrap_or_else(|| match steps.iter().find(|st| st.id == p.step) {
        Some(st) => {
            let t = st.title.clone().unwrap_or_default();
            let d = st.description.clone().unwrap_or_default();
            StepForm {
                id: st.id.clone(),
                version: st.version.to_string(),
                position: st.position.to_string(),
                month: st.month.to_string(),
                day: st.day.to_string(),
                owner_party: st.owner_party.to_string(),
                responsible: st.responsible.clone(),
                title_fi: t.fi,
                title_sv: t.sv,
                title_en: t.en,
                description_fi: d.fi,
                description_sv: d.sv,
                description_en: d.en,
                active: if st.active { "1".into() } else { String::new() },
            }
        }
        None => StepForm {
            position: (steps.iter().map(|s| s.position).max().unwrap_or(0) + 10).min(1000).to_string(),
            day: "31".into(),
            active: "1".into(),
            ..Default::default()
        },
    });
    use pb::OwnerParty as P;
    let parties = [P::Enterprise, P::Customer, P::Both]
        .iter()
        .map(|v| ((*v as i32).to_string(), super::calendar::party_word(i, *v as i32)))
        .collect();
    let months = (1..=12).map(|m| (m.to_string(), month_name(i, m))).collect();
    let l = page.l.at("/portal/calendar");
    let view = StepsPage { l: &l, i, rows, editing, f, parties, months, error: form.messages.clone(), invalid: Invalid::of(&form) };
    Ok(render(form.status, &view))
}

#[tracing::instrument(skip_all)]
async fn show(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<Params>) -> PageResult {
    steps_page(&s, &page, p, None, FormError::none()).await
}

#[tracing::instrument(skip_all)]
async fn save(State(s): State<AppState>, page: Page, CsrfForm(f): CsrfForm<StepForm>) -> PageResult {
    page.require_staff()?;
    let number = |v: &str| v.trim().parse::<i32>().unwrap_or(0);
    let request = pb::SetCalendarStepRequest {
        id: f.id.trim().to_owned(),
        expected_version: number(&f.version),
        position: number(&f.position),
        month: number(&f.month),
        day: number(&f.day),
        owner_party: number(&f.owner_party),
        responsible: f.responsible.clone(),
        title: Some(pb::LocalText { fi: f.title_fi.clone(), sv: f.title_sv.clone(), en: f.title_en.clone() }),
        description: Some(pb::LocalText { fi: f.description_fi.clone(), sv: f.description_sv.clone(), en: f.description_en.clone() }),
        active: !f.active.is_empty(),
    };
    match s.partnership().set_calendar_step(page.grpc(request)?).await {
        Ok(_) => Ok(Redirect::to("/portal/calendar/steps").into_response()),
        Err(status) => {
            let form = FormError::from_call(status, &page.i)?;
            steps_page(&s, &page, Params { step: f.id.clone() }, Some(f), form).await
        }
    }
}

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/portal/calendar/steps", get(show).post(save))
}
