//! An issued invoice as files for the city group's billing and the customer:
//! Finvoice 3.0, Peppol BIS Billing 3.0 (UBL, with the PDF and CSV
//! specification embedded), PDF (invoice + specification) and the
//! specification as CSV, all rendered by `kumppani-einvoice` from the stored
//! invoice (rows, days, buyer snapshot), so every file agrees with the portal.

use crate::domain::changes::{self, Change};
use crate::domain::{Buyer, RowKind};
use crate::store::invoices::{InvoiceRow, ItemRow, RowRow};
use kumppani_einvoice::model as e;
use kumppani_platform::AppError;
use kumppani_proto::invoicing::v1 as pb;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The enterprise that invoices: from `KUMPPANI_INVOICE_SELLER` (JSON of
/// `kumppani_einvoice::model::Seller`), else the demo enterprise.
/// Read once per process: an export renders every invoice of a run.
pub fn seller() -> e::Seller {
    static SELLER: std::sync::LazyLock<e::Seller> = std::sync::LazyLock::new(|| {
        std::env::var("KUMPPANI_INVOICE_SELLER").ok().and_then(|json| serde_json::from_str(&json).ok()).unwrap_or_else(demo_seller)
    });
    SELLER.clone()
}

fn demo_seller() -> e::Seller {
    e::Seller {
        name: "Liikelaitos Oulun Serviisi".into(),
        business_id: "0187690-1".into(),
        vat_id: Some("FI01876901".into()),
        address: e::Address { street: "PL 75".into(), postal_code: "90015".into(), city: "Oulun kaupunki".into(), country: "FI".into() },
        ovt: Some("003701876901SERV".into()),
        operator_id: Some("003721291126".into()),
        iban: "FI2112345600000785".into(),
        bic: "NDEAFIHH".into(),
        contact: e::Contact {
            name: Some("Serviisin laskutus".into()),
            phone: Some("+358 8 558 40000".into()),
            email: Some("laskutus@serviisi.example".into()),
        },
    }
}

fn unit_of(unit: &str) -> e::Unit {
    match unit {
        "hour" => e::Unit::Hour,
        "m2" | "m2_month" => e::Unit::SquareMetre,
        _ => e::Unit::Piece,
    }
}

fn vat_of(category: &str, rate: Decimal) -> e::VatCategory {
    if category == "outside_scope" { e::VatCategory::OutsideScope } else { e::VatCategory::Standard { rate } }
}

fn language(l: &str) -> e::Language {
    match l {
        "sv" => e::Language::Sv,
        "en" => e::Language::En,
        _ => e::Language::Fi,
    }
}

fn some(s: &str) -> Option<String> {
    if s.trim().is_empty() { None } else { Some(s.to_owned()) }
}

/// What a stored invoice needs beyond its own rows.
pub struct Context<'a> {
    pub invoice: &'a InvoiceRow,
    pub rows: &'a [RowRow],
    pub items: &'a [ItemRow],
    /// A credit note's original: (number, issue date).
    pub original: Option<(String, chrono::NaiveDate)>,
}

/// The document model of an issued invoice or credit note.
pub fn model(c: &Context<'_>) -> Result<e::Invoice, AppError> {
    let inv = c.invoice;
    let (Some(number), Some(issue_date), Some(due_date), Some(reference)) = (&inv.number, inv.issue_date, inv.due_date, &inv.reference)
    else {
        return Err(AppError::precondition("a draft has no documents: issue the run first"));
    };
    let buyer: Buyer = inv.buyer();
    let b = &buyer.billing;
    if b.street_address.is_empty() || b.postal_code.is_empty() || b.city.is_empty() {
        return Err(AppError::precondition(format!(
            "{} has no billing address in its billing details: e-invoices and the PDF need one",
            buyer.customer_name
        )));
    }
    let name =
        if buyer.unit_name.is_empty() { buyer.customer_name.clone() } else { format!("{}, {}", buyer.customer_name, buyer.unit_name) };
    let internal = buyer.internal();
    let business_id = some(&buyer.business_id);
    let vat_id = if internal { None } else { business_id.as_deref().and_then(|id| kumppani_einvoice::ovt::vat_id_of(id).ok()) };
    let lang = language(&inv.language);
    let per = crate::domain::Period::new(inv.year, inv.month).ok_or_else(|| AppError::internal("invoice without a valid month"))?;
    let kind = match &c.original {
        Some((number, date)) if inv.kind == "credit_note" => {
            e::DocumentKind::CreditNote { original_number: number.clone(), original_issue_date: *date }
        }
        _ => e::DocumentKind::Invoice,
    };
    let header = e::InvoiceHeader {
        kind,
        number: number.clone(),
        issue_date,
        due_date,
        payment_terms_days: u32::try_from((due_date - issue_date).num_days()).unwrap_or(0),
        currency: e::Currency::Eur,
        reference: reference.clone(),
        seller: seller(),
        buyer: e::Buyer {
            name: name.chars().take(70).collect(),
            business_id,
            vat_id,
            ovt: some(&b.einvoice_address),
            operator_id: some(&b.operator_id),
            peppol_id: some(&b.peppol_id),
            address: e::Address {
                street: b.street_address.clone(),
                postal_code: b.postal_code.clone(),
                city: b.city.clone(),
                country: "FI".into(),
            },
            buyer_reference: some(&b.buyer_reference),
            cost_centre: some(&b.buyer_reference),
            contact: e::Contact::default(),
        },
        language: lang,
        period: e::Period { start: per.first(), end: per.last() },
        note: inv.credit_reason.clone(),
    };
    let rows = c.rows.iter().map(|r| row(r, lang)).collect();
    let changes: Vec<Change> = serde_json::from_value(inv.changes.clone()).unwrap_or_default();
    let specification = e::Specification {
        sites: specification(c),
        changes_from_last_month: changes.iter().map(|x| changes::words(x, lang.code())).collect(),
    };
    e::Invoice::compute(header, rows, specification)
        .map_err(|errors| AppError::precondition(format!("the invoice cannot be rendered: {errors}")))
}

fn row(r: &RowRow, lang: e::Language) -> e::InvoiceRow {
    let kind = match RowKind::parse(&r.kind) {
        Some(RowKind::PassThrough) => e::RowKind::PassThrough,
        Some(RowKind::Credit | RowKind::Adjustment) => e::RowKind::Adjustment,
        Some(RowKind::Correction) => e::RowKind::Correction,
        _ => e::RowKind::Service,
    };
    // A unit price is never negative in an e-invoice: credits carry a negative quantity.
    let (quantity, unit_price) = if r.unit_price.is_sign_negative() { (-r.quantity, -r.unit_price) } else { (r.quantity, r.unit_price) };
    let description = if !r.description.is_empty() {
        r.description.clone()
    } else {
        let days = match (r.from_day, r.to_day) {
            (Some(f), Some(t)) if f != t => format!(" {}–{}", f.format("%-d.%-m."), t.format("%-d.%-m.%Y")),
            (Some(f), _) => format!(" {}", f.format("%-d.%-m.%Y")),
            _ => String::new(),
        };
        let pro_rata = if r.pro_rata.is_empty() {
            String::new()
        } else {
            format!(
                " ({} {})",
                r.pro_rata,
                if lang == e::Language::Sv {
                    "dagar"
                } else if lang == e::Language::En {
                    "days"
                } else {
                    "pv"
                }
            )
        };
        format!("{}{days}{pro_rata}", r.product_name)
    };
    let mut out = e::InvoiceRow::new(
        kind,
        description.chars().take(100).collect::<String>(),
        quantity,
        unit_of(&r.unit),
        unit_price,
        vat_of(&r.vat_category, r.vat_rate),
    );
    if !r.site_name.is_empty() {
        out = out.with_site(r.site_name.chars().take(100).collect::<String>());
    }
    if !r.product_code.is_empty() {
        out = out.with_product(r.product_code.clone(), r.product_name.clone());
    }
    if !r.supplier.is_empty() || !r.supplier_invoice_number.is_empty() {
        out = out
            .with_supplier_reference(format!("{} {}", r.supplier, r.supplier_invoice_number).trim().chars().take(70).collect::<String>());
    }
    if !r.reason.is_empty() {
        out = out.with_reason(r.reason.chars().take(200).collect::<String>());
    }
    if let (Some(original), Some(day)) = (&r.original_invoice_number, r.from_day) {
        out = out.with_correction_of(original.clone(), day);
    }
    out
}

/// Site → product → days, from the rows and the deliveries behind them.
fn specification(c: &Context<'_>) -> Vec<e::SpecSite> {
    let mut sites: BTreeMap<String, Vec<e::SpecProduct>> = BTreeMap::new();
    for r in c.rows.iter().filter(|r| !r.site_name.is_empty() && !r.product_code.is_empty()) {
        let comps: Vec<(String, Decimal)> = serde_json::from_value(r.components.clone()).unwrap_or_default();
        let mut days: Vec<e::SpecDay> = c
            .items
            .iter()
            .filter(|i| i.line_no == r.line_no)
            .map(|i| e::SpecDay {
                service_day: i.service_day,
                quantity: Decimal::from(i.quantity),
                unit_price: i.unit_price,
                amount: Decimal::ZERO,
                delivery_id: Some(i.delivery_id.to_string()),
                correction_reason: some(&i.reason),
            })
            .collect();
        if days.is_empty() {
            // A fixed monthly service: one entry for its days.
            days.push(e::SpecDay {
                service_day: r.from_day.unwrap_or_default(),
                quantity: r.quantity,
                unit_price: r.unit_price,
                amount: Decimal::ZERO,
                delivery_id: None,
                correction_reason: some(&r.reason),
            });
        }
        sites.entry(r.site_name.clone()).or_default().push(e::SpecProduct {
            code: r.product_code.clone(),
            name: r.product_name.clone(),
            unit: unit_of(&r.unit),
            unit_price: r.unit_price.abs(),
            vat: vat_of(&r.vat_category, r.vat_rate),
            cost_components: comps.into_iter().map(|(name, amount)| e::CostComponent { name, amount_per_unit: amount }).collect(),
            days,
        });
    }
    sites.into_iter().map(|(name, products)| e::SpecSite { name, products }).collect()
}

/// The files of an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Finvoice,
    Peppol,
    Pdf,
    Csv,
}

/// The file of `format` for an issued invoice.
pub fn render(c: &Context<'_>, format: Format) -> Result<pb::InvoiceDocument, AppError> {
    let model = model(c)?;
    let number = &model.header.number;
    let failed = |err: kumppani_einvoice::RenderError| AppError::precondition(format!("the invoice cannot be rendered: {err}"));
    let (file_name, content_type, content) = match format {
        Format::Finvoice => {
            (format!("{number}.finvoice.xml"), "application/xml", kumppani_einvoice::finvoice::to_xml(&model).map_err(failed)?.into_bytes())
        }
        Format::Peppol => {
            if model.header.buyer.peppol_id.is_none() {
                return Err(AppError::precondition("the customer has no Peppol participant id: use Finvoice"));
            }
            let pdf = kumppani_einvoice::pdf::render(&model);
            let csv = kumppani_einvoice::csv::specification(&model).map_err(failed)?.into_bytes();
            let attachments = [
                kumppani_einvoice::peppol::Attachment::pdf(format!("{number}.pdf"), "Lasku ja laskutusliite", pdf),
                kumppani_einvoice::peppol::Attachment::csv(format!("{number}-laskutusliite.csv"), "Laskutusliite", csv),
            ];
            (
                format!("{number}.peppol.xml"),
                "application/xml",
                kumppani_einvoice::peppol::to_xml(&model, &attachments).map_err(failed)?.into_bytes(),
            )
        }
        Format::Pdf => (format!("{number}.pdf"), "application/pdf", kumppani_einvoice::pdf::render(&model)),
        Format::Csv => (
            format!("{number}-laskutusliite.csv"),
            "text/csv; charset=utf-8",
            kumppani_einvoice::csv::specification(&model).map_err(failed)?.into_bytes(),
        ),
    };
    Ok(pb::InvoiceDocument { file_name, content_type: content_type.to_owned(), content })
}
