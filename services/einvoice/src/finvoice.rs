//! Finvoice 3.0 XML (Finanssiala's Finnish e-invoice format).
//!
//! * Invoice: `InvoiceTypeCode` `INV01` (UN 380); credit note: `INV02` (UN 381) with
//!   `OriginalInvoiceNumber`/`OriginalInvoiceDate` and `OriginalInvoiceReference`. A
//!   credit note's quantities and amounts are negative, as in the model.
//! * Amounts use a decimal comma (`123,45`) and carry `AmountCurrencyIdentifier`.
//! * The e-invoice addresses: `SellerOrganisationUnitNumber` / `BuyerOrganisationUnitNumber`
//!   carry the OVT addresses; when both parties' OVT addresses and operator ids are known
//!   a `MessageTransmissionDetails` routes the message (`FromIdentifier`/`ToIdentifier`
//!   with `SchemeID="0037"`, `FromIntermediator`/`ToIntermediator` the operators).
//!   Finvoice 3.0 has no `EdiIdentifier` element; these are its equivalents.
//! * The buyer reference is `BuyerReferenceIdentifier`, the cost centre
//!   `AccountDimensionText`.
//! * Payment: `EpiRemittanceInfoIdentifier` with `IdentificationSchemeName="SPY"` and the
//!   Finnish reference (the RF form would be `ISO`), `EpiDateOptionDate` the due date,
//!   `EpiPaymentMeansCode` 58 (SEPA credit transfer).
//! * Rows outside the scope of VAT have `RowVatCode` `O` and no rate; their VAT
//!   breakdown carries `VatExemptionReasonCode` `VATEX-EU-O` and a free text. The
//!   parties' VAT ids are then left out (as EN 16931 BR-O-02 requires).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use rust_decimal::Decimal;

use crate::RenderError;
use crate::i18n::{self, labels};
use crate::model::{DocumentKind, Invoice, InvoiceRow, VatCategory};
use crate::money::comma;
use crate::xml::Xml;

const FORMAT: &str = "Finvoice";

fn err(field: &str, reason: impl Into<String>) -> RenderError {
    RenderError { format: FORMAT, field: field.into(), reason: reason.into() }
}

fn date(x: &mut Xml, name: &str, d: NaiveDate) {
    x.leaf(name, &[("Format", "CCYYMMDD")], &d.format("%Y%m%d").to_string());
}

fn amount(x: &mut Xml, name: &str, a: Decimal) {
    x.leaf(name, &[("AmountCurrencyIdentifier", "EUR")], &comma(crate::money::round_cents(a), 2));
}

/// `25.50` → `25,5`; Finvoice percentages have at most four decimals.
fn percent(rate: Decimal) -> String {
    comma(rate.normalize(), 0)
}

/// Quantity with a decimal comma, at most 14 characters.
fn quantity(q: Decimal) -> Result<String, RenderError> {
    let s = comma(q.normalize(), 0);
    if s.len() > 14 { Err(err("rows.quantity", "a quantity has at most 14 characters in Finvoice")) } else { Ok(s) }
}

/// A unit price with 2–5 decimals (Finvoice `unitAmountType`).
fn unit_price(p: Decimal) -> Result<String, RenderError> {
    let n = p.normalize();
    if n.scale() > 5 {
        return Err(err("rows.unit_price", "a unit price has at most five decimals in Finvoice"));
    }
    Ok(comma(n, 2))
}

/// Cuts a text to at most `max` characters.
fn cut(s: &str, max: usize) -> String {
    s.trim().chars().take(max).collect()
}

fn check_len(field: &str, s: &str, min: usize, max: usize) -> Result<(), RenderError> {
    let n = s.trim().chars().count();
    if n < min || n > max { Err(err(field, format!("must be {min}–{max} characters in Finvoice"))) } else { Ok(()) }
}

/// The Finvoice 3.0 XML of an invoice or credit note. The message id of the transmission
/// details is the invoice number and its timestamp the issue date at midnight Finnish
/// winter time; use [`to_xml_with_message`] to give them.
pub fn to_xml(invoice: &Invoice) -> Result<String, RenderError> {
    let ts = FixedOffset::east_opt(2 * 3600)
        .and_then(|offset| invoice.header.issue_date.and_time(NaiveTime::MIN).and_local_timezone(offset).single());
    match ts {
        Some(ts) => to_xml_with_message(invoice, &invoice.header.number, ts),
        None => Err(err("issue_date", "cannot make a timestamp")),
    }
}

/// As [`to_xml`] with the transmission's message id and timestamp.
pub fn to_xml_with_message(invoice: &Invoice, message_id: &str, timestamp: DateTime<FixedOffset>) -> Result<String, RenderError> {
    let h = &invoice.header;
    let outside = invoice.is_outside_vat_scope();
    let (seller, buyer) = (&h.seller, &h.buyer);
    check_len("seller.name", &seller.name, 2, 70)?;
    check_len("buyer.name", &buyer.name, 2, 70)?;
    for (f, a) in [("seller.address", &seller.address), ("buyer.address", &buyer.address)] {
        check_len(&format!("{f}.street"), &a.street, 2, 35)?;
        check_len(&format!("{f}.city"), &a.city, 2, 35)?;
        check_len(&format!("{f}.postal_code"), &a.postal_code, 2, 35)?;
    }

    let mut x = Xml::new();
    x.open(
        "Finvoice",
        &[
            ("Version", "3.0"),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            ("xsi:noNamespaceSchemaLocation", "Finvoice3.0.xsd"),
        ],
    );
    if let (Some(s_ovt), Some(s_op), Some(b_ovt), Some(b_op)) = (&seller.ovt, &seller.operator_id, &buyer.ovt, &buyer.operator_id) {
        check_len("message_id", message_id, 2, 48)?;
        x.open("MessageTransmissionDetails", &[]);
        x.open("MessageSenderDetails", &[]).leaf("FromIdentifier", &[("SchemeID", "0037")], s_ovt).text("FromIntermediator", s_op).close();
        x.open("MessageReceiverDetails", &[]).leaf("ToIdentifier", &[("SchemeID", "0037")], b_ovt).text("ToIntermediator", b_op).close();
        x.open("MessageDetails", &[]).text("MessageIdentifier", message_id).text("MessageTimeStamp", &timestamp.to_rfc3339()).close();
        x.close();
    }

    x.open("SellerPartyDetails", &[]);
    x.text("SellerPartyIdentifier", &seller.business_id);
    x.text("SellerOrganisationName", seller.name.trim());
    if !outside {
        x.opt("SellerOrganisationTaxCode", seller.vat_id.as_deref());
    }
    x.open("SellerPostalAddressDetails", &[])
        .text("SellerStreetName", &seller.address.street)
        .text("SellerTownName", &seller.address.city)
        .text("SellerPostCodeIdentifier", &seller.address.postal_code)
        .text("CountryCode", &seller.address.country)
        .close();
    x.close();
    x.opt("SellerOrganisationUnitNumber", seller.ovt.as_deref());
    x.opt("SellerContactPersonName", seller.contact.name.as_deref());
    if seller.contact.phone.is_some() || seller.contact.email.is_some() {
        x.open("SellerCommunicationDetails", &[])
            .opt("SellerPhoneNumberIdentifier", seller.contact.phone.as_deref())
            .opt("SellerEmailaddressIdentifier", seller.contact.email.as_deref())
            .close();
    }
    x.open("SellerInformationDetails", &[]).open("SellerAccountDetails", &[]);
    x.leaf("SellerAccountID", &[("IdentificationSchemeName", "IBAN")], &seller.iban);
    x.leaf("SellerBic", &[("IdentificationSchemeName", "BIC")], &seller.bic);
    x.close().close();
    x.text("InvoiceRecipientLanguageCode", h.language.code());

    x.open("BuyerPartyDetails", &[]);
    x.opt("BuyerPartyIdentifier", buyer.business_id.as_deref());
    x.text("BuyerOrganisationName", buyer.name.trim());
    if !outside {
        x.opt("BuyerOrganisationTaxCode", buyer.vat_id.as_deref());
    }
    x.open("BuyerPostalAddressDetails", &[])
        .text("BuyerStreetName", &buyer.address.street)
        .text("BuyerTownName", &buyer.address.city)
        .text("BuyerPostCodeIdentifier", &buyer.address.postal_code)
        .text("CountryCode", &buyer.address.country)
        .close();
    x.close();
    x.opt("BuyerOrganisationUnitNumber", buyer.ovt.as_deref());
    x.opt("BuyerContactPersonName", buyer.contact.name.as_deref());
    if buyer.contact.phone.is_some() || buyer.contact.email.is_some() {
        x.open("BuyerCommunicationDetails", &[])
            .opt("BuyerPhoneNumberIdentifier", buyer.contact.phone.as_deref())
            .opt("BuyerEmailaddressIdentifier", buyer.contact.email.as_deref())
            .close();
    }

    invoice_details(&mut x, invoice)?;
    for (i, row) in invoice.rows.iter().enumerate() {
        invoice_row(&mut x, invoice, i, row)?;
    }

    x.open("EpiDetails", &[]);
    x.open("EpiIdentificationDetails", &[]);
    date(&mut x, "EpiDate", h.issue_date);
    x.text("EpiReference", &invoice.reference.finnish);
    x.close();
    x.open("EpiPartyDetails", &[]);
    x.open("EpiBfiPartyDetails", &[]).leaf("EpiBfiIdentifier", &[("IdentificationSchemeName", "BIC")], &seller.bic).close();
    x.open("EpiBeneficiaryPartyDetails", &[]);
    x.text("EpiNameAddressDetails", &cut(&seller.name, 35));
    x.leaf("EpiAccountID", &[("IdentificationSchemeName", "IBAN")], &seller.iban);
    x.close().close();
    x.open("EpiPaymentInstructionDetails", &[]);
    x.leaf("EpiRemittanceInfoIdentifier", &[("IdentificationSchemeName", "SPY")], &invoice.reference.finnish);
    amount(&mut x, "EpiInstructedAmount", invoice.totals.total);
    x.leaf("EpiCharge", &[("ChargeOption", "SHA")], "SHA");
    date(&mut x, "EpiDateOptionDate", h.due_date);
    x.text("EpiPaymentMeansCode", "58");
    x.close().close();
    Ok(x.finish())
}

fn invoice_details(x: &mut Xml, invoice: &Invoice) -> Result<(), RenderError> {
    let h = &invoice.header;
    let l = labels(h.language);
    let t = &invoice.totals;
    x.open("InvoiceDetails", &[]);
    match &h.kind {
        DocumentKind::Invoice => {
            x.text("InvoiceTypeCode", "INV01").text("InvoiceTypeCodeUN", "380").text("InvoiceTypeText", l.invoice);
        }
        DocumentKind::CreditNote { .. } => {
            x.text("InvoiceTypeCode", "INV02").text("InvoiceTypeCodeUN", "381").text("InvoiceTypeText", l.credit_note);
        }
    }
    x.text("OriginCode", "Original");
    x.text("InvoiceNumber", &h.number);
    date(x, "InvoiceDate", h.issue_date);
    if let DocumentKind::CreditNote { original_number, original_issue_date } = &h.kind {
        x.text("OriginalInvoiceNumber", original_number);
        date(x, "OriginalInvoiceDate", *original_issue_date);
        x.open("OriginalInvoiceReference", &[]).text("InvoiceNumber", original_number);
        date(x, "InvoiceDate", *original_issue_date);
        x.close();
    }
    date(x, "InvoicingPeriodStartDate", h.period.start);
    date(x, "InvoicingPeriodEndDate", h.period.end);
    x.opt("BuyerReferenceIdentifier", h.buyer.buyer_reference.as_deref());
    amount(x, "RowsTotalVatExcludedAmount", t.line_total);
    amount(x, "InvoiceTotalVatExcludedAmount", t.line_total);
    amount(x, "InvoiceTotalVatAmount", t.vat_total);
    amount(x, "InvoiceTotalVatIncludedAmount", t.total);
    x.opt("AccountDimensionText", h.buyer.cost_centre.as_deref());
    for b in &t.vat_breakdown {
        x.open("VatSpecificationDetails", &[]);
        amount(x, "VatBaseAmount", b.taxable_amount);
        if let VatCategory::Standard { rate } = b.vat {
            x.text("VatRatePercent", &percent(rate));
        }
        x.text("VatCode", b.vat.code());
        amount(x, "VatRateAmount", b.vat_amount);
        if b.vat == VatCategory::OutsideScope {
            x.text("VatFreeText", &cut(l.outside_scope_reason, 70));
            x.text("VatExemptionReasonCode", "VATEX-EU-O");
        }
        x.close();
    }
    if let Some(note) = h.note.as_deref().filter(|n| !n.trim().is_empty()) {
        x.text("InvoiceFreeText", &cut(note, 512));
    }
    x.open("PaymentTermsDetails", &[]);
    x.text("PaymentTermsFreeText", &l.payment_terms_for(h.payment_terms_days));
    date(x, "InvoiceDueDate", h.due_date);
    x.close();
    x.close();
    Ok(())
}

fn invoice_row(x: &mut Xml, invoice: &Invoice, i: usize, row: &InvoiceRow) -> Result<(), RenderError> {
    let lang = invoice.header.language;
    let l = labels(lang);
    let q = quantity(row.quantity)?;
    let unit_attrs = [("QuantityUnitCode", row.unit.label(lang)), ("QuantityUnitCodeUN", row.unit.code())];
    x.open("InvoiceRow", &[]);
    x.opt("ArticleIdentifier", row.product_code.as_deref());
    x.text("ArticleName", &cut(&row.description, 100));
    x.leaf("DeliveredQuantity", &unit_attrs, &q);
    x.leaf("InvoicedQuantity", &unit_attrs, &q);
    if let Some(c) = &row.correction_of {
        date(x, "StartDate", c.service_day);
        date(x, "EndDate", c.service_day);
    }
    x.leaf(
        "UnitPriceAmount",
        &[("AmountCurrencyIdentifier", "EUR"), ("UnitPriceUnitCode", row.unit.label(lang)), ("QuantityUnitCodeUN", row.unit.code())],
        &unit_price(row.unit_price)?,
    );
    x.text("RowPositionIdentifier", &(i + 1).to_string());
    if let Some(c) = &row.correction_of {
        x.text("OriginalInvoiceNumber", &cut(&c.original_invoice, 20));
    }
    let mut free = Vec::new();
    if let Some(site) = &row.site_name {
        free.push(format!("{}: {site}", l.site));
    }
    if let Some(name) = &row.product_name {
        free.push(format!("{}: {name}", l.product));
    }
    if let Some(r) = &row.supplier_reference {
        free.push(format!("{}: {r}", l.supplier_reference));
    }
    if let Some(c) = &row.correction_of {
        free.push(format!("{} {}, {} {}", l.corrects, c.original_invoice, l.service_day, i18n::date(c.service_day, lang)));
    }
    if let Some(r) = &row.reason {
        free.push(format!("{}: {r}", l.reason));
    }
    for f in free {
        x.text("RowFreeText", &cut(&f, 512));
    }
    if let VatCategory::Standard { rate } = row.vat {
        x.text("RowVatRatePercent", &percent(rate));
    }
    x.text("RowVatCode", row.vat.code());
    amount(x, "RowVatExcludedAmount", row.net_amount);
    x.close();
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sample;

    #[test]
    fn invoice_fields() {
        let inv = sample::external_two_rates().unwrap();
        let xml = to_xml(&inv).unwrap();
        assert!(xml.contains("<InvoiceTypeCode>INV01</InvoiceTypeCode>"));
        assert!(xml.contains("<VatRatePercent>25,5</VatRatePercent>"));
        assert!(xml.contains("<VatRatePercent>14</VatRatePercent>"));
        assert!(xml.contains(&format!(
            "<EpiRemittanceInfoIdentifier IdentificationSchemeName=\"SPY\">{}</EpiRemittanceInfoIdentifier>",
            inv.reference.finnish
        )));
        assert!(xml.contains(&format!(
            "<InvoiceTotalVatIncludedAmount AmountCurrencyIdentifier=\"EUR\">{}</InvoiceTotalVatIncludedAmount>",
            comma(inv.totals.total, 2)
        )));
        assert!(xml.contains("<ToIdentifier SchemeID=\"0037\">003798765430</ToIdentifier>"));
        assert!(xml.contains("<BuyerReferenceIdentifier>Tilaus 2026/77</BuyerReferenceIdentifier>"));
        assert!(xml.contains("QuantityUnitCodeUN=\"MTK\""));
    }

    #[test]
    fn credit_note_is_negative_with_original() {
        let inv = sample::credit_note().unwrap();
        let xml = to_xml(&inv).unwrap();
        assert!(xml.contains("<InvoiceTypeCode>INV02</InvoiceTypeCode>"));
        assert!(xml.contains("<OriginalInvoiceNumber>2026-0412</OriginalInvoiceNumber>"));
        assert!(xml.contains("<EpiInstructedAmount AmountCurrencyIdentifier=\"EUR\">-186,90</EpiInstructedAmount>"));
        assert!(xml.contains("<VatExemptionReasonCode>VATEX-EU-O</VatExemptionReasonCode>"));
        assert!(!xml.contains("SellerOrganisationTaxCode"));
    }
}
