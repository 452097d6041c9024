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
