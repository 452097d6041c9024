//! Pricing rules, pure and unit-tested: decimal parsing, components that must
//! sum exactly to the price, the price-list lifecycle and versions, the
//! mid-year change rule, who may read which prices, VAT by date, and price
//! resolution over a loaded [`PriceBook`] (also for the price sheet).

use chrono::{Datelike, NaiveDate};
use kumppani_platform::Reason;
use kumppani_platform::auth::{Principal, Role};
use kumppani_platform::validate::Violations;
use kumppani_platform::{AppError, ErrorCode};
use kumppani_proto::pricing::v1 as pb;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::str::FromStr;
use uuid::Uuid;

pub use kumppani_platform::convert::{service_line_from as line_from, service_line_text as line_text};
pub use kumppani_price_rules::{ListEntry, OverrideEntry, PriceBook, PriceData, Resolved, VatRow, vat_on};
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
            v.add(field, Reason::negative());
            d
        }
        Ok(d) if d > Decimal::from(100_000) => {
            v.add(field, Reason::new("too_large", "must be at most 100000 euros").with("max", 100_000));
            d
        }
        Ok(d) if d.normalize().scale() > 4 => {
            v.add(field, Reason::new("too_many_decimals", "must have at most 4 decimals").with("max", 4));
            d
        }
        Ok(d) => d,
        Err(_) => {
            v.add(field, Reason::new("not_a_number", "must be a decimal number of euros, e.g. \"3.85\""));
            Decimal::ZERO
        }
    }
}

/// A validated price as the API shows it.
pub trait PriceProto {
    fn to_proto(&self, product_code: &str) -> pb::Price;
    fn components_proto(&self) -> Vec<pb::CostComponent>;
}

impl PriceProto for PriceData {
    fn to_proto(&self, product_code: &str) -> pb::Price {
        pb::Price { product_code: product_code.to_owned(), unit_price: fmt_money(self.unit_price), components: self.components_proto() }
    }
    fn components_proto(&self) -> Vec<pb::CostComponent> {
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
        v.add(field, Reason::required());
        return None;
    };
    let before = v.len();
    if !products.contains_key(&p.product_code) {
        v.add(format!("{field}.product_code"), Reason::new("unknown_product", "is not a product of the catalogue"));
    }
    let unit_price = parse_money(v, &format!("{field}.unit_price"), &p.unit_price);
    if p.components.is_empty() {
        v.add(format!("{field}.components"), Reason::new("required", "are required: a cost-based price must say what it consists of"));
    }
    let mut components = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, c) in p.components.iter().enumerate() {
        match component_text(c.kind) {
            Some(k) => {
                if !seen.insert(k) {
                    v.add(format!("{field}.components[{i}].kind"), Reason::new("duplicate", "appears twice"));
                }
                components.push((k.to_owned(), parse_money(v, &format!("{field}.components[{i}].amount"), &c.amount)));
            }
            None => v.add(format!("{field}.components[{i}].kind"), Reason::required()),
        }
    }
    if v.len() > before {
        return None;
    }
    let sum: Decimal = components.iter().map(|(_, a)| *a).sum();
    if sum != unit_price {
        let message =
            format!("sum to {} but the unit price is {}: components must sum exactly to the price", fmt_money(sum), fmt_money(unit_price));
        let reason = Reason::new("components_sum_mismatch", message).with("sum", fmt_money(sum)).with("unit_price", fmt_money(unit_price));
        v.add(format!("{field}.components"), reason);
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
    let effective_from = effective
        .ok_or_else(|| AppError::invalid("effective_from", Reason::new("required", "is required for a correction of a published list")))?;
    if effective_from <= latest.effective_from {
        return Err(AppError::invalid(
            "effective_from",
            Reason::new("not_after_current_version", "must be after the date the current version took effect"),
        ));
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
                return Err(AppError::invalid("group_approved_on", Reason::approval_required("this price change")));
            }
            Some(g) if decided_on < g => {
                return Err(AppError::invalid("decided_on", Reason::before_approval()));
            }
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

/// Price-sheet lines over the shared [`PriceBook`].
pub trait SheetLines {
    fn sheet_line(
        &self,
        product: &str,
        customer: Uuid,
        site: Option<Uuid>,
        day: NaiveDate,
        benchmark: Option<(Decimal, &str)>,
    ) -> Result<SheetLine, String>;
}

impl SheetLines for PriceBook {
    /// A price-sheet line: the price in force on `day` for the customer (and
    /// site), compared with the same day a year earlier and with `benchmark`.
    fn sheet_line(
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
        return Err(AppError::invalid("as_of", Reason::new("outside_year", "must be within the year")));
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
mod tests;
