//! Pricing rules, pure and unit-tested: decimal parsing, components that must
//! sum exactly to the price, the price-list lifecycle, the mid-year change rule,
//! VAT by date, and price resolution over a loaded [`PriceBook`].

use chrono::{Datelike, NaiveDate};
use kumppani_platform::AppError;
use kumppani_platform::validate::Violations;
use kumppani_proto::pricing::v1 as pb;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;
use uuid::Uuid;

kumppani_platform::text_enum!(line_text, line_from, pb::ServiceLine, {
    Meals => "meals", Cleaning => "cleaning", MultiService => "multi_service", StaffDining => "staff_dining",
    Coffee => "coffee", Development => "development",
});
kumppani_platform::text_enum!(unit_text, unit_from, pb::Unit, { Meal => "meal", M2Month => "m2_month", M2 => "m2", Hour => "hour", Serving => "serving" });
kumppani_platform::text_enum!(vat_text, vat_from, pb::VatCategory, { Food => "food", General => "general", OutsideScope => "outside_scope" });
kumppani_platform::text_enum!(component_text, component_from, pb::CostComponentKind, {
    RawMaterials => "raw_materials", Labour => "labour", Premises => "premises", Equipment => "equipment",
    Transport => "transport", Administration => "administration", PurchasedServices => "purchased_services", Other => "other",
});
kumppani_platform::text_enum!(list_status_text, list_status_from, pb::PriceListStatus, {
    Draft => "draft", Proposed => "proposed", Approved => "approved", Published => "published",
});
kumppani_platform::text_enum!(change_status_text, change_status_from, pb::PriceChangeStatus, {
    Proposed => "proposed", Approved => "approved", Rejected => "rejected",
});

/// Unit prices and components: euros with at most 4 decimals, 0 ..= 100 000.
pub fn parse_money(v: &mut Violations, field: &str, value: &str) -> Decimal {
    match Decimal::from_str(value.trim()) {
        Ok(d) if d.is_sign_negative() => {
            v.add(field, "must not be negative");
            d
        }
        Ok(d) if d > Decimal::from(100_000) => {
            v.add(field, "must be at most 100000 euros");
            d
        }
        Ok(d) if d.normalize().scale() > 4 => {
            v.add(field, "must have at most 4 decimals");
            d
        }
        Ok(d) => d,
        Err(_) => {
            v.add(field, "must be a decimal number of euros, e.g. \"3.85\"");
            Decimal::ZERO
        }
    }
}

/// A validated price: components by kind, summing exactly to the unit price.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PriceData {
    pub unit_price: Decimal,
    /// (kind text, amount), in the order given.
    pub components: Vec<(String, Decimal)>,
}

impl PriceData {
    pub fn to_proto(&self, product_code: &str) -> pb::Price {
        pb::Price { product_code: product_code.to_owned(), unit_price: fmt_money(self.unit_price), components: self.components_proto() }
    }
    pub fn components_proto(&self) -> Vec<pb::CostComponent> {
        self.components.iter().map(|(k, a)| pb::CostComponent { kind: component_from(k), amount: fmt_money(*a) }).collect()
    }
}

/// Money as text with at least two decimals ("3.85", "1.2345").
pub fn fmt_money(d: Decimal) -> String {
    shown_money(d).to_string()
}

/// Money at the scale it is shown: no trailing zeros, but at least two decimals.
pub fn shown_money(d: Decimal) -> Decimal {
    let mut n = d.normalize();
    if n.scale() < 2 {
        n.rescale(2);
    }
    n
}

/// Validates a price: known product, money, components that sum exactly
/// (cost-based pricing: no margin, nothing unexplained).
pub fn validate_price(
    v: &mut Violations,
    field: &str,
    p: Option<&pb::Price>,
    products: &HashMap<String, pb::Product>,
) -> Option<(String, PriceData)> {
    let Some(p) = p else {
        v.add(field, "is required");
        return None;
    };
    let before = v.len();
    if !products.contains_key(&p.product_code) {
        v.add(format!("{field}.product_code"), "is not a product of the catalogue");
    }
    let unit_price = parse_money(v, &format!("{field}.unit_price"), &p.unit_price);
    if p.components.is_empty() {
        v.add(format!("{field}.components"), "are required: a cost-based price must say what it consists of");
    }
    let mut components = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, c) in p.components.iter().enumerate() {
        match component_text(c.kind) {
            Some(k) => {
                if !seen.insert(k) {
                    v.add(format!("{field}.components[{i}].kind"), "appears twice");
                }
                components.push((k.to_owned(), parse_money(v, &format!("{field}.components[{i}].amount"), &c.amount)));
            }
            None => v.add(format!("{field}.components[{i}].kind"), "is required"),
        }
    }
    if v.len() > before {
        return None;
    }
    let sum: Decimal = components.iter().map(|(_, a)| *a).sum();
    if sum != unit_price {
        v.add(
            format!("{field}.components"),
            format!("sum to {} but the unit price is {}: components must sum exactly to the price", fmt_money(sum), fmt_money(unit_price)),
        );
        return None;
    }
    Some((p.product_code.clone(), PriceData { unit_price, components }))
}

pub use kumppani_platform::convert::today_helsinki;

/// A version of a year's price list, as far as creating the next one needs.
#[derive(Debug, Clone)]
pub struct ListVersion {
    pub id: Uuid,
    pub version: i32,
    pub status: String,
    pub effective_from: NaiveDate,
}

/// draft → proposed → approved → published; proposed → draft (back to work).
pub fn check_list_transition(from: &str, to: &str) -> Result<(), AppError> {
    let ok = matches!((from, to), ("draft", "proposed") | ("proposed", "draft") | ("proposed", "approved") | ("approved", "published"));
    if ok {
        Ok(())
    } else if from == "published" {
        Err(AppError::precondition("a published price list is immutable; create a new version to correct it"))
    } else {
        Err(AppError::precondition(format!("a price list cannot move from {from} to {to}")))
    }
}

/// A change affecting more than one customer needs the customer group's approval
/// recorded before it is approved (Liite 2 §2).
pub fn check_change_decision(
    status: &str,
    customers: usize,
    group_approved_on: Option<NaiveDate>,
    approve: bool,
    decided_on: NaiveDate,
) -> Result<(), AppError> {
    if status != "proposed" {
        return Err(AppError::precondition(format!("the price change is already {status}")));
    }
    if approve && customers > 1 {
        match group_approved_on {
            None => {
                return Err(AppError::precondition(
                    "this price change affects several customers: the customer group's approval must be recorded first",
                ));
            }
            Some(g) if decided_on < g => return Err(AppError::invalid("decided_on", "must not be before the customer group's approval")),
            Some(_) => {}
        }
    }
    Ok(())
}

/// One VAT rate row.
#[derive(Debug, Clone)]
pub struct VatRow {
    pub category: String,
    pub rate: Decimal,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

/// The VAT rate of a category on a day.
pub fn vat_on(rates: &[VatRow], category: &str, day: NaiveDate) -> Option<Decimal> {
    rates.iter().find(|r| r.category == category && r.valid_from <= day && r.valid_to.is_none_or(|t| day <= t)).map(|r| r.rate)
}

/// A published list version.
#[derive(Debug, Clone)]
pub struct ListEntry {
    pub id: Uuid,
    pub year: i32,
    pub version: i32,
    pub effective_from: NaiveDate,
    pub prices: HashMap<String, PriceData>,
}

#[derive(Debug, Clone)]
pub struct OverrideEntry {
    pub id: Uuid,
    pub effective_from: NaiveDate,
    pub price: PriceData,
}

/// Everything needed to resolve prices for some years, loaded once.
#[derive(Debug, Default)]
pub struct PriceBook {
    pub products: HashMap<String, pb::Product>,
    /// Published lists sorted by (effective_from, version).
    pub lists: Vec<ListEntry>,
    /// (site, product) → overrides sorted by effective_from (then creation).
    pub site_overrides: HashMap<(Uuid, String), Vec<OverrideEntry>>,
    pub customer_overrides: HashMap<(Uuid, String), Vec<OverrideEntry>>,
    /// site → customer (projection of contracts).
    pub site_customer: HashMap<Uuid, Uuid>,
    /// customer → kind (projection of contracts).
    pub customer_kind: HashMap<Uuid, String>,
    pub vat: Vec<VatRow>,
}

/// A resolved price.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub price: PriceData,
    pub vat_category: String,
    pub vat_rate: Decimal,
    pub source: pb::PriceSource,
    pub source_id: Uuid,
    pub list_version: i32,
}

fn latest_effective(entries: Option<&Vec<OverrideEntry>>, day: NaiveDate) -> Option<&OverrideEntry> {
    // Overrides set the price level of their own year only.
    entries?.iter().rev().find(|e| e.effective_from <= day && e.effective_from.year() == day.year())
}

impl PriceBook {
    /// Precedence: site-specific, then customer-specific, then the published
    /// list version in force on the day. VAT: internal customers are outside
    /// its scope; others pay the product category's rate valid on the day.
    pub fn resolve(&self, product: &str, site: Uuid, day: NaiveDate) -> Result<Resolved, String> {
        let customer = *self.site_customer.get(&site).ok_or_else(|| "unknown site".to_owned())?;
        self.resolve_for(product, customer, Some(site), day)
    }

    /// Resolution for a customer, and one of its sites when given.
    pub fn resolve_for(&self, product: &str, customer: Uuid, site: Option<Uuid>, day: NaiveDate) -> Result<Resolved, String> {
        let p = self.products.get(product).ok_or_else(|| format!("unknown product {product}"))?;
        let key = product.to_owned();
        let site_override = site.and_then(|s| latest_effective(self.site_overrides.get(&(s, key.clone())), day));
        let (price, source, source_id, list_version) = if let Some(o) = site_override {
            (o.price.clone(), pb::PriceSource::Site, o.id, 0)
        } else if let Some(o) = latest_effective(self.customer_overrides.get(&(customer, key.clone())), day) {
            (o.price.clone(), pb::PriceSource::Customer, o.id, 0)
        } else {
            let list = self
                .lists
                .iter()
                .rev()
                .find(|l| l.year == day.year() && l.effective_from <= day)
                .ok_or_else(|| format!("no published price list in force on {day}"))?;
            let price = list.prices.get(product).ok_or_else(|| format!("{product} has no price in the {} list", list.year))?;
            (price.clone(), pb::PriceSource::List, list.id, list.version)
        };
        let internal = self.customer_kind.get(&customer).is_none_or(|k| k.starts_with("internal"));
        let (vat_category, vat_rate) = if internal {
            ("outside_scope".to_owned(), Decimal::ZERO)
        } else {
            let category = vat_text(p.vat_category).unwrap_or("general");
            let rate = vat_on(&self.vat, category, day).ok_or_else(|| format!("no {category} VAT rate valid on {day}"))?;
            (category.to_owned(), rate)
        };
        Ok(Resolved { price, vat_category, vat_rate, source, source_id, list_version })
    }
}

/// A private provider's price of a product, for comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Benchmark {
    pub id: Uuid,
    pub product_code: String,
    pub year: i32,
    pub provider: String,
    pub unit_price: Decimal,
    pub source: String,
}

/// Percent change `(new - old) / old`, one decimal, half away from zero.
pub fn percent_change(new: Decimal, old: Decimal) -> Option<Decimal> {
    if old.is_zero() {
        return None;
    }
    Some(((new - old) / old * Decimal::from(100)).round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero))
}

#[cfg(test)]
mod tests {
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
        b.products.insert(
            "LOUNAS".into(),
            pb::Product { code: "LOUNAS".into(), vat_category: pb::VatCategory::Food as i32, ..Default::default() },
        );
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
            VatRow {
                category: "food".into(),
                rate: Decimal::from_str("13.5").unwrap_or_default(),
                valid_from: d(2026, 1, 1),
                valid_to: None,
            },
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
        assert!(check_change_decision("proposed", 3, None, true, d(2027, 7, 1)).is_err());
        assert!(check_change_decision("proposed", 1, None, true, d(2027, 7, 1)).is_ok());
        assert!(check_change_decision("proposed", 3, Some(d(2027, 6, 1)), true, d(2027, 7, 1)).is_ok());
        assert_eq!(percent_change(Decimal::from_str("3.10").unwrap_or_default(), Decimal::from(3)), Decimal::from_str("3.3").ok());
    }
}
