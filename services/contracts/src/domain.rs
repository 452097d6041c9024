//! Domain rules of the contracts service: enum texts, field validation, the
//! agreement lifecycle and the amendment approval rule. Pure functions, no I/O.

use chrono::{Datelike, NaiveDate};
use kumppani_platform::AppError;
use kumppani_platform::error::Violations;
use kumppani_proto::contracts::v1 as pb;
use rust_decimal::Decimal;
use std::str::FromStr;

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
kumppani_platform::text_enum!(level_text, level_from, pb::ContactLevel, { Contract => "contract", Operational => "operational" });
kumppani_platform::text_enum!(party_text, party_from, pb::Party, { Customer => "customer", Enterprise => "enterprise" });
kumppani_platform::text_enum!(topic_text, topic_from, pb::Topic, {
    Orders => "orders", Meals => "meals", Cleaning => "cleaning", Invoices => "invoices", Agreement => "agreement",
});
kumppani_platform::text_enum!(status_text, status_from, pb::AgreementStatus, {
    Draft => "draft", Negotiation => "negotiation", Signed => "signed", Active => "active", Expired => "expired",
});
kumppani_platform::text_enum!(line_text, line_from, pb::ServiceLine, {
    Meals => "meals", Cleaning => "cleaning", MultiService => "multi_service", StaffDining => "staff_dining", Coffee => "coffee",
});
kumppani_platform::text_enum!(amendment_status_text, amendment_status_from, pb::AmendmentStatus, {
    Proposed => "proposed", Approved => "approved", Rejected => "rejected",
});

/// Checks a Finnish business ID (Y-tunnus) `1234567-8` including its check digit.
pub fn valid_business_id(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 9 || b[7] != b'-' || !b[..7].iter().chain(&b[8..]).all(u8::is_ascii_digit) {
        return false;
    }
    const WEIGHTS: [u32; 7] = [7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = b[..7].iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    let check = match sum % 11 {
        0 => 0,
        1 => return false,
        r => 11 - r,
    };
    u32::from(b[8] - b'0') == check
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

/// Required text: trimmed, non-empty, at most `max` characters.
pub fn required(v: &mut Violations, field: &str, value: &str, max: usize) -> String {
    v.text(field, value, max, true)
}

/// Optional text: trimmed, at most `max` characters.
pub fn optional(v: &mut Violations, field: &str, value: &str, max: usize) -> String {
    v.text(field, value, max, false)
}

pub fn parse_uuid(v: &mut Violations, field: &str, value: &str) -> Option<uuid::Uuid> {
    v.uuid(field, value, true)
}

pub fn parse_opt_uuid(v: &mut Violations, field: &str, value: &str) -> Option<uuid::Uuid> {
    v.uuid(field, value, false)
}

/// A single id argument (Get* requests).
pub fn id_arg(field: &str, value: &str) -> Result<uuid::Uuid, AppError> {
    let mut v = Violations::default();
    let id = parse_uuid(&mut v, field, value);
    v.finish()?;
    id.ok_or_else(|| AppError::invalid(field, "must be a UUID"))
}

pub fn to_date(d: &pb::Date) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(d.year, u32::try_from(d.month).ok()?, u32::try_from(d.day).ok()?)
}

pub fn from_date(d: NaiveDate) -> pb::Date {
    pb::Date { year: d.year(), month: d.month() as i32, day: d.day() as i32 }
}

pub fn parse_date(v: &mut Violations, field: &str, d: Option<&pb::Date>) -> Option<NaiveDate> {
    match d {
        None => {
            v.add(field, "is required");
            None
        }
        Some(d) => {
            let parsed = to_date(d);
            if parsed.is_none() {
                v.add(field, "is not a valid calendar date");
            }
            parsed
        }
    }
}

/// Floor area: decimal m², 0 ..= 1 000 000, at most one decimal.
pub fn parse_area(v: &mut Violations, field: &str, value: &str) -> Decimal {
    match Decimal::from_str(value.trim()) {
        Ok(d) if d < Decimal::ZERO => {
            v.add(field, "must not be negative");
            d
        }
        Ok(d) if d > Decimal::from(1_000_000) => {
            v.add(field, "must be at most 1000000 m²");
            d
        }
        Ok(d) if d.normalize().scale() > 1 => {
            v.add(field, "must have at most one decimal");
            d
        }
        Ok(d) => d,
        Err(_) => {
            v.add(field, "must be a decimal number of square metres, e.g. \"1250.5\"");
            Decimal::ZERO
        }
    }
}

pub fn check_diets(v: &mut Violations, field: &str, diets: &[pb::SpecialDiet]) {
    for (i, d) in diets.iter().enumerate() {
        if d.diet.trim().is_empty() {
            v.add(format!("{field}[{i}].diet"), "is required");
        }
        if d.count < 0 {
            v.add(format!("{field}[{i}].count"), "must not be negative");
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
                None => v.add("signed_on", "is required when signing"),
                Some(d) if d > facts.today => v.add("signed_on", "must not be in the future"),
                Some(d) if d.year() < facts.year - 1 => v.add("signed_on", "must be in the agreement year or the year before"),
                Some(_) => {}
            }
            v.finish()?;
            if facts.line_count == 0 {
                return Err(AppError::precondition("an agreement needs at least one service line before signing"));
            }
            if facts.customer_responsible.is_empty() || facts.enterprise_responsible.is_empty() {
                return Err(AppError::precondition("the responsible persons of both parties must be recorded before signing"));
            }
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
                return Err(AppError::precondition(
                    "this amendment changes the pricing structure for several customers: the customer group's approval must be recorded first",
                ));
            }
            Some(g) if decided_on < g => {
                return Err(AppError::invalid("decided_on", "must not be before the customer group's approval"));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_id_check_digit() {
        assert!(valid_business_id("0187690-1")); // City of Oulu
        assert!(!valid_business_id("0187690-2"));
        assert!(!valid_business_id("187690-1"));
        assert!(!valid_business_id("0187690_1"));
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
}
