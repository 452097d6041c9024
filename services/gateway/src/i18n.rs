//! Localisation with Fluent (`locales/<lang>/main.ftl`): Finnish by default,
//! Swedish and English. Enum values of the backends' APIs are labelled through
//! keys derived from their proto names (`SITE_KIND_SCHOOL` → `site-kind-school`).
//! Numbers are shown in the language's style by one helper, [`I18n::decimal`]
//! (fi/sv: decimal comma and a non-breaking space before `%`; en: point, `37.2%`).

use axum::http::{HeaderMap, header};
use axum_extra::extract::cookie::CookieJar;
use fluent_templates::{LanguageIdentifier, Loader};
use kumppani_proto::contracts::v1 as contracts;
use kumppani_proto::ordering::v1 as ordering;
use kumppani_proto::pricing::v1 as pricing;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "fi",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

pub const LANGUAGES: [&str; 3] = ["fi", "sv", "en"];

/// The cookie with the user's choice of language.
pub const LANG_COOKIE: &str = "kumppani_lang";

const NBSP: char = '\u{a0}';

#[derive(Debug, Clone)]
pub struct I18n {
    pub lang: &'static str,
    id: LanguageIdentifier,
}

impl I18n {
    /// The supported language for a code, Finnish otherwise.
    pub fn new(code: &str) -> Self {
        let lang = LANGUAGES.iter().copied().find(|l| *l == code).unwrap_or("fi");
        let id = lang.parse().unwrap_or_default();
        Self { lang, id }
    }

    /// The user's language: the language cookie, else (first visit) the browser's
    /// preference among fi / sv / en, else Finnish.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        if let Some(c) = CookieJar::from_headers(headers).get(LANG_COOKIE) {
            return Self::new(c.value());
        }
        let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let first =
            accept.split(',').filter_map(|p| p.split(';').next()).map(|p| p.trim().get(..2).unwrap_or("")).find(|p| LANGUAGES.contains(p));
        Self::new(first.unwrap_or("fi"))
    }

    /// The message of `key`; the key itself when missing (visible in review, never a crash).
    pub fn t(&self, key: &str) -> String {
        LOCALES.try_lookup(&self.id, key).unwrap_or_else(|| key.to_owned())
    }

    /// The message of `key` with Fluent arguments (`{ $name }`); the key itself when missing.
    pub fn t_args(&self, key: &str, args: &[(&str, String)]) -> String {
        self.try_t_args(key, args).unwrap_or_else(|| key.to_owned())
    }

    /// A query parameter's or form field's label (`param-<name>`), else its name as it is.
    pub fn param(&self, name: &str) -> String {
        let key = format!("param-{}", name.replace('_', "-"));
        let label = self.t(&key);
        if label == key { name.to_owned() } else { label }
    }

    /// The message of `key` with Fluent arguments, or `None` when the key is missing.
    pub fn try_t_args(&self, key: &str, args: &[(&str, String)]) -> Option<String> {
        let args: std::collections::HashMap<std::borrow::Cow<'static, str>, fluent_templates::fluent_bundle::FluentValue<'_>> =
            args.iter().map(|(k, v)| (std::borrow::Cow::Owned((*k).to_owned()), v.clone().into())).collect();
        LOCALES.try_lookup_with_args(&self.id, key, &args)
    }

    fn enum_label(&self, proto_name: &str) -> String {
        self.t(&proto_name.to_lowercase().replace('_', "-"))
    }

    pub fn site_kind(&self, v: &i32) -> String {
        self.enum_label(contracts::SiteKind::try_from(*v).unwrap_or_default().as_str_name())
    }
    pub fn customer_kind(&self, v: &i32) -> String {
        self.enum_label(contracts::CustomerKind::try_from(*v).unwrap_or_default().as_str_name())
    }
    pub fn stage(&self, v: &i32) -> String {
        self.enum_label(contracts::PartnershipStage::try_from(*v).unwrap_or_default().as_str_name())
    }
    pub fn agreement_status(&self, v: &i32) -> String {
        self.enum_label(contracts::AgreementStatus::try_from(*v).unwrap_or_default().as_str_name())
    }
    pub fn service_line(&self, v: &i32) -> String {
        self.enum_label(contracts::ServiceLine::try_from(*v).unwrap_or_default().as_str_name())
    }
    pub fn topic(&self, v: &i32) -> String {
        self.enum_label(contracts::Topic::try_from(*v).unwrap_or_default().as_str_name())
    }
    /// A person's e-mail language by its code (`fi`, `sv`, `en`; empty: both official languages).
    pub fn email_language(&self, code: &str) -> String {
        match code {
            "fi" | "sv" | "en" => self.t(&format!("invoice-language-{code}")),
            _ => self.t("email-language-both"),
        }
    }
    pub fn level(&self, v: &i32) -> String {
        self.enum_label(contracts::ContactLevel::try_from(*v).unwrap_or_default().as_str_name())
    }
    pub fn amendment_status(&self, v: &i32) -> String {
        self.enum_label(contracts::AmendmentStatus::try_from(*v).unwrap_or_default().as_str_name())
    }
    pub fn site_status(&self, v: &i32) -> String {
        self.enum_label(contracts::SiteStatus::try_from(*v).unwrap_or_default().as_str_name())
    }
    pub fn cost_kind(&self, v: &i32) -> String {
        self.enum_label(pricing::CostComponentKind::try_from(*v).unwrap_or_default().as_str_name())
    }
    pub fn unit(&self, v: &i32) -> String {
        self.enum_label(pricing::Unit::try_from(*v).unwrap_or_default().as_str_name())
    }
    pub fn price_source(&self, v: &i32) -> String {
        self.enum_label(pricing::PriceSource::try_from(*v).unwrap_or_default().as_str_name())
    }
    pub fn vat_category(&self, v: &i32) -> String {
        self.enum_label(pricing::VatCategory::try_from(*v).unwrap_or_default().as_str_name())
    }
    pub fn list_status(&self, v: &i32) -> String {
        self.enum_label(pricing::PriceListStatus::try_from(*v).unwrap_or_default().as_str_name())
    }
    pub fn change_status(&self, v: &i32) -> String {
        self.enum_label(pricing::PriceChangeStatus::try_from(*v).unwrap_or_default().as_str_name())
    }
    pub fn late_status(&self, v: &i32) -> String {
        self.enum_label(ordering::LateChangeStatus::try_from(*v).unwrap_or_default().as_str_name())
    }

    /// A civil date as `d.m.yyyy` (all three languages use it in Finland), or "–".
    pub fn date(&self, d: &Option<kumppani_proto::r#type::v1::Date>) -> String {
        match d {
            Some(d) if d.year > 0 => format!("{}.{}.{}", d.day, d.month, d.year),
            _ => "–".to_owned(),
        }
    }

    /// A decimal number as the backends write it ("37.2", "-3.5", "14") in the
    /// language's style: "37,2" in fi and sv, "37.2" in en. Anything that is not
    /// such a number is returned as it is. Every number the portal shows goes
    /// through here (money, percentages, areas, form values).
    pub fn decimal(&self, v: &str) -> String {
        let is_number = !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+'));
        if self.lang == "en" || !is_number { v.to_owned() } else { v.replace('.', ",") }
    }

    /// Money with at least two decimals: "3.8500" → "3,85" (fi/sv), "3.85" (en); "" → "–".
    pub fn money(&self, v: &str) -> String {
        if v.is_empty() {
            return "–".to_owned();
        }
        let normalised = match v.split_once('.') {
            Some((a, b)) => {
                let b = b.trim_end_matches('0');
                format!("{a}.{b:0<2}")
            }
            None => format!("{v}.00"),
        };
        self.decimal(&normalised)
    }

    /// A number with its thousands grouped as the language writes them: "723 468"
    /// and "1 234,5" in fi/sv (non-breaking spaces), "723,468" and "1,234.5" in en.
    /// Anything that is not a decimal number is returned as it is.
    pub fn number(&self, v: &str) -> String {
        let (sign, digits) = v.strip_prefix('-').map_or(("", v), |d| ("-", d));
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        if int.is_empty() || !int.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
            return v.to_owned();
        }
        let group = if self.lang == "en" { ',' } else { NBSP };
        let mut grouped = String::new();
        for (n, c) in int.chars().enumerate() {
            if n > 0 && (int.len() - n) % 3 == 0 {
                grouped.push(group);
            }
            grouped.push(c);
        }
        let point = if self.lang == "en" { "." } else { "," };
        if frac.is_empty() { format!("{sign}{grouped}") } else { format!("{sign}{grouped}{point}{frac}") }
    }

    /// A count (meals a day, sites) in the language's style: "1 250".
    pub fn count(&self, n: impl ToString) -> String {
        self.number(&n.to_string())
    }

    /// A file's size for people: "850 kt", "2,4 Mt" (fi), "2,4 MB" (sv), "2.4 MB" (en);
    /// kilobytes whole, megabytes to one decimal (1 MB = 1,000,000 bytes, as files are labelled).
    pub fn file_size(&self, bytes: i64) -> String {
        let (kb, mb) = if self.lang == "fi" { ("kt", "Mt") } else { ("kB", "MB") };
        let sep = if self.lang == "en" { " " } else { "\u{a0}" };
        if bytes < 1_000_000 {
            format!("{}{sep}{kb}", self.count((bytes + 999) / 1000))
        } else {
            let tenths = (bytes + 50_000) / 100_000;
            format!("{}{sep}{mb}", self.number(&format!("{}.{}", tenths / 10, tenths % 10)))
        }
    }

    /// A price as customers see it: to the cent ("3.8560" → "3,86"), grouped; "" → "–".
    /// Cost components keep their four decimals ([`I18n::money`]).
    pub fn cents(&self, v: &str) -> String {
        match v.parse::<rust_decimal::Decimal>() {
            Ok(d) => self.number(&format!("{:.2}", d.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero))),
            Err(_) if v.is_empty() => "–".to_owned(),
            Err(_) => v.to_owned(),
        }
    }

    /// The civil date (Europe/Helsinki) of an instant, as `d.m.yyyy`; "–" when absent.
    pub fn day_of(&self, at: &Option<kumppani_proto::pbjson_types::Timestamp>) -> String {
        let day = at
            .as_ref()
            .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
            .map(|t| t.with_timezone(&chrono_tz::Europe::Helsinki).date_naive());
        match day {
            Some(d) => format!("{}", d.format("%-d.%-m.%Y")),
            None => "–".to_owned(),
        }
    }

    /// A percentage: "37,2 %" (fi/sv, non-breaking space), "37.2%" (en); "" → "–".
    pub fn percent(&self, v: &str) -> String {
        if v.is_empty() {
            return "–".to_owned();
        }
        let n = self.decimal(v);
        if self.lang == "en" { format!("{n}%") } else { format!("{n}{NBSP}%") }
    }

    /// A change in percent, always signed: "+3,5 %", "−2,0 %" (a real minus sign); "" → "–".
    pub fn percent_change(&self, v: &str) -> String {
        if v.is_empty() {
            return "–".to_owned();
        }
        let (sign, digits) = match v.strip_prefix('-') {
            Some(digits) => ('−', digits),
            None => ('+', v.strip_prefix('+').unwrap_or(v)),
        };
        format!("{sign}{}", self.percent(digits))
    }

    /// A whole number with its thousands grouped in the language's style
    /// (fi, sv: "723 468"; en: "723,468"); see [`I18n::number`].
    pub fn integer(&self, v: i64) -> String {
        self.count(v)
    }

    /// Who did something: their display name, or "unknown" when the service
    /// does not know it (never the login subject).
    pub fn person(&self, name: &str) -> String {
        if name.trim().is_empty() { self.t("actor-unknown") } else { name.to_owned() }
    }

    /// A producer name: "own" is the enterprise itself.
    pub fn producer(&self, p: &str) -> String {
        match p {
            "own" | "" => self.t("producer-own"),
            "none" => self.t("producer-none"),
            other => other.to_owned(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::I18n;
    use std::collections::BTreeSet;

    #[test]
    fn percentages_use_the_languages_decimal_separator() {
        let (fi, sv, en) = (I18n::new("fi"), I18n::new("sv"), I18n::new("en"));
        assert_eq!(fi.percent("37.2"), "37,2\u{a0}%");
        assert_eq!(sv.percent("37.2"), "37,2\u{a0}%");
        assert_eq!(en.percent("37.2"), "37.2%");
        assert_eq!(fi.percent("14"), "14\u{a0}%");
        assert_eq!(fi.percent(""), "–");
    }

    #[test]
    fn changes_are_signed() {
        let (fi, en) = (I18n::new("fi"), I18n::new("en"));
        assert_eq!(fi.percent_change("3.5"), "+3,5\u{a0}%");
        assert_eq!(fi.percent_change("-2.0"), "−2,0\u{a0}%");
        assert_eq!(fi.percent_change("0"), "+0\u{a0}%");
        assert_eq!(en.percent_change("3.5"), "+3.5%");
        assert_eq!(en.percent_change("-2.0"), "−2.0%");
        assert_eq!(en.percent_change(""), "–");
    }

    #[test]
    fn money_has_at_least_two_decimals() {
        let (fi, sv, en) = (I18n::new("fi"), I18n::new("sv"), I18n::new("en"));
        assert_eq!(fi.money("3.8500"), "3,85");
        assert_eq!(sv.money("3.8560"), "3,856");
        assert_eq!(fi.money("12"), "12,00");
        assert_eq!(fi.money("0.5"), "0,50");
        assert_eq!(en.money("3.8500"), "3.85");
        assert_eq!(en.money(""), "–");
    }

    #[test]
    fn large_numbers_and_prices_are_in_the_languages_style() {
        let (fi, sv, en) = (I18n::new("fi"), I18n::new("sv"), I18n::new("en"));
        assert_eq!(fi.number("723468"), "723\u{a0}468");
        assert_eq!(sv.number("1234.5"), "1\u{a0}234,5");
        assert_eq!(en.number("723468"), "723,468");
        assert_eq!(fi.number("-1250"), "-1\u{a0}250");
        assert_eq!(fi.number("468"), "468");
        assert_eq!(fi.number("abc"), "abc");
        assert_eq!(fi.count(1250), "1\u{a0}250");
        assert_eq!(fi.cents("3.8560"), "3,86");
        assert_eq!(en.cents("3.8450"), "3.85");
        assert_eq!(fi.cents("1234"), "1\u{a0}234,00");
        assert_eq!(fi.cents(""), "–");
        let noon = kumppani_proto::pbjson_types::Timestamp { seconds: 1_798_761_600 - 3600, nanos: 0 }; // 2026-12-31 23:00 UTC
        assert_eq!(fi.day_of(&Some(noon)), "1.1.2027", "the day in Helsinki");
        assert_eq!(fi.day_of(&None), "–");
    }

    #[test]
    fn large_numbers_are_grouped_in_the_languages_style() {
        let (fi, en) = (I18n::new("fi"), I18n::new("en"));
        assert_eq!(fi.integer(723_468), "723\u{a0}468");
        assert_eq!(fi.integer(-1_250), "-1\u{a0}250");
        assert_eq!(fi.integer(999), "999");
        assert_eq!(en.integer(1_234_567), "1,234,567");
        assert_eq!(fi.t_args("ow-cancelled", &[("product", "Lounas".into()), ("day", "to 3.12.".into())]), "Peruttu: Lounas, to 3.12.");
    }

    #[test]
    fn decimals_keep_what_is_not_a_number() {
        let (fi, en) = (I18n::new("fi"), I18n::new("en"));
        assert_eq!(fi.decimal("1234.5"), "1234,5");
        assert_eq!(en.decimal("1234.5"), "1234.5");
        assert_eq!(fi.decimal(""), "");
        assert_eq!(fi.decimal("abc.d"), "abc.d");
    }

    fn keys(ftl: &str) -> BTreeSet<&str> {
        ftl.lines().filter(|l| !l.starts_with('#') && !l.starts_with(' ')).filter_map(|l| l.split_once(" =")).map(|(k, _)| k).collect()
    }

    #[test]
    fn every_message_exists_in_every_language() {
        let fi = keys(include_str!("../locales/fi/main.ftl"));
        let sv = keys(include_str!("../locales/sv/main.ftl"));
        let en = keys(include_str!("../locales/en/main.ftl"));
        assert!(fi.len() > 100);
        assert_eq!(fi.symmetric_difference(&sv).collect::<Vec<_>>(), Vec::<&&str>::new(), "fi vs sv");
        assert_eq!(fi.symmetric_difference(&en).collect::<Vec<_>>(), Vec::<&&str>::new(), "fi vs en");
    }

    #[test]
    fn every_service_line_has_a_label() {
        for lang in super::LANGUAGES {
            let i = I18n::new(lang);
            let values: Vec<i32> =
                (0..).map_while(|v| kumppani_proto::r#type::v1::ServiceLine::try_from(v).ok()).map(|l| l as i32).collect();
            assert!(values.len() > 5);
            for v in values {
                let label = i.service_line(&v);
                assert!(!label.starts_with("service-line-"), "{lang}: {label}");
            }
        }
    }
}
