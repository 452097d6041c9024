//! PDF (in progress).
use crate::model::Invoice;

/// The PDF of an invoice.
pub fn render(_invoice: &Invoice) -> Vec<u8> {
    Vec::new()
}
