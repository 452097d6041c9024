//! The staff's mid-year price changes in the portal: the list with each
//! change's decision forms and the proposal form. A rejected form is shown
//! again with what the user typed and its invalid fields marked.

use super::portal::{COMPONENT_KINDS, api_decimal, parse_form_date};
use crate::i18n::I18n;
use crate::page::{CsrfForm, FormError, FormPairs, Invalid, Layout, Page, PageResult, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::pricing::v1 as pb;
use serde::Deserialize;

/// What the user typed into the proposal form, as typed.
#[derive(Default)]
struct Proposal {
    effective_from: String,
    reason: String,
    customers: Vec<String>,
    product_code: String,
    unit_price: String,
    /// The components' amounts by kind.
    amounts: Vec<(i32, String)>,
}

impl Proposal {
    fn read(f: &FormPairs) -> Self {
        Self {
            effective_from: f.get("effective_from"),
            reason: f.get("reason"),
            customers: f.all("customer"),
            product_code: f.get("product_code"),
            unit_price: f.get("unit_price"),
            amounts: COMPONENT_KINDS.iter().map(|k| (*k as i32, f.get(&format!("c{}", *k as i32)))).collect(),
        }
    }
}

/// One cost component's field of the proposal form.
struct KindInput {
    kind: i32,
    label: String,
    input: String,
}

/// A rejected decision form: which change, and what was typed.
#[derive(Deserialize, Default)]
pub(super) struct DecisionForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    text: String,
}

/// A change as listed: the product names of its prices.
struct ChangeRow {
    c: pb::PriceChange,
    prices: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "pricing/price_changes.html")]
struct PriceChangesPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    changes: Vec<ChangeRow>,
    customers: Vec<contracts::Customer>,
    products: Vec<pb::Product>,
    kinds: Vec<KindInput>,
    error: Vec<String>,
    /// The proposal form's values and invalid fields.
    typed: Proposal,
    invalid: Invalid,
    /// The decision form that was rejected (change id), its values and invalid fields.
    decided: String,
    decision: DecisionForm,
    decision_invalid: Invalid,
}

impl PriceChangesPage<'_> {
    fn chosen(&self, customer: &str) -> bool {
        self.typed.customers.iter().any(|c| c == customer)
    }

    /// Whether the rejected decision form is the change `id`'s group-approval
    /// form (`group`) or its decision form.
    fn rejected(&self, id: &str, group: bool) -> bool {
        self.decided == id && (self.decision.action == "group-approval") == group
    }

    /// The typed value of a decision form's field (`date`, `text`).
    fn typed_decision(&self, id: &str, group: bool, field: &str) -> &str {
        match (self.rejected(id, group), field) {
            (false, _) => "",
            (true, "date") => &self.decision.date,
            (true, _) => &self.decision.text,
        }
    }

    /// The invalid fields of a change's decision form.
    fn decision_invalid(&self, id: &str, group: bool) -> Invalid {
        if self.rejected(id, group) { self.decision_invalid.clone() } else { Invalid::default() }
    }
}

/// The page: a rejected proposal (`typed`) or decision (`decided`) keeps its values.
async fn page_with(s: &AppState, page: &Page, form: FormError, typed: Proposal, decided: Option<(String, DecisionForm)>) -> PageResult {
    page.require_staff()?;
    let changes = s.pricing().list_price_changes(page.grpc(pb::ListPriceChangesRequest { year: 0 })?).await?.into_inner().changes;
    let request = contracts::ListCustomersRequest { page_size: 500, ..Default::default() };
    let customers = s.contracts().list_customers(page.grpc(request)?).await?.into_inner().customers;
    let products = s.pricing().list_products(page.grpc(pb::ListProductsRequest {})?).await?.into_inner().products;
    let i = &page.i;
    let changes = changes
        .into_iter()
        .map(|c| {
            let name = |code: &str| products.iter().find(|p| p.code == code).map_or_else(|| code.to_owned(), |p| p.name.clone());
            let prices = c.items.iter().map(|p| (name(&p.product_code), i.money(&p.unit_price))).collect();
            ChangeRow { c, prices }
        })
        .collect();
    let kinds = COMPONENT_KINDS
        .iter()
        .map(|k| {
            let kind = *k as i32;
            let input = typed.amounts.iter().find(|(t, _)| *t == kind).map(|(_, a)| a.clone()).unwrap_or_default();
            KindInput { kind, label: i.cost_kind(&kind), input }
        })
        .collect();
    let invalid = Invalid::of(&form);
    let (decided, decision, decision_invalid, invalid) = match decided {
        Some((id, d)) => (id, d, invalid, Invalid::default()),
        None => (String::new(), DecisionForm::default(), Invalid::default(), invalid),
    };
    let l = page.l.at("/portal/price-changes");
    Ok(render(
        form.status,
        &PriceChangesPage {
            l: &l,
            i,
            changes,
            customers,
            products,
            kinds,
            error: form.messages,
            typed,
            invalid,
            decided,
            decision,
            decision_invalid,
        },
    ))
}

#[tracing::instrument(skip_all)]
pub(super) async fn price_changes(State(s): State<AppState>, page: Page) -> PageResult {
    page_with(&s, &page, FormError::none(), Proposal::default(), None).await
}

/// A proposal names its customers with repeated `customer` fields.
#[tracing::instrument(skip_all)]
pub(super) async fn propose_change(State(s): State<AppState>, page: Page, CsrfForm(f): CsrfForm<FormPairs>) -> PageResult {
    let typed = Proposal::read(&f);
    let components = typed
        .amounts
        .iter()
        .filter_map(|(kind, amount)| {
            let amount = api_decimal(amount);
            (!amount.is_empty()).then_some(pb::CostComponent { kind: *kind, amount })
        })
        .collect();
    let request = pb::ProposePriceChangeRequest {
        effective_from: parse_form_date(&typed.effective_from),
        reason: typed.reason.clone(),
        customer_ids: typed.customers.clone(),
        items: vec![pb::Price { product_code: typed.product_code.clone(), unit_price: api_decimal(&typed.unit_price), components }],
    };
    match s.pricing().propose_price_change(page.grpc(request)?).await {
        Ok(_) => Ok(Redirect::to("/portal/price-changes").into_response()),
        Err(status) => page_with(&s, &page, FormError::from_call(status, &page.i)?, typed, None).await,
    }
}

#[tracing::instrument(skip_all)]
pub(super) async fn decide_change(
    State(s): State<AppState>,
    page: Page,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<DecisionForm>,
) -> PageResult {
    let result = match f.action.as_str() {
        "group-approval" => {
            let request = pb::RecordPriceChangeGroupApprovalRequest {
                price_change_id: id.clone(),
                approved_on: parse_form_date(&f.date),
                reference: f.text.clone(),
            };
            s.pricing().record_price_change_group_approval(page.grpc(request)?).await.map(|_| ())
        }
        action => {
            let request = pb::DecidePriceChangeRequest {
                price_change_id: id.clone(),
                approve: action == "approve",
                decided_on: parse_form_date(&f.date),
                reason: f.text.clone(),
            };
            s.pricing().decide_price_change(page.grpc(request)?).await.map(|_| ())
        }
    };
    match result {
        Ok(()) => Ok(Redirect::to("/portal/price-changes").into_response()),
        Err(status) => {
            let mut form = FormError::from_call(status, &page.i)?;
            // The decision forms name their fields `date` and `text`.
            for (field, _) in &mut form.fields {
                *field = match field.as_str() {
                    "approved_on" | "decided_on" => "date".to_owned(),
                    "reference" | "reason" => "text".to_owned(),
                    other => other.to_owned(),
                };
            }
            page_with(&s, &page, form, Proposal::default(), Some((id, f))).await
        }
    }
}
