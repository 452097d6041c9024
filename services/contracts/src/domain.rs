//! Domain rules of the contracts service: enum texts, field validation, the
//! agreement lifecycle (who may edit, sign, amend), the amendment approval
//! rule and "who do I contact". Pure functions, no I/O, no tonic.

use chrono::{Datelike, NaiveDate};
use kumppani_platform::AppError;
use kumppani_platform::Reason;
use kumppani_platform::auth::{Principal, Role, grants};
use kumppani_platform::validate::Violations;
use kumppani_proto::contracts::v1 as pb;
use rust_decimal::Decimal;
use std::str::FromStr;

pub mod billing;

kumppani_platform::text_enum!(customer_kind_text, customer_kind_from, pb::CustomerKind, {
    InternalServiceArea => "internal_service_area",
    InternalBusinessUnit => "internal_business_unit",
    External => "external",
});
kumppani_platform::text_enum!(stage_text, stage_from, pb::PartnershipStage, {
    Awareness => "awareness", Exploration => "exploration", Expansion => "expansion", Commitment => "commitment",
});
kumppani_platform::text_enum!(site_kind_text, site_kind_from, pb::SiteKind, {
    School => "school", Daycare => "daycare", CareHome => "care_home", Office => "office",
    SwimmingHall => "swimming_hall", Museum => "museum", Other => "other",
});
kumppani_platform::text_enum!(opening_schedule_text, opening_schedule_from, pb::OpeningSchedule, {
    Weekdays => "weekdays", EveryDay => "every_day",
});

/// A new site's opening schedule when none is given: care homes serve every
/// day; schools, daycares, offices and the rest Monday to Friday without
/// public holidays (a round-the-clock daycare says so explicitly).
pub fn default_opening_schedule(kind: &str) -> &'static str {
    if kind == "care_home" { "every_day" } else { "weekdays" }
}
kumppani_platform::text_enum!(level_text, level_from, pb::ContactLevel, { Contract => "contract", Operational => "operational" });
kumppani_platform::text_enum!(party_text, party_from, pb::Party, { Customer => "customer", Enterprise => "enterprise" });
kumppani_platform::text_enum!(topic_text, topic_from, pb::Topic, {
    Orders => "orders", Meals => "meals", Cleaning => "cleaning", Invoices => "invoices", Agreement => "agreement",
});
kumppani_platform::text_enum!(status_text, status_from, pb::AgreementStatus, {
    Draft => "draft", Negotiation => "negotiation", Signed => "signed", Active => "active", Expired => "expired",
});
pub use kumppani_platform::convert::service_line_from as line_from;

/// The stored text of a service line an agreement can have (development
/// projects are priced separately and are not agreement lines).
pub fn line_text(v: i32) -> Option<&'static str> {
    kumppani_platform::convert::service_line_text(v).filter(|t| *t != "development")
}
/// The statuses of an agreement that has been signed.
pub const SIGNED_STATUSES: [&str; 3] = ["signed", "active", "expired"];

/// The operational level (site users) sees an agreement once it is signed:
/// drafts and agreements in negotiation are the contract level's and staff's
/// (their terms and prices may still change); annexes become readable to the
/// site with the signature.
pub fn visible_to_operational_level(status: &str) -> bool {
    SIGNED_STATUSES.contains(&status)
}
kumppani_platform::text_enum!(amendment_status_text, amendment_status_from, pb::AmendmentStatus, {
    Proposed => "proposed", Approved => "approved", Rejected => "rejected",
});

/// Checks a Finnish business ID (Y-tunnus) `1234567-8` including its check digit.
pub fn valid_business_id(s: &str) -> bool {
    match s.split_once('-') {
        Some((base, check)) if base.len() == 7 && check.len() == 1 => y_tunnus_digits_valid(&format!("{base}{check}")),
        _ => false,
    }
}

/// The 8 digits of a Y-tunnus without the dash (as in OVT codes), the last
/// one the check digit: weights 7, 9, 10, 5, 8, 4, 2 over the first seven,
/// remainder mod 11 of 0 → 0, of 1 → no valid id, else 11 − remainder.
pub fn y_tunnus_digits_valid(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 8 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    const WEIGHTS: [u32; 7] = [7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = b[..7].iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    let check = match sum % 11 {
        0 => 0,
        1 => return false,
        r => 11 - r,
    };
    u32::from(b[7] - b'0') == check
}

pub fn valid_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c == '<' || c == '>')
        && s.len() <= 254
}

pub fn valid_phone(s: &str) -> bool {
    s.is_empty()
        || (s.len() <= 32
            && s.chars().filter(char::is_ascii_digit).count() >= 5
            && s.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c)))
}

/// Floor area: decimal m², 0 ..= 1 000 000, at most one decimal.
pub fn parse_area(v: &mut Violations, field: &str, value: &str) -> Decimal {
    match Decimal::from_str(value.trim()) {
        Ok(d) if d < Decimal::ZERO => {
            v.add(field, Reason::negative());
            d
        }
        Ok(d) if d > Decimal::from(1_000_000) => {
            v.add(field, Reason::new("too_large", "must be at most 1000000 m²").with("max", 1_000_000));
            d
        }
        Ok(d) if d.normalize().scale() > 1 => {
            v.add(field, Reason::new("too_many_decimals", "must have at most one decimal").with("max", 1));
            d
        }
        Ok(d) => d,
        Err(_) => {
            v.add(field, Reason::new("not_a_number", "must be a decimal number of square metres, e.g. \"1250.5\""));
            Decimal::ZERO
        }
    }
}

pub fn check_diets(v: &mut Violations, field: &str, diets: &[pb::SpecialDiet]) {
    for (i, d) in diets.iter().enumerate() {
        if d.diet.trim().is_empty() {
            v.add(format!("{field}[{i}].diet"), Reason::required());
        }
        if d.count < 0 {
            v.add(format!("{field}[{i}].count"), Reason::negative());
        }
    }
}

/// 31.12 of the year before the agreement year (Liite 2).
pub fn signing_deadline(year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year - 1, 12, 31)
}

pub use kumppani_platform::convert::today_helsinki;

/// What an agreement transition needs to know about the agreement.
pub struct TransitionFacts {
    pub year: i32,
    pub line_count: usize,
    pub customer_responsible: String,
    pub enterprise_responsible: String,
    pub today: NaiveDate,
}

/// The lifecycle: draft → negotiation → signed → active → expired, with
/// negotiation → draft allowed (back to preparation). Returns the reason a
/// transition is refused.
pub fn check_transition(
    from: pb::AgreementStatus,
    to: pb::AgreementStatus,
    facts: &TransitionFacts,
    signed_on: Option<NaiveDate>,
) -> Result<(), AppError> {
    use pb::AgreementStatus as S;
    let allowed = matches!(
        (from, to),
        (S::Draft, S::Negotiation)
            | (S::Negotiation, S::Draft)
            | (S::Negotiation, S::Signed)
            | (S::Signed, S::Active)
            | (S::Active, S::Expired)
    );
    if !allowed {
        return Err(AppError::precondition(format!(
            "an agreement cannot move from {} to {}",
            status_text(from as i32).unwrap_or("unspecified"),
            status_text(to as i32).unwrap_or("unspecified")
        )));
    }
    match to {
        S::Signed => {
            let mut v = Violations::default();
            match signed_on {
                None => v.add("signed_on", Reason::new("required", "is required when signing")),
                Some(d) if d > facts.today => v.add("signed_on", Reason::in_future()),
                Some(d) if d.year() < facts.year - 1 => v.add(
                    "signed_on",
                    Reason::new("outside_signing_years", "must be in the agreement year or the year before").with("year", facts.year),
                ),
                Some(_) => {}
            }
            // What the agreement itself lacks is reported as field errors too, all at once.
            v.check(
                facts.line_count > 0,
                "lines",
                Reason::new("required_before_signing", "an agreement needs at least one service line before signing"),
            );
            let recorded = |name: &str| !name.trim().is_empty();
            v.check(
                recorded(&facts.customer_responsible),
                "terms.customer_responsible",
                Reason::new("required_before_signing", "the customer's responsible person must be recorded before signing"),
            );
            v.check(
                recorded(&facts.enterprise_responsible),
                "terms.enterprise_responsible",
                Reason::new("required_before_signing", "the producer's responsible person must be recorded before signing"),
            );
            v.finish()?;
        }
        S::Active => {
            if facts.today.year() != facts.year {
                return Err(AppError::precondition(format!("a {} agreement can be activated only during {}", facts.year, facts.year)));
            }
        }
        S::Expired => {
            if facts.today.year() <= facts.year {
                return Err(AppError::precondition(format!("a {} agreement expires only after 31.12.{}", facts.year, facts.year)));
            }
        }
        _ => {}
    }
    Ok(())
}

/// Amendments that change the pricing structure for several customers need
/// the customer group's approval recorded before they are approved (Liite 2 §2).
pub fn check_amendment_decision(
    status: &str,
    changes_pricing_structure: bool,
    affected_customers: i32,
    customer_group_approved_on: Option<NaiveDate>,
    approve: bool,
    decided_on: NaiveDate,
) -> Result<(), AppError> {
    if status != "proposed" {
        return Err(AppError::precondition(format!("the amendment is already {status}")));
    }
    if approve && changes_pricing_structure && affected_customers > 1 {
        match customer_group_approved_on {
            None => {
                return Err(AppError::invalid(
                    "customer_group_approved_on",
                    Reason::approval_required("this amendment to the pricing structure"),
                ));
            }
            Some(g) if decided_on < g => {
                return Err(AppError::invalid("decided_on", Reason::before_approval()));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The agreement status stored as text, as the proto enum.
pub fn status(text: &str) -> pb::AgreementStatus {
    pb::AgreementStatus::try_from(status_from(text)).unwrap_or(pb::AgreementStatus::Unspecified)
}

/// Optimistic concurrency: `expected` 0 means "don't check".
pub fn check_version(what: &str, expected: i32, actual: i32) -> Result<(), AppError> {
    if expected != 0 && expected != actual {
        return Err(AppError::new(
            kumppani_platform::ErrorCode::Aborted,
            format!("the {what} was changed by someone else (version {actual} ≠ {expected}); reload and retry"),
        ));
    }
    Ok(())
}

/// Terms and lines are edited directly only while the agreement is prepared
/// (draft, negotiation); a signed agreement is changed by amendments.
pub fn check_editable(status: pb::AgreementStatus) -> Result<(), AppError> {
    use pb::AgreementStatus as S;
    if matches!(status, S::Draft | S::Negotiation) {
        return Ok(());
    }
    Err(AppError::precondition(format!(
        "a {} agreement cannot be edited; changes during the period are amendments",
        status_text(status as i32).unwrap_or("unspecified")
    )))
}

/// Annexes can be added (as new versions) until the agreement has expired.
pub fn check_annexable(status: pb::AgreementStatus) -> Result<(), AppError> {
    if status == pb::AgreementStatus::Expired {
        return Err(AppError::precondition("annexes of an expired agreement cannot change"));
    }
    Ok(())
}

/// Amendments are for signed or active agreements, effective within the agreement year.
pub fn check_amendable(status: pb::AgreementStatus, year: i32, effective: NaiveDate) -> Result<(), AppError> {
    use pb::AgreementStatus as S;
    if !matches!(status, S::Signed | S::Active) {
        return Err(AppError::precondition(format!(
            "amendments are for signed or active agreements; this one is {} and can be edited directly",
            status_text(status as i32).unwrap_or("unspecified")
        )));
    }
    if effective.year() != year {
        return Err(AppError::invalid(
            "effective_date",
            Reason::new("outside_year", format!("must be within the agreement year {year}")).with("year", year),
        ));
    }
    Ok(())
}

/// The event verb of a lifecycle transition (`contracts.agreement.<verb>`).
pub fn transition_verb(to: pb::AgreementStatus) -> &'static str {
    match to {
        pb::AgreementStatus::Signed => "signed",
        pb::AgreementStatus::Active => "activated",
        pb::AgreementStatus::Expired => "expired",
        _ => "changed",
    }
}

/// External customers need a valid business ID; anyone who gives one gives a valid one.
pub fn check_business_id(v: &mut Violations, business_id: &str, required: bool) {
    if !business_id.is_empty() && !valid_business_id(business_id) {
        v.add(
            "business_id",
            Reason::new("invalid_business_id", "is not a valid Finnish business ID (1234567-8 with a correct check digit)"),
        );
    } else if required && business_id.is_empty() {
        v.add("business_id", Reason::new("required", "is required for external customers"));
    }
}

/// A site is closed from `closed_on`, so it must open on an earlier day (the
/// table's CHECK says the same); the changed dates win over the stored ones.
pub fn check_open_before_close(
    before: &pb::Site,
    opened_on: Option<chrono::NaiveDate>,
    closed_on: Option<chrono::NaiveDate>,
) -> Result<(), AppError> {
    let opens = opened_on.or_else(|| before.opened_on.as_ref().and_then(pb::Date::to_naive));
    let closes = closed_on.or_else(|| before.closed_on.as_ref().and_then(pb::Date::to_naive));
    match (opens, closes) {
        (Some(o), Some(c)) if o >= c => {
            let field = if opened_on.is_some() { "opened_on" } else { "closed_on" };
            Err(AppError::invalid(field, Reason::new("not_before_closing", "the site must open before the day it closes")))
        }
        _ => Ok(()),
    }
}

/// Finnish postal codes are five digits.
pub fn check_postal_code(v: &mut Violations, postal: &str, required: bool) {
    let ok = (postal.is_empty() && !required) || (postal.len() == 5 && postal.chars().all(|c| c.is_ascii_digit()));
    if !ok && !postal.is_empty() {
        v.add("postal_code", Reason::new("invalid_postal_code", "must be five digits"));
    }
}

/// "Who do I contact" lives in the platform: the feedback service routes
/// reclamations by the same rule from its projection of the contacts.
pub use kumppani_platform::contacts::who_to_contact;

/// The caller may see this site's registry data (staff, its customer's
/// contacts, its own site user; a system client with `registry:read`).
pub fn check_site_scope(p: &Principal, site: &pb::Site) -> Result<(), AppError> {
    p.require_grant(&[grants::REGISTRY_READ])?;
    check_site_within(p, site)
}

/// The site is within the caller's scope (whatever grant the caller reads it with).
pub fn check_site_within(p: &Principal, site: &pb::Site) -> Result<(), AppError> {
    let (Ok(c), Ok(s)) = (uuid::Uuid::parse_str(&site.customer_id), uuid::Uuid::parse_str(&site.id)) else {
        return Err(AppError::internal("stored id is not a UUID"));
    };
    let ok = if p.role == Role::SiteUser { p.site_id == Some(s) && p.customer_id == Some(c) } else { p.within_customer(c) };
    if ok { Ok(()) } else { Err(AppError::denied("this site is outside your scope")) }
}

/// The caller may see customer-wide registry data of this customer (not site
/// users; a system client with `registry:read`).
pub fn check_customer_scope(p: &Principal, customer_id: uuid::Uuid) -> Result<(), AppError> {
    p.require_grant(&[grants::REGISTRY_READ])?;
    check_customer_within(p, customer_id)
}

/// Customer-wide data of this customer is within the caller's scope (not site users').
pub fn check_customer_within(p: &Principal, customer_id: uuid::Uuid) -> Result<(), AppError> {
    if p.role == Role::SiteUser {
        return Err(AppError::denied("site users see their own site; customer-wide data is for contract-level contacts"));
    }
    if p.within_customer(customer_id) { Ok(()) } else { Err(AppError::denied("this customer is outside your scope")) }
}

/// Agreements (with lines, annexes, history) and their amendments of this
/// customer: a system client needs `agreements:read` (`registry:read` does not open them).
pub fn check_agreement_scope(p: &Principal, customer_id: uuid::Uuid) -> Result<(), AppError> {
    p.require_grant(&[grants::AGREEMENTS_READ])?;
    if p.within_customer(customer_id) { Ok(()) } else { Err(AppError::denied("this agreement is outside your scope")) }
}

/// What a customer's or site's detail shows beside its registry data: a
/// system client sees its contact persons only with `contacts:read` and its
/// agreements only with `agreements:read` (both left empty otherwise).
pub fn redact_detail(p: &Principal, contacts: &mut Vec<pb::Contact>, agreements: &mut Vec<pb::AgreementSummary>) {
    if p.require_grant(&[grants::CONTACTS_READ]).is_err() {
        contacts.clear();
    }
    if p.require_grant(&[grants::AGREEMENTS_READ]).is_err() {
        agreements.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn system(customer: Option<uuid::Uuid>, granted: &[&str]) -> Principal {
        Principal {
            subject: "system".into(),
            name: "system".into(),
            email: String::new(),
            role: Role::SystemClient,
            customer_id: customer,
            site_id: None,
            grants: granted.iter().map(|g| (*g).to_owned()).collect(),
        }
    }

    #[test]
    fn registry_read_does_not_open_agreements_or_contacts() {
        let (c, other) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        let registry = system(Some(c), &[grants::REGISTRY_READ]);
        assert!(check_customer_scope(&registry, c).is_ok());
        let refused = check_agreement_scope(&registry, c).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(refused.contains("agreements:read"), "{refused}");
        let agreements = system(Some(c), &[grants::AGREEMENTS_READ]);
        assert!(check_agreement_scope(&agreements, c).is_ok());
        assert!(check_agreement_scope(&agreements, other).is_err(), "only within its customer");
        assert!(check_customer_scope(&agreements, c).is_err(), "agreements:read is not the registry");
        let (mut contacts, mut summaries) = (vec![pb::Contact::default()], vec![pb::AgreementSummary::default()]);
        redact_detail(&registry, &mut contacts, &mut summaries);
        assert!(contacts.is_empty() && summaries.is_empty());
        let (mut contacts, mut summaries) = (vec![pb::Contact::default()], vec![pb::AgreementSummary::default()]);
        redact_detail(&system(None, &[grants::CONTACTS_READ, grants::AGREEMENTS_READ]), &mut contacts, &mut summaries);
        assert_eq!((contacts.len(), summaries.len()), (1, 1));
    }

    #[test]
    fn business_id_check_digit() {
        assert!(valid_business_id("0187690-1")); // City of Oulu
        assert!(!valid_business_id("0187690-2"));
        assert!(!valid_business_id("187690-1"));
        assert!(!valid_business_id("0187690_1"));
        assert!(!valid_business_id("01876-901"));
        assert!(!valid_business_id("018769a-1"));
        assert!(y_tunnus_digits_valid("01876901") && !y_tunnus_digits_valid("0187690-1"));
    }

    #[test]
    fn lifecycle_allows_only_listed_moves() {
        use pb::AgreementStatus as S;
        let facts = TransitionFacts {
            year: 2027,
            line_count: 1,
            customer_responsible: "A".into(),
            enterprise_responsible: "B".into(),
            today: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap_or_default(),
        };
        assert!(check_transition(S::Draft, S::Negotiation, &facts, None).is_ok());
        assert!(check_transition(S::Draft, S::Signed, &facts, None).is_err());
        assert!(check_transition(S::Negotiation, S::Signed, &facts, None).is_err(), "signing needs a date");
        assert!(check_transition(S::Negotiation, S::Signed, &facts, NaiveDate::from_ymd_opt(2026, 11, 20)).is_ok());
        assert!(check_transition(S::Signed, S::Active, &facts, None).is_err(), "2027 cannot start in 2026");
        assert!(check_transition(S::Expired, S::Active, &facts, None).is_err());
        let bare = TransitionFacts { line_count: 0, customer_responsible: " ".into(), enterprise_responsible: String::new(), ..facts };
        let e = check_transition(S::Negotiation, S::Signed, &bare, None).err().map(|e| e.violations).unwrap_or_default();
        let fields: Vec<_> = e.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["signed_on", "lines", "terms.customer_responsible", "terms.enterprise_responsible"]);
    }

    #[test]
    fn pricing_structure_change_for_many_needs_group_approval() {
        let d = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap_or_default();
        assert!(check_amendment_decision("proposed", true, 5, None, true, d).is_err());
        assert!(check_amendment_decision("proposed", true, 5, None, false, d).is_ok(), "rejecting needs no approval");
        assert!(check_amendment_decision("proposed", true, 1, None, true, d).is_ok());
        assert!(check_amendment_decision("proposed", true, 5, Some(d), true, d).is_ok());
        assert!(check_amendment_decision("approved", false, 1, None, true, d).is_err());
    }

    fn contact(name: &str, party: pb::Party, level: pb::ContactLevel, unit: &str, site: &str, topics: &[pb::Topic]) -> pb::Contact {
        pb::Contact {
            name: name.into(),
            party: party as i32,
            level: level as i32,
            unit_id: unit.into(),
            site_id: site.into(),
            topics: topics.iter().map(|t| *t as i32).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn who_to_contact_prefers_the_most_specific_scope_then_falls_back_to_contract_level() {
        use pb::{ContactLevel as L, Party as P, Topic as T};
        let all = vec![
            contact("Sopimus", P::Customer, L::Contract, "", "", &[]),
            contact("Alue", P::Customer, L::Operational, "u1", "", &[T::Meals]),
            contact("Johtaja", P::Customer, L::Operational, "u1", "s1", &[T::Meals, T::Orders]),
            contact("Päällikkö", P::Enterprise, L::Contract, "", "", &[T::Invoices]),
        ];
        let names = |v: Vec<pb::Contact>| v.into_iter().map(|c| c.name).collect::<Vec<_>>();
        assert_eq!(names(who_to_contact(&all, P::Customer, T::Meals)), ["Johtaja"]);
        assert_eq!(names(who_to_contact(&all, P::Customer, T::Cleaning)), ["Sopimus"], "nobody for cleaning: contract level");
        assert_eq!(names(who_to_contact(&all, P::Enterprise, T::Invoices)), ["Päällikkö"]);
        assert!(who_to_contact(&all, P::Enterprise, T::Meals).iter().all(|c| c.party == P::Enterprise as i32));
    }

    #[test]
    fn only_prepared_agreements_are_edited_and_only_signed_ones_amended() {
        use pb::AgreementStatus as S;
        assert!(check_editable(S::Draft).is_ok() && check_editable(S::Negotiation).is_ok());
        assert!(check_editable(S::Signed).is_err() && check_editable(S::Active).is_err());
        let d = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap_or_default();
        assert!(check_amendable(S::Active, 2027, d).is_ok());
        assert!(check_amendable(S::Draft, 2027, d).is_err());
        let e = check_amendable(S::Signed, 2026, d).err().map(|e| e.violations).unwrap_or_default();
        assert_eq!(e.first().map(|v| v.field.as_str()), Some("effective_date"));
        assert!(check_annexable(S::Expired).is_err() && check_annexable(S::Active).is_ok());
    }

    #[test]
    fn versions_conflict_only_when_given_and_different() {
        assert!(check_version("agreement", 0, 7).is_ok());
        assert!(check_version("agreement", 7, 7).is_ok());
        assert_eq!(check_version("agreement", 6, 7).err().map(|e| e.code), Some(kumppani_platform::ErrorCode::Aborted));
    }

    #[test]
    fn business_id_and_postal_code_rules() {
        let mut v = Violations::default();
        check_business_id(&mut v, "", true);
        check_business_id(&mut v, "0187690-2", false);
        check_business_id(&mut v, "", false);
        check_postal_code(&mut v, "9010", true);
        check_postal_code(&mut v, "", false);
        check_postal_code(&mut v, "90100", true);
        assert_eq!(v.len(), 3);
    }
}
