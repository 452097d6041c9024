//! Reading what a portal request carries in its query string or form body:
//! [`PageQuery`] for GET pages and [`read_pairs`] (used by
//! [`CsrfForm`](crate::page::CsrfForm)) for posted forms. A value that does
//! not fit is refused with the portal's own 400 page in the user's language,
//! naming the parameter ([`PageError::BadParam`]) — never axum's plain-text
//! "Failed to deserialize query string".

use crate::page::error::PageError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// A portal page's query parameters, deserialized into `T`. Values are
/// trimmed and an empty value counts as not given (`?year=` is the default
/// year, `?year=2027%20` is 2027), so a form's untouched field never fails.
#[derive(Debug)]
pub struct PageQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for PageQuery<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs = url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.trim().to_owned()))
            .filter(|(_, v)| !v.is_empty())
            .collect::<Vec<_>>();
        read_pairs(&pairs).map(Self)
    }
}

/// `T` from name–value pairs as `serde_urlencoded` reads them; a failure names the field.
pub(crate) fn read_pairs<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, PageError> {
    let encoded = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    let de = serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(encoded.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path.is_empty() || path == "." {
            // A missing field is reported at the root: "missing field `site`".
            let message = e.inner().to_string();
            message.split('`').nth(1).unwrap_or_default().to_owned()
        } else {
            path
        };
        tracing::info!(error = %e, field, "portal request refused: a parameter does not fit");
        PageError::BadParam(field)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::read_pairs;
    use crate::page::error::PageError;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    struct Params {
        #[serde(default)]
        year: Option<i32>,
        site: String,
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn a_bad_or_missing_value_names_its_parameter() {
        let ok: Params = read_pairs(&pairs(&[("year", "2027"), ("site", "x")])).unwrap();
        assert_eq!((ok.year, ok.site.as_str()), (Some(2027), "x"));
        let bad = read_pairs::<Params>(&pairs(&[("year", "abc"), ("site", "x")])).unwrap_err();
        assert!(matches!(&bad, PageError::BadParam(f) if f == "year"), "{bad:?}");
        let missing = read_pairs::<Params>(&pairs(&[("year", "2027")])).unwrap_err();
        assert!(matches!(&missing, PageError::BadParam(f) if f == "site"), "{missing:?}");
    }
}
