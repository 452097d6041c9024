//! The specification (*laskutusliite*) as CSV: UTF-8, a header row, one line per site,
//! product and service day, decimals with a dot.
//!
//! Columns: `site, product_code, product_name, service_day` (ISO date), `quantity,
//! unit` (UN/ECE code), `unit_price, amount, vat_rate` (percent; empty outside the scope
//! of VAT), `delivery_id, correction_reason`.

use crate::RenderError;
use crate::model::Invoice;
use crate::money::{dot, plain};

/// The header row.
pub const COLUMNS: [&str; 11] = [
    "site",
    "product_code",
    "product_name",
    "service_day",
    "quantity",
    "unit",
    "unit_price",
    "amount",
    "vat_rate",
    "delivery_id",
    "correction_reason",
];

fn csv_err(e: impl std::fmt::Display) -> RenderError {
    RenderError { format: "CSV", field: "specification".into(), reason: e.to_string() }
}

/// The specification of an invoice as CSV text.
pub fn specification(invoice: &Invoice) -> Result<String, RenderError> {
    let mut w = ::csv::WriterBuilder::new().terminator(::csv::Terminator::CRLF).from_writer(Vec::new());
    w.write_record(COLUMNS).map_err(csv_err)?;
    for site in &invoice.specification.sites {
        for p in &site.products {
            let rate = p.vat.rate().map(plain).unwrap_or_default();
            for d in &p.days {
                w.write_record([
                    site.name.as_str(),
                    &p.code,
                    &p.name,
                    &d.service_day.to_string(),
                    &plain(d.quantity),
                    p.unit.code(),
                    &dot(d.unit_price, 2),
                    &dot(d.amount, 2),
                    &rate,
                    d.delivery_id.as_deref().unwrap_or(""),
                    d.correction_reason.as_deref().unwrap_or(""),
                ])
                .map_err(csv_err)?;
            }
        }
    }
    let bytes = w.into_inner().map_err(csv_err)?;
    String::from_utf8(bytes).map_err(csv_err)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sample;

    #[test]
    fn one_line_per_site_product_and_day() {
        let inv = sample::internal_outside_scope().unwrap();
        let text = specification(&inv).unwrap();
        let days: usize = inv.specification.sites.iter().flat_map(|s| &s.products).map(|p| p.days.len()).sum();
        let mut r = ::csv::Reader::from_reader(text.as_bytes());
        assert_eq!(r.headers().unwrap().iter().collect::<Vec<_>>(), COLUMNS);
        let records: Vec<_> = r.records().map(|r| r.unwrap()).collect();
        assert_eq!(records.len(), days);
        let first = &records[0];
        assert_eq!(&first[0], "Päiväkoti Mäntylä");
        assert_eq!(&first[1], "LOUNAS");
        assert_eq!(&first[4], "40");
        assert_eq!(&first[5], "C62");
        assert_eq!(&first[6], "4.60");
        assert_eq!(&first[7], "184.00");
        assert_eq!(&first[8], "");
        assert_eq!(&first[10], "Kaksi annosta palautettiin, kuljetus myöhässä");
        assert!(first[3].starts_with("2026-05-"));
        let sum: rust_decimal::Decimal = records.iter().map(|r| r[7].parse::<rust_decimal::Decimal>().unwrap()).sum();
        let spec_sum: rust_decimal::Decimal = inv.specification.sites.iter().flat_map(|s| &s.products).map(|p| p.amount()).sum();
        assert_eq!(sum, spec_sum);
    }

    #[test]
    fn rates_with_a_dot() {
        let inv = sample::external_two_rates().unwrap();
        let text = specification(&inv).unwrap();
        assert!(text.contains(",MTK,0.1875,159.38,25.5,"), "{text}");
    }
}
