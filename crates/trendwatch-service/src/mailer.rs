//! Sending e-mail: the [`Mailer`] seam and its SMTP implementation on `lettre`. The weekly
//! digest, subscription confirmations and the desk's invitations and password resets all go
//! through one mailer, configured in `[mail]`.
//!
//! Addresses never reach a log line from here: failures are logged by the caller with an id
//! and [`MailError::kind`], never with the server's answer (which often repeats the address).

use async_trait::async_trait;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsMode {
    /// Plain connection, then STARTTLS, which must succeed (port 587). The default.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine or in tests.
    None,
}

/// The `[mail]` section of `trendwatch.toml`. Without `host`, no e-mail is sent: the digest
/// and subscriptions are off and invitation links are only shown to the admin.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// The SMTP server (`smtp.example.org`).
    pub host: Option<String>,
    /// Its port; default 587 for STARTTLS, 465 for TLS, 25 without.
    pub port: Option<u16>,
    /// `starttls` (default), `tls` or `none`.
    pub tls: TlsMode,
    /// User name for SMTP authentication, if the server wants one.
    pub username: Option<String>,
    /// Its password; `TRENDWATCH_SMTP_PASSWORD` overrides it (keeps it out of the file).
    pub password: Option<String>,
    /// The sender, as readers see it: `Arvenia Monitor <digest@monitor.example.org>`.
    pub from: String,
    /// Most messages sent per second (the provider's limit).
    pub per_second: f64,
    /// Longest wait for the SMTP server on one message.
    pub timeout_seconds: u64,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            host: None,
            port: None,
            tls: TlsMode::default(),
            username: None,
            password: None,
            from: "Trendwatch <trendwatch@localhost>".into(),
            per_second: 10.0,
            timeout_seconds: 30,
        }
    }
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the password.
        f.debug_struct("MailSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<set>"))
            .field("from", &self.from)
            .field("per_second", &self.per_second)
            .finish()
    }
}

impl MailSettings {
    /// The pause between two messages that keeps to `per_second`.
    pub fn pace(&self) -> Duration {
        if self.per_second.is_finite() && self.per_second > 0.0 {
            Duration::from_secs_f64(1.0 / self.per_second)
        } else {
            Duration::ZERO
        }
    }

    /// Checks the settings, naming the key at fault.
    pub fn check(&self) -> Result<(), String> {
        self.from
            .parse::<Mailbox>()
            .map_err(|e| format!("[mail] from = {:?}: {e}", self.from))?;
        if !(self.per_second.is_finite() && self.per_second > 0.0) {
            return Err(format!(
                "[mail] per_second = {}: expected a number above 0",
                self.per_second
            ));
        }
        Ok(())
    }
}

/// One message to one reader or colleague.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// The recipient's address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text part (always sent).
    pub text: String,
    /// The HTML part, sent as the alternative to the text when present.
    pub html: Option<String>,
    /// The one-click unsubscribe address (RFC 8058): sets `List-Unsubscribe` and
    /// `List-Unsubscribe-Post`.
    pub unsubscribe: Option<String>,
}

/// Why a message was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The server refused for good (5xx): do not send to this address again.
    #[error("refused permanently: {0}")]
    Permanent(String),
    /// The server or the network failed for now: worth trying again later.
    #[error("failed for now: {0}")]
    Temporary(String),
}

impl MailError {
    /// What happened, without the server's words: those often repeat the recipient's
    /// address, which must not reach a log line.
    pub fn kind(&self) -> &'static str {
        match self {
            MailError::Permanent(_) => "refused permanently by the mail server",
            MailError::Temporary(_) => "the mail server failed for now",
        }
    }
}

/// Sends one message.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Hands `email` to the mail system; `Ok` once it accepted it.
    async fn send(&self, email: &Email) -> Result<(), MailError>;
}

/// A [`Mailer`] that talks SMTP to the configured server.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// The mailer of `settings`, or `None` when no host is configured (mail is off).
    /// `password` overrides the file's (from the environment).
    pub fn from_settings(
        settings: &MailSettings,
        password: Option<String>,
    ) -> Result<Option<SmtpMailer>, String> {
        let Some(host) = settings.host.clone() else {
            return Ok(None);
        };
        settings.check()?;
        let from = settings
            .from
            .parse::<Mailbox>()
            .map_err(|e| format!("[mail] from: {e}"))?;
        let tls_parameters =
            || TlsParameters::new(host.clone()).map_err(|e| format!("[mail] host {host:?}: {e}"));
        let (tls, default_port) = match settings.tls {
            TlsMode::Starttls => (Tls::Required(tls_parameters()?), 587),
            TlsMode::Tls => (Tls::Wrapper(tls_parameters()?), 465),
            TlsMode::None => (Tls::None, 25),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.as_str())
            .port(settings.port.unwrap_or(default_port))
            .tls(tls)
            .timeout(Some(Duration::from_secs(settings.timeout_seconds.max(1))));
        if let Some(user) = &settings.username {
            let password = password.or_else(|| settings.password.clone());
            builder =
                builder.credentials(Credentials::new(user.clone(), password.unwrap_or_default()));
        }
        Ok(Some(SmtpMailer {
            transport: builder.build(),
            from,
        }))
    }

    fn message(&self, email: &Email) -> Result<Message, MailError> {
        let to = email
            .to
            .parse::<Mailbox>()
            .map_err(|e| MailError::Permanent(format!("recipient: {e}")))?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone());
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(email.text.clone());
        let built = match &email.html {
            Some(html) => builder.multipart(
                MultiPart::alternative().singlepart(text).singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html.clone()),
                ),
            ),
            None => builder.singlepart(text),
        };
        let mut message = built.map_err(|e| MailError::Permanent(format!("message: {e}")))?;
        if let Some(url) = &email.unsubscribe {
            let headers = message.headers_mut();
            headers.insert_raw(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe"),
                format!("<{url}>"),
            ));
            headers.insert_raw(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".into(),
            ));
        }
        Ok(message)
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        let message = self.message(email)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(MailError::Permanent(e.to_string())),
            Err(e) => Err(MailError::Temporary(e.to_string())),
        }
    }
}
