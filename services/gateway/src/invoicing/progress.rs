//! A month's run while it computes: the phase and how many customers of all
//! are written, refreshed every two seconds without JavaScript (`<meta
//! refresh>`); when the draft is ready the page sends staff on to it, when
//! the run stopped it says so and offers the billing page to start again.

use super::portal::month_name;
use crate::i18n::I18n;
use crate::page::{Layout, Page, PageQuery, PageResult, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use kumppani_proto::invoicing::v1 as pb;
use serde::Deserialize;

#[derive(Deserialize, Default)]
struct Params {
    #[serde(default)]
    year: i32,
    #[serde(default)]
    month: i32,
}

#[derive(Template)]
#[template(path = "invoicing/progress.html")]
struct ProgressPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    period: String,
    /// The phase in words, and whether the page should refresh itself.
    phase: String,
    running: bool,
    failed: bool,
    done: i32,
    total: i32,
    /// "1 200 / 8 000".
    counts: String,
    started: String,
}

#[tracing::instrument(skip_all)]
async fn progress(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<Params>) -> PageResult {
    page.require_staff()?;
    let i = &page.i;
    let r = s.invoicing().get_run_progress(page.grpc(pb::GetRunProgressRequest { year: p.year, month: p.month })?).await?.into_inner();
    let phase = pb::RunPhase::try_from(r.phase).unwrap_or(pb::RunPhase::Unspecified);
    if phase == pb::RunPhase::Done && !r.run_id.is_empty() {
        return Ok(Redirect::to(&format!("/portal/billing/runs/{}", r.run_id)).into_response());
    }
    let key = match phase {
        pb::RunPhase::Loading => "inv-progress-loading",
        pb::RunPhase::Writing => "inv-progress-writing",
        pb::RunPhase::Failed => "inv-progress-failed",
        _ => "inv-progress-none",
    };
    let running = matches!(phase, pb::RunPhase::Loading | pb::RunPhase::Writing);
    let started =
        if r.started_by_name.is_empty() { String::new() } else { format!("{}, {}", i.day_of(&r.started_at), i.person(&r.started_by_name)) };
    let l = page.l.at("/portal/billing");
    let body = ProgressPage {
        l: &l,
        i,
        period: format!("{} {}", month_name(i, r.month), r.year),
        phase: i.t(key),
        running,
        failed: phase == pb::RunPhase::Failed,
        done: r.done,
        total: r.total,
        counts: format!("{} / {}", i.count(r.done), i.count(r.total)),
        started,
    };
    Ok(render(StatusCode::OK, &body))
}

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/portal/billing/progress", get(progress))
}
