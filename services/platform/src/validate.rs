//! The one validation vocabulary of Kumppani: [`Violations`] collects every bad
//! field of a request (so a caller learns all of them at once) with helpers for
//! the field kinds every service has: text, UUID, civil date, year, proto enum,
//! page size and page token. A helper returns the parsed value (or a harmless
//! default) and records a violation naming the field and the reason.
//!
//! Text never carries control characters other than line breaks and tabs
//! (PostgreSQL refuses NUL; the others only hide what a person sees).

use crate::error::{AppError, ErrorCode, FieldViolation};
use base64::Engine;
use chrono::NaiveDate;
use kumppani_proto::r#type::v1::Date;
use std::collections::BTreeMap;

/// Default and largest page of every list call.
pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 500;
/// Years a request may name (agreements, price lists, budgets, invoices).
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Why a field is invalid: a stable code with parameters (what the portal
/// translates: `too_long` {max}) and the developer's English message (what
/// REST and gRPC callers read). A plain message converts to code `invalid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub code: &'static str,
    pub params: BTreeMap<String, String>,
    pub message: String,
}

impl Reason {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self { code, params: BTreeMap::new(), message: message.into() }
    }
    /// Adds a parameter (`max`, `sum`, …) the translated message may use.
    pub fn with(mut self, name: &str, value: impl ToString) -> Self {
        self.params.insert(name.to_owned(), value.to_string());
        self
    }
    /// `required`: "is required".
    pub fn required() -> Self {
        Self::new("required", "is required")
    }
    /// `too_long` {max}.
    pub fn too_long(max: usize) -> Self {
        Self::new("too_long", format!("must be at most {max} characters")).with("max", max)
    }
    /// `out_of_range` {min, max}.
    pub fn out_of_range(min: impl ToString, max: impl ToString) -> Self {
        let (min, max) = (min.to_string(), max.to_string());
        Self::new("out_of_range", format!("must be between {min} and {max}")).with("min", min).with("max", max)
    }
    /// `negative`: "must not be negative".
    pub fn negative() -> Self {
        Self::new("negative", "must not be negative")
    }
    /// `in_future`: "must not be in the future".
    pub fn in_future() -> Self {
        Self::new("in_future", "must not be in the future")
    }
    /// `approval_required`: the customer group's approval must be recorded
    /// before a change that concerns several customers (`what`: "this price change").
    pub fn approval_required(what: &str) -> Self {
        Self::new("approval_required", format!("{what} affects several customers: the customer group's approval must be recorded first"))
    }
    /// `before_approval`: a decision dated before the customer group's approval.
    pub fn before_approval() -> Self {
        Self::new("before_approval", "must not be before the customer group's approval")
    }
    /// `not_a_site_of_customer`: a site id of another customer.
    pub fn not_a_site_of_customer() -> Self {
        Self::new("not_a_site_of_customer", "is not a site of this customer")
    }
    /// `not_a_unit_of_customer`: a unit id of another customer.
    pub fn not_a_unit_of_customer() -> Self {
        Self::new("not_a_unit_of_customer", "is not a unit of this customer")
    }
    /// `unknown_reference`: an id that names nothing the caller may use ("no such customer").
    pub fn unknown_reference(message: impl Into<String>) -> Self {
        Self::new("unknown_reference", message)
    }
}

impl From<&str> for Reason {
    fn from(message: &str) -> Self {
        Self::new("invalid", message)
    }
}

impl From<String> for Reason {
    fn from(message: String) -> Self {
        Self::new("invalid", message)
    }
}

impl From<&String> for Reason {
    fn from(message: &String) -> Self {
        Self::new("invalid", message.clone())
    }
}

/// Collects field violations so a request reports all its bad fields at once.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// A violation: `reason` is a [`Reason`] (code + parameters + message) or a
    /// plain message (code `invalid`).
    pub fn add(&mut self, field: impl Into<String>, reason: impl Into<Reason>) {
        let r = reason.into();
        self.0.push(FieldViolation {
            field: field.into(),
            reason: r.message,
            code: r.code.to_owned(),
            params: r.params.into_iter().collect(),
        });
    }
    pub fn check(&mut self, ok: bool, field: &str, reason: impl Into<Reason>) {
        if !ok {
            self.add(field, reason);
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// How many violations so far (to tell whether a sub-check added any).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// A UUID field; empty is an error only when `required`.
    pub fn uuid(&mut self, field: &str, value: &str, required: bool) -> Option<uuid::Uuid> {
        if value.is_empty() {
            if required {
                self.add(field, Reason::required());
            }
            return None;
        }
        let id = uuid::Uuid::parse_str(value).ok();
        if id.is_none() {
            self.add(field, Reason::new("not_a_uuid", "must be a UUID"));
        }
        id
    }

    /// A text field, trimmed; at most `max` characters; empty is an error only
    /// when `required`; control characters other than line breaks and tabs are refused.
    pub fn text(&mut self, field: &str, value: &str, max: usize, required: bool) -> String {
        let t = value.trim();
        if required && t.is_empty() {
            self.add(field, Reason::required());
        } else if t.chars().count() > max {
            self.add(field, Reason::too_long(max));
        } else if has_control(t) {
            self.add(field, Reason::new("control_characters", "must not contain control characters"));
        }
        t.to_owned()
    }

    /// A civil date; `None` (absent) is an error only when `required`.
    pub fn date(&mut self, field: &str, value: Option<&Date>, required: bool) -> Option<NaiveDate> {
        match value {
            None => {
                if required {
                    self.add(field, Reason::required());
                }
                None
            }
            Some(d) => {
                let parsed = d.to_naive();
                match parsed {
                    None => self.add(field, Reason::new("invalid_date", "is not a valid calendar date")),
                    // What PostgreSQL and people can handle: years 1–9999.
                    Some(_) if !(1..=9999).contains(&d.year) => {
                        self.add(field, Reason::out_of_range("0001-01-01", "9999-12-31"));
                        return None;
                    }
                    Some(_) => {}
                }
                parsed
            }
        }
    }

    /// A year in [`YEARS`]; 0 (unset) is an error only when `required`.
    pub fn year(&mut self, field: &str, year: i32, required: bool) -> Option<i32> {
        if year == 0 {
            if required {
                self.add(field, Reason::required());
            }
            return None;
        }
        if !YEARS.contains(&year) {
            self.add(field, Reason::out_of_range(YEARS.start(), YEARS.end()));
            return None;
        }
        Some(year)
    }

    /// A proto enum mapped to its stored text (see [`text_enum!`](crate::text_enum));
    /// 0 (UNSPECIFIED) is an error only when `required`.
    pub fn enumeration(&mut self, field: &str, value: i32, text: fn(i32) -> Option<&'static str>, required: bool) -> Option<&'static str> {
        if value == 0 {
            if required {
                self.add(field, Reason::required());
            }
            return None;
        }
        let t = text(value);
        if t.is_none() {
            self.add(field, Reason::new("unknown_value", "is not a known value"));
        }
        t
    }

    /// A page size: 0 means [`DEFAULT_PAGE`], otherwise 1..=`MAX_PAGE`.
    pub fn page_size(&mut self, field: &str, n: i32) -> i64 {
        match i64::from(n) {
            0 => DEFAULT_PAGE,
            n if !(1..=MAX_PAGE).contains(&n) => {
                self.add(field, Reason::out_of_range(1, MAX_PAGE));
                DEFAULT_PAGE
            }
            n => n,
        }
    }

    /// A page token made by [`encode_page_token`]; empty means the first page.
    pub fn page_token<T: serde::de::DeserializeOwned>(&mut self, field: &str, token: &str) -> Option<T> {
        if token.is_empty() {
            return None;
        }
        // A forged token may carry a time beyond what PostgreSQL stores (chrono
        // writes years past 9999 as `+200000-…`): refused here, not a 500 later.
        let parsed = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .filter(|v| !unstorable(v))
            .and_then(|v| serde_json::from_value(v).ok());
        if parsed.is_none() {
            self.add(field, Reason::new("invalid_page_token", "is not a token returned by this list"));
        }
        parsed
    }

    pub fn into_error(self) -> AppError {
        let message = match self.0.as_slice() {
            [one] => format!("invalid {}: {}", one.field, one.reason),
            many => format!("{} invalid fields", many.len()),
        };
        AppError { code: ErrorCode::InvalidArgument, message, violations: self.0 }
    }
    /// `Ok(())` when nothing was added.
    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() { Ok(()) } else { Err(self.into_error()) }
    }
}

/// Does a page token's JSON hold what no list ever returns and PostgreSQL
/// cannot take: a date or time with a signed, extended year
/// (`+200000-01-01T00:00:00Z`, `-0001-…`), or text with control characters
/// (a NUL in a keyset name would be a server error, not a field error).
fn unstorable(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => {
            let unsigned = s.trim_start_matches(['+', '-']);
            has_control(s)
                || (unsigned.len() != s.len()
                    && unsigned.split('-').count() >= 3
                    && unsigned.split('-').next().is_some_and(|y| !y.is_empty() && y.chars().all(|c| c.is_ascii_digit())))
        }
        serde_json::Value::Array(a) => a.iter().any(unstorable),
        serde_json::Value::Object(o) => o.values().any(unstorable),
        _ => false,
    }
}

/// A single required id argument (Get* requests).
pub fn id_arg(field: &str, value: &str) -> Result<uuid::Uuid, AppError> {
    let mut v = Violations::default();
    let id = v.uuid(field, value, true);
    v.finish()?;
    id.ok_or_else(|| AppError::invalid(field, Reason::new("not_a_uuid", "must be a UUID")))
}

/// The opaque page token of a list call (keyset position as JSON, base64url).
pub fn encode_page_token<T: serde::Serialize>(position: &T) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(position).unwrap_or_default())
}

/// The next page token of a keyset-paginated list: `limit + 1` rows were
/// fetched; when there are more than `limit`, cut and point at the last kept.
pub fn next_page<T, K: serde::Serialize>(rows: &mut Vec<T>, limit: i64, key: impl Fn(&T) -> K) -> String {
    if rows.len() as i64 <= limit {
        return String::new();
    }
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    rows.last().map(|r| encode_page_token(&key(r))).unwrap_or_default()
}

/// True when `s` has a control character other than a line break or a tab.
pub fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// Maps a unique-key violation to a field error (422 / INVALID_ARGUMENT naming
/// the field): `map` names, per constraint, the request field and the reason.
/// Other errors convert as usual.
pub fn unique_to_field(e: sqlx::Error, map: &[(&str, &str, &str)]) -> AppError {
    if let sqlx::Error::Database(db) = &e {
        if db.code().as_deref() == Some("23505") {
            if let Some((_, field, reason)) = map.iter().find(|(c, _, _)| Some(*c) == db.constraint()) {
                return AppError::invalid(*field, Reason::new("already_taken", *reason));
            }
        }
    }
    e.into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn text_rejects_nul_and_other_controls_but_keeps_line_breaks() {
        let mut v = Violations::default();
        v.text("a", "a\0b", 10, true);
        v.text("b", "x\u{1b}[2J", 10, true);
        assert_eq!(v.len(), 2);
        let mut ok = Violations::default();
        assert_eq!(ok.text("c", "  line 1\nline 2\t ", 100, true), "line 1\nline 2");
        assert!(ok.is_empty());
    }

    #[test]
    fn every_helper_names_the_field() {
        let mut v = Violations::default();
        v.uuid("site_id", "nope", true);
        v.date("day", Some(&Date { year: 2027, month: 2, day: 30 }), true);
        v.year("year", 1999, true);
        v.enumeration("kind", 99, |_| None, true);
        v.page_size("page_size", 501);
        v.page_token::<(String, String)>("page_token", "!!");
        let e = v.into_error();
        let fields: Vec<_> = e.violations.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["site_id", "day", "year", "kind", "page_size", "page_token"]);
        let codes: Vec<_> = e.violations.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["not_a_uuid", "invalid_date", "out_of_range", "unknown_value", "out_of_range", "invalid_page_token"]);
        assert_eq!(e.violations[2].params.get("min").map(String::as_str), Some("2000"));
        assert_eq!(e.violations[4].params.get("max").map(String::as_str), Some("500"));
    }

    #[test]
    fn optional_fields_may_be_absent_and_required_ones_may_not() {
        let mut v = Violations::default();
        assert_eq!(v.uuid("a", "", false), None);
        assert_eq!(v.date("b", None, false), None);
        assert_eq!(v.year("c", 0, false), None);
        assert_eq!(v.enumeration("d", 0, |_| None, false), None);
        assert!(v.is_empty());
        v.date("b", None, true);
        v.year("c", 0, true);
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn page_tokens_round_trip() {
        let token = encode_page_token(&("Koulu".to_owned(), 7));
        let mut v = Violations::default();
        assert_eq!(v.page_token::<(String, i32)>("page_token", &token), Some(("Koulu".to_owned(), 7)));
        assert!(v.is_empty());
    }

    #[test]
    fn a_forged_page_token_with_a_time_postgres_cannot_hold_is_refused() {
        use chrono::{DateTime, Utc};
        let now: DateTime<Utc> = "2026-12-03T10:00:00Z".parse().unwrap();
        let mut v = Violations::default();
        let real = encode_page_token(&(now, "a"));
        assert_eq!(v.page_token::<(DateTime<Utc>, String)>("page_token", &real), Some((now, "a".to_owned())));
        let far = now + chrono::Duration::days(365 * 198_000);
        let forged = encode_page_token(&(far, "a"));
        assert!(base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&forged).unwrap().starts_with(b"[\"+"));
        assert_eq!(v.page_token::<(DateTime<Utc>, String)>("page_token", &forged), None);
        assert_eq!(v.len(), 1);
        assert!(!unstorable(&serde_json::json!(["Koulu", "-5.00", 7, "2026-12-03"])));
        let nul = encode_page_token(&(now, "Asiakas\u{0}"));
        assert_eq!(v.page_token::<(DateTime<Utc>, String)>("page_token", &nul), None, "a NUL PostgreSQL cannot take");
        assert_eq!(v.len(), 2);
    }
}
