//! The printable invoice and its specification as a PDF (A4, as many pages as needed).
//!
//! Page 1: seller, document title, number, dates, payment terms, reference number and
//! RF reference, billing period, buyer, the total to pay and the bank details; then the
//! invoice rows (with site, supplier reference, correction and reason under each row),
//! the VAT summary and the totals. Then the specification: per site and product the
//! quantity × unit price = amount with the price's cost components and the service
//! days (corrections with their reasons), the pass-through rows with the suppliers'
//! references, credits and corrections, and the changes from last month. Every page
//! has a footer with the page number.
//!
//! Texts come from [`crate::i18n`] in the invoice's language; money is printed the
//! Finnish way (`1 234,56 €`). Fonts: base-14 Helvetica and Helvetica-Bold with
//! WinAnsiEncoding (see the crate documentation).

mod canvas;

use pdf_writer::{Finish, Name, Pdf, Rect, Ref, TextStr};

use crate::i18n::{self, Labels, labels};
use crate::model::{DocumentKind, Invoice, InvoiceRow, RowKind, VatCategory};
use crate::money::{fi_eur, fi_plain, fi_price};
use canvas::{Align, BOTTOM, Canvas, LEFT, PAGE_H, PAGE_W, RIGHT, TOP};

const BODY: f32 = 9.0;
const SMALL: f32 = 7.5;
const LEAD: f32 = 12.0;

/// The PDF of an invoice or credit note with its specification.
pub fn render(invoice: &Invoice) -> Vec<u8> {
    let h = &invoice.header;
    let l = labels(h.language);
    let title = if h.kind.is_credit_note() { l.credit_note } else { l.invoice };
    let mut c = Canvas::new(format!("{} · {} {} · {}", h.seller.name, title, h.number, h.buyer.name));
    header(&mut c, invoice, l, title);
    rows(&mut c, invoice, l);
    vat_summary(&mut c, invoice, l);
    specification(&mut c, invoice, l);
    finish(c, invoice, l, title)
}

fn vat_label(vat: VatCategory, l: &Labels) -> String {
    match vat.rate() {
        Some(rate) => format!("{} %", fi_plain(rate)),
        None => l.outside_scope.to_string(),
    }
}

fn header(c: &mut Canvas, invoice: &Invoice, l: &Labels, title: &str) {
    let h = &invoice.header;
    let lang = h.language;
    let (s, b) = (&h.seller, &h.buyer);
    let outside = invoice.is_outside_vat_scope();

    // Seller, left; title, right.
    c.text_at(RIGHT, c.y, 18.0, true, Align::Right, title);
    c.line(LEFT, 13.0, true, &s.name, 15.0);
    c.line(LEFT, BODY, false, &s.address.street, LEAD);
    c.line(LEFT, BODY, false, &format!("{} {}", s.address.postal_code, s.address.city), LEAD);
    c.line(LEFT, BODY, false, &format!("{} {}", l.business_id, s.business_id), LEAD);
    if let (Some(vat), false) = (&s.vat_id, outside) {
        c.line(LEFT, BODY, false, &format!("{} {vat}", l.vat_id), LEAD);
    }
    if let Some(ovt) = &s.ovt {
        c.line(LEFT, BODY, false, &format!("{} {ovt}", l.ovt), LEAD);
    }
    let contact: Vec<&str> = [&s.contact.name, &s.contact.phone, &s.contact.email].into_iter().flatten().map(String::as_str).collect();
    if !contact.is_empty() {
        c.line(LEFT, BODY, false, &contact.join(", "), LEAD);
    }
    let left_end = c.y;

    // Facts, right column.
    let mut facts: Vec<(&str, String)> = vec![
        (l.number, h.number.clone()),
        (l.issue_date, i18n::date(h.issue_date, lang)),
        (l.due_date, i18n::date(h.due_date, lang)),
        (l.payment_terms, l.payment_terms_for(h.payment_terms_days)),
        (l.reference, invoice.reference.finnish_grouped()),
        (l.rf_reference, invoice.reference.rf_grouped()),
        (l.period, format!("{} – {}", i18n::date(h.period.start, lang), i18n::date(h.period.end, lang))),
    ];
    if let DocumentKind::CreditNote { original_number, original_issue_date } = &h.kind {
        facts.push((l.credits_invoice, format!("{original_number} ({})", i18n::date(*original_issue_date, lang))));
    }
    if let Some(r) = &b.buyer_reference {
        facts.push((l.buyer_reference, r.clone()));
    }
    if let Some(r) = &b.cost_centre {
        facts.push((l.cost_centre, r.clone()));
    }
    let mut y = TOP - 30.0;
    let label_x = 320.0;
    for (label, value) in &facts {
        c.text_at(label_x, y, BODY, false, Align::Left, label);
        c.text_at(label_x + 105.0, y, BODY, true, Align::Left, &canvas::fit(value, RIGHT - label_x - 105.0, BODY, true));
        y -= LEAD;
    }
    c.y = left_end.min(y) - 14.0;

    // Buyer.
    c.line(LEFT, SMALL, false, l.buyer, 11.0);
    c.line(LEFT, 11.0, true, &b.name, 14.0);
    if let Some(name) = &b.contact.name {
        c.line(LEFT, BODY, false, name, LEAD);
    }
    c.line(LEFT, BODY, false, &b.address.street, LEAD);
    c.line(LEFT, BODY, false, &format!("{} {}", b.address.postal_code, b.address.city), LEAD);
    if let Some(id) = &b.business_id {
        c.line(LEFT, BODY, false, &format!("{} {id}", l.business_id), LEAD);
    }
    if let Some(ovt) = &b.ovt {
        let op = b.operator_id.as_deref().map(|o| format!(" ({o})")).unwrap_or_default();
        c.line(LEFT, BODY, false, &format!("{} {ovt}{op}", l.ovt), LEAD);
    }
    c.y -= 10.0;

    // Total and payment details.
    let total_label = if h.kind.is_credit_note() { l.total_to_credit } else { l.total_to_pay };
    c.band(22.0, 0.9);
    c.y -= 12.0;
    c.text_at(LEFT, c.y, 12.0, true, Align::Left, total_label);
    c.text_at(RIGHT, c.y, 12.0, true, Align::Right, &fi_eur(invoice.totals.total));
    c.y -= 20.0;
    c.line(
        LEFT,
        BODY,
        false,
        &format!(
            "{} {} · {} {} · {} {}",
            l.iban,
            crate::reference::group_rf(&s.iban),
            l.bic,
            s.bic,
            l.reference,
            invoice.reference.finnish_grouped()
        ),
        LEAD,
    );
    if let Some(note) = &h.note {
        c.y -= 4.0;
        c.paragraph(LEFT, RIGHT - LEFT, BODY, false, note);
    }
    c.y -= 12.0;
}

// Column right edges of the row table.
const COL_QTY: f32 = 355.0;
const COL_PRICE: f32 = 420.0;
const COL_VAT: f32 = 470.0;

fn table_head(c: &mut Canvas, l: &Labels) {
    c.ensure(40.0);
    c.band(14.0, 0.9);
    c.y -= 7.0;
    let y = c.y;
    c.text_at(LEFT, y, SMALL, true, Align::Left, l.description);
    c.text_at(COL_QTY, y, SMALL, true, Align::Right, l.quantity);
    c.text_at(COL_PRICE, y, SMALL, true, Align::Right, l.unit_price);
    c.text_at(COL_VAT, y, SMALL, true, Align::Right, l.vat_percent);
    c.text_at(RIGHT, y, SMALL, true, Align::Right, l.amount);
    c.y -= 13.0;
}

/// The small-print details of a row: site, supplier reference, correction, reason.
fn row_details(invoice: &Invoice, row: &InvoiceRow, l: &Labels) -> Vec<String> {
    let lang = invoice.header.language;
    let mut d = Vec::new();
    if let Some(site) = &row.site_name {
        if !row.description.contains(site.as_str()) {
            d.push(format!("{}: {site}", l.site));
        }
    }
    if let Some(r) = &row.supplier_reference {
        d.push(format!("{}: {r}", l.supplier_reference));
    }
    if let Some(corr) = &row.correction_of {
        d.push(format!("{} {}, {} {}", l.corrects, corr.original_invoice, l.service_day, i18n::date(corr.service_day, lang)));
    }
    if let Some(r) = &row.reason {
        d.push(format!("{}: {r}", l.reason));
    }
    d
}

fn rows(c: &mut Canvas, invoice: &Invoice, l: &Labels) {
    let lang = invoice.header.language;
    c.line(LEFT, 11.0, true, l.rows, 16.0);
    table_head(c, l);
    for row in &invoice.rows {
        let details = row_details(invoice, row, l);
        c.ensure(LEAD + details.len() as f32 * 10.0 + 2.0);
        if c.y > TOP - 30.0 {
            table_head(c, l);
        }
        let y = c.y;
        c.text_at(LEFT, y, BODY, false, Align::Left, &canvas::fit(&row.description, COL_QTY - LEFT - 55.0, BODY, false));
        c.text_at(COL_QTY, y, BODY, false, Align::Right, &format!("{} {}", fi_plain(row.quantity), row.unit.label(lang)));
        c.text_at(COL_PRICE, y, BODY, false, Align::Right, &fi_price(row.unit_price));
        c.text_at(COL_VAT, y, BODY, false, Align::Right, &vat_label(row.vat, l));
        c.text_at(RIGHT, y, BODY, false, Align::Right, &fi_eur(row.net_amount));
        c.y -= LEAD;
        for d in details {
            c.line(LEFT + 10.0, SMALL, false, &canvas::fit(&d, COL_QTY - LEFT - 20.0, SMALL, false), 10.0);
        }
    }
    c.rule(LEFT, RIGHT, 0.3);
    c.y -= 14.0;
}

fn vat_summary(c: &mut Canvas, invoice: &Invoice, l: &Labels) {
    let t = &invoice.totals;
    c.ensure(60.0 + t.vat_breakdown.len() as f32 * LEAD);
    c.line(COL_QTY - 80.0, 10.0, true, l.vat_summary, 14.0);
    let y = c.y;
    c.text_at(COL_QTY - 80.0, y, SMALL, true, Align::Left, l.vat_percent);
    c.text_at(COL_VAT, y, SMALL, true, Align::Right, l.vat_base);
    c.text_at(RIGHT, y, SMALL, true, Align::Right, l.vat_amount);
    c.y -= LEAD;
    for b in &t.vat_breakdown {
        let y = c.y;
        c.text_at(COL_QTY - 80.0, y, BODY, false, Align::Left, &vat_label(b.vat, l));
        c.text_at(COL_VAT, y, BODY, false, Align::Right, &fi_eur(b.taxable_amount));
        c.text_at(RIGHT, y, BODY, false, Align::Right, &fi_eur(b.vat_amount));
        c.y -= LEAD;
        if b.vat == VatCategory::OutsideScope {
            c.line(COL_QTY - 80.0, SMALL, false, l.outside_scope_reason, 10.0);
        }
    }
    c.y -= 4.0;
    c.rule(COL_QTY - 80.0, RIGHT, 0.3);
    c.y -= 12.0;
    for (label, value, bold) in
        [(l.total_excl_vat, t.line_total, false), (l.total_vat, t.vat_total, false), (l.total_incl_vat, t.total, true)]
    {
        let y = c.y;
        c.text_at(COL_QTY - 80.0, y, BODY, bold, Align::Left, label);
        c.text_at(RIGHT, y, BODY, bold, Align::Right, &fi_eur(value));
        c.y -= LEAD;
    }
}

// Columns of the days table.
const DAY_QTY: f32 = 190.0;
const DAY_PRICE: f32 = 255.0;
const DAY_AMOUNT: f32 = 330.0;
const DAY_DELIVERY: f32 = 345.0;

fn specification(c: &mut Canvas, invoice: &Invoice, l: &Labels) {
    let h = &invoice.header;
    let lang = h.language;
    let spec = &invoice.specification;
    c.new_page();
    c.line(LEFT, 15.0, true, &format!("{} · {}", l.specification, h.number), 18.0);
    c.line(LEFT, 11.0, true, &canvas::fit(&h.buyer.name, RIGHT - LEFT, 11.0, true), 14.0);
    c.line(LEFT, BODY, false, &format!("{} {} – {}", l.period, i18n::date(h.period.start, lang), i18n::date(h.period.end, lang)), 18.0);

    for site in &spec.sites {
        c.ensure(60.0);
        c.band(16.0, 0.85);
        c.y -= 9.0;
        c.line(LEFT, 11.0, true, &format!("{}: {}", l.site, site.name), 16.0);
        for p in &site.products {
            c.ensure(50.0);
            c.line(LEFT, 10.0, true, &format!("{} {}", p.code, p.name), 13.0);
            let vat = match p.vat {
                VatCategory::Standard { .. } => format!("{} {}", l.vat, vat_label(p.vat, l)),
                VatCategory::OutsideScope => l.outside_scope.to_string(),
            };
            let summary = format!(
                "{} {} × {} € = {}  ·  {vat}",
                fi_plain(p.quantity()),
                p.unit.label(lang),
                fi_price(p.unit_price),
                fi_eur(p.amount()),
            );
            c.line(LEFT + 10.0, BODY, false, &summary, LEAD);
            if !p.cost_components.is_empty() {
                c.line(LEFT + 10.0, SMALL, true, l.cost_components, 10.0);
                for cc in &p.cost_components {
                    c.ensure(10.0);
                    let y = c.y;
                    c.text_at(LEFT + 20.0, y, SMALL, false, Align::Left, &cc.name);
                    c.text_at(DAY_PRICE, y, SMALL, false, Align::Right, &format!("{} {}", fi_price(cc.amount_per_unit), l.per_unit));
                    c.y -= 10.0;
                }
            }
            c.ensure(24.0);
            let y = c.y;
            c.text_at(LEFT + 10.0, y, SMALL, true, Align::Left, l.service_day);
            c.text_at(DAY_QTY, y, SMALL, true, Align::Right, l.quantity);
            c.text_at(DAY_PRICE, y, SMALL, true, Align::Right, l.unit_price);
            c.text_at(DAY_AMOUNT, y, SMALL, true, Align::Right, l.amount);
            c.text_at(DAY_DELIVERY, y, SMALL, true, Align::Left, l.delivery_id);
            c.y -= 10.0;
            for d in &p.days {
                c.ensure(10.0);
                let y = c.y;
                let bold = d.correction_reason.is_some();
                c.text_at(LEFT + 10.0, y, SMALL, bold, Align::Left, &i18n::date(d.service_day, lang));
                c.text_at(DAY_QTY, y, SMALL, bold, Align::Right, &fi_plain(d.quantity));
                c.text_at(DAY_PRICE, y, SMALL, false, Align::Right, &fi_price(d.unit_price));
                c.text_at(DAY_AMOUNT, y, SMALL, bold, Align::Right, &fi_eur(d.amount));
                if let Some(id) = &d.delivery_id {
                    c.text_at(DAY_DELIVERY, y, SMALL, false, Align::Left, &canvas::fit(id, RIGHT - DAY_DELIVERY, SMALL, false));
                }
                c.y -= 10.0;
                if let Some(reason) = &d.correction_reason {
                    for line in canvas::wrap(&format!("{}: {reason}", l.correction), RIGHT - LEFT - 30.0, SMALL, false) {
                        c.line(LEFT + 30.0, SMALL, false, &line, 10.0);
                    }
                }
            }
            c.y -= 6.0;
        }
        c.y -= 6.0;
    }

    for (kind, title) in [(RowKind::PassThrough, l.pass_through), (RowKind::Adjustment, l.adjustments)] {
        let rows: Vec<&InvoiceRow> =
            invoice.rows.iter().filter(|r| r.kind == kind || (kind == RowKind::Adjustment && r.kind == RowKind::Correction)).collect();
        if rows.is_empty() {
            continue;
        }
        c.ensure(50.0);
        c.line(LEFT, 11.0, true, title, 15.0);
        for row in rows {
            c.ensure(30.0);
            let y = c.y;
            c.text_at(LEFT + 10.0, y, BODY, false, Align::Left, &canvas::fit(&row.description, DAY_AMOUNT + 60.0 - LEFT, BODY, false));
            c.text_at(RIGHT, y, BODY, false, Align::Right, &fi_eur(row.net_amount));
            c.y -= LEAD;
            for d in row_details(invoice, row, l) {
                c.paragraph(LEFT + 20.0, RIGHT - LEFT - 20.0, SMALL, false, &d);
            }
        }
        c.y -= 8.0;
    }

    if !spec.changes_from_last_month.is_empty() {
        c.ensure(40.0);
        c.line(LEFT, 11.0, true, l.changes_from_last_month, 15.0);
        for change in &spec.changes_from_last_month {
            c.paragraph(LEFT + 10.0, RIGHT - LEFT - 10.0, BODY, false, &format!("• {change}"));
            c.y -= 2.0;
        }
    }
}

/// Writes the pages with footers into a PDF.
fn finish(mut c: Canvas, invoice: &Invoice, l: &Labels, title: &str) -> Vec<u8> {
    let h = &invoice.header;
    let count = c.pages.len();
    let who = format!("{} · {} {}", h.seller.name, title, h.number);
    for i in 0..count {
        c.text_on(i, LEFT, BOTTOM - 25.0, SMALL, false, Align::Left, &who);
        c.text_on(i, RIGHT, BOTTOM - 25.0, SMALL, false, Align::Right, &format!("{} {} / {}", l.page, i + 1, count));
    }

    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first_page = 6;
    let page_ids: Vec<Ref> = (0..count).map(|i| Ref::new(first_page + 2 * i as i32)).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(count as i32);
    pdf.type1_font(regular).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold).base_font(Name(b"Helvetica-Bold")).encoding_predefined(Name(b"WinAnsiEncoding"));
    let doc_title = format!("{title} {} – {}", h.number, h.buyer.name);
    pdf.document_info(info).title(TextStr(&doc_title)).author(TextStr(&h.seller.name)).creator(TextStr("kumppani-einvoice"));
    for (i, content) in c.pages.into_iter().enumerate() {
        let page_id = page_ids[i];
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H)).parent(tree).contents(content_id);
        page.resources().fonts().pair(canvas::REGULAR, regular).pair(canvas::BOLD, bold);
        page.finish();
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sample;

    #[test]
    fn renders_a_pdf_with_pages() {
        let pdf = render(&sample::many_rows().unwrap());
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/WinAnsiEncoding"));
        assert!(text.contains("/Helvetica-Bold"));
        let pages = text.matches("/Type /Page\n").count() + text.matches("/Type /Page ").count() + text.matches("/Type /Page>").count();
        assert!(pages >= 2 || text.matches("/MediaBox").count() >= 2);
    }
}
