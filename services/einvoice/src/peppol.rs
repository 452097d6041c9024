//! Peppol BIS Billing 3.0: a UBL 2.1 `Invoice`, or a `CreditNote` for a credit note.
//!
//! * `CustomizationID` `urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0`,
//!   `ProfileID` `urn:fdc:peppol.eu:2017:poacc:billing:01:1.0`.
//! * Electronic addresses (`EndpointID`): the buyer's Peppol participant id when given
//!   (`0216:0037…` → `schemeID="0216"`), else its OVT address with scheme 0216 (ICD
//!   "OVTcode"; 0037 is the legacy scheme for the same addresses and the Peppol rules
//!   accept both). The seller's is its OVT address with 0216. Legal registration ids
//!   (Y-tunnus) are `CompanyID schemeID="0212"`.
//! * `BuyerReference` is the buyer's reference, or its cost centre when it has none
//!   (Peppol requires one of buyer reference or order reference); the cost centre also
//!   goes to `AccountingCost`.
//! * Payment: `PaymentMeansCode` 58 (SEPA credit transfer) with the Finnish reference
//!   number as `PaymentID`, the IBAN and BIC.
//! * VAT: one `TaxSubtotal` per category; `S` with its rate, or `O` ("not subject to
//!   VAT") without a rate, with `TaxExemptionReasonCode` `VATEX-EU-O` and a reason text,
//!   and then without the parties' VAT ids (BR-O-02).
//! * A credit note is a `CreditNote` with `CreditNoteTypeCode` 381 and a
//!   `BillingReference` to the credited invoice; its quantities and amounts are the
//!   model's negated, so that its totals are positive. The due date goes to
//!   `PaymentMeans/PaymentDueDate` (UBL `CreditNote` has no `DueDate`). Correction rows
//!   of an invoice add a `BillingReference` per corrected invoice.
//! * Attachments (the PDF and the CSV specification) are embedded as
//!   `AdditionalDocumentReference/Attachment/EmbeddedDocumentBinaryObject` in base64.

use base64::Engine;
use rust_decimal::Decimal;

use crate::RenderError;
use crate::i18n::{self, labels};
use crate::model::{Address, Contact, DocumentKind, Invoice, InvoiceRow, VatCategory};
use crate::money::{dot, plain, round_cents};
use crate::ovt::PeppolId;
use crate::xml::Xml;

const FORMAT: &str = "Peppol";
const CUSTOMIZATION_ID: &str = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0";
const PROFILE_ID: &str = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0";
const NS_INVOICE: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
const NS_CREDIT_NOTE: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
const NS_CAC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2";
const NS_CBC: &str = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2";

/// A document embedded in the e-invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// File name, also the document reference's id.
    pub filename: String,
    /// One of Peppol's MIME codes: `application/pdf`, `text/csv`, `image/png`, …
    pub mime_code: String,
    pub description: String,
    pub content: Vec<u8>,
}

impl Attachment {
    pub fn pdf(filename: impl Into<String>, description: impl Into<String>, content: Vec<u8>) -> Self {
        Self { filename: filename.into(), mime_code: "application/pdf".into(), description: description.into(), content }
    }

    pub fn csv(filename: impl Into<String>, description: impl Into<String>, content: Vec<u8>) -> Self {
        Self { filename: filename.into(), mime_code: "text/csv".into(), description: description.into(), content }
    }
}

fn err(field: &str, reason: impl Into<String>) -> RenderError {
    RenderError { format: FORMAT, field: field.into(), reason: reason.into() }
}

fn amount(x: &mut Xml, name: &str, a: Decimal) {
    x.leaf(name, &[("currencyID", "EUR")], &dot(round_cents(a), 2));
}

fn tax_category(x: &mut Xml, element: &str, vat: VatCategory, reason: Option<&str>) {
    x.open(element, &[]).text("cbc:ID", vat.code());
    if let Some(rate) = vat.rate() {
        x.text("cbc:Percent", &plain(rate));
    }
    if let (VatCategory::OutsideScope, Some(reason)) = (vat, reason) {
        x.text("cbc:TaxExemptionReasonCode", "VATEX-EU-O").text("cbc:TaxExemptionReason", reason);
    }
    x.open("cac:TaxScheme", &[]).text("cbc:ID", "VAT").close();
    x.close();
}

fn address(x: &mut Xml, a: &Address) {
    x.open("cac:PostalAddress", &[])
        .text("cbc:StreetName", &a.street)
        .text("cbc:CityName", &a.city)
        .text("cbc:PostalZone", &a.postal_code)
        .open("cac:Country", &[])
        .text("cbc:IdentificationCode", &a.country)
        .close()
        .close();
}

fn contact(x: &mut Xml, c: &Contact) {
    if c.name.is_some() || c.phone.is_some() || c.email.is_some() {
        x.open("cac:Contact", &[])
            .opt("cbc:Name", c.name.as_deref())
            .opt("cbc:Telephone", c.phone.as_deref())
            .opt("cbc:ElectronicMail", c.email.as_deref())
            .close();
    }
}

struct PartyIds<'a> {
    endpoint: PeppolId,
    name: &'a str,
    address: &'a Address,
    vat_id: Option<&'a str>,
    business_id: Option<&'a str>,
    contact: &'a Contact,
}

fn party(x: &mut Xml, wrapper: &str, p: &PartyIds<'_>) {
    x.open(wrapper, &[]).open("cac:Party", &[]);
    x.leaf("cbc:EndpointID", &[("schemeID", &p.endpoint.scheme)], &p.endpoint.id);
    x.open("cac:PartyName", &[]).text("cbc:Name", p.name).close();
    address(x, p.address);
    if let Some(vat) = p.vat_id.filter(|v| !v.trim().is_empty()) {
        x.open("cac:PartyTaxScheme", &[]).text("cbc:CompanyID", vat).open("cac:TaxScheme", &[]).text("cbc:ID", "VAT").close().close();
    }
    x.open("cac:PartyLegalEntity", &[]).text("cbc:RegistrationName", p.name);
    if let Some(id) = p.business_id.filter(|v| !v.trim().is_empty()) {
        x.leaf("cbc:CompanyID", &[("schemeID", "0212")], id);
    }
    x.close();
    contact(x, p.contact);
    x.close().close();
}

/// The line note: site, product, supplier reference, correction and reason.
fn line_note(invoice: &Invoice, row: &InvoiceRow) -> String {
    let lang = invoice.header.language;
    let l = labels(lang);
    let mut parts = Vec::new();
    if let Some(site) = &row.site_name {
        parts.push(format!("{}: {site}", l.site));
    }
    if let Some(r) = &row.supplier_reference {
        parts.push(format!("{}: {r}", l.supplier_reference));
    }
    if let Some(c) = &row.correction_of {
        parts.push(format!("{} {}, {} {}", l.corrects, c.original_invoice, l.service_day, i18n::date(c.service_day, lang)));
    }
    if let Some(r) = &row.reason {
        parts.push(format!("{}: {r}", l.reason));
    }
    parts.join("; ")
}

/// The Peppol BIS Billing 3.0 UBL document of an invoice (`Invoice`) or credit note
/// (`CreditNote`), with the attachments embedded.
pub fn to_xml(invoice: &Invoice, attachments: &[Attachment]) -> Result<String, RenderError> {
    let h = &invoice.header;
    let l = labels(h.language);
    let credit = h.kind.is_credit_note();
    // A credit note's amounts are written positive.
    let sign = if credit { Decimal::NEGATIVE_ONE } else { Decimal::ONE };
    let outside = invoice.is_outside_vat_scope();
    let seller_endpoint = match &h.seller.ovt {
        Some(ovt) => PeppolId::of_ovt(ovt).map_err(|e| err("seller.ovt", e.to_string()))?,
        None => return Err(err("seller.ovt", "the seller's OVT address is its Peppol electronic address and is required")),
    };
    let buyer_endpoint = match (&h.buyer.peppol_id, &h.buyer.ovt) {
        (Some(p), _) => PeppolId::parse(p).map_err(|e| err("buyer.peppol_id", e.to_string()))?,
        (None, Some(ovt)) => PeppolId::of_ovt(ovt).map_err(|e| err("buyer.ovt", e.to_string()))?,
        (None, None) => return Err(err("buyer.peppol_id", "a Peppol invoice needs the buyer's Peppol id or OVT address")),
    };
    let buyer_reference = h
        .buyer
        .buyer_reference
        .as_deref()
        .or(h.buyer.cost_centre.as_deref())
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| err("buyer.buyer_reference", "Peppol requires a buyer reference (or a cost centre to use as one)"))?;
    if !outside && h.seller.vat_id.is_none() {
        return Err(err("seller.vat_id", "the seller's VAT id is required on an invoice with VAT (BR-S-02)"));
    }

    let mut x = Xml::new();
    let (root, ns) = if credit { ("CreditNote", NS_CREDIT_NOTE) } else { ("Invoice", NS_INVOICE) };
    x.open(root, &[("xmlns", ns), ("xmlns:cac", NS_CAC), ("xmlns:cbc", NS_CBC)]);
    x.text("cbc:CustomizationID", CUSTOMIZATION_ID).text("cbc:ProfileID", PROFILE_ID);
    x.text("cbc:ID", &h.number);
    x.text("cbc:IssueDate", &h.issue_date.to_string());
    if credit {
        x.text("cbc:CreditNoteTypeCode", "381");
    } else {
        x.text("cbc:DueDate", &h.due_date.to_string());
        x.text("cbc:InvoiceTypeCode", "380");
    }
    x.opt("cbc:Note", h.note.as_deref());
    x.text("cbc:DocumentCurrencyCode", h.currency.code());
    x.opt("cbc:AccountingCost", h.buyer.cost_centre.as_deref());
    x.text("cbc:BuyerReference", buyer_reference);
    x.open("cac:InvoicePeriod", &[])
        .text("cbc:StartDate", &h.period.start.to_string())
        .text("cbc:EndDate", &h.period.end.to_string())
        .close();

    let mut preceding: Vec<(String, Option<chrono::NaiveDate>)> = Vec::new();
    if let DocumentKind::CreditNote { original_number, original_issue_date } = &h.kind {
        preceding.push((original_number.clone(), Some(*original_issue_date)));
    }
    for c in invoice.rows.iter().filter_map(|r| r.correction_of.as_ref()) {
        if !preceding.iter().any(|(n, _)| *n == c.original_invoice) {
            preceding.push((c.original_invoice.clone(), None));
        }
    }
    for (number, date) in &preceding {
        x.open("cac:BillingReference", &[]).open("cac:InvoiceDocumentReference", &[]).text("cbc:ID", number);
        if let Some(d) = date {
            x.text("cbc:IssueDate", &d.to_string());
        }
        x.close().close();
    }

    for a in attachments {
        if a.filename.trim().is_empty() {
            return Err(err("attachments.filename", "an attachment needs a file name"));
        }
        if a.content.is_empty() {
            return Err(err("attachments.content", format!("the attachment {} is empty (Peppol forbids empty elements)", a.filename)));
        }
        x.open("cac:AdditionalDocumentReference", &[]).text("cbc:ID", &a.filename).opt("cbc:DocumentDescription", Some(&a.description));
        x.open("cac:Attachment", &[]);
        let data = base64::engine::general_purpose::STANDARD.encode(&a.content);
        x.leaf("cbc:EmbeddedDocumentBinaryObject", &[("mimeCode", &a.mime_code), ("filename", &a.filename)], &data);
        x.close().close();
    }

    let seller = &h.seller;
    party(
        &mut x,
        "cac:AccountingSupplierParty",
        &PartyIds {
            endpoint: seller_endpoint,
            name: &seller.name,
            address: &seller.address,
            vat_id: if outside { None } else { seller.vat_id.as_deref() },
            business_id: Some(&seller.business_id),
            contact: &seller.contact,
        },
    );
    let buyer = &h.buyer;
    party(
        &mut x,
        "cac:AccountingCustomerParty",
        &PartyIds {
            endpoint: buyer_endpoint,
            name: &buyer.name,
            address: &buyer.address,
            vat_id: if outside { None } else { buyer.vat_id.as_deref() },
            business_id: buyer.business_id.as_deref(),
            contact: &buyer.contact,
        },
    );

    x.open("cac:PaymentMeans", &[]).text("cbc:PaymentMeansCode", "58");
    if credit {
        x.text("cbc:PaymentDueDate", &h.due_date.to_string());
    }
    x.text("cbc:PaymentID", &invoice.reference.finnish);
    x.open("cac:PayeeFinancialAccount", &[]).text("cbc:ID", &seller.iban).text("cbc:Name", &seller.name);
    x.open("cac:FinancialInstitutionBranch", &[]).text("cbc:ID", &seller.bic).close();
    x.close().close();
    x.open("cac:PaymentTerms", &[]).text("cbc:Note", &l.payment_terms_for(h.payment_terms_days)).close();

    let t = &invoice.totals;
    x.open("cac:TaxTotal", &[]);
    amount(&mut x, "cbc:TaxAmount", sign * t.vat_total);
    for b in &t.vat_breakdown {
        x.open("cac:TaxSubtotal", &[]);
        amount(&mut x, "cbc:TaxableAmount", sign * b.taxable_amount);
        amount(&mut x, "cbc:TaxAmount", sign * b.vat_amount);
        tax_category(&mut x, "cac:TaxCategory", b.vat, Some(l.outside_scope_reason));
        x.close();
    }
    x.close();

    x.open("cac:LegalMonetaryTotal", &[]);
    amount(&mut x, "cbc:LineExtensionAmount", sign * t.line_total);
    amount(&mut x, "cbc:TaxExclusiveAmount", sign * t.line_total);
    amount(&mut x, "cbc:TaxInclusiveAmount", sign * t.total);
    amount(&mut x, "cbc:PayableAmount", sign * t.total);
    x.close();

    let (line, qty) = if credit { ("cac:CreditNoteLine", "cbc:CreditedQuantity") } else { ("cac:InvoiceLine", "cbc:InvoicedQuantity") };
    for (i, row) in invoice.rows.iter().enumerate() {
        x.open(line, &[]).text("cbc:ID", &(i + 1).to_string());
        let note = line_note(invoice, row);
        x.opt("cbc:Note", Some(&note));
        x.leaf(qty, &[("unitCode", row.unit.code())], &plain(sign * row.quantity));
        amount(&mut x, "cbc:LineExtensionAmount", sign * row.net_amount);
        x.open("cac:Item", &[]);
        if let Some(p) = row.product_name.as_deref().filter(|p| *p != row.description) {
            x.text("cbc:Description", p);
        }
        x.text("cbc:Name", &row.description);
        if let Some(code) = row.product_code.as_deref().filter(|c| !c.trim().is_empty()) {
            x.open("cac:SellersItemIdentification", &[]).text("cbc:ID", code).close();
        }
        tax_category(&mut x, "cac:ClassifiedTaxCategory", row.vat, None);
        x.close();
        x.open("cac:Price", &[]);
        x.leaf("cbc:PriceAmount", &[("currencyID", "EUR")], &dot(row.unit_price, 2));
        x.close();
        x.close();
    }
    Ok(x.finish())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sample;

    #[test]
    fn invoice_basics() {
        let inv = sample::external_two_rates().unwrap();
        let xml = to_xml(&inv, &[Attachment::csv("a.csv", "CSV", b"x,y\n".to_vec())]).unwrap();
        assert!(xml.contains("<Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\""));
        assert!(xml.contains(&format!("<cbc:CustomizationID>{CUSTOMIZATION_ID}</cbc:CustomizationID>")));
        assert!(xml.contains("<cbc:EndpointID schemeID=\"0216\">003798765430</cbc:EndpointID>"));
        assert!(xml.contains("<cbc:Percent>25.5</cbc:Percent>"));
        assert!(xml.contains("mimeCode=\"text/csv\" filename=\"a.csv\">eCx5Cg==</cbc:EmbeddedDocumentBinaryObject>"));
        assert!(xml.contains(&format!("<cbc:PaymentID>{}</cbc:PaymentID>", inv.reference.finnish)));
    }

    #[test]
    fn credit_note_is_positive() {
        let inv = sample::credit_note().unwrap();
        let xml = to_xml(&inv, &[]).unwrap();
        assert!(xml.contains("<CreditNote xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2\""));
        assert!(xml.contains("<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>"));
        assert!(xml.contains("<cbc:PayableAmount currencyID=\"EUR\">186.90</cbc:PayableAmount>"));
        assert!(xml.contains("<cbc:CreditedQuantity unitCode=\"C62\">42</cbc:CreditedQuantity>"));
        assert!(xml.contains("<cbc:ID>2026-0412</cbc:ID>\n      <cbc:IssueDate>2026-05-04</cbc:IssueDate>"));
        assert!(!xml.contains("PartyTaxScheme"));
        assert!(xml.contains("<cbc:TaxExemptionReasonCode>VATEX-EU-O</cbc:TaxExemptionReasonCode>"));
    }

    #[test]
    fn missing_endpoint_or_reference_is_an_error() {
        let mut inv = sample::external_two_rates().unwrap();
        inv.header.buyer.ovt = None;
        assert_eq!(to_xml(&inv, &[]).unwrap_err().field, "buyer.peppol_id");
        let mut inv = sample::external_two_rates().unwrap();
        inv.header.buyer.buyer_reference = None;
        assert_eq!(to_xml(&inv, &[]).unwrap_err().field, "buyer.buyer_reference");
    }
}
