//! Portal forms: [`CsrfForm`] checks every posted form's CSRF token against the
//! session before the handler runs; [`FormError`] is what a rejected form shows
//! above it.

use crate::i18n::I18n;
use crate::page::context::Frame;
use crate::page::error::PageError;
use crate::page::query::read_pairs;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use kumppani_platform::{AppError, ErrorCode, FieldViolation};
use serde::de::DeserializeOwned;

/// A posted form (`application/x-www-form-urlencoded`) whose `csrf` field matches
/// the session's token, deserialized into `T` (which need not declare `csrf`).
/// A mismatch is refused with the portal's 403 page. Without a session there is
/// nothing to forge (signing out, switching the language); handlers that need a
/// signed-in user also take [`Page`](crate::page::Page), which sends the others to sign in.
#[derive(Debug)]
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let frame = Frame::of(&parts, state).await;
        let bytes = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|e| PageError::Call(AppError::invalid("form", e.body_text())))?;
        if let Some(session) = &frame.session {
            let token = url::form_urlencoded::parse(&bytes).find(|(k, _)| k == "csrf").map(|(_, v)| v.into_owned());
            if token.as_deref() != Some(session.csrf.as_str()) {
                tracing::warn!(subject = %session.subject, "form refused: CSRF token does not match the session");
                return Err(PageError::Csrf);
            }
        }
        // The checked body; a field that does not fit gets the portal's 400 page naming it.
        let pairs = url::form_urlencoded::parse(&bytes).map(|(k, v)| (k.into_owned(), v.into_owned())).collect::<Vec<_>>();
        let form = read_pairs(&pairs)?;
        Ok(Self(form))
    }
}

/// A file of a posted form: the name of its field, the name the browser gave and its bytes.
#[derive(Debug)]
pub struct Upload {
    pub field: String,
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// A posted form that may carry files (`multipart/form-data`; without files
/// `application/x-www-form-urlencoded` is taken too), CSRF-checked like
/// [`CsrfForm`]: its text fields deserialized into `T` and its files in order
/// (a file input left empty is no file). The route sets its body limit
/// (`DefaultBodyLimit`); a larger body is refused before the handler.
#[derive(Debug)]
pub struct CsrfUpload<T>(pub T, pub Vec<Upload>);

fn form_error(e: impl std::fmt::Display) -> PageError {
    PageError::Call(AppError::invalid("form", e.to_string()))
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfUpload<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let multipart = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
        if !multipart {
            let CsrfForm(form) = CsrfForm::from_request(req, state).await?;
            return Ok(Self(form, Vec::new()));
        }
        let (parts, body) = req.into_parts();
        let frame = Frame::of(&parts, state).await;
        let mut m =
            axum::extract::Multipart::from_request(Request::from_parts(parts, body), state).await.map_err(|e| form_error(e.body_text()))?;
        let (mut pairs, mut files) = (Vec::new(), Vec::new());
        while let Some(field) = m.next_field().await.map_err(|e| form_error(e.body_text()))? {
            let name = field.name().unwrap_or_default().to_owned();
            match field.file_name().map(str::to_owned) {
                Some(filename) => {
                    let bytes = field.bytes().await.map_err(|e| form_error(e.body_text()))?;
                    if !(filename.is_empty() && bytes.is_empty()) {
                        files.push(Upload { field: name, filename, bytes: bytes.to_vec() });
                    }
                }
                None => pairs.push((name, field.text().await.map_err(|e| form_error(e.body_text()))?)),
            }
        }
        if let Some(session) = &frame.session {
            if pairs.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()) != Some(session.csrf.as_str()) {
                tracing::warn!(subject = %session.subject, "form refused: CSRF token does not match the session");
                return Err(PageError::Csrf);
            }
        }
        Ok(Self(read_pairs(&pairs)?, files))
    }
}

/// Every field of a form in order, repeated names included: for forms whose
/// field names are data (`q:<product>:<diet>`) or repeat (`customer`).
#[derive(Debug, Default)]
pub struct FormPairs(Vec<(String, String)>);

impl FormPairs {
    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> String {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
    }

    /// Every value of a repeated field.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl<'de> serde::Deserialize<'de> for FormPairs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Pairs;
        impl<'de> serde::de::Visitor<'de> for Pairs {
            type Value = FormPairs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("form fields")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<FormPairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry::<String, String>()? {
                    pairs.push(pair);
                }
                Ok(FormPairs(pairs))
            }
        }
        d.deserialize_map(Pairs)
    }
}

/// What a rejected form shows above it (`templates/error_summary.html`), and the status of that answer.
#[derive(Debug)]
pub struct FormError {
    pub status: StatusCode,
    pub messages: Vec<String>,
    /// The invalid fields (as the backend or the gateway names them) with their message,
    /// for marking each field where it is ([`Invalid`](crate::page::Invalid)).
    pub fields: Vec<(String, String)>,
}

impl FormError {
    /// No error: the form as it is.
    pub fn none() -> Self {
        Self { status: StatusCode::OK, messages: Vec::new(), fields: Vec::new() }
    }

    /// Fields the gateway itself found invalid (messages already in the user's language).
    pub fn invalid(messages: Vec<String>) -> Self {
        Self { status: StatusCode::UNPROCESSABLE_ENTITY, messages, fields: Vec::new() }
    }

    /// One field the gateway itself found invalid (the message in the user's language).
    pub fn field(field: &str, message: String) -> Self {
        Self { fields: vec![(field.to_owned(), message.clone())], ..Self::invalid(vec![message]) }
    }

    /// A backend's refusal of a form: its invalid fields (422), or for a
    /// conflict what to do (409). Anything else is a page error.
    pub fn from_call(e: impl Into<PageError>, i: &I18n) -> Result<Self, PageError> {
        let error = e.into();
        let PageError::Call(e) = &error else { return Err(error) };
        match e.code {
            ErrorCode::InvalidArgument if !e.violations.is_empty() => {
                let mut form = Self::invalid(e.violations.iter().map(|v| violation_text(v, i)).collect());
                // Each violation's message, also by its field.
                form.fields = e.violations.iter().map(|v| v.field.clone()).zip(form.messages.iter().cloned()).collect();
                Ok(form)
            }
            ErrorCode::InvalidArgument => Ok(Self::invalid(vec![i.t("error-bad-request-text")])),
            ErrorCode::Aborted | ErrorCode::FailedPrecondition | ErrorCode::AlreadyExists => {
                tracing::info!(error = %e, "form refused: conflict");
                let shown = error.shown().map(|s| s.text).unwrap_or("error-conflict-changed-text");
                Ok(Self { status: StatusCode::CONFLICT, messages: vec![i.t(shown)], fields: Vec::new() })
            }
            _ => Err(error),
        }
    }
}

/// A backend's field violation in the user's language, from its reason code
/// and parameters (`field-error-<code>`, `locales/*/main.ftl`) and the field's
/// label (`field-name-<last path segment>`): "Yksikköhinta: enintään 4
/// desimaalia". The developer's English message is never shown; an unknown
/// code reads "check this value", an unknown field is left unnamed.
pub fn violation_text(v: &FieldViolation, i: &I18n) -> String {
    let args: Vec<(&str, String)> =
        v.params.iter().map(|(k, p)| (k.as_str(), if p.contains('.') { i.decimal(p) } else { p.clone() })).collect();
    let key = |code: &str| format!("field-error-{}", code.replace('_', "-"));
    let reason = i.try_t_args(&key(&v.code), &args).unwrap_or_else(|| i.t(&key("invalid")));
    // The whole path first ("title.fi" → field-name-title-fi), then its last segment.
    let whole = format!("field-name-{}", v.field.split('[').next().unwrap_or_default().replace(['_', '.'], "-"));
    let segment = v.field.rsplit('.').next().unwrap_or_default();
    let segment = segment.split('[').next().unwrap_or_default();
    match i.try_t_args(&whole, &[]).or_else(|| i.try_t_args(&format!("field-name-{}", segment.replace('_', "-")), &[])) {
        Some(label) => format!("{label}: {reason}"),
        None => {
            let mut chars = reason.chars();
            chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
        }
    }
}

/// A form's date field (`2027-03-01`) as the proto date; `Ok(None)` when empty.
pub fn date_field(s: &str) -> Result<Option<kumppani_proto::r#type::v1::Date>, ()> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map(|d| Some(d.into())).map_err(|_| ())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::FormError;
    use crate::i18n::I18n;
    use crate::page::error::PageError;
    use axum::http::StatusCode;
    use kumppani_platform::{AppError, ErrorCode};

    #[test]
    fn a_refused_form_shows_its_fields_or_what_to_do() {
        let fi = I18n::new("fi");
        let invalid = FormError::from_call(AppError::invalid("customer_ids", "at least one customer"), &fi).unwrap();
        assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(invalid.messages, vec!["Asiakkaat: tarkista tämä tieto"], "no developer English");
        // A form from a stale page: the list was published meanwhile.
        let stale = FormError::from_call(tonic::Status::failed_precondition("a published price list is immutable"), &fi).unwrap();
        assert_eq!(stale.status, StatusCode::CONFLICT);
        assert!(stale.messages[0].contains("Lataa sivu uudelleen"), "says what to do: {:?}", stale.messages);
        assert!(!stale.messages[0].contains("immutable"), "no developer English");
        let changed = FormError::from_call(tonic::Status::aborted("version 3 expected"), &I18n::new("sv")).unwrap();
        assert_eq!(changed.status, StatusCode::CONFLICT);
        assert!(changed.messages[0].starts_with("Någon ändrade uppgifterna under tiden."), "{:?}", changed.messages);
        let down = FormError::from_call(AppError::new(ErrorCode::Unavailable, "connection refused"), &fi);
        assert!(matches!(down, Err(PageError::Call(e)) if e.code == ErrorCode::Unavailable), "an error page, not the form");
    }

    /// What the services answer for a rejected price form and a rejected
    /// contract form, as the gateway receives it over gRPC, shown to a Finnish,
    /// a Swedish and an English user.
    #[test]
    fn rejected_price_and_contract_forms_speak_the_users_language() {
        use kumppani_platform::validate::{Reason, Violations};
        let mut v = Violations::default();
        let sum =
            Reason::new("components_sum_mismatch", "sum to 2.7928 but the unit price is 2.85: components must sum exactly to the price");
        v.add("price.components", sum.with("sum", "2.7928").with("unit_price", "2.85"));
        v.add("price.unit_price", Reason::new("too_many_decimals", "must have at most 4 decimals").with("max", 4));
        v.add(
            "terms.customer_responsible",
            Reason::new("required_before_signing", "the customer's responsible person must be recorded before signing"),
        );
        v.add("site_levels[0].site_id", Reason::new("not_a_site_of_customer", "is not a site of this customer"));
        v.add("group_approved_on", Reason::new("approval_required", "the customer group's approval must be recorded first"));
        v.text("note", &"x".repeat(2001), 2000, false);
        let received = tonic::Status::from(v.into_error());
        let fi = FormError::from_call(received.clone(), &I18n::new("fi")).unwrap();
        assert_eq!(
            fi.messages,
            vec![
                "Kustannusosat: kustannusosien summa on 2,7928 €, mutta yksikköhinta on 2,85 €: osien pitää olla yhteensä täsmälleen hinta",
                "Yksikköhinta: enintään 4 desimaalia",
                "Asiakkaan vastuuhenkilö: pitää olla kirjattu ennen allekirjoitusta",
                "Kohde: kohde ei kuulu tälle asiakkaalle",
                "Asiakkuusryhmän hyväksyntä: asiakkuusryhmän hyväksyntä on kirjattava ensin, koska muutos koskee useaa asiakasta",
                "Huomautus: enintään 2000 merkkiä",
            ]
        );
        let sv = FormError::from_call(received.clone(), &I18n::new("sv")).unwrap();
        assert_eq!(sv.messages[1], "Enhetspris: högst 4 decimaler");
        let en = FormError::from_call(received, &I18n::new("en")).unwrap();
        assert!(en.messages[0].contains("€2.7928"), "{:?}", en.messages);
        for m in fi.messages.iter().chain(&sv.messages) {
            for english in ["must", "sum to", "is not", "recorded", "characters"] {
                assert!(!m.contains(english), "developer English in {m:?}");
            }
        }
    }
}
