//! The order week of a site (quick on a phone: home → orders → change a count
//! → save). Each service line of a day is its own form with its own cut-off:
//! on one day meals may already be past their cut-off (a change becomes a
//! late-change request) while cleaning is not. An empty field changes nothing;
//! 0 cancels, and the page confirms what was cancelled. A form that cannot be
//! saved comes back with what the user typed, the bad fields marked.

use crate::i18n::I18n;
use crate::page::{CsrfForm, FormPairs, Layout, Page, PageError, PageQuery, PageResult, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::{Datelike, Duration, NaiveDate};
use kumppani_platform::calendar;
use kumppani_platform::{AppError, ErrorCode};
use kumppani_proto::ordering::v1 as pb;
use serde::Deserialize;
use std::collections::HashMap;

/// Largest count the service accepts on one line.
const MAX_QUANTITY: i32 = 100_000;

/// The first working day after `today` (Finnish holidays and days off
/// included): what production plans for, and the order week shown by default.
pub(super) fn next_working_day(today: NaiveDate) -> NaiveDate {
    let mut d = today + Duration::days(1);
    while !calendar::is_working_day(d) {
        d += Duration::days(1);
    }
    d
}

/// How a day of the order week relates to today: `(tomorrow, past)`. Today is
/// not past — it may only be past its cut-off, which the service says.
fn day_flags(date: NaiveDate, today: NaiveDate) -> (bool, bool) {
    (date == today + Duration::days(1), date < today)
}

pub(super) fn date_param(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// Cut-off instant as local Helsinki weekday and time, in the user's language.
fn cutoff_text(i: &I18n, t: &Option<kumppani_proto::pbjson_types::Timestamp>) -> String {
    let Some(t) = t else { return String::new() };
    let Some(utc) = chrono::DateTime::from_timestamp(t.seconds, 0) else { return String::new() };
    let local = utc.with_timezone(&chrono_tz::Europe::Helsinki);
    format!("{} {}", day_text(i, local.date_naive()), local.format("%H:%M"))
}

fn weekday(i: &I18n, d: NaiveDate) -> String {
    i.t(&format!("weekday-{}", d.weekday().num_days_from_monday()))
}

/// "to 3.12." in the user's language.
fn day_text(i: &I18n, d: NaiveDate) -> String {
    format!("{} {}", weekday(i, d), d.format("%-d.%-m."))
}

/// A Finnish public holiday's name (as the calendar gives it) in the user's language.
pub(super) fn holiday(i: &I18n, finnish: &str) -> String {
    let key = match finnish {
        "Uudenvuodenpäivä" => "holiday-new-year",
        "Loppiainen" => "holiday-epiphany",
        "Vappu" => "holiday-may-day",
        "Itsenäisyyspäivä" => "holiday-independence-day",
        "Jouluaatto" => "holiday-christmas-eve",
        "Joulupäivä" => "holiday-christmas-day",
        "Tapaninpäivä" => "holiday-st-stephens-day",
        "Pitkäperjantai" => "holiday-good-friday",
        "Pääsiäispäivä" => "holiday-easter-sunday",
        "Toinen pääsiäispäivä" => "holiday-easter-monday",
        "Helatorstai" => "holiday-ascension-day",
        "Helluntaipäivä" => "holiday-whitsunday",
        "Juhannusaatto" => "holiday-midsummer-eve",
        "Juhannuspäivä" => "holiday-midsummer-day",
        "Pyhäinpäivä" => "holiday-all-saints-day",
        other => return other.to_owned(),
    };
    i.t(key)
}

/// A service line's name (`meals` → "Ateriapalvelut").
fn line_label(i: &I18n, line: &str) -> String {
    i.t(&format!("service-line-{}", line.replace('_', "-")))
}

/// A product's name with its diet, e.g. "Päiväkodin lounas (gluteeniton)".
pub(super) fn product_label(name: &str, code: &str, diet: &str) -> String {
    let name = if name.is_empty() { code } else { name };
    if diet.is_empty() { name.to_owned() } else { format!("{name} ({diet})") }
}

struct DayRow {
    date: String,
    iso: String,
    label: String,
    holiday: String,
    tomorrow: bool,
    /// Before today: no more orders; what was ordered and delivered is shown.
    past: bool,
    /// The site is closed (weekend or holiday of a weekdays-only site): nothing to order.
    closed: bool,
    lines: Vec<LineForm>,
    /// Past days: (product, ordered, delivered or "–").
    history: Vec<(String, String, String)>,
    late: Vec<(String, pb::LateChange)>,
}

/// One service line of a day: its own form, cut-off and button.
struct LineForm {
    line: String,
    /// "Ateriapalvelut: muutokset tallentuvat heti ke 2.12. 12:00 asti." and the like.
    state: String,
    /// After the cut-off: a change becomes a late-change request.
    request: bool,
    cells: Vec<Cell>,
}

struct Cell {
    /// `q:<product>:<diet>`; `o:` the quantity shown, `v:` the order's version shown.
    field: String,
    orig: String,
    orig_value: String,
    ver: String,
    ver_value: String,
    label: String,
    value: String,
    /// Why the value typed here was not saved (next to the field, `aria-invalid`).
    error: String,
}

#[derive(Template)]
#[template(path = "ordering/orders.html")]
struct OrdersPage<'a> {
    l: &'a Layout,
    i: &'a I18n,
    week: pb::OrderWeek,
    days: Vec<DayRow>,
    prev: String,
    next: String,
    notice: Vec<String>,
    error: Vec<String>,
}

/// A posted day form shown again: per field what was typed, the hidden values
/// to keep (shown quantity and version, so a change meanwhile is still noticed)
/// and the field's error.
#[derive(Default)]
struct Typed {
    day: Option<NaiveDate>,
    values: HashMap<String, String>,
    keep: HashMap<String, (String, String)>,
    errors: HashMap<String, String>,
}

#[derive(Deserialize, Default)]
pub(super) struct WeekParams {
    #[serde(default)]
    site: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    notice: String,
}

async fn load_week(s: &AppState, page: &Page, site: String, day: NaiveDate) -> Result<pb::OrderWeek, PageError> {
    let request = pb::GetOrderWeekRequest { site_id: site, day: Some(day.into()) };
    Ok(s.ordering().get_order_week(page.grpc(request)?).await?.into_inner())
}

/// The cells of one service line of a day: the products of the line the site
/// orders this week (all it may order when none), then the day's diet lines.
fn line_cells(week: &pb::OrderWeek, d: &pb::OrderDay, line: &str, typed: Option<&Typed>) -> Vec<Cell> {
    let used: Vec<&str> = week
        .days
        .iter()
        .flat_map(|d| d.products.iter().filter(|p| p.service_line == line && p.diet.is_empty()).map(|p| p.product_code.as_str()))
        .collect();
    let orderable = week.products.iter().filter(|p| p.service_line == line && (used.is_empty() || used.contains(&p.code.as_str())));
    let mut rows: Vec<(String, String, String, Option<&pb::OrderDayProduct>)> = orderable
        .map(|p| {
            let stored = d.products.iter().find(|x| x.product_code == p.code && x.diet.is_empty());
            (p.code.clone(), String::new(), p.name.clone(), stored)
        })
        .collect();
    for x in d.products.iter().filter(|x| x.service_line == line && !x.diet.is_empty()) {
        rows.push((x.product_code.clone(), x.diet.clone(), x.product_name.clone(), Some(x)));
    }
    rows.into_iter()
        .map(|(code, diet, name, stored)| {
            let key = format!("{code}:{diet}");
            let field = format!("q:{key}");
            let shown = stored.filter(|x| !x.order_id.is_empty());
            let (mut orig_value, mut ver_value) =
                (shown.map(|x| x.quantity.to_string()).unwrap_or_default(), shown.map_or(0, |x| x.version).to_string());
            if let Some((o, v)) = typed.and_then(|t| t.keep.get(&field)) {
                (orig_value, ver_value) = (o.clone(), v.clone());
            }
            let value = typed.and_then(|t| t.values.get(&field)).cloned().unwrap_or_else(|| orig_value.clone());
            let error = typed.and_then(|t| t.errors.get(&field)).cloned().unwrap_or_default();
            Cell {
                label: product_label(&name, &code, &diet),
                orig: format!("o:{key}"),
                ver: format!("v:{key}"),
                field,
                orig_value,
                ver_value,
                value,
                error,
            }
        })
        .collect()
}

fn day_row(i: &I18n, week: &pb::OrderWeek, d: &pb::OrderDay, today: NaiveDate, typed: &Typed) -> Option<DayRow> {
    let date = d.date.as_ref()?.to_naive()?;
    let (tomorrow, past) = day_flags(date, today);
    let typed = typed.day.filter(|t| *t == date).map(|_| typed);
    let lines = if past {
        Vec::new()
    } else {
        d.cutoffs
            .iter()
            .map(|c| {
                let (line, cutoff) = (line_label(i, &c.service_line), cutoff_text(i, &c.cutoff));
                let request = c.change_mode == pb::ChangeMode::LateChangeRequest as i32;
                let key = if request { "ow-line-late" } else { "ow-line-normal" };
                LineForm {
                    state: i.t_args(key, &[("line", line), ("cutoff", cutoff)]),
                    request,
                    cells: line_cells(week, d, &c.service_line, typed),
                    line: c.service_line.clone(),
                }
            })
            .filter(|f| !f.cells.is_empty())
            .collect()
    };
    let count = |q: Option<i32>| q.map_or_else(|| "–".to_owned(), |q| i.integer(i64::from(q)));
    let history = if past {
        d.products
            .iter()
            .map(|p| {
                let ordered = if p.order_id.is_empty() { None } else { Some(p.quantity) };
                (product_label(&p.product_name, &p.product_code, &p.diet), count(ordered), count(p.delivered_quantity))
            })
            .collect()
    } else {
        Vec::new()
    };
    let names: HashMap<&str, &str> = week.products.iter().map(|p| (p.code.as_str(), p.name.as_str())).collect();
    let late = d
        .late_changes
        .iter()
        .map(|x| {
            let label = x.line.as_ref().map_or_else(String::new, |ln| {
                product_label(names.get(ln.product_code.as_str()).copied().unwrap_or(""), &ln.product_code, &ln.diet)
            });
            (label, x.clone())
        })
        .collect();
    Some(DayRow {
        date: date.format("%-d.%-m.").to_string(),
        iso: date.to_string(),
        label: weekday(i, date),
        holiday: if d.holiday.is_empty() { String::new() } else { holiday(i, &d.holiday) },
        tomorrow,
        past,
        closed: d.site_closed,
        lines,
        history,
        late,
    })
}

/// The week page; `typed` shows a posted day form again, `error` above it (an error answer's `status`).
fn week_page(
    page: &Page,
    week: pb::OrderWeek,
    day: NaiveDate,
    typed: Typed,
    (status, notice, error): (StatusCode, Vec<String>, Vec<String>),
) -> PageResult {
    let i = &page.i;
    let today = calendar::today();
    let days = week.days.iter().filter_map(|d| day_row(i, &week, d, today, &typed)).collect();
    let q = |d: NaiveDate| format!("/portal/orders?site={}&day={}", week.site_id, d);
    let (prev, next) = (q(day - Duration::days(7)), q(day + Duration::days(7)));
    Ok(render(status, &OrdersPage { l: &page.l, i, prev, next, week, days, notice, error }))
}

/// The site's own site, or the one asked for (staff, customer contacts).
fn site_of(page: &Page, asked: &str) -> Result<String, PageError> {
    let site = if asked.is_empty() { page.session.site_id.map(|x| x.to_string()).unwrap_or_default() } else { asked.to_owned() };
    if site.is_empty() { Err(PageError::Missing("error-pick-site-text")) } else { Ok(site) }
}

#[tracing::instrument(skip_all)]
pub(super) async fn orders(State(s): State<AppState>, page: Page, PageQuery(p): PageQuery<WeekParams>) -> PageResult {
    let site = site_of(&page, &p.site)?;
    // Default: the week of the next working day (on a weekend, next week).
    let day = date_param(&p.day).unwrap_or_else(|| next_working_day(calendar::today()));
    let notice = if p.notice.is_empty() { Vec::new() } else { p.notice.split('|').map(str::to_owned).collect() };
    let week = load_week(&s, &page, site, day).await?;
    week_page(&page, week, day, Typed::default(), (StatusCode::OK, notice, Vec::new()))
}

/// Why the service refused an order line, in the user's language.
fn rejection(i: &I18n, field: &str) -> String {
    i.t(match field {
        "line.site_id" | "site_id" => "orders-rejected-site",
        "line.service_day" | "service_day" => "orders-rejected-day",
        "line.quantity" | "quantity" => "orders-rejected-quantity",
        "line.diet" | "diet" => "orders-rejected-diet",
        "line.product_code" | "product_code" => "orders-rejected-product",
        _ => "orders-rejected",
    })
}

/// One changed field of a posted day form.
struct Change {
    field: String,
    product: String,
    diet: String,
    quantity: i32,
    expected_version: Option<i32>,
    label: String,
}

/// The changes of a posted day form and the fields that are not counts. An
/// empty field means "no change"; unchanged values are not sent.
fn changes(i: &I18n, f: &FormPairs, names: &HashMap<&str, &str>) -> (Vec<Change>, HashMap<String, String>) {
    let (mut out, mut bad) = (Vec::new(), HashMap::new());
    for (name, value) in f.iter() {
        let Some(rest) = name.strip_prefix("q:") else { continue };
        let value = value.trim();
        if value.is_empty() || value == f.get(&format!("o:{rest}")) {
            continue;
        }
        let (product, diet) = rest.split_once(':').unwrap_or((rest, ""));
        match value.parse::<i32>() {
            Ok(quantity) if (0..=MAX_QUANTITY).contains(&quantity) => out.push(Change {
                field: name.to_owned(),
                product: product.to_owned(),
                diet: diet.to_owned(),
                quantity,
                expected_version: f.get(&format!("v:{rest}")).parse().ok(),
                label: product_label(names.get(product).copied().unwrap_or(""), product, diet),
            }),
            _ => {
                bad.insert(name.to_owned(), i.t("ow-not-a-count"));
            }
        }
    }
    (out, bad)
}

/// What the user typed in a posted form, and the shown quantities and versions to keep.
fn typed_of(f: &FormPairs, day: NaiveDate, errors: HashMap<String, String>) -> Typed {
    let mut t = Typed { day: Some(day), errors, ..Typed::default() };
    for (name, value) in f.iter() {
        if let Some(rest) = name.strip_prefix("q:") {
            t.values.insert(name.to_owned(), value.trim().to_owned());
            t.keep.insert(name.to_owned(), (f.get(&format!("o:{rest}")), f.get(&format!("v:{rest}"))));
        }
    }
    t
}

/// Saves one service line of a day: each changed count as its own order line,
/// with the version the page showed (a change meanwhile is a conflict, not an
/// overwrite). Success goes back to the week with what was saved, requested and
/// cancelled; otherwise the form comes back as typed with the refused fields marked.
#[tracing::instrument(skip_all)]
pub(super) async fn save_day(State(s): State<AppState>, page: Page, CsrfForm(f): CsrfForm<FormPairs>) -> PageResult {
    let i = &page.i;
    let site = f.get("site");
    let Some(day) = date_param(&f.get("day")) else {
        let week = load_week(&s, &page, site, calendar::today()).await?;
        let answer = (StatusCode::UNPROCESSABLE_ENTITY, Vec::new(), vec![i.t("orders-bad-day")]);
        return week_page(&page, week, calendar::today(), Typed::default(), answer);
    };
    let week = load_week(&s, &page, site.clone(), day).await?;
    let names: HashMap<&str, &str> = week.products.iter().map(|p| (p.code.as_str(), p.name.as_str())).collect();
    let (lines, bad) = changes(i, &f, &names);
    if !bad.is_empty() {
        // Nothing is saved: every typed value comes back, the bad ones marked.
        let error = bad.values().cloned().collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        let typed = typed_of(&f, day, bad);
        return week_page(&page, week, day, typed, (StatusCode::UNPROCESSABLE_ENTITY, Vec::new(), error));
    }
    let when = day_text(i, day);
    let (mut notice, mut error, mut refused) = (Vec::new(), Vec::new(), HashMap::new());
    let mut status = StatusCode::UNPROCESSABLE_ENTITY;
    for c in lines {
        let line = pb::OrderLine {
            site_id: site.clone(),
            service_day: Some(day.into()),
            product_code: c.product.clone(),
            diet: c.diet.clone(),
            quantity: c.quantity,
        };
        let request = pb::PlaceOrderRequest { line: Some(line), expected_version: c.expected_version, ..Default::default() };
        let args = |q: i32| [("product", c.label.clone()), ("day", when.clone()), ("quantity", i.integer(i64::from(q)))];
        match s.ordering().place_order(page.grpc(request)?).await {
            Ok(r) => {
                let late = r.get_ref().result.as_ref().is_some_and(|x| x.outcome == pb::OrderOutcome::LateChangeRequested as i32);
                let key = match (late, c.quantity) {
                    (true, _) => "ow-requested",
                    (false, 0) => "ow-cancelled",
                    (false, _) => "ow-saved",
                };
                notice.push(i.t_args(key, &args(c.quantity)));
            }
            Err(status_) => {
                let e = AppError::from_status(&status_);
                let message = match e.code {
                    ErrorCode::Aborted => {
                        status = StatusCode::CONFLICT;
                        i.t_args("ow-conflict", &[("product", c.label.clone()), ("day", when.clone())])
                    }
                    ErrorCode::InvalidArgument | ErrorCode::PermissionDenied | ErrorCode::FailedPrecondition => {
                        let field = e.violations.first().map_or("", |v| v.field.as_str());
                        format!("{}: {}", c.label, rejection(i, field))
                    }
                    _ => return Err(e.into()),
                };
                tracing::info!(product = %c.product, error = %e, "order line refused");
                error.push(message.clone());
                refused.insert(c.field.clone(), message);
            }
        }
    }
    if error.is_empty() {
        let notice = url::form_urlencoded::byte_serialize(notice.join("|").as_bytes()).collect::<String>();
        let target = if notice.is_empty() {
            format!("/portal/orders?site={site}&day={day}")
        } else {
            format!("/portal/orders?site={site}&day={day}&notice={notice}")
        };
        return Ok(Redirect::to(&target).into_response());
    }
    // Show the week as it is now; the refused fields keep what was typed.
    let week = load_week(&s, &page, site, day).await?;
    let mut typed = typed_of(&f, day, HashMap::new());
    typed.values.retain(|k, _| refused.contains_key(k));
    typed.keep.clear();
    typed.errors = refused;
    week_page(&page, week, day, typed, (status, notice, error))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{FormPairs, changes, day_flags, holiday, next_working_day, rejection};
    use crate::i18n::{I18n, LANGUAGES};
    use chrono::{Datelike, NaiveDate};
    use std::collections::HashMap;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn today_is_not_past() {
        let today = ymd(2027, 3, 10);
        assert_eq!(day_flags(today, today), (false, false), "today may be past its cut-off, not past");
        assert_eq!(day_flags(ymd(2027, 3, 9), today), (false, true));
        assert_eq!(day_flags(ymd(2027, 3, 11), today), (true, false));
    }

    #[test]
    fn next_working_day_skips_weekends_and_finnish_holidays() {
        // Friday → Monday.
        assert_eq!(next_working_day(ymd(2027, 3, 5)), ymd(2027, 3, 8));
        // Maundy Thursday 2027 → Good Friday and Easter Monday are off → Tuesday.
        assert_eq!(next_working_day(ymd(2027, 3, 25)), ymd(2027, 3, 30));
        // The day before Ascension Day (Thu 6.5.2027) → Friday.
        assert_eq!(next_working_day(ymd(2027, 5, 5)), ymd(2027, 5, 7));
        // Christmas: Thu 23.12.2027 → Christmas Eve (Fri) is a day off → Monday 27.12.
        assert_eq!(next_working_day(ymd(2027, 12, 23)), ymd(2027, 12, 27));
        // An ordinary Tuesday → Wednesday.
        assert_eq!(next_working_day(ymd(2027, 3, 9)), ymd(2027, 3, 10));
    }

    #[test]
    fn rejected_lines_are_explained_in_every_language() {
        for lang in LANGUAGES {
            let i = I18n::new(lang);
            for field in ["line.site_id", "line.service_day", "line.quantity", "line.diet", "line.product_code", "something_new"] {
                let text = rejection(&i, field);
                assert!(!text.starts_with("orders-rejected"), "{lang} {field}: {text}");
            }
        }
        assert_eq!(rejection(&I18n::new("fi"), "line.service_day"), "päivä on mennyt tai virheellinen");
    }

    #[test]
    fn every_finnish_holiday_has_a_name_in_every_language() {
        for lang in LANGUAGES {
            let i = I18n::new(lang);
            let mut day = ymd(2026, 1, 1);
            while day.year() < 2029 {
                if let Some(name) = kumppani_platform::calendar::holiday_name(day) {
                    let shown = holiday(&i, name);
                    assert!(!shown.starts_with("holiday-"), "{lang}: {name}");
                    assert!(lang == "fi" || shown != name, "{lang}: {name} is not translated");
                }
                day = day.succ_opt().unwrap();
            }
        }
        assert_eq!(holiday(&I18n::new("sv"), "Itsenäisyyspäivä"), "Självständighetsdagen");
    }

    #[test]
    fn an_empty_field_changes_nothing_and_zero_cancels() {
        let i = I18n::new("fi");
        let pairs: Vec<(String, serde_json::Value)> = [
            ("q:LOUNAS-PK:", ""),
            ("o:LOUNAS-PK:", "42"),
            ("q:VALIPALA:", "0"),
            ("o:VALIPALA:", "30"),
            ("v:VALIPALA:", "3"),
            ("q:AAMIAINEN:", "abc"),
            ("o:AAMIAINEN:", ""),
            ("q:KAHVITUS:", "7"),
            ("o:KAHVITUS:", "7"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String((*v).to_owned())))
        .collect();
        let form: FormPairs = serde_json::from_value(serde_json::Value::Object(pairs.into_iter().collect())).unwrap();
        let names = HashMap::from([("VALIPALA", "Välipala")]);
        let (lines, bad) = changes(&i, &form, &names);
        assert_eq!(lines.len(), 1, "only the explicit 0 is a change");
        assert_eq!((lines[0].product.as_str(), lines[0].quantity, lines[0].expected_version), ("VALIPALA", 0, Some(3)));
        assert_eq!(lines[0].label, "Välipala");
        assert_eq!(bad.keys().collect::<Vec<_>>(), vec!["q:AAMIAINEN:"]);
    }
}
