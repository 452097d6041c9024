//! Marking the fields of a rejected form where they are: `aria-invalid` and
//! the field's own message next to it (WCAG 3.3.1), besides the error summary
//! above the form.

use crate::page::FormError;

/// The invalid fields of a rejected form and their messages.
#[derive(Debug, Default, Clone)]
pub struct Invalid(Vec<(String, String)>);

impl Invalid {
    pub fn of(form: &FormError) -> Self {
        Self(form.fields.clone())
    }

    /// Whether a violation's field (`items[0].unit_price`, `price.components[1].amount`,
    /// `customer_ids[0]`, `reason`) is, or is inside, the form field `name`.
    /// A dotted `name` (`title.fi`, `audience.level`) matches that path and what is inside it.
    fn is(field: &str, name: &str) -> bool {
        field == name
            || field.strip_prefix(name).is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
            || field.split('.').any(|segment| segment.split('[').next() == Some(name))
    }

    /// The messages of the field `name`, joined; empty when it is valid.
    pub fn msg(&self, name: &str) -> String {
        self.0.iter().filter(|(f, _)| Self::is(f, name)).map(|(_, m)| m.as_str()).collect::<Vec<_>>().join(" ")
    }

    /// The attributes of the input `id` for the field `name`: ` aria-invalid="true"
    /// aria-describedby="<id>-error"` when invalid, else nothing. Rendered unescaped:
    /// `id` is the template's own literal.
    pub fn attrs(&self, name: &str, id: impl AsRef<str>) -> String {
        let id = id.as_ref();
        if self.msg(name).is_empty() { String::new() } else { format!(r#" aria-invalid="true" aria-describedby="{id}-error""#) }
    }

    /// The field's message to show next to it (`<p id="<id>-error">`), or nothing.
    /// Rendered unescaped: the message is escaped here.
    pub fn note(&self, name: &str, id: impl AsRef<str>) -> String {
        let id = id.as_ref();
        let m = self.msg(name);
        if m.is_empty() {
            return m;
        }
        let escaped = m.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
        format!(r#"<p id="{id}-error" class="kp-field-error">{escaped}</p>"#)
    }
}

#[cfg(test)]
mod tests {
    use super::Invalid;
    use crate::page::FormError;

    #[test]
    fn a_violation_marks_its_field_wherever_it_is_nested() {
        let mut form = FormError::invalid(vec!["a".into(), "b".into()]);
        form.fields = vec![
            ("items[0].unit_price".into(), "a".into()),
            ("customer_ids[1]".into(), "b".into()),
            ("items[0].components[2].amount".into(), "<c>".into()),
        ];
        let invalid = Invalid::of(&form);
        assert_eq!(invalid.msg("unit_price"), "a");
        assert_eq!(invalid.msg("customer_ids"), "b");
        assert_eq!(invalid.msg("reason"), "");
        assert_eq!(invalid.attrs("unit_price", "pc-price"), r#" aria-invalid="true" aria-describedby="pc-price-error""#);
        assert_eq!(invalid.attrs("reason", "pc-reason"), "");
        assert_eq!(invalid.note("components", "pc-parts"), r#"<p id="pc-parts-error" class="kp-field-error">&lt;c&gt;</p>"#);
        assert_eq!(invalid.note("reason", "pc-reason"), "");
    }

    #[test]
    fn a_dotted_name_marks_that_path_only() {
        let mut form = FormError::invalid(vec!["a".into()]);
        form.fields = vec![("title.fi".into(), "a".into()), ("audience.site_kinds[0]".into(), "k".into())];
        let invalid = Invalid::of(&form);
        assert_eq!(invalid.msg("title.fi"), "a");
        assert_eq!(invalid.msg("title.sv"), "");
        assert_eq!(invalid.msg("audience.site_kinds"), "k");
        assert_eq!(invalid.msg("audience.level"), "");
    }
}
