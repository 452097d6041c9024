//! Disputes (erimielisyydet, Liite 2 §3) in the portal: the list with each
//! dispute's two-month clock, opening one on an agreement (staff or the
//! customer's contact person), and a dispute's page where staff record the
//! settlement. Escalation happens in the contracts service by itself.

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

/// The status as worded, with its HDS status-label tone.
pub(crate) fn status(i: &I18n, d: &pb::Dispute) -> (String, &'static str) {
    use pb::DisputeStatus as S;
    match S::try_from(d.status).unwrap_or(S::Unspecified) {
        S::Escalated => (i.t("dispute-status-escalated"), "hds-status-label--error"),
        S::Settled => (i.t("dispute-status-settled"), "hds-status-label--success"),
        _ => (i.t("dispute-status-open"), "hds-status-label--info"),
    }
}

/// The clock as people read it: "escalates 3.2.2027 (62 days left)", "escalated 3.2.2027", "settled 5.1.2027".
pub(crate) fn clock(i: &I18n, d: &pb::Dispute) -> String {
    use pb::DisputeStatus as S;
    let on = i.date(&d.escalates_on);
    match S::try_from(d.status).unwrap_or(S::Unspecified) {
        S::Settled => i.t_args("dispute-clock-settled", &[("date", i.date(&d.settled_on))]),
        S::Escalated => i.t_args("dispute-clock-escalated", &[("date", on)]),
        _ => i.t_args("dispute-clock-open", &[("date", on), ("days", d.days_left.max(0).to_string())]),
    }
}

#[derive(Deserialize, Default, Clone)]
struct Params {
    #[serde(default)]
    customer: String,
    #[serde(default)]
    status: String,
}

#[derive(Deserialize, Default, Clone)]
struct OpenForm {
    #[serde(default)]
    agreement: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    opened_on: String,
    #[serde(default)]
    escalation_name: String,
    #[serde(default)]
    escalation_email: String,
}

struct Row {
    id: String,
    number: i64,
    topic: String,
    customer: String,
    year: i32,
    opened: String,
    status: String,
    tone: &'static str,
    clock: String,
}

#[derive(Template)]
#[template(path = "contracts/disputes.html")]
struct ListPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    rows: Vec<Row>,
    p: Params,
    customers: Vec<pb::Customer>,
    statuses: Vec<(String, String)>,
    /// Who may open one: staff and a customer's contact person.
    may_open: bool,
    agreements: Vec<(String, String)>,
    f: OpenForm,
    error: Vec<String>,
    invalid: Invalid,
}

async fn list_page(s: &AppState, page: &Page, mut p: Params, f: OpenForm, form: FormError) -> PageResult {
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
    let wanted = p.status.trim().parse().unwrap_or(0);
    let request = pb::ListDisputesRequest { customer_id: p.customer.clone(), status: wanted, page_size: 200, ..Default::default() };
    let disputes = s.partnership().list_disputes(page.grpc(request)?).await?.into_inner().disputes;
    let rows = disputes
        .iter()
        .map(|d| {
            let (status, tone) = status(i, d);
            Row {
                id: d.id.clone(),
                number: d.number,
                topic: d.topic.clone(),
                customer: d.customer_name.clone(),
                year: d.agreement_year,
                opened: i.date(&d.opened_on),
                status,
                tone,
                clock: clock(i, d),
            }
        })
        .collect();
    let agreements = {
        let request = pb::ListAgreementsRequest { customer_id: p.customer.clone(), page_size: 200, ..Default::default() };
        s.contracts()
            .list_agreements(page.grpc(request)?)
            .await?
            .into_inner()
            .agreements
            .into_iter()
            .map(|a| (a.id, format!("{} {} ({})", a.customer_name, a.year, i.agreement_status(&a.status))))
            .collect()
    };
    use pb::DisputeStatus as S;
    let statuses = [(S::Open, "dispute-status-open"), (S::Escalated, "dispute-status-escalated"), (S::Settled, "dispute-status-settled")]
        .iter()
        .map(|(v, key)| ((*v as i32).to_string(), i.t(key)))
        .collect();
    let may_open = staff || page.session.role == kumppani_platform::auth::Role::CustomerContact;
    let l = page.l.at("/portal/disputes");
    let view = ListPage {
        l: &l,
        i,
        rows,
        p,
        customers,
        statuses,
        may_open,
        agreements,
        f,
        error: form.messages.clone(),
        invalid: Invalid::of(&form),
    };
    Ok(render(form.status, &view))
}

#[tracing::instrument(skip_all)]
async fn list(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<Params>) -> PageResult {
    list_page(&s, &page, p, OpenForm::default(), FormError::none()).await
}

#[tracing::instrument(skip_all)]
async fn open(State(s): State<AppState>, page: Page, CsrfForm(f): CsrfForm<OpenForm>) -> PageResult {
    let i = &page.i;
    let Ok(opened_on) = date_field(&f.opened_on) else {
        let form = FormError::field("opened_on", format!("{}: {}", i.t("field-name-opened-on"), i.t("field-error-invalid-date")));
        return list_page(&s, &page, Params::default(), f, form).await;
    };
    let request = pb::OpenDisputeRequest {
        agreement_id: f.agreement.trim().to_owned(),
        topic: f.topic.clone(),
        description: f.description.clone(),
        opened_on,
        escalation_name: f.escalation_name.clone(),
        escalation_email: f.escalation_email.trim().to_owned(),
    };
    match s.partnership().open_dispute(page.grpc(request)?).await {
        Ok(d) => Ok(Redirect::to(&format!("/portal/disputes/{}", d.into_inner().id)).into_response()),
        Err(status) => {
            let form = FormError::from_call(status, i)?;
            list_page(&s, &page, Params::default(), f, form).await
        }
    }
}

#[derive(Deserialize, Default, Clone)]
struct SettleForm {
    #[serde(default)]
    version: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    settled_on: String,
}

#[derive(Template)]
#[template(path = "contracts/dispute.html")]
struct DisputePage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    d: pb::Dispute,
    status: String,
    tone: &'static str,
    clock: String,
    opened: String,
    opened_by: String,
    party: String,
    settled_by: String,
    f: SettleForm,
    error: Vec<String>,
    invalid: Invalid,
}

async fn dispute_page(s: &AppState, page: &Page, id: &str, f: Option<SettleForm>, form: FormError) -> PageResult {
    let i = &page.i;
    let d = s.partnership().get_dispute(page.grpc(pb::GetDisputeRequest { id: id.to_owned() })?).await?.into_inner();
    let (status, tone) = status(i, &d);
    let f = f.unwrap_or_else(|| SettleForm { version: d.version.to_string(), ..Default::default() });
    let party = i.t(if d.opened_party == pb::Party::Customer as i32 { "calendar-party-customer" } else { "calendar-party-enterprise" });
    let name = |n: &str| if n.is_empty() { i.t("actor-unknown") } else { n.to_owned() };
    let l = page.l.at("/portal/disputes");
    let view = DisputePage {
        l: &l,
        i,
        status,
        tone,
        clock: clock(i, &d),
        opened: i.date(&d.opened_on),
        opened_by: name(&d.opened_by_name),
        party,
        settled_by: name(&d.settled_by_name),
        d,
        f,
        error: form.messages.clone(),
        invalid: Invalid::of(&form),
    };
    Ok(render(form.status, &view))
}

#[tracing::instrument(skip_all)]
async fn show(State(s): State<AppState>, page: Page, Path(id): Path<String>) -> PageResult {
    dispute_page(&s, &page, &id, None, FormError::none()).await
}

#[tracing::instrument(skip_all)]
async fn settle(State(s): State<AppState>, page: Page, Path(id): Path<String>, CsrfForm(f): CsrfForm<SettleForm>) -> PageResult {
    page.require_staff()?;
    let i = &page.i;
    let Ok(settled_on) = date_field(&f.settled_on) else {
        let form = FormError::field("settled_on", format!("{}: {}", i.t("field-name-settled-on"), i.t("field-error-invalid-date")));
        return dispute_page(&s, &page, &id, Some(f), form).await;
    };
    let request = pb::SettleDisputeRequest {
        id: id.clone(),
        expected_version: f.version.trim().parse().unwrap_or(0),
        outcome: f.outcome.clone(),
        settled_on,
    };
    match s.partnership().settle_dispute(page.grpc(request)?).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/disputes/{id}")).into_response()),
        Err(status) => {
            let form = FormError::from_call(status, i)?;
            dispute_page(&s, &page, &id, Some(f), form).await
        }
    }
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal/disputes", get(list).post(open))
        .route("/portal/disputes/{id}", get(show))
        .route("/portal/disputes/{id}/settlement", post(settle))
}
