//! "What changed from last month", in plain words: new and no longer billed
//! sites, unit price changes (with the day the new price applies from) and
//! large volume changes per product. Stored as data, worded per language.

use super::{Row, RowKind};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// The part of a row the comparison needs (last month's rows are loaded as this).
#[derive(Debug, Clone, PartialEq)]
pub struct RowSummary {
    pub site_name: String,
    pub product_code: String,
    pub product_name: String,
    pub unit_price: Decimal,
    pub quantity: Decimal,
    pub from: Option<NaiveDate>,
    pub kind: RowKind,
}

impl From<&Row> for RowSummary {
    fn from(r: &Row) -> Self {
        Self {
            site_name: r.site_name.clone(),
            product_code: r.product_code.clone(),
            product_name: r.product_name.clone(),
            unit_price: r.unit_price,
            quantity: r.quantity,
            from: r.from,
            kind: r.kind.unwrap_or(RowKind::Delivered),
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    FirstInvoice,
    NewSites { names: Vec<String> },
    SitesNotBilled { names: Vec<String> },
    Price { product: String, from: Decimal, to: Decimal, since: Option<NaiveDate> },
    Volume { product: String, from: Decimal, to: Decimal, percent: Decimal },
}

/// Volume changes smaller than this (percent) are not worth a sentence.
const VOLUME_THRESHOLD: i64 = 10;

fn billed(rows: &[RowSummary]) -> impl Iterator<Item = &RowSummary> {
    rows.iter().filter(|r| matches!(r.kind, RowKind::Delivered | RowKind::Fixed))
}

/// Compares this month's rows with last month's (`None`: no invoice last month).
pub fn compare(previous: Option<&[RowSummary]>, now: &[RowSummary]) -> Vec<Change> {
    let Some(prev) = previous else { return vec![Change::FirstInvoice] };
    let sites = |rows: &[RowSummary]| -> BTreeSet<String> { billed(rows).map(|r| r.site_name.clone()).collect() };
    let (before, after) = (sites(prev), sites(now));
    let mut out = Vec::new();
    let new: Vec<String> = after.difference(&before).cloned().collect();
    if !new.is_empty() {
        out.push(Change::NewSites { names: new });
    }
    let gone: Vec<String> = before.difference(&after).cloned().collect();
    if !gone.is_empty() {
        out.push(Change::SitesNotBilled { names: gone });
    }
    // Per product: last month's last unit price vs this month's prices in day order.
    let mut last_price: BTreeMap<&str, (Decimal, &str)> = BTreeMap::new();
    let mut by_day: Vec<&RowSummary> = billed(prev).collect();
    by_day.sort_by_key(|r| r.from);
    for r in by_day {
        last_price.insert(&r.product_code, (r.unit_price, &r.product_name));
    }
    let mut now_by_day: Vec<&RowSummary> = billed(now).collect();
    now_by_day.sort_by_key(|r| r.from);
    let mut seen: BTreeSet<(&str, Decimal)> = BTreeSet::new();
    for r in &now_by_day {
        if let Some((old, _)) = last_price.get(r.product_code.as_str()) {
            if *old != r.unit_price && seen.insert((&r.product_code, r.unit_price)) {
                out.push(Change::Price { product: r.product_name.clone(), from: *old, to: r.unit_price, since: r.from });
            }
        }
    }
    let volume = |rows: &[RowSummary]| -> BTreeMap<String, (Decimal, String)> {
        let mut m: BTreeMap<String, (Decimal, String)> = BTreeMap::new();
        for r in billed(rows).filter(|r| r.kind == RowKind::Delivered) {
            m.entry(r.product_code.clone()).or_insert((Decimal::ZERO, r.product_name.clone())).0 += r.quantity;
        }
        m
    };
    let (v0, v1) = (volume(prev), volume(now));
    for (code, (q1, name)) in &v1 {
        if let Some((q0, _)) = v0.get(code).filter(|(q0, _)| *q0 > Decimal::ZERO) {
            let percent = ((*q1 - *q0) / *q0 * Decimal::from(100)).round_dp(0);
            if percent.abs() >= Decimal::from(VOLUME_THRESHOLD) {
                out.push(Change::Volume { product: name.clone(), from: *q0, to: *q1, percent });
            }
        }
    }
    out
}

fn fi_number(d: Decimal) -> String {
    d.normalize().to_string().replace('.', ",")
}

fn day(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%-d.%-m.").to_string()).unwrap_or_default()
}

/// The change in plain words of `lang` (fi, sv, else en).
pub fn words(c: &Change, lang: &str) -> String {
    let list = |names: &[String]| names.join(", ");
    match (c, lang) {
        (Change::FirstInvoice, "fi") => "Ensimmäinen lasku: ei edellisen kuukauden laskua verrattavaksi.".into(),
        (Change::FirstInvoice, "sv") => "Första fakturan: ingen faktura för föregående månad att jämföra med.".into(),
        (Change::FirstInvoice, _) => "First invoice: no invoice for the previous month to compare with.".into(),
        (Change::NewSites { names }, "fi") => format!("{} uutta kohdetta: {}", names.len(), list(names)),
        (Change::NewSites { names }, "sv") => format!("{} nya objekt: {}", names.len(), list(names)),
        (Change::NewSites { names }, _) => format!("{} new sites: {}", names.len(), list(names)),
        (Change::SitesNotBilled { names }, "fi") => format!("{} kohdetta ei laskutettu tässä kuussa: {}", names.len(), list(names)),
        (Change::SitesNotBilled { names }, "sv") => format!("{} objekt fakturerades inte denna månad: {}", names.len(), list(names)),
        (Change::SitesNotBilled { names }, _) => format!("{} sites not billed this month: {}", names.len(), list(names)),
        (Change::Price { product, from, to, since }, "fi") => {
            format!("{product}: hinta {} € → {} € alkaen {}", fi_number(*from), fi_number(*to), day(*since))
        }
        (Change::Price { product, from, to, since }, "sv") => {
            format!("{product}: pris {} € → {} € från {}", fi_number(*from), fi_number(*to), day(*since))
        }
        (Change::Price { product, from, to, since }, _) => {
            format!("{product}: price €{} → €{} from {}", from.normalize(), to.normalize(), day(*since))
        }
        (Change::Volume { product, from, to, percent }, "fi") => {
            format!("{product}: määrä {} → {} ({:+} %)", fi_number(*from), fi_number(*to), percent)
        }
        (Change::Volume { product, from, to, percent }, "sv") => {
            format!("{product}: mängd {} → {} ({:+} %)", fi_number(*from), fi_number(*to), percent)
        }
        (Change::Volume { product, from, to, percent }, _) => {
            format!("{product}: quantity {} → {} ({:+}%)", from.normalize(), to.normalize(), percent)
        }
    }
}
