//! Billing details (konsernin laskutus): where and how a customer's monthly
//! invoice goes, and a unit's overrides of it. Pure validation of
//! `BillingDetails` into [`BillingInput`], every bad field reported at once
//! under `billing.<field>`; the shapes are those of Finvoice and Peppol.

use super::y_tunnus_digits_valid;
use kumppani_platform::Reason;
use kumppani_platform::auth::{Principal, Role};
use kumppani_platform::validate::Violations;
use kumppani_proto::contracts::v1 as pb;

kumppani_platform::text_enum!(invoicing_level_text, invoicing_level_from, pb::InvoicingLevel, {
    Customer => "customer", Unit => "unit",
});

/// Invoice languages: Finnish, Swedish, English.
pub const INVOICE_LANGUAGES: [&str; 3] = ["fi", "sv", "en"];
/// Payment terms in days (from the invoice date to the due date).
pub const PAYMENT_TERMS_DAYS: std::ops::RangeInclusive<i32> = 7..=90;
/// Finvoice's limit on the buyer reference (BuyerReferenceIdentifier).
pub const BUYER_REFERENCE_MAX: usize = 35;
/// Longest Peppol participant id after the scheme.
pub const PEPPOL_ID_MAX: usize = 50;

/// Whose billing details are being set: the customer's own, or one of its
/// units' overrides (an empty field inherits the customer's value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillingTarget {
    Customer,
    Unit,
}

/// Validated billing details; `None` is "not given" (NULL): no e-invoice
/// address etc. on the customer, "inherit the customer's" on a unit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillingInput {
    /// Customer only; `None` keeps the stored level (`customer` when new).
    pub invoicing_level: Option<&'static str>,
    pub einvoice_address: Option<String>,
    pub operator_id: Option<String>,
    pub peppol_id: Option<String>,
    pub buyer_reference: Option<String>,
    pub payment_terms_days: Option<i32>,
    pub invoice_language: Option<&'static str>,
    /// The postal address on the invoice.
    pub street_address: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
}

/// Finvoice's limit on address lines.
pub const ADDRESS_MAX: usize = 35;

/// An optional address line: trimmed, at most [`ADDRESS_MAX`] characters, no control characters.
fn address_line(v: &mut Violations, name: &str, value: &str) -> Option<String> {
    let t = value.trim();
    if t.chars().count() > ADDRESS_MAX {
        v.add(field(name), Reason::too_long(ADDRESS_MAX));
    } else if t.chars().any(char::is_control) {
        v.add(field(name), Reason::new("control_characters", "must not contain control characters"));
    }
    (!t.is_empty()).then(|| t.to_owned())
}

/// An OVT (EDI) code: "0037" + the 8 digits of a Y-tunnus with a valid check
/// digit + an optional suffix of up to 5 ASCII letters or digits.
pub fn valid_ovt(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("0037") else { return false };
    if rest.len() < 8 || !rest.is_char_boundary(8) {
        return false;
    }
    let (digits, suffix) = rest.split_at(8);
    y_tunnus_digits_valid(digits) && suffix.len() <= 5 && suffix.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A BIC (ISO 9362): 4-letter institution, 2-letter country, 2 letters or
/// digits of location and optionally 3 of branch (8 or 11 characters, upper case).
pub fn valid_bic(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: &u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    (b.len() == 8 || b.len() == 11) && b[..6].iter().all(u8::is_ascii_uppercase) && b[6..].iter().all(alnum)
}

/// An e-invoice operator (intermediator): its OVT code without a suffix
/// ("0037" + 8 digits) or its BIC.
pub fn valid_operator_id(s: &str) -> bool {
    (s.len() == 12 && valid_ovt(s)) || valid_bic(s)
}

/// A Peppol participant id "<ICD scheme>:<id>": four digits, a colon and 1–50
/// printable characters without spaces; under the Finnish schemes 0216 (OVT)
/// and 0037 the id must be a valid OVT code.
pub fn valid_peppol_id(s: &str) -> bool {
    let Some((scheme, id)) = s.split_once(':') else { return false };
    let shape = scheme.len() == 4
        && scheme.bytes().all(|b| b.is_ascii_digit())
        && (1..=PEPPOL_ID_MAX).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_graphic());
    shape && (!matches!(scheme, "0216" | "0037") || valid_ovt(id))
}

fn field(name: &str) -> String {
    format!("billing.{name}")
}

/// An optional identifier: trimmed, `None` when empty, a field error when `valid` refuses it.
fn identifier(v: &mut Violations, name: &str, value: &str, valid: fn(&str) -> bool, reason: Reason) -> Option<String> {
    let t = value.trim();
    if t.is_empty() {
        return None;
    }
    if !valid(t) {
        v.add(field(name), reason);
    }
    Some(t.to_owned())
}

/// Validates billing details for `target` (all bad fields at once, under
/// `billing.<field>`). On the customer the payment terms and invoice language
/// are required and the invoicing level, when given, must be known; on a unit
/// every field may be empty (inherit) and the invoicing level is ignored.
pub fn validate_billing(v: &mut Violations, b: &pb::BillingDetails, target: BillingTarget) -> BillingInput {
    let customer = target == BillingTarget::Customer;
    let invoicing_level =
        if customer { v.enumeration(&field("invoicing_level"), b.invoicing_level, invoicing_level_text, false) } else { None };
    let einvoice_address = identifier(
        v,
        "einvoice_address",
        &b.einvoice_address,
        valid_ovt,
        Reason::new(
            "invalid_einvoice_address",
            "must be \"0037\" + the 8 digits of a Y-tunnus with a correct check digit + up to 5 letters or digits, e.g. 003701876901100",
        ),
    );
    let operator_id = identifier(
        v,
        "operator_id",
        &b.operator_id.to_ascii_uppercase(),
        valid_operator_id,
        Reason::new(
            "invalid_operator_id",
            "must be the operator's OVT code (0037 + 8 digits of a Y-tunnus) or its BIC (8 or 11 characters)",
        ),
    );
    let peppol_id = identifier(
        v,
        "peppol_id",
        &b.peppol_id,
        valid_peppol_id,
        Reason::new(
            "invalid_peppol_id",
            "must be \"<4-digit scheme>:<id>\" (id 1-50 characters without spaces; under 0216 and 0037 a valid OVT code), e.g. 0216:003701876901",
        ),
    );
    let reference = b.buyer_reference.trim();
    let buyer_reference = if reference.chars().count() > BUYER_REFERENCE_MAX {
        v.add(field("buyer_reference"), Reason::too_long(BUYER_REFERENCE_MAX));
        Some(reference.to_owned())
    } else if reference.chars().any(char::is_control) {
        v.add(field("buyer_reference"), Reason::new("control_characters", "must not contain control characters"));
        Some(reference.to_owned())
    } else {
        (!reference.is_empty()).then(|| reference.to_owned())
    };
    let (min, max) = (*PAYMENT_TERMS_DAYS.start(), *PAYMENT_TERMS_DAYS.end());
    let payment_terms_days = match b.payment_terms_days {
        0 if customer => {
            v.add(field("payment_terms_days"), Reason::required());
            None
        }
        0 => None,
        d => {
            v.check(PAYMENT_TERMS_DAYS.contains(&d), &field("payment_terms_days"), Reason::out_of_range(min, max));
            Some(d)
        }
    };
    let language = b.invoice_language.trim().to_ascii_lowercase();
    let invoice_language = INVOICE_LANGUAGES.iter().copied().find(|l| *l == language);
    if language.is_empty() {
        v.check(!customer, &field("invoice_language"), Reason::required());
    } else if invoice_language.is_none() {
        v.add(field("invoice_language"), Reason::new("unknown_value", "must be fi, sv or en"));
    }
    let street_address = address_line(v, "street_address", &b.street_address);
    let city = address_line(v, "city", &b.city);
    let postal = b.postal_code.trim();
    let five_digits = postal.len() == 5 && postal.bytes().all(|c| c.is_ascii_digit());
    if !postal.is_empty() && !five_digits {
        v.add(field("postal_code"), Reason::new("invalid_postal_code", "must be five digits"));
    }
    let postal_code = (!postal.is_empty()).then(|| postal.to_owned());
    BillingInput {
        invoicing_level,
        einvoice_address,
        operator_id,
        peppol_id,
        buyer_reference,
        payment_terms_days,
        invoice_language,
        street_address,
        postal_code,
        city,
    }
}

/// The billing details as read back: `None` fields empty (0 days).
pub fn billing_details(level: Option<&str>, b: &BillingInput) -> pb::BillingDetails {
    pb::BillingDetails {
        invoicing_level: level.map(invoicing_level_from).unwrap_or(0),
        einvoice_address: b.einvoice_address.clone().unwrap_or_default(),
        operator_id: b.operator_id.clone().unwrap_or_default(),
        peppol_id: b.peppol_id.clone().unwrap_or_default(),
        buyer_reference: b.buyer_reference.clone().unwrap_or_default(),
        payment_terms_days: b.payment_terms_days.unwrap_or(0),
        invoice_language: b.invoice_language.unwrap_or_default().to_owned(),
        street_address: b.street_address.clone().unwrap_or_default(),
        postal_code: b.postal_code.clone().unwrap_or_default(),
        city: b.city.clone().unwrap_or_default(),
    }
}

/// What applies to a unit: its overrides over the customer's details (the
/// customer's invoicing level).
pub fn effective_billing(customer: &pb::BillingDetails, unit: &pb::BillingDetails) -> pb::BillingDetails {
    let pick = |own: &str, inherited: &str| if own.is_empty() { inherited.to_owned() } else { own.to_owned() };
    pb::BillingDetails {
        invoicing_level: customer.invoicing_level,
        einvoice_address: pick(&unit.einvoice_address, &customer.einvoice_address),
        operator_id: pick(&unit.operator_id, &customer.operator_id),
        peppol_id: pick(&unit.peppol_id, &customer.peppol_id),
        buyer_reference: pick(&unit.buyer_reference, &customer.buyer_reference),
        payment_terms_days: if unit.payment_terms_days == 0 { customer.payment_terms_days } else { unit.payment_terms_days },
        invoice_language: pick(&unit.invoice_language, &customer.invoice_language),
        street_address: pick(&unit.street_address, &customer.street_address),
        postal_code: pick(&unit.postal_code, &customer.postal_code),
        city: pick(&unit.city, &customer.city),
    }
}

/// Billing details are read by staff and the customer's own users (whoever
/// reads the customer, site users never do); no grant opens them to a system
/// client, which gets the customers and units without them. Invoicing learns
/// them from the `contracts.customer.*` events.
pub fn redact_billing(p: &Principal, customers: &mut [pb::Customer], units: &mut [pb::Unit]) {
    if p.role == Role::SystemClient {
        customers.iter_mut().for_each(|c| c.billing = None);
        units.iter_mut().for_each(|u| u.billing = None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(f: impl FnOnce(&mut pb::BillingDetails)) -> pb::BillingDetails {
        let mut b = pb::BillingDetails {
            invoicing_level: pb::InvoicingLevel::Customer as i32,
            einvoice_address: "003701876901100".into(),
            operator_id: "003721291126".into(),
            peppol_id: "0216:003701876901".into(),
            buyer_reference: "Kustannuspaikka 4100".into(),
            payment_terms_days: 21,
            invoice_language: "fi".into(),
            ..Default::default()
        };
        f(&mut b);
        b
    }

    fn fields(b: &pb::BillingDetails, target: BillingTarget) -> Vec<(String, String)> {
        let mut v = Violations::default();
        validate_billing(&mut v, b, target);
        v.into_error().violations.into_iter().map(|x| (x.field, x.code)).collect()
    }

    #[test]
    fn ovt_codes_carry_a_valid_y_tunnus_and_an_optional_suffix() {
        assert!(valid_ovt("003701876901")); // City of Oulu, 0187690-1
        assert!(valid_ovt("003701876901100"));
        assert!(valid_ovt("003701876901SIVI1"));
        assert!(!valid_ovt("003701876902"), "check digit");
        assert!(!valid_ovt("003801876901"), "not 0037");
        assert!(!valid_ovt("00370187690"), "7 digits");
        assert!(!valid_ovt("003701876901123456"), "suffix of 6");
        assert!(!valid_ovt("003701876901-10"), "suffix with a dash");
        assert!(!valid_ovt("0037018769ä1"), "not ASCII");
        // Remainder 1 has no check digit: 0000001 weighs 2 → check 9; 1000000 weighs 7 → 4; 0000006 → 12 % 11 = 1.
        assert!(valid_ovt("003700000019") && valid_ovt("003710000004"));
        assert!((0..=9).all(|d| !valid_ovt(&format!("00370000006{d}"))), "remainder 1 is never valid");
    }

    #[test]
    fn operators_are_ovt_codes_or_bics() {
        assert!(valid_operator_id("003721291126")); // Maventa, 2129112-6
        assert!(valid_operator_id("NDEAFIHH") && valid_operator_id("OKOYFIHH") && valid_operator_id("DABAFIHHXXX"));
        assert!(!valid_operator_id("003721291126A"), "an operator code has no suffix");
        assert!(!valid_operator_id("NDEAFIH"), "7 characters");
        assert!(!valid_operator_id("NDEA1IHH"), "the country is letters");
        assert!(!valid_operator_id("ndeafihh"), "upper case");
        assert!(!valid_operator_id("NDEAFIHH12"), "10 characters");
    }

    #[test]
    fn peppol_ids_have_a_scheme_and_an_id_and_finnish_schemes_an_ovt() {
        assert!(valid_peppol_id("0216:003701876901"));
        assert!(valid_peppol_id("0037:003701876901100"));
        assert!(valid_peppol_id("0088:7300010000001"));
        assert!(valid_peppol_id("9930:DE123456789"));
        assert!(!valid_peppol_id("0216:003701876902"), "an OVT with a wrong check digit");
        assert!(!valid_peppol_id("0037:0187690-1"), "a Y-tunnus is not an OVT");
        assert!(!valid_peppol_id("216:003701876901"), "3-digit scheme");
        assert!(!valid_peppol_id("0088:"), "no id");
        assert!(!valid_peppol_id("0088:73 0001"), "a space");
        assert!(!valid_peppol_id(&format!("0088:{}", "1".repeat(51))), "51 characters");
        assert!(!valid_peppol_id("003701876901"), "no scheme");
    }

    #[test]
    fn valid_details_are_kept_trimmed_and_normalised() {
        let mut v = Violations::default();
        let b = details(|b| {
            b.operator_id = " ndeafihh ".into();
            b.invoice_language = "SV".into();
        });
        let input = validate_billing(&mut v, &b, BillingTarget::Customer);
        assert!(v.is_empty(), "{v:?}");
        assert_eq!(input.invoicing_level, Some("customer"));
        assert_eq!(input.operator_id.as_deref(), Some("NDEAFIHH"));
        assert_eq!(input.invoice_language, Some("sv"));
        assert_eq!(billing_details(Some("unit"), &input).invoicing_level, pb::InvoicingLevel::Unit as i32);
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let bad = details(|b| {
            b.invoicing_level = 9;
            b.einvoice_address = "003701876902".into();
            b.operator_id = "OVT".into();
            b.peppol_id = "0216:123".into();
            b.buyer_reference = "x".repeat(36);
            b.payment_terms_days = 6;
            b.invoice_language = "de".into();
        });
        let got = fields(&bad, BillingTarget::Customer);
        let expected = [
            ("billing.invoicing_level", "unknown_value"),
            ("billing.einvoice_address", "invalid_einvoice_address"),
            ("billing.operator_id", "invalid_operator_id"),
            ("billing.peppol_id", "invalid_peppol_id"),
            ("billing.buyer_reference", "too_long"),
            ("billing.payment_terms_days", "out_of_range"),
            ("billing.invoice_language", "unknown_value"),
        ];
        assert_eq!(got, expected.map(|(f, c)| (f.to_owned(), c.to_owned())));
        let tab = details(|b| b.buyer_reference = "KP\t4100".into());
        assert_eq!(fields(&tab, BillingTarget::Customer), [("billing.buyer_reference".to_owned(), "control_characters".to_owned())]);
        assert_eq!(fields(&details(|b| b.payment_terms_days = 91), BillingTarget::Unit).len(), 1);
    }

    #[test]
    fn the_customer_needs_terms_and_language_a_unit_inherits_them() {
        let empty = pb::BillingDetails::default();
        let got = fields(&empty, BillingTarget::Customer);
        assert_eq!(
            got,
            [
                ("billing.payment_terms_days".to_owned(), "required".to_owned()),
                ("billing.invoice_language".to_owned(), "required".to_owned())
            ]
        );
        let mut v = Violations::default();
        let unit = validate_billing(&mut v, &pb::BillingDetails { invoicing_level: 9, ..empty }, BillingTarget::Unit);
        assert!(v.is_empty(), "a unit ignores the level and inherits everything: {v:?}");
        assert_eq!(unit, BillingInput::default());
        // The level is kept when not given.
        let mut v = Violations::default();
        let kept = validate_billing(&mut v, &details(|b| b.invoicing_level = 0), BillingTarget::Customer);
        assert!(v.is_empty() && kept.invoicing_level.is_none());
    }

    #[test]
    fn system_clients_read_customers_without_billing_details() {
        let who = |role: Role| Principal {
            subject: "x".into(),
            name: "x".into(),
            email: String::new(),
            role,
            customer_id: None,
            site_id: None,
            grants: vec!["registry:read".into()],
        };
        for (role, kept) in [(Role::EnterpriseStaff, true), (Role::CustomerContact, true), (Role::SystemClient, false)] {
            let mut customers = vec![pb::Customer { billing: Some(details(|_| ())), ..Default::default() }];
            let mut units = vec![pb::Unit { billing: Some(pb::BillingDetails::default()), ..Default::default() }];
            redact_billing(&who(role), &mut customers, &mut units);
            assert_eq!((customers[0].billing.is_some(), units[0].billing.is_some()), (kept, kept), "{role:?}");
        }
    }

    #[test]
    fn a_unit_overrides_only_what_it_gives() {
        let customer = details(|_| ());
        let unit = pb::BillingDetails { buyer_reference: "KP 4200".into(), payment_terms_days: 30, ..Default::default() };
        let e = effective_billing(&customer, &unit);
        assert_eq!((e.buyer_reference.as_str(), e.payment_terms_days), ("KP 4200", 30));
        assert_eq!((e.einvoice_address.as_str(), e.invoice_language.as_str()), ("003701876901100", "fi"));
    }
}
