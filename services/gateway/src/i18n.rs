//! Localisation with Fluent (`locales/<lang>/main.ftl`): Finnish by default,
//! Swedish and English. Enum values of the backends' APIs are labelled through
//! keys derived from their proto names (`SITE_KIND_SCHOOL` → `site-kind-school`).

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

    /// "3.8500" → "3,85" style money for display (Finnish decimal comma in fi/sv).
    pub fn money(&self, v: &str) -> String {
        if v.is_empty() {
            return "–".to_owned();
        }
        let t = match v.split_once('.') {
            Some((a, b)) => {
                let b = b.trim_end_matches('0');
                let b = if b.len() < 2 { format!("{b:0<2}") } else { b.to_owned() };
                format!("{a}.{b}")
            }
            None => format!("{v}.00"),
        };
        if self.lang == "en" { t } else { t.replace('.', ",") }
    }
    /// A percent without sign ("13,5 %").
    pub fn percent_plain(&self, v: &str) -> String {
        let t = if self.lang == "en" { v.to_owned() } else { v.replace('.', ",") };
        format!("{t} %")
    }
    /// A percent with sign, or "–".
    pub fn percent(&self, v: &str) -> String {
        if v.is_empty() {
            return "–".to_owned();
        }
        let signed = if v.starts_with('-') { v.replacen('-', "−", 1) } else { format!("+{v}") };
        let t = if self.lang == "en" { signed } else { signed.replace('.', ",") };
        format!("{t} %")
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
    use std::collections::BTreeSet;

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
}
