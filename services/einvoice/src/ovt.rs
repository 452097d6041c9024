//! Finnish business ids (*Y-tunnus*), Finnish VAT ids and OVT e-invoice addresses.
//!
//! * Y-tunnus: seven digits, a dash and a check digit. The digits are weighted
//!   7, 9, 10, 5, 8, 4, 2 from the left; with `r = sum % 11` the check digit is 0 when
//!   `r == 0`, `11 - r` otherwise, and no id has `r == 1`.
//! * Finnish VAT id: `FI` and the eight digits of the Y-tunnus without the dash.
//! * OVT (EDI) address: `0037`, the eight digits of the Y-tunnus without the dash and an
//!   optional suffix of up to five letters or digits (a unit of the organisation).
//! * Peppol participant id of a Finnish organisation: `0216:` and the OVT address
//!   (ICD 0216 = OVTcode); ICD 0037 is the legacy scheme for the same OVT address.
//!
//! The errors' `Display` is a human reason meant to become a field error.

use std::fmt;

/// Why a Y-tunnus (business id) is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BusinessIdError {
    #[error("a business id (Y-tunnus) is seven digits, a dash and a check digit, like 1234567-1")]
    Format,
    #[error("the check digit of the business id (Y-tunnus) is wrong (expected {expected})")]
    CheckDigit { expected: u8 },
    #[error("no business id (Y-tunnus) can start with these seven digits (their check remainder is 1)")]
    NoCheckDigit,
}

/// Why an OVT (e-invoice) address, VAT id or Peppol id is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OvtError {
    #[error("an OVT address starts with 0037")]
    Prefix,
    #[error("an OVT address is 0037, the eight digits of the business id and at most five letters or digits, 12–17 characters in all")]
    Length,
    #[error("the business id inside the OVT address is not valid: {0}")]
    BusinessId(BusinessIdError),
    #[error("the suffix of an OVT address may contain only letters A–Z and digits")]
    Suffix,
    #[error("a Finnish VAT id is FI and the eight digits of the business id, like FI12345671")]
    VatFormat,
    #[error("the business id inside the VAT id is not valid: {0}")]
    VatBusinessId(BusinessIdError),
    #[error("a Peppol participant id is a four-digit scheme, a colon and an identifier, like 0216:003712345671")]
    PeppolFormat,
}

const WEIGHTS: [u32; 7] = [7, 9, 10, 5, 8, 4, 2];

/// The check digit for seven digits, or `None` when their remainder is 1.
fn business_id_check(seven: &[u32]) -> Option<u32> {
    let sum: u32 = seven.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    match sum % 11 {
        0 => Some(0),
        1 => None,
        r => Some(11 - r),
    }
}

fn eight_digits_valid(eight: &str) -> Result<(), BusinessIdError> {
    let d: Vec<u32> = eight.chars().map(|c| c.to_digit(10)).collect::<Option<_>>().ok_or(BusinessIdError::Format)?;
    if d.len() != 8 {
        return Err(BusinessIdError::Format);
    }
    let expected = business_id_check(&d[..7]).ok_or(BusinessIdError::NoCheckDigit)?;
    if d[7] != expected {
        return Err(BusinessIdError::CheckDigit { expected: expected as u8 });
    }
    Ok(())
}

/// Validates a Y-tunnus `1234567-1` (surrounding spaces ignored) and returns it trimmed.
pub fn validate_business_id(id: &str) -> Result<String, BusinessIdError> {
    let id = id.trim();
    let (seven, check) = id.split_once('-').ok_or(BusinessIdError::Format)?;
    if seven.len() != 7 || check.len() != 1 {
        return Err(BusinessIdError::Format);
    }
    eight_digits_valid(&format!("{seven}{check}"))?;
    Ok(id.to_string())
}

/// Completes seven digits with their check digit: `"1234567"` → `"1234567-1"`.
pub fn business_id_from_digits(seven: &str) -> Result<String, BusinessIdError> {
    let d: Vec<u32> = seven.chars().map(|c| c.to_digit(10)).collect::<Option<_>>().ok_or(BusinessIdError::Format)?;
    if d.len() != 7 {
        return Err(BusinessIdError::Format);
    }
    let check = business_id_check(&d).ok_or(BusinessIdError::NoCheckDigit)?;
    Ok(format!("{seven}-{check}"))
}

/// The Finnish VAT id of a valid Y-tunnus: `"1234567-1"` → `"FI12345671"`.
pub fn vat_id_of(business_id: &str) -> Result<String, BusinessIdError> {
    Ok(format!("FI{}", validate_business_id(business_id)?.replace('-', "")))
}

/// The OVT address of a valid Y-tunnus with an optional suffix: `("1234567-1", "")` → `"003712345671"`.
pub fn ovt_of(business_id: &str, suffix: &str) -> Result<String, OvtError> {
    let ovt = format!("0037{}{suffix}", validate_business_id(business_id).map_err(OvtError::BusinessId)?.replace('-', ""));
    validate_ovt(&ovt)
}

/// Validates a Finnish VAT id `FI12345671` and returns it.
pub fn validate_vat_id(vat_id: &str) -> Result<String, OvtError> {
    let v = vat_id.trim();
    let digits = v.strip_prefix("FI").ok_or(OvtError::VatFormat)?;
    if digits.len() != 8 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(OvtError::VatFormat);
    }
    eight_digits_valid(digits).map_err(OvtError::VatBusinessId)?;
    Ok(v.to_string())
}

/// Validates an OVT address and returns it trimmed (suffix letters upper-cased).
pub fn validate_ovt(ovt: &str) -> Result<String, OvtError> {
    let ovt = ovt.trim().to_ascii_uppercase();
    let rest = ovt.strip_prefix("0037").ok_or(OvtError::Prefix)?;
    if !(8..=13).contains(&rest.len()) || !rest.is_ascii() {
        return Err(OvtError::Length);
    }
    let (eight, suffix) = rest.split_at(8);
    eight_digits_valid(eight).map_err(OvtError::BusinessId)?;
    if !suffix.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(OvtError::Suffix);
    }
    Ok(ovt)
}

/// The Y-tunnus inside a valid OVT address: `"003712345671ABC"` → `"1234567-1"`.
pub fn business_id_of_ovt(ovt: &str) -> Result<String, OvtError> {
    let ovt = validate_ovt(ovt)?;
    Ok(format!("{}-{}", &ovt[4..11], &ovt[11..12]))
}

/// A Peppol participant id such as `0216:003712345671`: an ISO 6523 ICD scheme and an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeppolId {
    /// The four-digit ICD scheme (`0216` for OVT).
    pub scheme: String,
    /// The identifier within the scheme.
    pub id: String,
}

impl PeppolId {
    /// Parses `scheme:id` (an `iso6523-actorid-upis::` prefix is accepted). For the
    /// Finnish schemes 0216 and 0037 the id is validated as an OVT address.
    pub fn parse(s: &str) -> Result<Self, OvtError> {
        let s = s.trim();
        let s = s.strip_prefix("iso6523-actorid-upis::").unwrap_or(s);
        let (scheme, id) = s.split_once(':').ok_or(OvtError::PeppolFormat)?;
        if scheme.len() != 4 || !scheme.chars().all(|c| c.is_ascii_digit()) || id.is_empty() || id.contains(char::is_whitespace) {
            return Err(OvtError::PeppolFormat);
        }
        let id = if scheme == "0216" || scheme == "0037" { validate_ovt(id)? } else { id.to_string() };
        Ok(Self { scheme: scheme.to_string(), id })
    }

    /// The Peppol id of an OVT address (scheme 0216).
    pub fn of_ovt(ovt: &str) -> Result<Self, OvtError> {
        Ok(Self { scheme: "0216".into(), id: validate_ovt(ovt)? })
    }
}

impl fmt::Display for PeppolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.scheme, self.id)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn known_business_ids() {
        // Nokia Oyj 0112038-9 (r = 2), City of Helsinki 0201256-6 (r = 5), and the
        // Finvoice example's seller 2345678-0 (r = 0).
        for id in ["0112038-9", "0201256-6", "2345678-0"] {
            assert_eq!(validate_business_id(id).unwrap(), id);
        }
        assert_eq!(business_id_from_digits("1234567").unwrap(), "1234567-1");
        assert_eq!(business_id_from_digits("2345678").unwrap(), "2345678-0");
    }

    #[test]
    fn bad_business_ids() {
        assert_eq!(validate_business_id("1234567-8"), Err(BusinessIdError::CheckDigit { expected: 1 }));
        assert_eq!(validate_business_id("12345678"), Err(BusinessIdError::Format));
        assert_eq!(validate_business_id("123456-78"), Err(BusinessIdError::Format));
        assert_eq!(validate_business_id("123456a-1"), Err(BusinessIdError::Format));
        assert_eq!(validate_business_id(""), Err(BusinessIdError::Format));
        // 0000030: 3·4 = 12, 12 % 11 = 1: no valid check digit exists.
        assert_eq!(validate_business_id("0000030-0"), Err(BusinessIdError::NoCheckDigit));
        assert_eq!(business_id_from_digits("0000030"), Err(BusinessIdError::NoCheckDigit));
    }

    #[test]
    fn vat_ids() {
        assert_eq!(vat_id_of("0112038-9").unwrap(), "FI01120389");
        assert_eq!(validate_vat_id("FI01120389").unwrap(), "FI01120389");
        assert_eq!(validate_vat_id("FI0112038"), Err(OvtError::VatFormat));
        assert_eq!(validate_vat_id("SE01120389"), Err(OvtError::VatFormat));
        assert_eq!(validate_vat_id("FI01120388"), Err(OvtError::VatBusinessId(BusinessIdError::CheckDigit { expected: 9 })));
    }

    #[test]
    fn ovt_addresses() {
        assert_eq!(validate_ovt("003701120389").unwrap(), "003701120389");
        assert_eq!(validate_ovt("003702012566100").unwrap(), "003702012566100");
        assert_eq!(validate_ovt("00370201256610abc").unwrap(), "00370201256610ABC");
        assert_eq!(ovt_of("0201256-6", "10").unwrap(), "00370201256610");
        assert_eq!(business_id_of_ovt("003702012566100").unwrap(), "0201256-6");
        assert_eq!(validate_ovt("003801120389"), Err(OvtError::Prefix));
        assert_eq!(validate_ovt("00370112038"), Err(OvtError::Length));
        assert_eq!(validate_ovt("003701120389123456"), Err(OvtError::Length));
        assert_eq!(validate_ovt("003701120388"), Err(OvtError::BusinessId(BusinessIdError::CheckDigit { expected: 9 })));
        assert_eq!(validate_ovt("003701120389-1"), Err(OvtError::Suffix));
        assert!(OvtError::Length.to_string().contains("0037"));
    }

    #[test]
    fn peppol_ids() {
        let p = PeppolId::parse("0216:003701120389").unwrap();
        assert_eq!((p.scheme.as_str(), p.id.as_str()), ("0216", "003701120389"));
        assert_eq!(p.to_string(), "0216:003701120389");
        assert_eq!(PeppolId::parse("iso6523-actorid-upis::0037:003701120389").unwrap().scheme, "0037");
        assert_eq!(PeppolId::parse("0088:7300010000001").unwrap().id, "7300010000001");
        assert_eq!(PeppolId::parse("0216:003701120388"), Err(OvtError::BusinessId(BusinessIdError::CheckDigit { expected: 9 })));
        assert_eq!(PeppolId::parse("216:1"), Err(OvtError::PeppolFormat));
        assert_eq!(PeppolId::parse("0216"), Err(OvtError::PeppolFormat));
        assert_eq!(PeppolId::of_ovt("003701120389").unwrap().to_string(), "0216:003701120389");
    }
}
