//! The billing details on the customer page: shown to whoever reads the
//! customer (staff and the customer's own users), edited by staff with one
//! form for the customer and one per unit (its overrides; an empty field
//! inherits the customer's value). A rejected form is shown again with what
//! was typed and its invalid fields marked; no JavaScript needed.

use super::portal::customer_page;
use crate::i18n::I18n;
use crate::page::{CsrfForm, FormError, Invalid, Page, PageResult};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use kumppani_proto::contracts::v1 as pb;
use serde::Deserialize;

/// What a billing form carries, as typed; `unit` is empty for the customer's own form.
#[derive(Deserialize, Default, Clone, Debug)]
pub(super) struct BillingForm {
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub invoicing_level: String,
    #[serde(default)]
    pub einvoice_address: String,
    #[serde(default)]
    pub operator_id: String,
    #[serde(default)]
    pub peppol_id: String,
    #[serde(default)]
    pub buyer_reference: String,
    #[serde(default)]
    pub payment_terms_days: String,
    #[serde(default)]
    pub invoice_language: String,
    #[serde(default)]
    pub street_address: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub city: String,
}

impl BillingForm {
    /// The form of stored details (`unit` empty for the customer's).
    fn of(unit: &str, b: &pb::BillingDetails) -> Self {
        let level = pb::InvoicingLevel::try_from(b.invoicing_level).unwrap_or_default();
        Self {
            unit: unit.to_owned(),
            invoicing_level: if level == pb::InvoicingLevel::Unspecified { String::new() } else { level.as_str_name().to_owned() },
            einvoice_address: b.einvoice_address.clone(),
            operator_id: b.operator_id.clone(),
            peppol_id: b.peppol_id.clone(),
            buyer_reference: b.buyer_reference.clone(),
            payment_terms_days: if b.payment_terms_days == 0 { String::new() } else { b.payment_terms_days.to_string() },
            invoice_language: b.invoice_language.clone(),
            street_address: b.street_address.clone(),
            postal_code: b.postal_code.clone(),
            city: b.city.clone(),
        }
    }

    /// The request: an empty day count is 0 (a unit inherits; the customer is
    /// told it is required), one that is not a number is refused by the service as out of range.
    fn request(&self, customer_id: &str) -> pb::SetBillingDetailsRequest {
        let days = self.payment_terms_days.trim();
        let payment_terms_days = if days.is_empty() { 0 } else { days.parse().unwrap_or(-1) };
        let billing = pb::BillingDetails {
            invoicing_level: pb::InvoicingLevel::from_str_name(&self.invoicing_level).map_or(0, |l| l as i32),
            einvoice_address: self.einvoice_address.clone(),
            operator_id: self.operator_id.clone(),
            peppol_id: self.peppol_id.clone(),
            buyer_reference: self.buyer_reference.clone(),
            payment_terms_days,
            invoice_language: self.invoice_language.clone(),
            street_address: self.street_address.clone(),
            postal_code: self.postal_code.clone(),
            city: self.city.clone(),
        };
        pb::SetBillingDetailsRequest { customer_id: customer_id.to_owned(), unit_id: self.unit.clone(), billing: Some(billing) }
    }
}

/// One edit form: the customer's (`unit` empty) or a unit's, with its values and invalid fields.
pub(super) struct BillingEdit {
    /// The element id prefix: `bc` for the customer, `bu-<unit id>` for a unit.
    pub key: String,
    pub title: String,
    pub form: BillingForm,
    pub invalid: Invalid,
}

impl BillingEdit {
    pub fn is_unit(&self) -> bool {
        !self.form.unit.is_empty()
    }
    /// The input id of a field of this form.
    pub fn id(&self, field: &str) -> String {
        format!("{}-{field}", self.key)
    }
}

/// The billing section of the customer page.
#[derive(Default)]
pub(super) struct BillingView {
    /// The customer's details (absent: not shown to this reader).
    pub details: Option<pb::BillingDetails>,
    /// Units with at least one override: (name, overrides).
    pub overrides: Vec<(String, pb::BillingDetails)>,
    /// Staff: the customer's form, then one per unit.
    pub edits: Vec<BillingEdit>,
    /// Just saved (after the redirect).
    pub saved: bool,
}

/// A rejected billing form: what was typed and the service's answer.
pub(super) struct Rejected {
    pub form: BillingForm,
    pub error: FormError,
}

fn has_override(b: &pb::BillingDetails) -> bool {
    let fields = [
        &b.einvoice_address,
        &b.operator_id,
        &b.peppol_id,
        &b.buyer_reference,
        &b.invoice_language,
        &b.street_address,
        &b.postal_code,
        &b.city,
    ];
    b.payment_terms_days != 0 || fields.iter().any(|f| !f.is_empty())
}

impl BillingView {
    /// The section for `d`; staff get the forms, the rejected one with what was typed.
    pub fn of(d: &pb::CustomerDetail, staff: bool, rejected: Option<&Rejected>, saved: bool) -> Self {
        let customer = d.customer.clone().unwrap_or_default();
        let Some(details) = customer.billing.clone() else { return Self::default() };
        let unit_billing = |u: &pb::Unit| u.billing.clone().unwrap_or_default();
        let overrides = d.units.iter().filter(|u| has_override(&unit_billing(u))).map(|u| (u.name.clone(), unit_billing(u))).collect();
        let edit = |key: String, title: String, unit: &str, stored: &pb::BillingDetails| match rejected {
            Some(r) if r.form.unit == unit => BillingEdit { key, title, form: r.form.clone(), invalid: Invalid::of(&r.error) },
            _ => BillingEdit { key, title, form: BillingForm::of(unit, stored), invalid: Invalid::default() },
        };
        let edits = if staff {
            std::iter::once(edit("bc".into(), customer.name.clone(), "", &details))
                .chain(d.units.iter().map(|u| edit(format!("bu-{}", u.id), u.name.clone(), &u.id, &unit_billing(u))))
                .collect()
        } else {
            Vec::new()
        };
        Self { details: Some(details), overrides, edits, saved }
    }
}

/// Labels of the section's values in the user's language.
pub(super) fn level_label(i: &I18n, level: i32) -> String {
    let name = pb::InvoicingLevel::try_from(level).unwrap_or_default().as_str_name();
    i.t(&name.to_lowercase().replace('_', "-"))
}

/// "suomi", "svenska", … ; empty (a unit inheriting) is "as the customer's".
pub(super) fn language_label(i: &I18n, language: &str) -> String {
    if language.is_empty() { i.t("billing-inherited") } else { i.t(&format!("invoice-language-{language}")) }
}

/// A unit's override, or "as the customer's".
pub(super) fn override_text(i: &I18n, value: &str) -> String {
    if value.is_empty() { i.t("billing-inherited") } else { value.to_owned() }
}

/// Staff save a customer's billing details or a unit's overrides.
#[tracing::instrument(skip_all)]
pub(super) async fn save(State(s): State<AppState>, page: Page, Path(id): Path<String>, CsrfForm(f): CsrfForm<BillingForm>) -> PageResult {
    page.require_staff()?;
    match s.contracts().set_billing_details(page.grpc(f.request(&id))?).await {
        Ok(_) => Ok(Redirect::to(&format!("/portal/customers/{id}?saved=billing#billing")).into_response()),
        Err(status) => {
            let error = FormError::from_call(status, &page.i)?;
            customer_page(&s, &page, id, Some(Rejected { form: f, error }), false).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_round_trips_the_details_and_keeps_what_is_not_a_number() {
        let b = pb::BillingDetails {
            invoicing_level: pb::InvoicingLevel::Unit as i32,
            einvoice_address: "003701876901200".into(),
            payment_terms_days: 14,
            invoice_language: "fi".into(),
            ..Default::default()
        };
        let form = BillingForm::of("", &b);
        assert_eq!(form.invoicing_level, "INVOICING_LEVEL_UNIT");
        assert_eq!(form.request("c").billing, Some(b));
        let typed = BillingForm { payment_terms_days: "kaksi".into(), unit: "u".into(), ..form };
        let request = typed.request("c");
        assert_eq!((request.unit_id.as_str(), request.billing.map(|b| b.payment_terms_days)), ("u", Some(-1)));
        let empty = BillingForm { payment_terms_days: " ".into(), ..BillingForm::default() };
        assert_eq!(empty.request("c").billing.map(|b| b.payment_terms_days), Some(0), "a unit inherits");
    }

    #[test]
    fn only_units_with_an_override_are_listed() {
        let unit = |id: &str, b: pb::BillingDetails| pb::Unit { id: id.into(), name: id.into(), billing: Some(b), ..Default::default() };
        let d = pb::CustomerDetail {
            customer: Some(pb::Customer { billing: Some(pb::BillingDetails::default()), ..Default::default() }),
            units: vec![
                unit("a", pb::BillingDetails::default()),
                unit("b", pb::BillingDetails { payment_terms_days: 30, ..Default::default() }),
            ],
            ..Default::default()
        };
        let view = BillingView::of(&d, true, None, false);
        assert_eq!(view.overrides.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["b"]);
        assert_eq!(view.edits.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(), ["bc", "bu-a", "bu-b"]);
        assert!(BillingView::of(&d, false, None, false).edits.is_empty(), "customer users read only");
        let hidden = pb::CustomerDetail { customer: Some(pb::Customer::default()), ..d };
        assert!(BillingView::of(&hidden, true, None, false).details.is_none());
    }
}
