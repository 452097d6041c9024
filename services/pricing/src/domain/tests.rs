//! Unit tests of the pure rules.

use super::*;

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
fn components_must_sum_exactly() {
    let products: HashMap<String, pb::Product> = [("LOUNAS".to_owned(), pb::Product::default())].into();
    let comp = |k: pb::CostComponentKind, a: &str| pb::CostComponent { kind: k as i32, amount: a.into() };
    let p = pb::Price {
        product_code: "LOUNAS".into(),
        unit_price: "3.85".into(),
        components: vec![comp(pb::CostComponentKind::RawMaterials, "1.20"), comp(pb::CostComponentKind::Labour, "2.64")],
    };
    let mut v = Violations::default();
    assert!(validate_price(&mut v, "price", Some(&p), &products).is_none());
    assert_eq!(v.len(), 1);
    let mut ok = p.clone();
    ok.components[1].amount = "2.65".into();
    let mut v = Violations::default();
    assert!(validate_price(&mut v, "price", Some(&ok), &products).is_some());
}

#[test]
fn money_is_shown_with_at_least_two_decimals() {
    let shown = |s: &str| fmt_money(Decimal::from_str(s).unwrap_or_default());
    assert_eq!([shown("3"), shown("3.5000"), shown("3.85"), shown("1.2345"), shown("0")], ["3.00", "3.50", "3.85", "1.2345", "0.00"]);
    assert_eq!(shown_money(Decimal::from_str("3.5000").unwrap_or_default()).scale(), 2);
}

#[test]
fn lifecycle_and_change_rules() {
    assert!(check_list_transition("draft", "published").is_err());
    assert!(check_list_transition("approved", "published").is_ok());
    assert!(check_list_transition("published", "draft").is_err());
    assert!(decide_change("proposed", 3, None, true, d(2027, 7, 1)).is_err());
    assert_eq!(decide_change("proposed", 1, None, true, d(2027, 7, 1)).ok(), Some("approved"));
    assert_eq!(decide_change("proposed", 3, Some(d(2027, 6, 1)), true, d(2027, 7, 1)).ok(), Some("approved"));
    assert_eq!(percent_change(Decimal::from_str("3.10").unwrap_or_default(), Decimal::from(3)), Decimal::from_str("3.3").ok());
}

fn version(v: i32, status: &str, from: NaiveDate) -> ListVersion {
    ListVersion { id: Uuid::from_u128(v as u128), version: v, status: status.into(), effective_from: from }
}

fn code(r: Result<impl std::fmt::Debug, AppError>) -> Option<ErrorCode> {
    r.err().map(|e| e.code)
}

#[test]
fn the_first_version_starts_the_year_and_a_correction_copies_the_latest_from_a_later_date() {
    let first = next_list_version(2027, None, &[]).ok();
    assert_eq!(first, Some(NextVersion { version: 1, effective_from: d(2027, 1, 1), copy_prices_from: None }));
    assert_eq!(next_list_version(2027, Some(d(2027, 2, 1)), &[]).map(|n| n.effective_from).ok(), Some(d(2027, 2, 1)));
    let published = [version(1, "published", d(2027, 1, 1)), version(2, "published", d(2027, 6, 1))];
    let next = next_list_version(2027, Some(d(2027, 9, 1)), &published).ok();
    assert_eq!(next, Some(NextVersion { version: 3, effective_from: d(2027, 9, 1), copy_prices_from: Some(Uuid::from_u128(2)) }));
    let violation = |r: Result<NextVersion, AppError>| r.err().map(|e| e.violations[0].field.clone());
    assert_eq!(violation(next_list_version(2027, None, &published)), Some("effective_from".into()), "a correction names its date");
    assert_eq!(violation(next_list_version(2027, Some(d(2027, 6, 1)), &published)), Some("effective_from".into()));
    let open = [version(1, "published", d(2027, 1, 1)), version(2, "proposed", d(2027, 6, 1))];
    assert_eq!(code(next_list_version(2027, Some(d(2027, 9, 1)), &open)), Some(ErrorCode::AlreadyExists), "one open version at a time");
}

#[test]
fn only_drafts_are_edited_proposals_have_prices_and_corrections_are_not_backdated() {
    assert!(check_list_editable("draft").is_ok());
    assert!(check_list_editable("proposed").is_err());
    assert!(check_list_editable("published").is_err_and(|e| e.message.contains("immutable")));
    let today = d(2027, 7, 1);
    assert_eq!(code(check_list_step(&version(1, "draft", d(2027, 1, 1)), "proposed", 0, today)), Some(ErrorCode::FailedPrecondition));
    assert!(check_list_step(&version(1, "draft", d(2027, 1, 1)), "proposed", 1, today).is_ok());
    assert!(check_list_step(&version(1, "approved", d(2027, 1, 1)), "published", 1, today).is_ok(), "the first list may start in the past");
    assert!(check_list_step(&version(2, "approved", d(2027, 6, 1)), "published", 1, today).is_err());
    assert!(check_list_step(&version(2, "approved", today), "published", 1, today).is_ok());
    assert!(check_list_step(&version(1, "published", d(2027, 1, 1)), "draft", 1, today).is_err());
}

#[test]
fn a_decided_change_stays_decided_and_several_customers_wait_for_the_group() {
    assert_eq!(code(check_change_open("approved")), Some(ErrorCode::FailedPrecondition));
    assert!(check_change_open("proposed").is_ok());
    assert_eq!(decide_change("proposed", 3, None, false, d(2027, 7, 1)).ok(), Some("rejected"), "a rejection needs no approval");
    assert_eq!(code(decide_change("rejected", 1, None, true, d(2027, 7, 1))), Some(ErrorCode::FailedPrecondition));
    let early = decide_change("proposed", 2, Some(d(2027, 7, 2)), true, d(2027, 7, 1));
    assert_eq!(early.err().map(|e| e.violations[0].field.clone()), Some("decided_on".into()));
}

fn principal(role: Role, customer: Option<u128>, site: Option<u128>, grants: &[&str]) -> Principal {
    Principal {
        subject: "test".into(),
        name: "Test".into(),
        email: String::new(),
        role,
        customer_id: customer.map(Uuid::from_u128),
        site_id: site.map(Uuid::from_u128),
        grants: grants.iter().map(|g| (*g).to_owned()).collect(),
    }
}

#[test]
fn who_reads_which_prices() {
    let (c, other, s, sibling) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(10), Uuid::from_u128(11));
    let staff = principal(Role::EnterpriseStaff, None, None, &[]);
    let system = principal(Role::SystemClient, None, None, &["prices:read"]);
    let blind = principal(Role::SystemClient, None, None, &["orders:write"]);
    let contact = principal(Role::CustomerContact, Some(1), None, &[]);
    let site_user = principal(Role::SiteUser, Some(1), Some(10), &[]);
    assert!(check_price_scope(&staff, other, None).is_ok());
    assert!(check_price_scope(&system, other, Some(s)).is_ok());
    assert!(check_price_scope(&blind, c, None).is_err());
    assert!(check_price_scope(&contact, c, Some(sibling)).is_ok());
    assert!(check_price_scope(&contact, other, None).is_err());
    assert!(check_price_scope(&site_user, c, Some(s)).is_ok());
    assert!(check_price_scope(&site_user, c, Some(sibling)).is_err());
    assert!(check_price_scope(&site_user, c, None).is_err(), "a site user reads no customer-wide sheet");
    assert!(may_see_list(&staff, pb::PriceListStatus::Draft as i32));
    assert!(!may_see_list(&contact, pb::PriceListStatus::Approved as i32));
    assert!(may_see_list(&contact, pb::PriceListStatus::Published as i32));
}

#[test]
fn override_listings_are_narrowed_to_the_callers_scope() {
    let (c, other, s, sibling) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(10), Uuid::from_u128(11));
    let staff = principal(Role::EnterpriseAdmin, None, None, &[]);
    let contact = principal(Role::CustomerContact, Some(1), None, &[]);
    let site_user = principal(Role::SiteUser, Some(1), Some(10), &[]);
    assert_eq!(override_filter(&staff, Some(other), None, None).ok(), Some((Some(other), None)));
    assert!(override_filter(&principal(Role::SystemClient, None, None, &[]), None, None, None).is_err());
    assert_eq!(override_filter(&contact, None, None, None).ok(), Some((Some(c), None)), "a contact lists their customer's");
    assert_eq!(override_filter(&contact, None, Some(s), Some(c)).ok(), Some((Some(c), Some(s))));
    assert!(override_filter(&contact, None, Some(s), Some(other)).is_err(), "another customer's site");
    assert!(override_filter(&contact, None, Some(s), None).is_err(), "an unknown site");
    assert!(override_filter(&contact, Some(other), None, None).is_err());
    assert_eq!(override_filter(&site_user, None, None, None).ok(), Some((None, Some(s))), "a site user lists their site's");
    assert!(override_filter(&site_user, None, Some(sibling), Some(c)).is_err());
    assert!(override_filter(&site_user, Some(other), None, None).is_err());
}

#[test]
fn a_customer_sees_its_changes_without_the_other_customers() {
    let (c, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
    assert_eq!(change_scope(&principal(Role::EnterpriseStaff, None, None, &[])).ok(), Some(None));
    assert_eq!(change_scope(&principal(Role::SiteUser, Some(1), Some(10), &[])).ok(), Some(Some(c)));
    assert!(change_scope(&principal(Role::SystemClient, None, None, &["prices:read"])).is_err());
    let mut change = pb::PriceChange {
        customer_ids: vec![other.to_string(), c.to_string()],
        customer_names: vec!["Muu".into(), "Oma".into()],
        ..Default::default()
    };
    only_own_customer(&mut change, c);
    assert_eq!((change.customer_ids, change.customer_names), (vec![c.to_string()], vec!["Oma".to_owned()]));
}

#[test]
fn a_price_sheet_shows_a_day_of_its_year() {
    let today = d(2027, 5, 20);
    assert_eq!(sheet_day(2027, None, today).ok(), Some(today));
    assert_eq!(sheet_day(2028, None, today).ok(), Some(d(2028, 1, 1)));
    assert_eq!(sheet_day(2026, None, today).ok(), Some(d(2026, 12, 31)));
    assert_eq!(sheet_day(2027, Some(d(2027, 3, 1)), today).ok(), Some(d(2027, 3, 1)));
    assert!(sheet_day(2027, Some(d(2026, 3, 1)), today).is_err());
}

#[test]
fn a_sheet_line_compares_with_last_year_and_the_lowest_benchmark() {
    let (mut b, site, customer) = book();
    b.site_overrides.clear();
    b.customer_overrides.clear();
    let mut last_year = b.lists[0].clone();
    (last_year.year, last_year.effective_from) = (2026, d(2026, 1, 1));
    last_year.prices.insert("LOUNAS".into(), price("2.50"));
    b.lists.insert(0, last_year);
    let bench = |provider: &str, p: &str| Benchmark {
        id: Uuid::nil(),
        product_code: "LOUNAS".into(),
        year: 2027,
        provider: provider.into(),
        unit_price: Decimal::from_str(p).unwrap_or_default(),
        source: String::new(),
    };
    let benchmarks = [bench("A", "4.0000"), bench("B", "2.5000"), bench("C", "2.50")];
    let lowest = lowest_benchmarks(&benchmarks);
    assert_eq!(lowest.get("LOUNAS").map(|(p, who)| (p.to_string(), *who)), Some(("2.50".into(), "B")), "the first of the cheapest");
    let line = b.sheet_line("LOUNAS", customer, Some(site), d(2027, 6, 1), lowest.get("LOUNAS").copied());
    let line = line.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(line.price.price.unit_price.to_string(), "3.10");
    assert_eq!(line.last_year_price.map(|p| p.to_string()), Some("2.50".into()));
    assert_eq!(line.change_percent.map(|p| p.to_string()), Some("24.0".into()));
    assert_eq!(line.benchmark.map(|(p, who)| (p.to_string(), who)), Some(("2.50".into(), "B".into())));
    assert_eq!(line.vs_benchmark_percent.map(|p| p.to_string()), Some("24.0".into()));
    let none = b.sheet_line("LOUNAS", customer, Some(site), d(2026, 1, 1), None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((none.last_year_price, none.change_percent, none.benchmark), (None, None, None), "no 2025 list");
    assert!(b.sheet_line("NO-SUCH", customer, Some(site), d(2027, 6, 1), None).is_err());
}

#[test]
fn the_vat_fingerprint_follows_the_values_not_their_formatting() {
    let (b, ..) = book();
    let table = b.vat;
    let fp = vat_fingerprint(&table);
    assert_eq!(fp.len(), 64);
    assert_eq!(fp, vat_fingerprint(&table.clone()), "equal tables hash equal");
    let mut rescaled = table.clone();
    rescaled[1].rate = Decimal::from_str("13.50").unwrap_or_default();
    assert_eq!(fp, vat_fingerprint(&rescaled), "13.50 is 13.5");
    let changed = |f: &dyn Fn(&mut Vec<VatRow>)| {
        let mut t = table.clone();
        f(&mut t);
        vat_fingerprint(&t)
    };
    let variants = [
        changed(&|t| t[0].category = "general".into()),
        changed(&|t| t[1].rate = Decimal::from_str("14").unwrap_or_default()),
        changed(&|t| t[1].valid_from = d(2026, 1, 2)),
        changed(&|t| t[0].valid_to = Some(d(2025, 12, 30))),
        changed(&|t| t[0].valid_to = None),
        changed(&|t| t[1].valid_to = Some(d(2030, 1, 1))),
        changed(&|t| t.truncate(1)),
        changed(&|t| t.reverse()),
        changed(&|t| t.clear()),
    ];
    for (i, v) in variants.iter().enumerate() {
        assert_ne!(*v, fp, "change {i} must change the fingerprint");
    }
}
