//! Finnish creditor reference numbers (*viitenumero*) and their ISO 11649 RF form.
//!
//! A Finnish reference is a base of 3–19 digits followed by a 7-3-1 check digit: the
//! base's digits are multiplied from the right by the weights 7, 3, 1, 7, 3, 1, … and
//! the check digit is `(10 - sum % 10) % 10`. It is printed in groups of five digits
//! counted from the right (`12 34561`), without leading zeros.
//!
//! The RF creditor reference (ISO 11649) is `RF`, two check digits and up to 21
//! alphanumerics. The check digits make `reference + "RF" + check` ≡ 1 (mod 97) with
//! letters counted as A=10 … Z=35 (ISO 7064 MOD 97-10, as in IBAN). It is printed in
//! groups of four characters from the left (`RF18 5390 0754 7034`).

use std::fmt;

/// Why a reference number is not valid; `Display` gives a human reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    #[error("a reference number may contain only digits (and spaces between groups)")]
    NotDigits,
    #[error("the base of a reference number must have 3–19 digits, not {0}")]
    BaseLength(usize),
    #[error("a reference number must have 4–20 digits, not {0}")]
    Length(usize),
    #[error("a reference number must not start with zero")]
    LeadingZero,
    #[error("the check digit of the reference number is wrong (expected {expected})")]
    CheckDigit { expected: u8 },
    #[error("an RF creditor reference starts with \"RF\" and two check digits")]
    NotRf,
    #[error("an RF creditor reference has 1–21 letters or digits after its check digits, not {0}")]
    RfLength(usize),
    #[error("an RF creditor reference may contain only letters A–Z and digits")]
    RfCharacters,
    #[error("the check digits of the RF creditor reference are wrong")]
    RfCheckDigits,
}

/// The 7-3-1 check digit of a base given as digits.
fn check_digit(base: &[u8]) -> u8 {
    const WEIGHTS: [u32; 3] = [7, 3, 1];
    let sum: u32 = base.iter().rev().enumerate().map(|(i, d)| u32::from(*d) * WEIGHTS[i % 3]).sum();
    ((10 - sum % 10) % 10) as u8
}

/// Digits of `s` with spaces removed, or `NotDigits`.
fn digits(s: &str) -> Result<Vec<u8>, ReferenceError> {
    s.chars().filter(|c| *c != ' ').map(|c| c.to_digit(10).map(|d| d as u8).ok_or(ReferenceError::NotDigits)).collect()
}

fn to_string(d: &[u8]) -> String {
    d.iter().map(|d| char::from(b'0' + d)).collect()
}

/// Appends the 7-3-1 check digit to a base of 3–19 digits: `finnish_from_base("123")` is `"1232"`.
pub fn finnish_from_base(base: &str) -> Result<String, ReferenceError> {
    let d = digits(base)?;
    if !(3..=19).contains(&d.len()) {
        return Err(ReferenceError::BaseLength(d.len()));
    }
    if d.first() == Some(&0) {
        return Err(ReferenceError::LeadingZero);
    }
    let mut out = to_string(&d);
    out.push(char::from(b'0' + check_digit(&d)));
    Ok(out)
}

/// Validates a Finnish reference (spaces between groups allowed) and returns it compact.
pub fn validate_finnish(reference: &str) -> Result<String, ReferenceError> {
    let d = digits(reference)?;
    if !(4..=20).contains(&d.len()) {
        return Err(ReferenceError::Length(d.len()));
    }
    if d.first() == Some(&0) {
        return Err(ReferenceError::LeadingZero);
    }
    let (base, check) = d.split_at(d.len() - 1);
    let expected = check_digit(base);
    if check != [expected] {
        return Err(ReferenceError::CheckDigit { expected });
    }
    Ok(to_string(&d))
}

/// Groups a (compact) Finnish reference in fives from the right: `"1234561"` → `"12 34561"`.
pub fn group_finnish(reference: &str) -> String {
    let chars: Vec<char> = reference.chars().filter(|c| *c != ' ').collect();
    let mut out = String::with_capacity(chars.len() + chars.len() / 5);
    for (i, c) in chars.iter().enumerate() {
        if i > 0 && (chars.len() - i).is_multiple_of(5) {
            out.push(' ');
        }
        out.push(*c);
    }
    out
}

/// Groups an RF reference in fours from the left: `"RF18539007547034"` → `"RF18 5390 0754 7034"`.
pub fn group_rf(reference: &str) -> String {
    let chars: Vec<char> = reference.chars().filter(|c| *c != ' ').collect();
    chars.chunks(4).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(" ")
}

/// ISO 7064 MOD 97-10 remainder of an alphanumeric string (letters as 10..35).
fn mod97(s: &str) -> Result<u32, ReferenceError> {
    let mut rem: u32 = 0;
    for c in s.chars() {
        let v = c.to_ascii_uppercase().to_digit(36).ok_or(ReferenceError::RfCharacters)?;
        rem = if v < 10 { (rem * 10 + v) % 97 } else { (rem * 100 + v) % 97 };
    }
    Ok(rem)
}

/// The RF creditor reference for a reference part of 1–21 letters or digits (spaces
/// ignored): for a Finnish reference `"1232"` it is `"RF111232"`.
pub fn rf_from_reference(reference: &str) -> Result<String, ReferenceError> {
    let body: String = reference.chars().filter(|c| *c != ' ').map(|c| c.to_ascii_uppercase()).collect();
    if body.is_empty() || body.chars().count() > 21 {
        return Err(ReferenceError::RfLength(body.chars().count()));
    }
    if !body.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ReferenceError::RfCharacters);
    }
    let check = 98 - mod97(&format!("{body}RF00"))?;
    Ok(format!("RF{check:02}{body}"))
}

/// The RF form of a valid Finnish reference (validated first).
pub fn rf_from_finnish(reference: &str) -> Result<String, ReferenceError> {
    rf_from_reference(&validate_finnish(reference)?)
}

/// Validates an RF creditor reference (spaces between groups allowed, letters in any
/// case) and returns it compact and upper-case.
pub fn validate_rf(reference: &str) -> Result<String, ReferenceError> {
    let compact: String = reference.chars().filter(|c| *c != ' ').map(|c| c.to_ascii_uppercase()).collect();
    let (Some(prefix), Some(rest)) = (compact.get(..4), compact.get(4..)) else {
        return Err(ReferenceError::NotRf);
    };
    if !prefix.starts_with("RF") || !prefix[2..].chars().all(|c| c.is_ascii_digit()) {
        return Err(ReferenceError::NotRf);
    }
    if rest.is_empty() || rest.len() > 21 {
        return Err(ReferenceError::RfLength(rest.chars().count()));
    }
    if !rest.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ReferenceError::RfCharacters);
    }
    if mod97(&format!("{rest}{prefix}"))? != 1 {
        return Err(ReferenceError::RfCheckDigits);
    }
    Ok(compact)
}

/// A validated Finnish reference with its RF form, as an invoice carries them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CreditorReference {
    /// The Finnish reference, compact digits with the check digit (`"1234561"`).
    pub finnish: String,
    /// Its ISO 11649 form (`"RF…"`), compact.
    pub rf: String,
}

impl CreditorReference {
    /// From a base of 3–19 digits (appends the check digit).
    pub fn from_base(base: &str) -> Result<Self, ReferenceError> {
        Self::parse(&finnish_from_base(base)?)
    }

    /// From a complete Finnish reference (validates its check digit).
    pub fn parse(finnish: &str) -> Result<Self, ReferenceError> {
        let finnish = validate_finnish(finnish)?;
        let rf = rf_from_reference(&finnish)?;
        Ok(Self { finnish, rf })
    }

    /// The Finnish reference grouped in fives for print.
    pub fn finnish_grouped(&self) -> String {
        group_finnish(&self.finnish)
    }

    /// The RF reference grouped in fours for print.
    pub fn rf_grouped(&self) -> String {
        group_rf(&self.rf)
    }
}

impl fmt::Display for CreditorReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finnish_grouped())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_of_small_base() {
        // 3·7 + 2·3 + 1·1 = 28 → 2.
        assert_eq!(finnish_from_base("123").unwrap(), "1232");
    }

    #[test]
    fn xmldation_example_12_34561() {
        // wiki.xmldation.com "Finnish Reference Number": paper form "12 34561".
        assert_eq!(finnish_from_base("123456").unwrap(), "1234561");
        assert_eq!(validate_finnish("12 34561").unwrap(), "1234561");
        assert_eq!(group_finnish("1234561"), "12 34561");
    }

    #[test]
    fn finvoice_example_reference() {
        // The Visma Finvoice 3.0 example carries EpiRemittanceInfoIdentifier SPY 91901000011.
        assert_eq!(validate_finnish("91901000011").unwrap(), "91901000011");
        assert_eq!(finnish_from_base("9190100001").unwrap(), "91901000011");
    }

    #[test]
    fn wrong_check_digit_and_bad_input() {
        assert_eq!(validate_finnish("1233"), Err(ReferenceError::CheckDigit { expected: 2 }));
        assert_eq!(validate_finnish("12a4"), Err(ReferenceError::NotDigits));
        assert_eq!(validate_finnish("123"), Err(ReferenceError::Length(3)));
        assert_eq!(validate_finnish("0123"), Err(ReferenceError::LeadingZero));
        assert_eq!(finnish_from_base("12"), Err(ReferenceError::BaseLength(2)));
        assert_eq!(finnish_from_base("12345678901234567890"), Err(ReferenceError::BaseLength(20)));
        assert_eq!(finnish_from_base("1234567890123456789").unwrap().len(), 20);
    }

    #[test]
    fn grouping() {
        assert_eq!(group_finnish("1232"), "1232");
        assert_eq!(group_finnish("12345"), "12345");
        assert_eq!(group_finnish("123456"), "1 23456");
        assert_eq!(group_finnish("12345678901"), "1 23456 78901");
        assert_eq!(group_rf("RF18539007547034"), "RF18 5390 0754 7034");
        assert_eq!(group_rf("RF111232"), "RF11 1232");
    }

    #[test]
    fn iso11649_published_examples() {
        // python-stdnum iso11649 docs and Wikipedia: RF18 5390 0754 7034 is valid,
        // RF17 5390 0754 7034 is not; RF18 5390 0754 70Y is valid (letters allowed).
        assert_eq!(validate_rf("RF18 5390 0754 7034").unwrap(), "RF18539007547034");
        assert_eq!(validate_rf("RF17 5390 0754 7034"), Err(ReferenceError::RfCheckDigits));
        assert_eq!(validate_rf("RF18 5390 0754 70Y").unwrap(), "RF185390075470Y");
        assert_eq!(validate_rf("rf18 5390 0754 70y").unwrap(), "RF185390075470Y");
        assert_eq!(rf_from_reference("539007547034").unwrap(), "RF18539007547034");
        assert_eq!(rf_from_reference("5390 0754 70Y").unwrap(), "RF185390075470Y");
    }

    #[test]
    fn rf_of_finnish_references() {
        assert_eq!(rf_from_finnish("1232").unwrap(), "RF111232");
        assert_eq!(validate_rf("RF11 1232").unwrap(), "RF111232");
        assert_eq!(validate_rf("RF97 1232"), Err(ReferenceError::RfCheckDigits));
        let r = CreditorReference::from_base("123456").unwrap();
        assert_eq!(r.finnish, "1234561");
        assert_eq!(validate_rf(&r.rf).unwrap(), r.rf);
        assert_eq!(r.to_string(), "12 34561");
        assert_eq!(rf_from_finnish("1233"), Err(ReferenceError::CheckDigit { expected: 2 }));
    }

    #[test]
    fn rf_rejects_malformed() {
        assert_eq!(validate_rf("RX18539007547034"), Err(ReferenceError::NotRf));
        assert_eq!(validate_rf("RF1"), Err(ReferenceError::NotRf));
        assert_eq!(validate_rf("RF18"), Err(ReferenceError::RfLength(0)));
        assert_eq!(validate_rf("RF18-5390"), Err(ReferenceError::RfCharacters));
        assert_eq!(validate_rf("RF001234567890123456789012"), Err(ReferenceError::RfLength(22)));
        assert_eq!(rf_from_reference(""), Err(ReferenceError::RfLength(0)));
    }

    #[test]
    fn every_rf_of_a_base_validates() {
        for base in ["100", "999", "2026050001", "1234567890123456789"] {
            let r = CreditorReference::from_base(base).unwrap();
            assert_eq!(validate_rf(&r.rf).unwrap(), r.rf, "{base}");
            assert_eq!(validate_finnish(&r.finnish_grouped()).unwrap(), r.finnish);
        }
    }
}
