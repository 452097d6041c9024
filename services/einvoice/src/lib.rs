//! # kumppani-einvoice
//!
//! The invoice document of Kumppani's central billing and its renderings. Pure code:
//! no I/O, no clock; everything is computed from the [`model::Invoice`] given.
//!
//! * [`reference`]: Finnish creditor reference (*viitenumero*, 7-3-1 check digit) and
//!   its ISO 11649 RF form.
//! * [`ovt`]: Y-tunnus (business id), Finnish VAT id, OVT e-invoice address and
//!   Peppol participant id checks, with human-readable errors.
//! * [`model`] and [`Invoice::compute`](model::Invoice::compute): the invoice, its rows,
//!   VAT breakdown, totals and specification (*laskutusliite*); the money rules are in
//!   [`money`] and [`Totals::of`](model::Totals::of).
//! * [`finvoice`]: Finvoice 3.0 XML.
//! * [`peppol`]: Peppol BIS Billing 3.0 UBL 2.1 `Invoice` / `CreditNote`, with the PDF
//!   and CSV specification embedded as attachments.
//! * [`pdf`]: the printable invoice and its specification (A4, fi/sv/en).
//! * [`csv`]: the specification as CSV, one line per site, product and day.
//! * [`sample`]: sample invoices with fictional parties.
//!
//! ## PDF
//!
//! The PDF is written with [`pdf-writer`](https://docs.rs/pdf-writer) (a lean, low-level
//! writer without dependencies of its own) using the base-14 fonts Helvetica and
//! Helvetica-Bold with `WinAnsiEncoding`. Nothing is embedded, so the file is small, and
//! WinAnsi (Windows-1252) covers Finnish and Swedish (ä ö å Ä Ö Å) and the euro sign;
//! text extraction (`pdftotext`) gives the characters back. Characters outside
//! Windows-1252 are printed as `?`. Text widths for alignment come from the Helvetica
//! metrics in [`pdf`].
//!
//! ## Signs of credit notes
//!
//! In the model a credit note's rows have negative quantities and its totals are
//! negative. Finvoice (`INV02`) carries the negative amounts as they are; Peppol BIS
//! writes a UBL `CreditNote` (type 381) whose quantities and amounts are negated, so
//! that its totals are positive, as EN 16931 requires.

//! ## Tests against the standards
//!
//! `tests/standards.rs` renders the [`sample`] invoices and validates them with real
//! validators: the Finvoice 3.0 XSD and the UBL 2.1 XSDs through lxml, and the compiled
//! EN 16931 (CEN) and Peppol BIS 3.0 Schematron (XSLT 2) through saxonche, by
//! `scripts/xml-validate.py` running in the virtualenv `scripts/xml-venv.sh` makes under
//! `target/xml-venv` (pinned lxml and saxonche from PyPI). The standard files are kept in
//! `tests/standards/` with their provenance in `tests/standards/SOURCES.md`. The PDF test
//! reads the text back with `pdftotext`. A machine running the tests needs `python3`
//! with `venv` (Debian: python3, python3-venv), `poppler-utils` and access to PyPI; a
//! missing tool fails the tests with a message saying what to install.

pub mod compute;
pub mod csv;
pub mod finvoice;
pub mod i18n;
pub mod model;
pub mod money;
pub mod ovt;
pub mod pdf;
pub mod peppol;
pub mod reference;
pub mod sample;
#[cfg(test)]
mod test_support;
mod xml;

pub use model::{FieldError, Invoice, InvoiceErrors, InvoiceHeader, InvoiceRow, Specification, Totals};
pub use reference::CreditorReference;

/// Why an invoice could not be rendered in a format (a field the format needs is
/// missing or too long for it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{format}: {field}: {reason}")]
pub struct RenderError {
    /// `Finvoice`, `Peppol` or `CSV`.
    pub format: &'static str,
    pub field: String,
    pub reason: String,
}
