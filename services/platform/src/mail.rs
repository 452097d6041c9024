//! E-mail by SMTP (lettre, rustls): the notifications people get besides the
//! portal's list. One [`Mailer`] per service, configured by
//! `KUMPPANI_SMTP_URL` (lettre's URL form: `smtp://host:25` plain on a
//! trusted network, `smtp://user:pass@host:587?tls=required` for STARTTLS,
//! `smtps://user:pass@host:465`) and `KUMPPANI_MAIL_FROM` (the sender, e.g.
//! `Kumppani <kumppani@serviisi.example>`). Without a URL there is no
//! e-mail: notifications stay in the portal only (a line in the log says so).

use crate::config::{ConfigError, var_or};
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// The default sender.
pub const DEFAULT_FROM: &str = "Kumppani <kumppani@localhost>";

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password: only the sender is shown.
        f.debug_struct("Mailer").field("from", &self.from.to_string()).finish_non_exhaustive()
    }
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("not an e-mail address: {0}")]
    Address(String),
    #[error("the message could not be built: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("the SMTP server refused or could not be reached: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

impl Mailer {
    /// A mailer for `url` (lettre's SMTP URL) sending as `from`.
    pub fn new(url: &str, from: &str) -> Result<Self, ConfigError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| ConfigError { var: "KUMPPANI_SMTP_URL".into(), reason: format!("is not an SMTP URL: {e}") })?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| ConfigError { var: "KUMPPANI_MAIL_FROM".into(), reason: format!("is not a mailbox: {e}") })?;
        Ok(Self { transport, from })
    }

    /// From `KUMPPANI_SMTP_URL` and `KUMPPANI_MAIL_FROM`; `None` when no URL is set.
    pub fn from_env() -> Result<Option<Self>, ConfigError> {
        let url = var_or("KUMPPANI_SMTP_URL", "");
        if url.is_empty() {
            return Ok(None);
        }
        Self::new(&url, &var_or("KUMPPANI_MAIL_FROM", DEFAULT_FROM)).map(Some)
    }

    /// Sends a plain-text message.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
        let to: Mailbox = to.parse().map_err(|_| MailError::Address(to.to_owned()))?;
        let message =
            Message::builder().from(self.from.clone()).to(to).subject(subject).header(ContentType::TEXT_PLAIN).body(body.to_owned())?;
        self.transport.send(message).await?;
        Ok(())
    }
}

/// The language of one person's e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Fi,
    Sv,
    En,
}

impl Lang {
    /// A person's own language as the contact registry keeps it (`fi`, `sv`,
    /// `en`); `None` when it is not known.
    pub fn of(language: &str) -> Option<Self> {
        match language.trim().to_ascii_lowercase().as_str() {
            "fi" => Some(Self::Fi),
            "sv" => Some(Self::Sv),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// One of three words by this language.
    pub fn pick<'a>(self, fi: &'a str, sv: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Fi => fi,
            Self::Sv => sv,
            Self::En => en,
        }
    }
}

/// A message's subject and body in a person's own language (`language` as
/// the contact registry keeps it), or, when that is not known, in Finnish and
/// Swedish one after the other: the city's two official languages, as its
/// bilingual letters are. `compose` writes the message in one language.
pub fn localized(language: &str, compose: impl Fn(Lang) -> (String, String)) -> (String, String) {
    if let Some(lang) = Lang::of(language) {
        return compose(lang);
    }
    let (subject_fi, body_fi) = compose(Lang::Fi);
    let (subject_sv, body_sv) = compose(Lang::Sv);
    // "Kumppani #12: Uusi palaute" and "Kumppani #12: Ny respons" share their
    // "Kumppani #12: ", which is said once.
    let shared = match (subject_fi.find(": "), subject_sv.find(": ")) {
        (Some(a), Some(b)) if subject_fi[..a] == subject_sv[..b] => a + 2,
        _ => 0,
    };
    let subject = format!("{subject_fi} / {}", &subject_sv[shared..]);
    (subject, format!("{body_fi}\n---\n\n{body_sv}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(l: Lang) -> (String, String) {
        (format!("Kumppani #7: {}", l.pick("Uusi palaute", "Ny respons", "New feedback")), l.pick("Avaa", "Öppna", "Open").to_owned())
    }

    #[test]
    fn a_known_language_is_the_only_one() {
        assert_eq!(localized("sv", letter), ("Kumppani #7: Ny respons".to_owned(), "Öppna".to_owned()));
        assert_eq!(localized(" EN ", letter).0, "Kumppani #7: New feedback");
    }

    #[test]
    fn an_unknown_language_is_finnish_then_swedish_with_the_shared_prefix_once() {
        let (subject, body) = localized("", letter);
        assert_eq!(subject, "Kumppani #7: Uusi palaute / Ny respons");
        assert_eq!(body, "Avaa\n---\n\nÖppna");
        assert_eq!(localized("de", letter).0, subject, "a language the portal does not speak is not known");
    }
}
