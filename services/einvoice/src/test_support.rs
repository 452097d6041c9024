//! Helpers for the unit tests.
#![allow(clippy::unwrap_used)]

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::model::{InvoiceHeader, InvoiceRow, Language, RowKind, Unit, VatCategory};

pub fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// An invoice header to an external buyer with reference 1234561.
pub fn sample_header() -> InvoiceHeader {
    let mut h = crate::sample::header("2026-0001", 123456, crate::sample::external_buyer(), Language::Fi);
    h.reference = "1234561".into();
    h
}

pub fn service_row(description: &str, quantity: &str, unit_price: &str, vat: VatCategory) -> InvoiceRow {
    InvoiceRow::new(RowKind::Service, description, d(quantity), Unit::Piece, d(unit_price), vat)
}
