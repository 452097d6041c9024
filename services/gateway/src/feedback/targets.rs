//! The SLA targets page: what the producer promises per severity and topic,
//! in hours (working hours unless around the clock) — the defaults and an
//! agreement's own. Staff set a target (the default, or an agreement's own);
//! a customer's contract contact reads their agreements' targets.

use super::view;
use crate::i18n::I18n;
use crate::page::{CsrfForm, FormError, Invalid, Layout, Page, PageQuery, PageResult, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::feedback::v1 as pb;
use rust_decimal::Decimal;
use serde::Deserialize;

#[derive(Deserialize, Default, Clone)]
struct Params {
    /// Staff: the customer whose agreements are listed.
    #[serde(default)]
    customer: String,
    /// The agreement whose own targets are shown ("": the defaults only).
    #[serde(default)]
    agreement: String,
}

/// The target form as typed.
#[derive(Deserialize, Default, Clone)]
struct TargetForm {
    #[serde(default)]
    customer: String,
    #[serde(default)]
    agreement: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    acknowledge_hours: String,
    #[serde(default)]
    resolve_hours: String,
    #[serde(default)]
    around_the_clock: String,
}

struct Row {
    severity: String,
    topic: String,
    acknowledge: String,
    resolve: String,
    clock: String,
    /// "Oletus" or the agreement's.
    source: String,
}

#[derive(Template)]
#[template(path = "feedback/targets.html")]
struct TargetsPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    rows: Vec<Row>,
    customers: Vec<contracts::Customer>,
    agreements: Vec<(String, String)>,
    p: Params,
    f: TargetForm,
    severities: Vec<(String, String)>,
    topics: Vec<(String, String)>,
    error: Vec<String>,
    invalid: Invalid,
    /// The agreement chosen, worded ("" for the defaults).
    agreement_name: String,
}

/// Hours for people: "4 h", "0,5 h", "24 h".
fn hours(i: &I18n, minutes: i64) -> String {
    let h = Decimal::from(minutes) / Decimal::from(60);
    format!("{}\u{a0}h", i.decimal(&h.round_dp(2).normalize().to_string()))
}

/// Hours typed in the user's language ("0,5", "24") as whole minutes; `None` when not a positive number of at most a year.
fn minutes(typed: &str) -> Option<i64> {
    let h: Decimal = typed.trim().replace(',', ".").parse().ok()?;
    let m = (h * Decimal::from(60)).round();
    (m > Decimal::ZERO && m <= Decimal::from(525_600)).then(|| i64::try_from(m).ok()).flatten()
}

async fn targets_page(s: &AppState, page: &Page, mut p: Params, f: TargetForm, form: FormError) -> PageResult {
    let i = &page.i;
    let staff = page.session.is_staff();
    if !staff {
        p.customer = page.session.customer_id.map(|c| c.to_string()).unwrap_or_default();
    }
    let customers = if staff {
        let request = contracts::ListCustomersRequest { page_size: 500, ..Default::default() };
        s.contracts().list_customers(page.grpc(request)?).await?.into_inner().customers
    } else {
        Vec::new()
    };
    let agreements: Vec<(String, String)> = if p.customer.is_empty() {
        Vec::new()
    } else {
        let request = contracts::ListAgreementsRequest { customer_id: p.customer.clone(), page_size: 100, ..Default::default() };
        s.contracts()
            .list_agreements(page.grpc(request)?)
            .await?
            .into_inner()
            .agreements
            .into_iter()
            .map(|a| {
                let status = contracts::AgreementStatus::try_from(a.status).map(|s| s.as_str_name()).unwrap_or_default();
                let label = format!(
                    "{} {} ({})",
                    a.customer_name,
                    a.year,
                    i.t(&format!("agreement-status-{}", status.trim_start_matches("AGREEMENT_STATUS_").to_lowercase()))
                );
                (a.id, label)
            })
            .collect()
    };
    let agreement_name = agreements.iter().find(|(id, _)| *id == p.agreement).map(|(_, n)| n.clone()).unwrap_or_default();
    if agreement_name.is_empty() {
        p.agreement.clear();
    }
    let request = pb::ListSlaTargetsRequest { agreement_id: p.agreement.clone() };
    let list = s.feedback().list_sla_targets(page.grpc(request)?).await?.into_inner().targets;
    let rows = list
        .into_iter()
        .map(|t| Row {
            severity: view::severity(i, t.severity),
            topic: if t.topic == 0 { i.t("sla-every-topic") } else { view::topic(i, t.topic) },
            acknowledge: hours(i, t.acknowledge_minutes),
            resolve: hours(i, t.resolve_minutes),
            clock: i.t(if t.around_the_clock { "feedback-around-the-clock" } else { "sla-working-hours" }),
            source: if t.agreement_id.is_empty() { i.t("sla-default") } else { agreement_name.clone() },
        })
        .collect();
    let l = page.l.at("/portal/feedback");
    let page = TargetsPage {
        l: &l,
        i,
        rows,
        customers,
        agreements,
        severities: view::choices(i, view::SEVERITIES),
        topics: view::choices(i, view::TOPICS),
        error: form.messages.clone(),
        invalid: Invalid::of(&form),
        agreement_name,
        p,
        f,
    };
    Ok(render(form.status, &page))
}

#[tracing::instrument(skip_all)]
async fn show(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<Params>) -> PageResult {
    targets_page(&s, &page, p, TargetForm::default(), FormError::none()).await
}

#[tracing::instrument(skip_all)]
async fn set(State(s): State<AppState>, page: Page, CsrfForm(f): CsrfForm<TargetForm>) -> PageResult {
    page.require_staff()?;
    let p = Params { customer: f.customer.clone(), agreement: f.agreement.clone() };
    let i = &page.i;
    let (ack, resolve) = (minutes(&f.acknowledge_hours), minutes(&f.resolve_hours));
    let mut bad = Vec::new();
    for (field, value) in [("acknowledge_minutes", ack), ("resolve_minutes", resolve)] {
        if value.is_none() {
            bad.push((
                field.to_owned(),
                format!("{}: {}", i.t(&format!("field-name-{}", field.replace('_', "-"))), i.t("sla-hours-invalid")),
            ));
        }
    }
    if !bad.is_empty() {
        let mut form = FormError::invalid(bad.iter().map(|(_, m)| m.clone()).collect());
        form.fields = bad;
        return targets_page(&s, &page, p, f, form).await;
    }
    let request = pb::SetSlaTargetRequest {
        severity: f.severity.trim().parse().unwrap_or(0),
        topic: f.topic.trim().parse().unwrap_or(0),
        agreement_id: f.agreement.trim().to_owned(),
        acknowledge_minutes: ack.unwrap_or_default(),
        resolve_minutes: resolve.unwrap_or_default(),
        around_the_clock: !f.around_the_clock.is_empty(),
    };
    match s.feedback().set_sla_target(page.grpc(request)?).await {
        Ok(_) => {
            let q = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("customer", &p.customer)
                .append_pair("agreement", &p.agreement)
                .finish();
            Ok(Redirect::to(&format!("/portal/sla-targets?{q}")).into_response())
        }
        Err(status) => {
            let form = FormError::from_call(status, i)?;
            targets_page(&s, &page, p, f, form).await
        }
    }
}

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/portal/sla-targets", get(show).post(set))
}

#[cfg(test)]
mod tests {
    use crate::i18n::I18n;

    #[test]
    fn targets_are_read_and_typed_in_hours() {
        assert_eq!(super::hours(&I18n::new("fi"), 240), "4\u{a0}h");
        assert_eq!(super::hours(&I18n::new("fi"), 30), "0,5\u{a0}h");
        assert_eq!(super::hours(&I18n::new("en"), 1440), "24\u{a0}h");
        assert_eq!(super::minutes("0,5"), Some(30));
        assert_eq!(super::minutes(" 24 "), Some(1440));
        assert_eq!(super::minutes("0"), None);
        assert_eq!(super::minutes("-1"), None);
        assert_eq!(super::minutes("neljä"), None);
        assert_eq!(super::minutes("9000"), None, "more than a year");
    }
}
