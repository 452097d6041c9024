//! Money rules: cents rounded half-up (away from zero), VAT per rate on the
//! sum of that rate's rows (EN 16931, BR-CO-17), totals exact.

use rust_decimal::{Decimal, RoundingStrategy};

/// Euros rounded to cents, half away from zero (1.005 → 1.01, −1.005 → −1.01).
pub fn round_cents(d: Decimal) -> Decimal {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    r
}

/// The VAT of one (category, rate).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VatSubtotal {
    pub category: String,
    pub rate: Decimal,
    /// Σ of the rows' amounts at this rate.
    pub taxable: Decimal,
    /// taxable × rate / 100, rounded to cents.
    pub vat: Decimal,
}

/// VAT per (category, rate), sorted by category then rate so documents are stable.
pub fn vat_breakdown<'a>(rows: impl Iterator<Item = (&'a str, Decimal, Decimal)>) -> Vec<VatSubtotal> {
    let mut out: Vec<VatSubtotal> = Vec::new();
    for (category, rate, amount) in rows {
        match out.iter_mut().find(|v| v.category == category && v.rate == rate) {
            Some(v) => v.taxable += amount,
            None => out.push(VatSubtotal { category: category.to_owned(), rate, taxable: amount, vat: Decimal::ZERO }),
        }
    }
    for v in &mut out {
        v.taxable = round_cents(v.taxable);
        v.vat = round_cents(v.taxable * v.rate / Decimal::from(100));
    }
    out.sort_by(|a, b| (&a.category, a.rate).cmp(&(&b.category, b.rate)));
    out
}

/// Money for the API: exactly two decimals ("12.30").
pub fn fmt_cents(d: Decimal) -> String {
    round_cents(d).to_string()
}

/// A unit price or quantity for the API: no trailing zeros beyond two decimals.
pub fn fmt_price(d: Decimal) -> String {
    let mut n = d.normalize();
    if n.scale() < 2 {
        n.rescale(2);
    }
    n.to_string()
}

/// A quantity for the API: as few decimals as it needs ("12", "833.3333").
pub fn fmt_quantity(d: Decimal) -> String {
    d.normalize().to_string()
}
