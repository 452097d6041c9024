//! Unit tests of the resolution rule.

use super::*;
use std::str::FromStr;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
}

fn price(p: &str) -> PriceData {
    PriceData {
        unit_price: Decimal::from_str(p).unwrap_or_default(),
        components: vec![("labour".into(), Decimal::from_str(p).unwrap_or_default())],
    }
}

fn book() -> (PriceBook, Uuid, Uuid) {
    let (site, customer) = (Uuid::from_u128(1), Uuid::from_u128(2));
    let mut b = PriceBook::default();
    b.products
        .insert("LOUNAS".into(), pb::Product { code: "LOUNAS".into(), vat_category: pb::VatCategory::Food as i32, ..Default::default() });
    b.site_customer.insert(site, customer);
    b.customer_kind.insert(customer, "external".into());
    let list = |v: i32, from: NaiveDate, p: &str| ListEntry {
        id: Uuid::from_u128(v as u128 + 10),
        year: 2027,
        version: v,
        effective_from: from,
        prices: [("LOUNAS".to_owned(), price(p))].into(),
    };
    b.lists = vec![list(1, d(2027, 1, 1), "3.00"), list(2, d(2027, 6, 1), "3.10")];
    b.customer_overrides.insert(
        (customer, "LOUNAS".into()),
        vec![OverrideEntry { id: Uuid::from_u128(20), effective_from: d(2027, 3, 1), price: price("2.90") }],
    );
    b.site_overrides.insert(
        (site, "LOUNAS".into()),
        vec![OverrideEntry { id: Uuid::from_u128(30), effective_from: d(2027, 3, 15), price: price("2.80") }],
    );
    b.vat = vec![
        VatRow {
            category: "food".into(),
            rate: Decimal::from_str("14").unwrap_or_default(),
            valid_from: d(2013, 1, 1),
            valid_to: Some(d(2025, 12, 31)),
        },
        VatRow { category: "food".into(), rate: Decimal::from_str("13.5").unwrap_or_default(), valid_from: d(2026, 1, 1), valid_to: None },
    ];
    (b, site, customer)
}

#[test]
fn site_beats_customer_beats_list_from_their_effective_dates() {
    let (b, site, _) = book();
    let at = |m, day| b.resolve("LOUNAS", site, d(2027, m, day)).map(|r| (r.price.unit_price.to_string(), r.source));
    assert_eq!(at(2, 28), Ok(("3.00".into(), pb::PriceSource::List)));
    assert_eq!(at(3, 1), Ok(("2.90".into(), pb::PriceSource::Customer)));
    assert_eq!(at(3, 14), Ok(("2.90".into(), pb::PriceSource::Customer)));
    assert_eq!(at(3, 15), Ok(("2.80".into(), pb::PriceSource::Site)), "a mid-month change resolves per day");
    assert!(b.resolve("LOUNAS", site, d(2026, 12, 31)).is_err(), "no list for 2026");
}

#[test]
fn list_versions_take_effect_on_their_date_and_vat_follows_the_day() {
    let (mut b, site, customer) = book();
    b.site_overrides.clear();
    b.customer_overrides.clear();
    let r = b.resolve("LOUNAS", site, d(2027, 6, 1)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((r.price.unit_price.to_string(), r.list_version, r.vat_rate.to_string()), ("3.10".into(), 2, "13.5".into()));
    b.customer_kind.insert(customer, "internal_service_area".into());
    let r = b.resolve("LOUNAS", site, d(2027, 6, 1)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((r.vat_category.as_str(), r.vat_rate), ("outside_scope", Decimal::ZERO));
    assert_eq!(vat_on(&b.vat, "food", d(2025, 12, 31)), Decimal::from_str("14").ok());
}

#[test]
fn a_month_splits_where_the_price_changes() {
    let (b, site, _) = book();
    let s = b.segments("LOUNAS", site, d(2027, 3, 1), d(2027, 3, 31)).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<(NaiveDate, NaiveDate, String)> = s.iter().map(|s| (s.from, s.to, s.resolved.price.unit_price.to_string())).collect();
    assert_eq!(got, vec![(d(2027, 3, 1), d(2027, 3, 14), "2.90".into()), (d(2027, 3, 15), d(2027, 3, 31), "2.80".into())]);
    assert!(b.segments("LOUNAS", site, d(2026, 12, 31), d(2027, 1, 1)).is_err(), "a day without a price fails the month");
    assert_eq!(b.segments("LOUNAS", site, d(2027, 3, 2), d(2027, 3, 1)).map(|s| s.len()), Ok(0));
}

#[test]
fn the_vat_category_of_a_product_by_its_proto_value() {
    assert_eq!(vat_category_text(pb::VatCategory::Food as i32), "food");
    assert_eq!(vat_category_text(pb::VatCategory::General as i32), "general");
    assert_eq!(vat_category_text(pb::VatCategory::OutsideScope as i32), "outside_scope");
}
