//! [`Totals::of`] and [`Invoice::compute`]: the money rules and the field checks.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::model::{
    Buyer, DocumentKind, FieldError, Invoice, InvoiceErrors, InvoiceHeader, InvoiceRow, Seller, Specification, Totals, VatBreakdown,
    VatCategory,
};
use crate::money::{self, Overflow};
use crate::ovt;
use crate::reference::CreditorReference;

/// Sort key of a VAT category: standard rates highest first, outside scope last.
fn vat_key(vat: VatCategory) -> (u8, std::cmp::Reverse<Decimal>) {
    match vat {
        VatCategory::Standard { rate } => (0, std::cmp::Reverse(rate.normalize())),
        VatCategory::OutsideScope => (1, std::cmp::Reverse(Decimal::ZERO)),
    }
}

impl Totals {
    /// The totals of rows: each row amount is quantity × unit price rounded to cents
    /// (recomputed, the rows' `net_amount` is not trusted); per VAT category the VAT is
    /// computed on the sum of its row amounts and rounded to cents; the total is
    /// Σ row amounts + Σ VAT exactly.
    pub fn of(rows: &[InvoiceRow]) -> Result<Totals, Overflow> {
        let mut by_vat: BTreeMap<_, (VatCategory, Decimal)> = BTreeMap::new();
        let mut line_total = Decimal::ZERO;
        for row in rows {
            let amount = money::row_amount(row.quantity, row.unit_price)?;
            line_total = line_total.checked_add(amount).ok_or(Overflow)?;
            let entry = by_vat.entry(vat_key(row.vat)).or_insert((row.vat.normalized(), Decimal::ZERO));
            entry.1 = entry.1.checked_add(amount).ok_or(Overflow)?;
        }
        let mut vat_total = Decimal::ZERO;
        let mut vat_breakdown = Vec::with_capacity(by_vat.len());
        for (vat, taxable) in by_vat.into_values() {
            let vat_amount = match vat {
                VatCategory::Standard { rate } => money::vat_amount(taxable, rate)?,
                VatCategory::OutsideScope => money::round_cents(Decimal::ZERO),
            };
            vat_total = vat_total.checked_add(vat_amount).ok_or(Overflow)?;
            vat_breakdown.push(VatBreakdown { vat, taxable_amount: money::round_cents(taxable), vat_amount });
        }
        let total = line_total.checked_add(vat_total).ok_or(Overflow)?;
        Ok(Totals {
            line_total: money::round_cents(line_total),
            vat_total: money::round_cents(vat_total),
            total: money::round_cents(total),
            vat_breakdown,
        })
    }
}

/// Validates an IBAN (ISO 13616 MOD 97-10) and returns it compact and upper-case.
pub fn validate_iban(iban: &str) -> Result<String, &'static str> {
    let compact: String = iban.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
    if !(15..=34).contains(&compact.len()) || !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err("an IBAN has 15–34 letters and digits, like FI21 1234 5600 0007 85");
    }
    let (head, tail) = compact.split_at(4);
    if !head[..2].chars().all(|c| c.is_ascii_alphabetic()) || !head[2..].chars().all(|c| c.is_ascii_digit()) {
        return Err("an IBAN starts with a country code and two check digits");
    }
    let mut rem: u32 = 0;
    for c in tail.chars().chain(head.chars()) {
        let v = c.to_digit(36).unwrap_or(0);
        rem = if v < 10 { (rem * 10 + v) % 97 } else { (rem * 100 + v) % 97 };
    }
    if rem != 1 {
        return Err("the check digits of the IBAN are wrong");
    }
    Ok(compact)
}

/// Validates a BIC (8 or 11 letters and digits).
pub fn validate_bic(bic: &str) -> Result<String, &'static str> {
    let b = bic.trim().to_ascii_uppercase();
    if (b.len() == 8 || b.len() == 11) && b.chars().all(|c| c.is_ascii_alphanumeric()) && b[..6].chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(b)
    } else {
        Err("a BIC has 8 or 11 letters and digits, like NDEAFIHH")
    }
}

struct Errors(Vec<FieldError>);

impl Errors {
    fn add(&mut self, field: impl Into<String>, reason: impl ToString) {
        self.0.push(FieldError { field: field.into(), reason: reason.to_string() });
    }

    fn require(&mut self, field: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.add(field, "is required");
        } else if value.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        }
    }

    fn optional(&mut self, field: &str, value: &Option<String>, max: usize) {
        if let Some(v) = value {
            self.require(field, v, max);
        }
    }

    fn address(&mut self, prefix: &str, a: &crate::model::Address) {
        self.require(&format!("{prefix}.street"), &a.street, 35);
        self.require(&format!("{prefix}.postal_code"), &a.postal_code, 35);
        self.require(&format!("{prefix}.city"), &a.city, 35);
        if a.country.len() != 2 || !a.country.chars().all(|c| c.is_ascii_uppercase()) {
            self.add(format!("{prefix}.country"), "must be a two-letter ISO 3166 country code such as FI");
        }
    }
}

fn check_seller(e: &mut Errors, s: &Seller) {
    e.require("seller.name", &s.name, 70);
    if let Err(err) = ovt::validate_business_id(&s.business_id) {
        e.add("seller.business_id", err);
    }
    if let Some(v) = &s.vat_id {
        if let Err(err) = ovt::validate_vat_id(v) {
            e.add("seller.vat_id", err);
        }
    }
    if let Some(o) = &s.ovt {
        if let Err(err) = ovt::validate_ovt(o) {
            e.add("seller.ovt", err);
        }
    }
    e.optional("seller.operator_id", &s.operator_id, 35);
    e.address("seller.address", &s.address);
    if let Err(err) = validate_iban(&s.iban) {
        e.add("seller.iban", err);
    }
    if let Err(err) = validate_bic(&s.bic) {
        e.add("seller.bic", err);
    }
    e.optional("seller.contact.name", &s.contact.name, 70);
    e.optional("seller.contact.phone", &s.contact.phone, 35);
    e.optional("seller.contact.email", &s.contact.email, 70);
}

fn check_buyer(e: &mut Errors, b: &Buyer) {
    e.require("buyer.name", &b.name, 70);
    if let Some(id) = &b.business_id {
        if let Err(err) = ovt::validate_business_id(id) {
            e.add("buyer.business_id", err);
        }
    }
    e.optional("buyer.vat_id", &b.vat_id, 35);
    if let Some(o) = &b.ovt {
        if let Err(err) = ovt::validate_ovt(o) {
            e.add("buyer.ovt", err);
        }
    }
    e.optional("buyer.operator_id", &b.operator_id, 35);
    if let Some(p) = &b.peppol_id {
        if let Err(err) = ovt::PeppolId::parse(p) {
            e.add("buyer.peppol_id", err);
        }
    }
    e.address("buyer.address", &b.address);
    e.optional("buyer.buyer_reference", &b.buyer_reference, 70);
    e.optional("buyer.cost_centre", &b.cost_centre, 35);
    e.optional("buyer.contact.name", &b.contact.name, 70);
    e.optional("buyer.contact.phone", &b.contact.phone, 35);
    e.optional("buyer.contact.email", &b.contact.email, 70);
}

fn check_rows(e: &mut Errors, rows: &[InvoiceRow]) {
    if rows.is_empty() {
        e.add("rows", "an invoice needs at least one row");
    }
    for (i, r) in rows.iter().enumerate() {
        let f = |name: &str| format!("rows[{i}].{name}");
        e.require(&f("description"), &r.description, 100);
        e.optional(&f("site_name"), &r.site_name, 100);
        e.optional(&f("product_code"), &r.product_code, 35);
        e.optional(&f("product_name"), &r.product_name, 100);
        e.optional(&f("supplier_reference"), &r.supplier_reference, 70);
        e.optional(&f("reason"), &r.reason, 200);
        if r.unit_price.is_sign_negative() && !r.unit_price.is_zero() {
            e.add(f("unit_price"), "must not be negative; credit with a negative quantity");
        }
        if let VatCategory::Standard { rate } = r.vat {
            if rate.is_sign_negative() || rate >= Decimal::ONE_HUNDRED {
                e.add(f("vat"), "the VAT rate must be 0–99.99 percent");
            }
        }
        if money::row_amount(r.quantity, r.unit_price).is_err() {
            e.add(f("quantity"), Overflow);
        }
    }
    let outside = rows.iter().any(|r| r.vat == VatCategory::OutsideScope);
    if outside && rows.iter().any(|r| r.vat != VatCategory::OutsideScope) {
        e.add("rows", "rows outside the scope of VAT cannot be invoiced together with taxable rows (EN 16931 BR-O-11)");
    }
}

impl Invoice {
    /// Checks the fields, computes every row amount, the specification's day amounts,
    /// the VAT breakdown and the totals. Returns every field error found.
    pub fn compute(header: InvoiceHeader, mut rows: Vec<InvoiceRow>, mut specification: Specification) -> Result<Invoice, InvoiceErrors> {
        let mut e = Errors(Vec::new());
        e.require("number", &header.number, 20);
        if header.due_date < header.issue_date {
            e.add("due_date", "must not be before the issue date");
        }
        if header.period.end < header.period.start {
            e.add("period.end", "must not be before the start of the period");
        }
        if let DocumentKind::CreditNote { original_number, .. } = &header.kind {
            e.require("kind.original_number", original_number, 20);
        }
        let reference = CreditorReference::parse(&header.reference).map_err(|err| e.add("reference", err)).ok();
        check_seller(&mut e, &header.seller);
        check_buyer(&mut e, &header.buyer);
        e.optional("note", &header.note, 500);
        check_rows(&mut e, &rows);
        for row in &mut rows {
            row.net_amount = money::row_amount(row.quantity, row.unit_price).unwrap_or_default();
        }
        for (s, site) in specification.sites.iter_mut().enumerate() {
            for (p, product) in site.products.iter_mut().enumerate() {
                for (d, day) in product.days.iter_mut().enumerate() {
                    match money::row_amount(day.quantity, day.unit_price) {
                        Ok(a) => day.amount = a,
                        Err(err) => e.add(format!("specification.sites[{s}].products[{p}].days[{d}].quantity"), err),
                    }
                }
            }
        }
        let totals = match Totals::of(&rows) {
            Ok(t) => t,
            Err(err) => {
                e.add("rows", err);
                Totals::default()
            }
        };
        if header.kind.is_credit_note() && totals.total > Decimal::ZERO {
            e.add("rows", "the rows of a credit note must add up to zero or less (credit with negative quantities)");
        }
        if !header.kind.is_credit_note() && totals.total < Decimal::ZERO {
            e.add("rows", "the rows of an invoice must not add up to less than zero; make a credit note");
        }
        match (reference, e.0.is_empty()) {
            (Some(reference), true) => Ok(Invoice { header, reference, rows, totals, specification }),
            _ => Err(InvoiceErrors(e.0)),
        }
    }

    /// True when the invoice's rows are outside the scope of VAT (internal customer).
    pub fn is_outside_vat_scope(&self) -> bool {
        self.rows.iter().all(|r| r.vat == VatCategory::OutsideScope)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::{RowKind, Unit};
    use crate::test_support::{d, sample_header, service_row};
    use proptest::prelude::*;

    #[test]
    fn totals_round_per_rate_on_the_sum() {
        // Three rows at 25.5 %: 0.10 each; VAT on 0.30 is 0.0765 → 0.08, whereas per row
        // it would be 3 × 0.03 = 0.09.
        let s = VatCategory::Standard { rate: d("25.5") };
        let rows: Vec<_> = (0..3).map(|_| InvoiceRow::new(RowKind::Service, "x", d("1"), Unit::Piece, d("0.10"), s)).collect();
        let t = Totals::of(&rows).unwrap();
        assert_eq!(t.line_total, d("0.30"));
        assert_eq!(t.vat_total, d("0.08"));
        assert_eq!(t.total, d("0.38"));
    }

    #[test]
    fn totals_break_down_by_rate_highest_first() {
        let rows = vec![
            service_row("Lounas", "3", "4.615", VatCategory::Standard { rate: d("14") }),
            service_row("Siivous", "2.5", "38", VatCategory::Standard { rate: d("25.50") }),
            service_row("Päivällinen", "1", "10", VatCategory::Standard { rate: d("14.0") }),
        ];
        let t = Totals::of(&rows).unwrap();
        assert_eq!(t.vat_breakdown.len(), 2);
        assert_eq!(t.vat_breakdown[0].vat.rate(), Some(d("25.5")));
        assert_eq!(t.vat_breakdown[0].taxable_amount, d("95.00"));
        assert_eq!(t.vat_breakdown[0].vat_amount, d("24.23")); // 24.225 → 24.23
        assert_eq!(t.vat_breakdown[1].taxable_amount, d("23.85")); // 13.845 → 13.85, + 10
        assert_eq!(t.vat_breakdown[1].vat_amount, d("3.34")); // 3.339
        assert_eq!(t.line_total, d("118.85"));
        assert_eq!(t.total, d("146.42"));
    }

    #[test]
    fn outside_scope_has_zero_vat() {
        let rows = vec![service_row("Lounas", "100", "4.6", VatCategory::OutsideScope)];
        let t = Totals::of(&rows).unwrap();
        assert_eq!(t.vat_total, d("0.00"));
        assert_eq!(t.total, d("460.00"));
        assert_eq!(t.vat_breakdown[0].vat, VatCategory::OutsideScope);
    }

    #[test]
    fn compute_sets_amounts_and_reference() {
        let mut rows = vec![service_row("Lounas", "3", "4.615", VatCategory::Standard { rate: d("14") })];
        rows[0].net_amount = d("999");
        let inv = Invoice::compute(sample_header(), rows, Specification::default()).unwrap();
        assert_eq!(inv.rows[0].net_amount, d("13.85"));
        assert_eq!(inv.reference.finnish, "1234561");
        assert!(inv.reference.rf.starts_with("RF"));
        assert_eq!(inv.totals.total, d("15.79")); // 13.85 + 1.939 → 1.94
    }

    #[test]
    fn compute_reports_every_field_error() {
        let mut h = sample_header();
        h.reference = "1233".into();
        h.seller.business_id = "1234567-8".into();
        h.seller.iban = "FI2112345600000786".into();
        h.buyer.ovt = Some("0037123".into());
        h.due_date = h.issue_date.pred_opt().unwrap();
        let rows = vec![
            service_row("Lounas", "1", "-1", VatCategory::OutsideScope),
            service_row("Siivous", "1", "10", VatCategory::Standard { rate: d("25.5") }),
        ];
        let errs = Invoice::compute(h, rows, Specification::default()).unwrap_err().0;
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        for f in ["reference", "seller.business_id", "seller.iban", "buyer.ovt", "due_date", "rows[0].unit_price", "rows"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        assert!(errs.iter().any(|e| e.reason.contains("BR-O-11")));
    }

    #[test]
    fn credit_note_must_not_be_positive() {
        let mut h = sample_header();
        h.kind = DocumentKind::CreditNote { original_number: "2026-0001".into(), original_issue_date: h.issue_date };
        let pos = vec![service_row("Lounas", "1", "5", VatCategory::OutsideScope)];
        assert!(Invoice::compute(h.clone(), pos, Specification::default()).is_err());
        let neg = vec![service_row("Lounas", "-1", "5", VatCategory::OutsideScope)];
        assert_eq!(Invoice::compute(h, neg, Specification::default()).unwrap().totals.total, d("-5.00"));
    }

    #[test]
    fn iban_and_bic() {
        assert_eq!(validate_iban("FI21 1234 5600 0007 85").unwrap(), "FI2112345600000785");
        assert!(validate_iban("FI2112345600000786").is_err());
        assert!(validate_iban("FI21").is_err());
        assert_eq!(validate_bic("ndeafihh").unwrap(), "NDEAFIHH");
        assert!(validate_bic("NDEA").is_err());
    }

    fn arb_row() -> impl Strategy<Value = InvoiceRow> {
        let vat = prop_oneof![
            Just(VatCategory::Standard { rate: Decimal::new(255, 1) }),
            Just(VatCategory::Standard { rate: Decimal::new(14, 0) }),
            Just(VatCategory::Standard { rate: Decimal::new(135, 1) }),
            Just(VatCategory::Standard { rate: Decimal::new(10, 0) }),
            Just(VatCategory::OutsideScope),
        ];
        (-100_000i64..1_000_000, 0u32..4, 0i64..10_000_000, 0u32..5, vat).prop_map(|(q, qs, p, ps, vat)| {
            InvoiceRow::new(RowKind::Service, "row", Decimal::new(q, qs), Unit::Piece, Decimal::new(p, ps), vat)
        })
    }

    proptest! {
        #[test]
        fn totals_add_up(rows in proptest::collection::vec(arb_row(), 0..40)) {
            let t = Totals::of(&rows).unwrap();
            let rows_sum: Decimal = rows.iter().map(|r| money::row_amount(r.quantity, r.unit_price).unwrap()).sum();
            let vat_sum: Decimal = t.vat_breakdown.iter().map(|b| b.vat_amount).sum();
            let taxable_sum: Decimal = t.vat_breakdown.iter().map(|b| b.taxable_amount).sum();
            prop_assert_eq!(t.line_total, rows_sum);
            prop_assert_eq!(t.vat_total, vat_sum);
            prop_assert_eq!(taxable_sum, rows_sum);
            prop_assert_eq!(t.total, rows_sum + vat_sum);
            for b in &t.vat_breakdown {
                let of_cat: Decimal = rows.iter().filter(|r| r.vat.normalized() == b.vat).map(|r| r.net_amount).sum();
                prop_assert_eq!(b.taxable_amount, of_cat);
                prop_assert_eq!(b.vat_amount.scale(), 2);
                let exact = match b.vat { VatCategory::Standard { rate } => b.taxable_amount * rate / Decimal::ONE_HUNDRED, VatCategory::OutsideScope => Decimal::ZERO };
                prop_assert!((b.vat_amount - exact).abs() <= Decimal::new(5, 3));
            }
            for r in &rows {
                prop_assert_eq!(r.net_amount.scale(), 2);
                prop_assert!((r.net_amount - r.quantity * r.unit_price).abs() <= Decimal::new(5, 3));
            }
        }
    }
}
