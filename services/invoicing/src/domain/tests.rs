//! Unit tests of the pure invoicing rules.

use super::changes::{Change, RowSummary, compare, words};
use super::*;
use kumppani_price_rules::{ListEntry, OverrideEntry, PriceData, VatRow};
use kumppani_proto::pricing::v1 as pp;
use std::str::FromStr;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap_or_default()
}

fn price(p: &str) -> PriceData {
    PriceData { unit_price: dec(p), components: vec![("raw_materials".into(), dec("1.00")), ("labour".into(), dec(p) - dec("1.00"))] }
}

struct World {
    customers: HashMap<Uuid, Customer>,
    sites: HashMap<Uuid, Site>,
    book: PriceBook,
    cleaning: HashSet<Uuid>,
}

const CUSTOMER: Uuid = Uuid::from_u128(1);
const EXTERNAL: Uuid = Uuid::from_u128(2);
const SITE_A: Uuid = Uuid::from_u128(11);
const SITE_B: Uuid = Uuid::from_u128(12);
const SITE_X: Uuid = Uuid::from_u128(13);
const UNIT: Uuid = Uuid::from_u128(21);

fn world() -> World {
    let mut book = PriceBook::default();
    book.products.insert(
        "LOUNAS".into(),
        pp::Product {
            code: "LOUNAS".into(),
            name: "Lounas".into(),
            unit: pp::Unit::Meal as i32,
            vat_category: pp::VatCategory::Food as i32,
            ..Default::default()
        },
    );
    book.products.insert(
        "YLLAPITO".into(),
        pp::Product {
            code: "YLLAPITO".into(),
            name: "Ylläpitosiivous".into(),
            unit: pp::Unit::M2Month as i32,
            vat_category: pp::VatCategory::General as i32,
            ..Default::default()
        },
    );
    book.lists = vec![ListEntry {
        id: Uuid::from_u128(100),
        year: 2027,
        version: 1,
        effective_from: d(2027, 1, 1),
        prices: [("LOUNAS".to_owned(), price("3.85")), ("YLLAPITO".to_owned(), price("2.10"))].into(),
    }];
    book.site_overrides.insert(
        (SITE_B, "LOUNAS".into()),
        vec![OverrideEntry { id: Uuid::from_u128(101), effective_from: d(2027, 3, 15), price: price("4.05") }],
    );
    book.vat = vec![
        VatRow { category: "food".into(), rate: dec("14"), valid_from: d(2026, 1, 1), valid_to: None },
        VatRow { category: "general".into(), rate: dec("25.5"), valid_from: d(2024, 9, 1), valid_to: None },
    ];
    let mut customers = HashMap::new();
    let billing = Billing { payment_terms_days: 14, language: "fi".into(), ..Billing::default() };
    customers.insert(
        CUSTOMER,
        Customer {
            id: CUSTOMER,
            name: "Sivistys".into(),
            kind: "internal_service_area".into(),
            business_id: String::new(),
            billing: billing.clone(),
        },
    );
    customers.insert(
        EXTERNAL,
        Customer { id: EXTERNAL, name: "Yritys Oy".into(), kind: "external".into(), business_id: String::new(), billing },
    );
    let mut sites = HashMap::new();
    let site = |id: Uuid, customer: Uuid, name: &str, area: &str| Site {
        id,
        customer,
        unit: Some(UNIT),
        name: name.into(),
        floor_area: dec(area),
        opened_on: None,
        closed_on: None,
    };
    sites.insert(SITE_A, site(SITE_A, CUSTOMER, "Päiväkoti Aurinko", "600"));
    sites.insert(SITE_B, site(SITE_B, CUSTOMER, "Koulu Kuu", "1000"));
    sites.insert(SITE_X, site(SITE_X, EXTERNAL, "Toimisto", "300"));
    for (s, c) in [(SITE_A, CUSTOMER), (SITE_B, CUSTOMER), (SITE_X, EXTERNAL)] {
        book.site_customer.insert(s, c);
    }
    book.customer_kind.insert(CUSTOMER, "internal_service_area".into());
    book.customer_kind.insert(EXTERNAL, "external".into());
    World { customers, sites, book, cleaning: HashSet::new() }
}

fn delivery(n: u128, site: Uuid, day: NaiveDate, q: i32) -> Delivery {
    Delivery {
        id: Uuid::from_u128(1000 + n),
        version: 1,
        site,
        day,
        product: "LOUNAS".into(),
        diet: String::new(),
        quantity: q,
        reason: String::new(),
    }
}

struct Run<'a> {
    billed: HashMap<Uuid, Billed>,
    fixed: HashSet<(Uuid, String)>,
    invoiced: HashSet<Party>,
    manual: Vec<ManualLine>,
    w: &'a World,
}

impl<'a> Run<'a> {
    fn new(w: &'a World) -> Self {
        Self { billed: HashMap::new(), fixed: HashSet::new(), invoiced: HashSet::new(), manual: Vec::new(), w }
    }
    fn compute(&self, p: Period, deliveries: &[Delivery]) -> (BTreeMap<Party, Draft>, Vec<String>) {
        compute(&Inputs {
            period: p,
            until: None,
            customers: &self.w.customers,
            sites: &self.w.sites,
            cleaning_sites: &self.w.cleaning,
            book: &self.w.book,
            deliveries,
            billed: &self.billed,
            fixed_billed: &self.fixed,
            manual: &self.manual,
            invoiced: &self.invoiced,
            only: None,
        })
    }
}

const MARCH: Period = Period { year: 2027, month: 3 };
const PARTY: Party = Party { customer: CUSTOMER, unit: None };

#[test]
fn periods_know_their_days_and_neighbours() {
    assert_eq!((MARCH.first(), MARCH.last(), MARCH.days()), (d(2027, 3, 1), d(2027, 3, 31), 31));
    assert_eq!(Period { year: 2028, month: 2 }.days(), 29);
    assert_eq!(Period { year: 2026, month: 12 }.next(), Period { year: 2027, month: 1 });
    assert_eq!(Period { year: 2027, month: 1 }.prev(), Period { year: 2026, month: 12 });
    assert_eq!(Period::new(2027, 13), None);
    assert_eq!(Period::new(1999, 1), None);
}

#[test]
fn the_default_invoice_date_is_the_fifth_working_day_of_the_next_month() {
    // December 2026: Fri 1.1. New Year, Mon 4., Tue 5., Wed 6.1. Epiphany, Thu 7., Fri 8., Mon 11.
    assert_eq!(default_invoice_date(Period { year: 2026, month: 12 }), d(2027, 1, 11));
    // March 2027: Easter 2027 is 28.3., Easter Monday 29.3.; April 1 is a Thursday.
    assert_eq!(default_invoice_date(MARCH), d(2027, 4, 7));
}

#[test]
fn cents_round_half_away_from_zero_and_vat_is_per_rate_on_the_sum() {
    assert_eq!(round_cents(dec("1.005")).to_string(), "1.01");
    assert_eq!(round_cents(dec("-1.005")).to_string(), "-1.01");
    assert_eq!(round_cents(dec("2")).to_string(), "2.00");
    // Three rows of 0.05 at 25.5 %: per row 0.01 each (0.03) but on the sum 0.15 × 25.5 % = 0.03825 → 0.04.
    let rows = [("general", dec("25.5"), dec("0.05")), ("general", dec("25.5"), dec("0.05")), ("general", dec("25.5"), dec("0.05"))];
    let v = vat_breakdown(rows.iter().map(|(c, r, a)| (*c, *r, *a)));
    assert_eq!(v.len(), 1);
    assert_eq!((v[0].taxable.to_string(), v[0].vat.to_string()), ("0.15".into(), "0.04".into()));
}

#[test]
fn a_mid_month_price_change_splits_the_row_and_the_total_is_exact() {
    let w = world();
    let days = [d(2027, 3, 1), d(2027, 3, 12), d(2027, 3, 15), d(2027, 3, 31)];
    let deliveries: Vec<Delivery> = days.iter().enumerate().map(|(i, day)| delivery(i as u128, SITE_B, *day, 10)).collect();
    let (drafts, problems) = Run::new(&w).compute(MARCH, &deliveries);
    assert!(problems.is_empty(), "{problems:?}");
    let draft = &drafts[&PARTY];
    let rows: Vec<(String, String, String, NaiveDate, NaiveDate)> = draft
        .rows
        .iter()
        .map(|r| {
            (r.quantity.to_string(), r.unit_price.to_string(), r.amount.to_string(), r.from.unwrap_or_default(), r.to.unwrap_or_default())
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("20".into(), "3.85".into(), "77.00".into(), d(2027, 3, 1), d(2027, 3, 12)),
            ("20".into(), "4.05".into(), "81.00".into(), d(2027, 3, 15), d(2027, 3, 31)),
        ]
    );
    assert_eq!(draft.items.iter().filter(|i| i.line_no == 2).count(), 2, "days follow their row");
    assert_eq!(
        (draft.net.to_string(), draft.vat_total.to_string(), draft.total.to_string()),
        ("158.00".into(), "0.00".into(), "158.00".into())
    );
    assert_eq!(draft.vat[0].category, "outside_scope", "city units are outside VAT");
}

#[test]
fn external_customers_pay_the_vat_of_the_service_day() {
    let w = world();
    let (drafts, _) = Run::new(&w).compute(MARCH, &[delivery(1, SITE_X, d(2027, 3, 3), 7)]);
    let draft = &drafts[&Party { customer: EXTERNAL, unit: None }];
    assert_eq!(
        (draft.net.to_string(), draft.vat_total.to_string(), draft.total.to_string()),
        ("26.95".into(), "3.77".into(), "30.72".into())
    );
}

#[test]
fn what_was_billed_is_not_billed_again_and_a_late_correction_refers_to_its_invoice() {
    let w = world();
    let mut run = Run::new(&w);
    let mut march = vec![delivery(1, SITE_A, d(2027, 3, 2), 10)];
    let (drafts, _) = run.compute(MARCH, &march);
    assert_eq!(drafts[&PARTY].items[0].quantity, 10);
    // March is issued: billed 10.
    let march_invoice = Uuid::from_u128(500);
    run.billed.insert(march[0].id, Billed { quantity: 10, invoice: march_invoice });
    run.invoiced.insert(PARTY);
    assert!(run.compute(MARCH, &march).0.is_empty(), "an invoiced month gets no second invoice");
    // Corrected down to 8 in April: April's invoice credits 2 meals at March's price.
    march[0].quantity = 8;
    march[0].version = 2;
    march[0].reason = "kaksi lasta sairaana".into();
    run.invoiced.clear();
    let (drafts, _) = run.compute(Period { year: 2027, month: 4 }, &march);
    let draft = &drafts[&PARTY];
    assert_eq!(draft.rows.len(), 1);
    let row = &draft.rows[0];
    assert_eq!((row.kind, row.quantity.to_string(), row.amount.to_string()), (Some(RowKind::Correction), "-2".into(), "-7.70".into()));
    assert_eq!(row.original_invoice, Some(march_invoice));
    assert_eq!((draft.items[0].billed_before, draft.items[0].reason.as_str()), (10, "kaksi lasta sairaana"));
}

#[test]
fn fixed_cleaning_is_billed_pro_rata_for_a_site_opening_mid_month() {
    let mut w = world();
    w.cleaning.insert(SITE_A);
    w.cleaning.insert(SITE_B);
    if let Some(s) = w.sites.get_mut(&SITE_A) {
        s.opened_on = Some(d(2027, 3, 21)); // open 11 of 31 days
    }
    if let Some(s) = w.sites.get_mut(&SITE_B) {
        s.closed_on = Some(d(2027, 4, 1)); // closed from April: all of March
    }
    let (drafts, _) = Run::new(&w).compute(MARCH, &[]);
    let rows = &drafts[&PARTY].rows;
    let got: Vec<(String, String, String, String)> =
        rows.iter().map(|r| (r.site_name.clone(), r.quantity.to_string(), r.amount.to_string(), r.pro_rata.clone())).collect();
    // 600 m² × 11/31 = 212.9032 m²; × 2.10 = 447.09672 → 447.10.
    assert_eq!(
        got,
        vec![
            ("Koulu Kuu".into(), "1000".into(), "2100.00".into(), String::new()),
            ("Päiväkoti Aurinko".into(), "212.9032".into(), "447.10".into(), "11/31".into()),
        ]
    );
    let mut run = Run::new(&w);
    run.fixed.insert((SITE_B, "YLLAPITO".into()));
    assert_eq!(run.compute(MARCH, &[]).0[&PARTY].rows.len(), 1, "a fixed service is billed once a month");
}

#[test]
fn a_customer_invoiced_per_unit_gets_one_invoice_per_unit() {
    let mut w = world();
    if let Some(c) = w.customers.get_mut(&CUSTOMER) {
        c.billing.per_unit = true;
    }
    let (drafts, _) = Run::new(&w).compute(MARCH, &[delivery(1, SITE_A, d(2027, 3, 2), 5)]);
    assert!(drafts.contains_key(&Party { customer: CUSTOMER, unit: Some(UNIT) }));
}

#[test]
fn manual_lines_are_billed_at_their_amount_with_their_reference() {
    let w = world();
    let mut run = Run::new(&w);
    run.manual.push(ManualLine {
        id: Uuid::from_u128(900),
        kind: RowKind::PassThrough,
        customer: EXTERNAL,
        site: Some(SITE_X),
        description: "Ikkunanpesu (alihankinta)".into(),
        amount: dec("412.50"),
        vat_rate: dec("25.5"),
        vat_category: "general".into(),
        supplier: "Kirkas Oy".into(),
        supplier_invoice_number: "K-2027-118".into(),
        reason: String::new(),
    });
    let (drafts, _) = run.compute(MARCH, &[]);
    let draft = &drafts[&Party { customer: EXTERNAL, unit: None }];
    assert_eq!(draft.rows[0].supplier_invoice_number, "K-2027-118");
    assert_eq!(
        (draft.net.to_string(), draft.vat_total.to_string(), draft.total.to_string()),
        ("412.50".into(), "105.19".into(), "517.69".into())
    );
}

#[test]
fn a_day_without_a_price_is_reported_and_left_unbilled() {
    let w = world();
    let (drafts, problems) = Run::new(&w).compute(Period { year: 2026, month: 12 }, &[delivery(1, SITE_A, d(2026, 12, 1), 5)]);
    assert!(drafts.is_empty());
    assert_eq!(problems.len(), 1);
    assert!(problems[0].contains("Päiväkoti Aurinko"), "{problems:?}");
}

#[test]
fn invoice_numbers_are_digits_by_year_and_series() {
    assert_eq!(invoice_number(2026, false, 42), "20261000042");
    assert_eq!(invoice_number(2027, true, 1), "20279000001");
}

#[test]
fn changes_from_last_month_are_told_in_plain_words() {
    let row = |site: &str, price: &str, q: i64, from: NaiveDate| RowSummary {
        site_name: site.into(),
        product_code: "LOUNAS".into(),
        product_name: "Lounas".into(),
        unit_price: dec(price),
        quantity: Decimal::from(q),
        from: Some(from),
        kind: RowKind::Delivered,
    };
    let feb = vec![row("A", "3.85", 100, d(2027, 2, 1)), row("B", "3.85", 100, d(2027, 2, 1))];
    let march = vec![row("A", "3.85", 100, d(2027, 3, 1)), row("C", "3.85", 50, d(2027, 3, 1)), row("A", "3.95", 120, d(2027, 3, 15))];
    let c = compare(Some(&feb), &march);
    assert!(c.contains(&Change::NewSites { names: vec!["C".into()] }));
    assert!(c.contains(&Change::SitesNotBilled { names: vec!["B".into()] }));
    let texts: Vec<String> = c.iter().map(|c| words(c, "fi")).collect();
    assert!(texts.contains(&"Lounas: hinta 3,85 € → 3,95 € alkaen 15.3.".to_owned()), "{texts:?}");
    assert!(texts.contains(&"Lounas: määrä 200 → 270 (+35 %)".to_owned()), "{texts:?}");
    assert_eq!(compare(None, &march), vec![Change::FirstInvoice]);
    assert_eq!(words(&Change::NewSites { names: vec!["C".into()] }, "sv"), "1 nya objekt: C");
}
