//! Pricing rules, pure and unit-tested: decimal parsing, components that must
//! sum exactly to the price, the price-list lifecycle and versions, the
//! mid-year change rule, who may read which prices, VAT by date, and price
//! resolution over a loaded [`PriceBook`] (also for the price sheet).

use chrono::{Datelike, NaiveDate};
use kumppani_platform::auth::{Principal, Role};
use kumppani_platform::validate::Violations;
use kumppani_platform::{AppError, ErrorCode};
use kumppani_proto::pricing::v1 as pb;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;
use uuid::Uuid;

pub use kumppani_platform::convert::{service_line_from as line_from, service_line_text as line_text};
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
fn shown_money(d: Decimal) -> Decimal {
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

/// A version of a year's price list, as far as the lifecycle rules need.
#[derive(Debug, Clone)]
pub struct ListVersion {
    pub id: Uuid,
    pub version: i32,
    pub status: String,
    pub effective_from: NaiveDate,
}

/// The list version to create next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextVersion {
    pub version: i32,
    pub effective_from: NaiveDate,
    /// The published version whose prices the new one starts from.
    pub copy_prices_from: Option<Uuid>,
}

/// The next version of a year's list, given its `versions` (by version): one
/// unpublished version at a time; the first takes effect on `effective` or
/// 1 January; a correction starts from the latest version's prices and must
/// name a later date.
pub fn next_list_version(year: i32, effective: Option<NaiveDate>, versions: &[ListVersion]) -> Result<NextVersion, AppError> {
    if let Some(open) = versions.iter().find(|l| l.status != "published") {
        return Err(AppError::new(
            ErrorCode::AlreadyExists,
            format!("version {} of {year} is still {}: continue that one", open.version, open.status),
        ));
    }
    let Some(latest) = versions.last() else {
        let effective_from = effective.unwrap_or(NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default());
        return Ok(NextVersion { version: 1, effective_from, copy_prices_from: None });
    };
    let effective_from =
        effective.ok_or_else(|| AppError::invalid("effective_from", "is required for a correction of a published list"))?;
    if effective_from <= latest.effective_from {
        return Err(AppError::invalid("effective_from", "must be after the date the current version took effect"));
    }
    Ok(NextVersion { version: latest.version + 1, effective_from, copy_prices_from: Some(latest.id) })
}

/// Only a draft list's prices can be set.
pub fn check_list_editable(status: &str) -> Result<(), AppError> {
    if status == "draft" {
        return Ok(());
    }
    let immutable = if status == "published" { " and immutable: create a new version to correct it" } else { "" };
    Err(AppError::precondition(format!("only a draft list can be edited; this one is {status}{immutable}")))
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

/// Moving `list` (which has `prices` prices) to `to` on `today`: the
/// lifecycle; a proposal needs a price; a correction is not published to
/// take effect in the past.
pub fn check_list_step(list: &ListVersion, to: &str, prices: i64, today: NaiveDate) -> Result<(), AppError> {
    check_list_transition(&list.status, to)?;
    if to == "proposed" && prices == 0 {
        return Err(AppError::precondition("a price list needs at least one price before it is proposed"));
    }
    if to == "published" && list.version > 1 && list.effective_from < today {
        return Err(AppError::precondition(
            "a correction cannot take effect in the past (issued invoices do not change); set a later effective date",
        ));
    }
    Ok(())
}

/// Staff see every list; others only published ones.
pub fn may_see_list(p: &Principal, status: i32) -> bool {
    p.is_enterprise() || status == pb::PriceListStatus::Published as i32
}

/// A change's group approval is recorded, and it is decided, only while it is proposed.
pub fn check_change_open(status: &str) -> Result<(), AppError> {
    if status == "proposed" { Ok(()) } else { Err(AppError::precondition(format!("the price change is already {status}"))) }
}

/// Deciding a proposed change: the status it gets. One affecting more than
/// one customer is approved only after the customer group's approval is
/// recorded, and not on an earlier day (Liite 2 §2).
pub fn decide_change(
    status: &str,
    customers: usize,
    group_approved_on: Option<NaiveDate>,
    approve: bool,
    decided_on: NaiveDate,
) -> Result<&'static str, AppError> {
    check_change_open(status)?;
    if !approve {
        return Ok("rejected");
    }
    if customers > 1 {
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
    Ok("approved")
}

/// May `p` read the prices of `customer` (at `site`, when one is named)?
/// Staff and `prices:read` systems any; a customer contact their customer's;
/// a site user only their site's.
pub fn check_price_scope(p: &Principal, customer: Uuid, site: Option<Uuid>) -> Result<(), AppError> {
    let ok = match p.role {
        Role::EnterpriseAdmin | Role::EnterpriseStaff => true,
        Role::SystemClient => reads_any_price(p),
        Role::CustomerContact => p.customer_id == Some(customer),
        Role::SiteUser => p.customer_id == Some(customer) && site.is_some() && site == p.site_id,
    };
    if ok { Ok(()) } else { Err(AppError::denied("these prices are outside your scope")) }
}

fn reads_any_price(p: &Principal) -> bool {
    p.grants.iter().any(|g| g == "prices:read")
}

/// The (customer, site) filter of `p`'s override listing, from the asked
/// `customer` and `site` (`site_customer`: the asked site's customer, `None`
/// when unknown). Staff and `prices:read` systems list as asked; a customer
/// contact only within their customer; a site user only their own site.
pub fn override_filter(
    p: &Principal,
    customer: Option<Uuid>,
    site: Option<Uuid>,
    site_customer: Option<Uuid>,
) -> Result<(Option<Uuid>, Option<Uuid>), AppError> {
    match p.role {
        Role::EnterpriseAdmin | Role::EnterpriseStaff => Ok((customer, site)),
        Role::SystemClient if reads_any_price(p) => Ok((customer, site)),
        Role::SystemClient => Err(AppError::denied("this client has no prices:read grant")),
        Role::CustomerContact => {
            if site.is_some() && site_customer != p.customer_id {
                return Err(AppError::denied("this site is outside your scope"));
            }
            if customer.is_some_and(|c| Some(c) != p.customer_id) {
                return Err(AppError::denied("this customer is outside your scope"));
            }
            Ok((p.customer_id, site))
        }
        Role::SiteUser => {
            if site.is_some_and(|s| Some(s) != p.site_id) || customer.is_some_and(|c| Some(c) != p.customer_id) {
                return Err(AppError::denied("these prices are outside your scope"));
            }
            Ok((None, p.site_id))
        }
    }
}

/// The customer whose changes `p` may list (`None`: every change).
pub fn change_scope(p: &Principal) -> Result<Option<Uuid>, AppError> {
    if p.is_enterprise() { Ok(None) } else { p.customer_id.map(Some).ok_or_else(|| AppError::denied("no customer scope")) }
}

/// Never reveal to a customer which other customers a change concerns.
pub fn only_own_customer(change: &mut pb::PriceChange, own: Uuid) {
    let own = own.to_string();
    let keep: Vec<usize> = change.customer_ids.iter().enumerate().filter(|(_, id)| **id == own).map(|(i, _)| i).collect();
    change.customer_names = keep.iter().filter_map(|i| change.customer_names.get(*i).cloned()).collect();
    change.customer_ids = vec![own];
}

/// One VAT rate row.
#[derive(Debug, Clone)]
pub struct VatRow {
    pub category: String,
    pub rate: Decimal,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

/// A stable fingerprint of the VAT table: SHA-256 (hex) of every row's
/// category, rate (normalized: 25.50 = 25.5), valid_from and valid_to (empty
/// when open), in the given order, fields separated by 0x1F and rows ended by
/// 0x1E. Equal tables hash equal whatever the rates' stored scale; any change
/// of a value changes it.
pub fn vat_fingerprint(rows: &[VatRow]) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for r in rows {
        let valid_to = r.valid_to.map(|d| d.to_string()).unwrap_or_default();
        for field in [r.category.as_str(), &r.rate.normalize().to_string(), &r.valid_from.to_string(), &valid_to] {
            hash.update(field.as_bytes());
            hash.update([0x1f]);
        }
        hash.update([0x1e]);
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
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
    /// A price-sheet line: the price in force on `day` for the customer (and
    /// site), compared with the same day a year earlier and with `benchmark`.
    pub fn sheet_line(
        &self,
        product: &str,
        customer: Uuid,
        site: Option<Uuid>,
        day: NaiveDate,
        benchmark: Option<(Decimal, &str)>,
    ) -> Result<SheetLine, String> {
        let price = self.resolve_for(product, customer, site, day)?;
        let year_before = day.with_year(day.year() - 1).unwrap_or(day);
        let last_year_price = self.resolve_for(product, customer, site, year_before).ok().map(|r| r.price.unit_price);
        let now = price.price.unit_price;
        Ok(SheetLine {
            change_percent: last_year_price.and_then(|old| percent_change(now, old)),
            last_year_price,
            vs_benchmark_percent: benchmark.and_then(|(b, _)| percent_change(now, b)),
            benchmark: benchmark.map(|(b, provider)| (b, provider.to_owned())),
            price,
        })
    }

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

/// The lowest benchmark price of each product, at the scale it is shown, with
/// its provider (the first of equal ones, in the given order).
pub fn lowest_benchmarks(benchmarks: &[Benchmark]) -> HashMap<&str, (Decimal, &str)> {
    let mut lowest: HashMap<&str, (Decimal, &str)> = HashMap::new();
    for b in benchmarks {
        let price = shown_money(b.unit_price);
        let e = lowest.entry(b.product_code.as_str()).or_insert((price, b.provider.as_str()));
        if price < e.0 {
            *e = (price, b.provider.as_str());
        }
    }
    lowest
}

/// The day a price sheet of `year` shows: the asked day, which must be in the
/// year; else today in the current year, 1 January of a coming year and
/// 31 December of a past one.
pub fn sheet_day(year: i32, asked: Option<NaiveDate>, today: NaiveDate) -> Result<NaiveDate, AppError> {
    let day = asked.unwrap_or_else(|| {
        if year == today.year() {
            today
        } else if year > today.year() {
            NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(today)
        } else {
            NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today)
        }
    });
    if day.year() != year {
        return Err(AppError::invalid("as_of", "must be within the year"));
    }
    Ok(day)
}

/// One product's line of a price sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetLine {
    pub price: Resolved,
    /// The price on the same day a year earlier, when there was one.
    pub last_year_price: Option<Decimal>,
    /// Percent change from `last_year_price`.
    pub change_percent: Option<Decimal>,
    /// The lowest private provider's price and name.
    pub benchmark: Option<(Decimal, String)>,
    /// Percent difference to the benchmark.
    pub vs_benchmark_percent: Option<Decimal>,
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
        assert!(
            check_list_step(&version(1, "approved", d(2027, 1, 1)), "published", 1, today).is_ok(),
            "the first list may start in the past"
        );
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
}
