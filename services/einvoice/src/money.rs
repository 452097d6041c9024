//! Money rules and number formats shared by the renderings.
//!
//! Amounts are `rust_decimal::Decimal` throughout. A row amount is quantity × unit price
//! rounded to cents half away from zero; VAT is computed per rate on the sum of that
//! rate's row amounts and rounded the same way (EN 16931).

use rust_decimal::{Decimal, RoundingStrategy};

/// Decimal arithmetic overflowed (amounts beyond ±7.9·10²⁸).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the amount is too large to compute")]
pub struct Overflow;

/// Rounds to cents, half away from zero (`0.005` → `0.01`, `-0.005` → `-0.01`).
pub fn round_cents(amount: Decimal) -> Decimal {
    let mut r = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

/// quantity × unit price rounded to cents.
pub fn row_amount(quantity: Decimal, unit_price: Decimal) -> Result<Decimal, Overflow> {
    quantity.checked_mul(unit_price).map(round_cents).ok_or(Overflow)
}

/// VAT of a taxable amount at a percentage rate, rounded to cents.
pub fn vat_amount(taxable: Decimal, rate_percent: Decimal) -> Result<Decimal, Overflow> {
    taxable.checked_mul(rate_percent).and_then(|x| x.checked_div(Decimal::ONE_HUNDRED)).map(round_cents).ok_or(Overflow)
}

/// A decimal without trailing zeros, dot separator: `25.50` → `"25.5"`, `14.0` → `"14"`.
pub fn plain(d: Decimal) -> String {
    d.normalize().to_string()
}

/// A decimal with at least `min_dp` decimals (more when it has them), dot separator.
pub fn dot(d: Decimal, min_dp: u32) -> String {
    let mut n = d.normalize();
    if n.scale() < min_dp {
        n.rescale(min_dp);
    }
    n.to_string()
}

/// Like [`dot`] with a comma as the decimal separator (Finvoice): `1234.5` → `"1234,50"`.
pub fn comma(d: Decimal, min_dp: u32) -> String {
    dot(d, min_dp).replace('.', ",")
}

/// Finnish display of a number with `dp` decimals (rounded half away from zero),
/// thousands grouped by spaces and a decimal comma: `-1234.5` → `"-1 234,50"`.
pub fn fi_number(d: Decimal, dp: u32) -> String {
    let mut r = d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(dp);
    let s = r.abs().to_string();
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    let sign = if r.is_sign_negative() && !r.is_zero() { "-" } else { "" };
    if frac.is_empty() { format!("{sign}{grouped}") } else { format!("{sign}{grouped},{frac}") }
}

/// Finnish display of a euro amount: `1234.56` → `"1 234,56 €"` (plain spaces, so that
/// text extracted from a PDF reads the same).
pub fn fi_eur(d: Decimal) -> String {
    format!("{} €", fi_number(d, 2))
}

/// Finnish display of a quantity or price without superfluous zeros: `12.50` → `"12,5"`.
pub fn fi_plain(d: Decimal) -> String {
    let n = d.normalize();
    fi_number(n, n.scale())
}

/// Finnish display of a unit price with 2–4 decimals: `4.6` → `"4,60"`, `4.6125` → `"4,6125"`.
pub fn fi_price(d: Decimal) -> String {
    let n = d.normalize();
    fi_number(n, n.scale().clamp(2, 6))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_cents(d("0.005")).to_string(), "0.01");
        assert_eq!(round_cents(d("0.015")).to_string(), "0.02");
        assert_eq!(round_cents(d("0.025")).to_string(), "0.03");
        assert_eq!(round_cents(d("-0.005")).to_string(), "-0.01");
        assert_eq!(round_cents(d("2.344999")).to_string(), "2.34");
        assert_eq!(round_cents(d("7")).to_string(), "7.00");
        assert_eq!(row_amount(d("3"), d("4.615")).unwrap(), d("13.85"));
        assert_eq!(row_amount(d("0.5"), d("0.01")).unwrap(), d("0.01"));
        assert_eq!(row_amount(d("-0.5"), d("0.01")).unwrap(), d("-0.01"));
        // 100.10 × 25.5 % = 25.5255 → 25.53; 10.10 × 14 % = 1.414 → 1.41; 0.10 × 25.5 % = 0.0255 → 0.03.
        assert_eq!(vat_amount(d("100.10"), d("25.5")).unwrap(), d("25.53"));
        assert_eq!(vat_amount(d("10.10"), d("14")).unwrap(), d("1.41"));
        assert_eq!(vat_amount(d("0.10"), d("25.5")).unwrap(), d("0.03"));
        assert_eq!(vat_amount(d("-0.10"), d("25.5")).unwrap(), d("-0.03"));
        assert_eq!(row_amount(Decimal::MAX, d("2")), Err(Overflow));
    }

    #[test]
    fn formats() {
        assert_eq!(plain(d("25.50")), "25.5");
        assert_eq!(plain(d("14.00")), "14");
        assert_eq!(dot(d("4.6"), 2), "4.60");
        assert_eq!(dot(d("4.6125"), 2), "4.6125");
        assert_eq!(comma(d("1234.5"), 2), "1234,50");
        assert_eq!(comma(d("-12"), 2), "-12,00");
        assert_eq!(fi_eur(d("1234.56")), "1 234,56 €");
        assert_eq!(fi_eur(d("-1234567.5")), "-1 234 567,50 €");
        assert_eq!(fi_eur(d("0")), "0,00 €");
        assert_eq!(fi_eur(d("999.999")), "1 000,00 €");
        assert_eq!(fi_plain(d("12.50")), "12,5");
        assert_eq!(fi_plain(d("1500")), "1 500");
        assert_eq!(fi_price(d("4.6")), "4,60");
        assert_eq!(fi_price(d("4.6125")), "4,6125");
    }
}
