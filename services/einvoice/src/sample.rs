//! Sample invoices with fictional parties (valid ids), for tests, demos and
//! documentation: an internal customer outside the scope of VAT, an external customer
//! with 25.5 % and 14 % rows and a pass-through row, a credit note, and a long invoice
//! with many rows and Finnish characters.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::model::{
    Address, Buyer, Contact, CostComponent, DocumentKind, Invoice, InvoiceErrors, InvoiceHeader, InvoiceRow, Language, Period, RowKind,
    Seller, SpecDay, SpecProduct, SpecSite, Specification, Unit, VatCategory,
};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// `Decimal::new(mantissa, scale)`.
fn dec(mantissa: i64, scale: u32) -> Decimal {
    Decimal::new(mantissa, scale)
}

/// The fictional seller: the city group's meal and cleaning producer.
pub fn seller() -> Seller {
    Seller {
        name: "Kumppani Palvelut Oy".into(),
        business_id: "1618033-3".into(),
        vat_id: Some("FI16180333".into()),
        address: Address { street: "Keittiökuja 4".into(), postal_code: "00520".into(), city: "Helsinki".into(), country: "FI".into() },
        ovt: Some("003716180333".into()),
        operator_id: Some("003721291126".into()),
        iban: "FI2112345600000785".into(),
        bic: "NDEAFIHH".into(),
        contact: Contact {
            name: Some("Laskutuspalvelu".into()),
            phone: Some("+358 9 123 4567".into()),
            email: Some("laskutus@kumppani.example".into()),
        },
    }
}

/// An internal customer of the city group (outside the scope of VAT).
pub fn internal_buyer() -> Buyer {
    Buyer {
        name: "Esimerkkilän kaupunki, Kasvatuksen ja koulutuksen toimiala".into(),
        business_id: Some("1234567-1".into()),
        vat_id: None,
        ovt: Some("00371234567110".into()),
        operator_id: Some("003721291126".into()),
        peppol_id: Some("0216:00371234567110".into()),
        address: Address { street: "PL 3000".into(), postal_code: "00099".into(), city: "Esimerkkilä".into(), country: "FI".into() },
        buyer_reference: Some("KASKO-4412".into()),
        cost_centre: Some("4412 Päiväkodit".into()),
        contact: Contact { name: Some("Päivi Pöllänen".into()), phone: None, email: None },
    }
}

/// An external, VAT-registered customer.
pub fn external_buyer() -> Buyer {
    Buyer {
        name: "Esimerkki Kiinteistöt Oy".into(),
        business_id: Some("9876543-0".into()),
        vat_id: Some("FI98765430".into()),
        ovt: Some("003798765430".into()),
        operator_id: Some("003723327487".into()),
        peppol_id: None,
        address: Address { street: "Hämeentie 15 B".into(), postal_code: "00500".into(), city: "Helsinki".into(), country: "FI".into() },
        buyer_reference: Some("Tilaus 2026/77".into()),
        cost_centre: None,
        contact: Contact::default(),
    }
}

/// A header for May 2026 billing to a buyer, issued 2.6.2026 and due 16.6.2026, whose
/// Finnish reference is made from `reference_base` (3–19 digits) and its check digit.
pub fn header(number: &str, reference_base: u64, buyer: Buyer, language: Language) -> InvoiceHeader {
    let reference = crate::reference::finnish_from_base(&reference_base.to_string()).unwrap_or_default();
    InvoiceHeader {
        kind: DocumentKind::Invoice,
        number: number.into(),
        issue_date: date(2026, 6, 2),
        due_date: date(2026, 6, 16),
        payment_terms_days: 14,
        currency: Default::default(),
        reference,
        seller: seller(),
        buyer,
        language,
        period: Period { start: date(2026, 5, 1), end: date(2026, 5, 31) },
        note: None,
    }
}

fn days(product: (&str, &str, Unit, Decimal, VatCategory), from: u32, to: u32, per_day: Decimal) -> SpecProduct {
    let (code, name, unit, price, vat) = product;
    SpecProduct {
        code: code.into(),
        name: name.into(),
        unit,
        unit_price: price,
        vat,
        cost_components: Vec::new(),
        days: (from..=to)
            .filter(|d| !matches!(date(2026, 5, *d).format("%u").to_string().as_str(), "6" | "7"))
            .map(|d| SpecDay {
                service_day: date(2026, 5, d),
                quantity: per_day,
                unit_price: price,
                amount: Decimal::ZERO,
                delivery_id: Some(format!("TOI-202605{d:02}-{code}")),
                correction_reason: None,
            })
            .collect(),
    }
}

/// Summary rows of a specification: one per site and product.
pub fn rows_of(spec: &Specification) -> Vec<InvoiceRow> {
    let mut rows = Vec::new();
    for site in &spec.sites {
        for p in &site.products {
            rows.push(
                InvoiceRow::new(RowKind::Service, format!("{} / {}", site.name, p.name), p.quantity(), p.unit, p.unit_price, p.vat)
                    .with_site(site.name.clone())
                    .with_product(p.code.clone(), p.name.clone()),
            );
        }
    }
    rows
}

/// Internal customer, meals outside the scope of VAT, with a correction and a change list.
pub fn internal_outside_scope() -> Result<Invoice, InvoiceErrors> {
    let o = VatCategory::OutsideScope;
    let mut lunch = days(("LOUNAS", "Lounas, päiväkoti", Unit::Piece, dec(46, 1), o), 4, 29, dec(42, 0));
    lunch.cost_components = vec![
        CostComponent { name: "Raaka-aineet".into(), amount_per_unit: dec(185, 2) },
        CostComponent { name: "Henkilöstö".into(), amount_per_unit: dec(210, 2) },
        CostComponent { name: "Kuljetus ja yleiskulut".into(), amount_per_unit: dec(65, 2) },
    ];
    if let Some(first) = lunch.days.first_mut() {
        first.quantity = dec(40, 0);
        first.correction_reason = Some("Kaksi annosta palautettiin, kuljetus myöhässä".into());
    }
    let snack = days(("VÄLIPALA", "Välipala", Unit::Piece, dec(125, 2), o), 4, 29, dec(38, 0));
    let spec = Specification {
        sites: vec![
            SpecSite { name: "Päiväkoti Mäntylä".into(), products: vec![lunch, snack] },
            SpecSite {
                name: "Päiväkoti Sörnäinen".into(),
                products: vec![days(("LOUNAS", "Lounas, päiväkoti", Unit::Piece, dec(46, 1), o), 4, 15, dec(25, 0))],
            },
        ],
        changes_from_last_month: vec![
            "Lounaan hinta nousi 4,45 eurosta 4,60 euroon 1.5.2026 raaka-ainekustannusten vuoksi.".into(),
            "Päiväkoti Sörnäinen oli suljettuna 18.–31.5. remontin vuoksi.".into(),
        ],
    };
    let mut rows = rows_of(&spec);
    rows.push(
        InvoiceRow::new(RowKind::Correction, "Korjaus: huhtikuun lounaat, Päiväkoti Mäntylä", dec(-3, 0), Unit::Piece, dec(445, 2), o)
            .with_site("Päiväkoti Mäntylä")
            .with_product("LOUNAS", "Lounas, päiväkoti")
            .with_reason("Laskutettu kolme lounasta liikaa 14.4.2026")
            .with_correction_of("2026-0412", date(2026, 4, 14)),
    );
    Invoice::compute(header("2026-0601", 2026050, internal_buyer(), Language::Fi), rows, spec)
}

/// External customer: cleaning at 25.5 %, meals at 14 %, a pass-through row and an adjustment.
pub fn external_two_rates() -> Result<Invoice, InvoiceErrors> {
    let s255 = VatCategory::Standard { rate: dec(255, 1) };
    let s14 = VatCategory::Standard { rate: dec(14, 0) };
    let mut cleaning = days(("SIIVOUS", "Ylläpitosiivous", Unit::SquareMetre, dec(1875, 4), s255), 4, 29, dec(850, 0));
    cleaning.cost_components = vec![
        CostComponent { name: "Työ".into(), amount_per_unit: dec(1500, 4) },
        CostComponent { name: "Aineet ja välineet".into(), amount_per_unit: dec(375, 4) },
    ];
    let meals = days(("LOUNAS-A", "Lounas, aikuinen", Unit::Piece, dec(895, 2), s14), 4, 8, dec(12, 0));
    let spec = Specification {
        sites: vec![SpecSite { name: "Toimisto Hämeentie".into(), products: vec![cleaning, meals] }],
        changes_from_last_month: vec!["Ikkunanpesu laskutetaan erikseen alihankkijan laskun mukaan.".into()],
    };
    let mut rows = rows_of(&spec);
    rows.push(
        InvoiceRow::new(RowKind::PassThrough, "Ikkunanpesu (alihankinta)", dec(1, 0), Unit::Piece, dec(31240, 2), s255)
            .with_site("Toimisto Hämeentie")
            .with_supplier_reference("Lasi & Kirkas Oy lasku 88120"),
    );
    rows.push(
        InvoiceRow::new(RowKind::Adjustment, "Hyvitys: siivous jäi tekemättä 15.5.", dec(-850, 0), Unit::SquareMetre, dec(1875, 4), s255)
            .with_site("Toimisto Hämeentie")
            .with_product("SIIVOUS", "Ylläpitosiivous")
            .with_reason("Siivous jäi tekemättä sairastumisen vuoksi"),
    );
    Invoice::compute(header("2026-0602", 2026051, external_buyer(), Language::Fi), rows, spec)
}

/// A credit note crediting part of an earlier internal invoice.
pub fn credit_note() -> Result<Invoice, InvoiceErrors> {
    let o = VatCategory::OutsideScope;
    let mut h = header("2026-0603", 2026052, internal_buyer(), Language::Fi);
    h.kind = DocumentKind::CreditNote { original_number: "2026-0412".into(), original_issue_date: date(2026, 5, 4) };
    h.note = Some("Hyvitämme huhtikuussa liikaa laskutetut ateriat.".into());
    let rows = vec![
        InvoiceRow::new(RowKind::Correction, "Hyvitys: lounaat 14.4.2026", dec(-42, 0), Unit::Piece, dec(445, 2), o)
            .with_site("Päiväkoti Mäntylä")
            .with_product("LOUNAS", "Lounas, päiväkoti")
            .with_reason("Päiväkoti suljettu, ateriat peruttu ajoissa")
            .with_correction_of("2026-0412", date(2026, 4, 14)),
    ];
    let spec = Specification {
        sites: vec![SpecSite {
            name: "Päiväkoti Mäntylä".into(),
            products: vec![SpecProduct {
                code: "LOUNAS".into(),
                name: "Lounas, päiväkoti".into(),
                unit: Unit::Piece,
                unit_price: dec(445, 2),
                vat: o,
                cost_components: Vec::new(),
                days: vec![SpecDay {
                    service_day: date(2026, 4, 14),
                    quantity: dec(-42, 0),
                    unit_price: dec(445, 2),
                    amount: Decimal::ZERO,
                    delivery_id: Some("TOI-20260414-LOUNAS".into()),
                    correction_reason: Some("Päiväkoti suljettu, ateriat peruttu ajoissa".into()),
                }],
            }],
        }],
        changes_from_last_month: Vec::new(),
    };
    Invoice::compute(h, rows, spec)
}

/// Many sites and products with Finnish and Swedish characters, in Swedish.
pub fn many_rows() -> Result<Invoice, InvoiceErrors> {
    let s14 = VatCategory::Standard { rate: dec(14, 0) };
    let s255 = VatCategory::Standard { rate: dec(255, 1) };
    let names = ["Ääniemi", "Öljymäki", "Åminne", "Käpylä", "Töölö", "Herttoniemi", "Pöyrylä", "Västerå", "Jätkäsaari", "Sörkkä"];
    let mut sites = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let i = i as i64;
        sites.push(SpecSite {
            name: format!("Skola {n}"),
            products: vec![
                days(("LUNCH", "Lunch, skola", Unit::Piece, dec(395 + i, 2), s14), 4, 29, dec(120 + i, 0)),
                days(("MELLANMÅL", "Mellanmål", Unit::Piece, dec(115, 2), s14), 4, 29, dec(30, 0)),
                days(("STÄD", "Städning, timmar", Unit::Hour, dec(3850, 2), s255), 4, 29, dec(35 + i, 1)),
            ],
        });
    }
    let spec = Specification { sites, changes_from_last_month: vec!["Priset på lunch är oförändrat.".into()] };
    let mut buyer = external_buyer();
    buyer.name = "Exempelstads Svenska Skolor Ab".into();
    let rows = rows_of(&spec);
    Invoice::compute(header("2026-0604", 2026053, buyer, Language::Sv), rows, spec)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    #[test]
    fn invoice_round_trips_through_json() {
        let inv = super::external_two_rates().unwrap();
        let json = serde_json::to_string(&inv).unwrap();
        assert!(json.contains("\"unit\":\"MTK\""), "{json}");
        assert!(json.contains("\"category\":\"standard\",\"rate\":\"25.5\""), "{json}");
        let back: crate::model::Invoice = serde_json::from_str(&json).unwrap();
        assert_eq!(back, inv);
    }

    #[test]
    fn samples_compute() {
        for inv in [super::internal_outside_scope(), super::external_two_rates(), super::credit_note(), super::many_rows()] {
            let inv = inv.unwrap();
            assert!(!inv.rows.is_empty());
        }
    }
}
