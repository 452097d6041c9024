//! The staff's SLA report (and a customer's own): per month of a year the
//! items received and resolved, reclamations per 1,000 meals, the clocks
//! stopped in time, median and p90 handling times in working hours, the
//! average rating; the open backlog by age and the year's SLA compliance.

use crate::page::{Layout, Page, PageQuery, PageResult, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use chrono::Datelike;
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::feedback::v1 as pb;
use serde::Deserialize;

#[derive(Deserialize, Default)]
struct Params {
    #[serde(default)]
    year: Option<i32>,
    #[serde(default)]
    customer: String,
}

struct Month {
    name: String,
    received: i64,
    reclamations: i64,
    per_thousand: String,
    resolved: i64,
    ack_in_time: String,
    resolve_in_time: String,
    median_ack: String,
    p90_ack: String,
    median_resolve: String,
    p90_resolve: String,
    rating: String,
}

#[derive(Template)]
#[template(path = "feedback/report.html")]
struct ReportPage<'a> {
    l: &'a Layout,
    i: &'a crate::i18n::I18n,
    year: i32,
    customers: Vec<contracts::Customer>,
    customer: String,
    months: Vec<Month>,
    open: i64,
    breached_open: i64,
    compliance: String,
    backlog: Vec<(String, i64)>,
}

#[tracing::instrument(skip_all)]
async fn report(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<Params>) -> PageResult {
    let i = &page.i;
    let year = p.year.unwrap_or_else(|| kumppani_platform::calendar::today().year());
    let staff = page.session.is_staff();
    let customer = if staff { p.customer.clone() } else { String::new() };
    let k =
        s.feedback().get_feedback_kpis(page.grpc(pb::GetFeedbackKpisRequest { customer_id: customer.clone(), year })?).await?.into_inner();
    let customers = if staff {
        let request = contracts::ListCustomersRequest { page_size: 500, ..Default::default() };
        s.contracts().list_customers(page.grpc(request)?).await?.into_inner().customers
    } else {
        Vec::new()
    };
    let n = |v: &str| if v.is_empty() { "–".to_owned() } else { i.number(v) };
    let months = k
        .months
        .iter()
        .filter(|m| m.received > 0 || m.resolved > 0 || m.meals_delivered > 0)
        .map(|m| Month {
            name: i.t(&format!("inv-month-{}", m.month)),
            received: m.received,
            reclamations: m.reclamations,
            per_thousand: n(&m.reclamations_per_1000_meals),
            resolved: m.resolved,
            ack_in_time: n(&m.acknowledged_in_time_percent),
            resolve_in_time: n(&m.resolved_in_time_percent),
            median_ack: n(&m.median_acknowledge_working_hours),
            p90_ack: n(&m.p90_acknowledge_working_hours),
            median_resolve: n(&m.median_resolve_working_hours),
            p90_resolve: n(&m.p90_resolve_working_hours),
            rating: n(&m.average_rating),
        })
        .collect();
    let backlog = k.backlog.iter().map(|b| (i.t(&format!("report-age-{}", b.age.replace('-', "_"))), b.items)).collect();
    let l = page.l.at("/portal/feedback-report");
    Ok(render(
        StatusCode::OK,
        &ReportPage {
            l: &l,
            i,
            year,
            customers,
            customer,
            months,
            open: k.open,
            breached_open: k.breached_open,
            compliance: n(&k.sla_compliance_percent),
            backlog,
        },
    ))
}

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/portal/feedback-report", get(report))
}
