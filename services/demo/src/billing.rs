//! The demo city's billing details (konsernin laskutus): every customer has an
//! e-invoice address derived from its business id (the city's own customers
//! share the city's Y-tunnus 0187690-1, told apart by an OVT suffix), an
//! operator, a buyer reference and payment terms. Sivistys- ja
//! kulttuuripalvelut is invoiced per unit, each unit with its own address
//! suffix and cost centre; the vocational college receives Peppol invoices;
//! the foundation reads its invoices in Swedish.
//!
//! Seeded through the contracts store after the customer's units, validated
//! by the same rules as the API, with a `contracts.customer.updated` event
//! carrying the details and the units.

use crate::city::DemoCustomer;
use crate::ids::demo_id;
use crate::users::SEED_SUBJECT;
use kumppani_contracts::domain::billing::{BillingTarget, validate_billing};
use kumppani_contracts::{PRODUCER, store};
use kumppani_platform::events::emit;
use kumppani_platform::validate::Violations;
use kumppani_proto::contracts::v1 as pb;
use sqlx::PgConnection;

/// The city's e-invoice operator (OVT of its intermediator, 0357502-9).
const CITY_OPERATOR: &str = "003703575029";

/// A city customer's OVT suffix and cost centre (kustannuspaikka).
fn city_account(code: &str) -> (&'static str, &'static str) {
    match code {
        "KONS" => ("1000", "1000"),
        "SIVI" => ("2000", "2000"),
        "HYVI" => ("3000", "3000"),
        "YHYM" => ("4000", "4000"),
        "TILA" => ("5100", "5100"),
        "TEKN" => ("5200", "5200"),
        "VESI" => ("5300", "5300"),
        "PELA" => ("5400", "5400"),
        "KONT" => ("5500", "5500"),
        "TYOT" => ("5600", "5600"),
        _ => ("9000", "9000"),
    }
}

/// The customer's billing details and its units' overrides (unit code, details),
/// as the API takes them.
pub fn demo_billing(c: &DemoCustomer) -> (pb::BillingDetails, Vec<(String, pb::BillingDetails)>) {
    let digits: String = c.business_id.as_deref().unwrap_or("0187690-1").chars().filter(char::is_ascii_digit).collect();
    let ovt = format!("0037{digits}");
    let level = |l: pb::InvoicingLevel| l as i32;
    if c.kind == "external" {
        let peppol = c.code == "OSAO";
        let details = pb::BillingDetails {
            invoicing_level: level(pb::InvoicingLevel::Customer),
            einvoice_address: ovt.clone(),
            operator_id: if peppol { "003721291126".into() } else { "NDEAFIHH".into() },
            peppol_id: if peppol { format!("0216:{ovt}") } else { String::new() },
            buyer_reference: format!("{} / ateria- ja puhtauspalvelut", c.code),
            payment_terms_days: if peppol { 21 } else { 30 },
            invoice_language: if c.code == "KOTI" { "sv".into() } else { "fi".into() },
            street_address: format!("PL {}", 100 + c.code.len() * 7),
            postal_code: "90101".into(),
            city: "Oulu".into(),
        };
        return (details, Vec::new());
    }
    let (suffix, cost_centre) = city_account(&c.code);
    let per_unit = c.code == "SIVI";
    let details = pb::BillingDetails {
        invoicing_level: level(if per_unit { pb::InvoicingLevel::Unit } else { pb::InvoicingLevel::Customer }),
        einvoice_address: format!("{ovt}{suffix}"),
        operator_id: CITY_OPERATOR.into(),
        peppol_id: String::new(),
        buyer_reference: format!("KP {cost_centre} {}", c.code),
        payment_terms_days: 14,
        invoice_language: "fi".into(),
        // The city's purchase invoices all go to one address (ostolaskut).
        street_address: "PL 1 / Ostolaskut".into(),
        postal_code: "90015".into(),
        city: "Oulun kaupunki".into(),
    };
    let units = if per_unit {
        // Each unit its own address (suffix 2100, 2200, …) and cost centre; the rest inherited.
        c.units
            .iter()
            .enumerate()
            .map(|(i, u)| {
                let n = 2100 + 100 * i;
                let overrides = pb::BillingDetails {
                    einvoice_address: format!("{ovt}{n}"),
                    buyer_reference: format!("KP {n} {}", u.code),
                    ..Default::default()
                };
                (u.code.clone(), overrides)
            })
            .collect()
    } else {
        Vec::new()
    };
    (details, units)
}

/// Sets the customer's billing details and its units' overrides, and emits
/// `contracts.customer.updated` with them.
pub(crate) async fn seed_billing(tx: &mut PgConnection, c: &DemoCustomer) -> anyhow::Result<()> {
    let customer_id = demo_id("customer", &c.code);
    let (details, units) = demo_billing(c);
    let mut v = Violations::default();
    let input = validate_billing(&mut v, &details, BillingTarget::Customer);
    v.finish()?;
    store::set_customer_billing(&mut *tx, customer_id, &input, SEED_SUBJECT).await?;
    for (code, overrides) in &units {
        let mut v = Violations::default();
        let input = validate_billing(&mut v, overrides, BillingTarget::Unit);
        v.finish()?;
        let unit_id = demo_id("unit", &format!("{}:{code}", c.code));
        store::set_unit_billing(&mut *tx, customer_id, unit_id, &input, SEED_SUBJECT).await?;
    }
    if let Some(event) = store::customer_event(&mut *tx, customer_id).await? {
        emit(&mut *tx, PRODUCER, "contracts.customer.updated", &event).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::city::demo_city;

    #[test]
    fn every_demo_customer_has_valid_billing_details() {
        let city = demo_city();
        let (mut peppol, mut swedish, mut per_unit) = (0, 0, 0);
        for c in &city.customers {
            let (details, units) = demo_billing(c);
            let mut v = Violations::default();
            validate_billing(&mut v, &details, BillingTarget::Customer);
            for (_, u) in &units {
                validate_billing(&mut v, u, BillingTarget::Unit);
            }
            assert!(v.is_empty(), "{}: {v:?}", c.code);
            let digits: String = c.business_id.clone().unwrap_or_default().chars().filter(char::is_ascii_digit).collect();
            assert!(details.einvoice_address.starts_with(&format!("0037{digits}")), "{}: derived from the business id", c.code);
            peppol += usize::from(!details.peppol_id.is_empty());
            swedish += usize::from(details.invoice_language == "sv");
            if details.invoicing_level == pb::InvoicingLevel::Unit as i32 {
                per_unit += 1;
                assert_eq!(units.len(), c.units.len(), "every unit of {} has its overrides", c.code);
                let mut references: Vec<&str> = units.iter().map(|(_, u)| u.buyer_reference.as_str()).collect();
                references.sort_unstable();
                references.dedup();
                assert_eq!(references.len(), units.len(), "a buyer reference per unit");
            }
        }
        assert_eq!((peppol, swedish, per_unit), (1, 1, 1));
        let addresses: std::collections::BTreeSet<String> = city.customers.iter().map(|c| demo_billing(c).0.einvoice_address).collect();
        assert_eq!(addresses.len(), city.customers.len(), "one address per customer");
    }
}
