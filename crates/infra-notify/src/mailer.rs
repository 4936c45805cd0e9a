//! The email adapters of the [`Notifier`] port and the factory choosing one from the settings.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use boxoffice_domain::ports::{EmailMessage, Notifier};
use boxoffice_domain::DomainError;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart};
use lettre::{
    Address, AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

use crate::settings::{redact_url, EmailSettings};

/// Why the email adapter could not be built from the settings (a configuration mistake).
/// No variant ever carries the SMTP password.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("unknown email transport '{0}': expected \"file\", \"smtp\" or \"log\"")]
    UnknownTransport(String),
    #[error("invalid email sender '{from}': {reason}")]
    InvalidFrom { from: String, reason: String },
    #[error("the \"file\" email transport needs a directory (the `dir` setting is empty)")]
    MissingDir,
    #[error("the \"file\" text-message transport needs a directory (`sms.dir` is empty)")]
    MissingSmsDir,
    #[error("unknown text-message transport '{0}': expected \"file\", \"log\" or \"http\"")]
    UnknownSmsTransport(String),
    /// An `http` text-message transport set up wrong (never carries the key).
    #[error("sms: {0}")]
    InvalidSms(String),
    #[error("cannot create the email directory '{}': {source}", dir.display())]
    CreateDir {
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `url` is redacted (`scheme://…@host:port`).
    #[error("invalid SMTP URL '{url}': {reason}")]
    InvalidSmtpUrl { url: String, reason: String },
    #[error("webhooks.allow_hosts: {0}")]
    InvalidAllowList(String),
    #[error("webhooks.timeout_ms must be 1..=60000, not {0}")]
    InvalidWebhookTimeout(u64),
    #[error("cannot build the webhook HTTP client: {0}")]
    WebhookClient(String),
}

/// Builds the adapter named by `settings.transport` (`"file"`, `"smtp"` or `"log"`, trimmed,
/// case-insensitive). `file` creates its directory when missing; `smtp` only parses the URL (it
/// connects on the first email). Needs no runtime itself, but the returned notifier must be used
/// inside a tokio runtime.
pub fn build_notifier(settings: &EmailSettings) -> Result<Arc<dyn Notifier>, NotifyError> {
    match settings.transport.trim().to_ascii_lowercase().as_str() {
        "file" => Ok(Arc::new(FileMailer::new(&settings.from, &settings.dir)?)),
        "smtp" => Ok(Arc::new(SmtpMailer::new(
            &settings.from,
            &settings.smtp_url,
        )?)),
        "log" => Ok(Arc::new(LogMailer::new(&settings.from)?)),
        _ => Err(NotifyError::UnknownTransport(settings.transport.clone())),
    }
}

fn parse_from(from: &str) -> Result<Mailbox, NotifyError> {
    from.trim()
        .parse::<Mailbox>()
        .map_err(|e| NotifyError::InvalidFrom {
            from: from.to_owned(),
            reason: e.to_string(),
        })
}

/// The lettre message of every adapter: `From`, `To`, `Subject` and a `text/plain; charset=utf-8`
/// body — or, when the email has an HTML part, `multipart/alternative` with the text first and
/// the HTML last (the part a mail client prefers); lettre picks 7bit, quoted-printable or base64.
fn compose(from: &Mailbox, message: EmailMessage) -> Result<Message, DomainError> {
    let to = message.to.as_str();
    let address: Address = to
        .parse()
        .map_err(|e| DomainError::invalid("email", format!("'{to}' cannot receive emails: {e}")))?;
    let builder = match message.message_id {
        Some(id) => Message::builder().message_id(Some(format!("<{id}@boxoffice>"))),
        None => Message::builder(),
    };
    let builder = builder
        .from(from.clone())
        .to(Mailbox::new(None, address))
        .subject(message.subject);
    match message.html_body {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(message.text_body, html)),
        None => builder
            .header(ContentType::TEXT_PLAIN)
            .body(message.text_body),
    }
    .map_err(|e| DomainError::internal_from(format!("cannot build the email to '{to}'"), e))
}

/// Writes every email as one `<uuid>.eml` file into a directory (the development default).
/// Read them back with [`crate::latest_email_to`].
#[derive(Clone)]
pub struct FileMailer {
    from: Mailbox,
    dir: PathBuf,
    transport: AsyncFileTransport<Tokio1Executor>,
}

impl FileMailer {
    /// `from` is the sender (`"Name <address>"` or an address); `dir` is created when missing.
    pub fn new(from: &str, dir: impl AsRef<Path>) -> Result<Self, NotifyError> {
        let from = parse_from(from)?;
        let dir = dir.as_ref();
        if dir.as_os_str().is_empty() {
            return Err(NotifyError::MissingDir);
        }
        std::fs::create_dir_all(dir).map_err(|source| NotifyError::CreateDir {
            dir: dir.to_owned(),
            source,
        })?;
        Ok(Self {
            from,
            dir: dir.to_owned(),
            transport: AsyncFileTransport::<Tokio1Executor>::new(dir),
        })
    }

    /// The directory the `.eml` files go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl fmt::Debug for FileMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileMailer")
            .field("from", &self.from.to_string())
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Notifier for FileMailer {
    async fn send_email(&self, message: EmailMessage) -> Result<(), DomainError> {
        let to = message.to.clone();
        let email = compose(&self.from, message)?;
        let id = self.transport.send(email).await.map_err(|e| {
            DomainError::Unavailable(format!(
                "cannot write the email to '{}' into '{}': {e}",
                to.as_str(),
                self.dir.display()
            ))
        })?;
        tracing::debug!(
            to = to.as_str(),
            file = %self.dir.join(format!("{id}.eml")).display(),
            "email written to a file"
        );
        Ok(())
    }
}

/// Delivers through an SMTP server (production).
#[derive(Clone)]
pub struct SmtpMailer {
    from: Mailbox,
    /// The redacted URL, for messages.
    server: String,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl SmtpMailer {
    /// `smtp_url` in lettre's `from_url` syntax (see [`EmailSettings::smtp_url`]). Does not
    /// connect: the first email does (lettre's default timeout, 60 s, applies).
    pub fn new(from: &str, smtp_url: &str) -> Result<Self, NotifyError> {
        let from = parse_from(from)?;
        let server = redact_url(smtp_url);
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url.trim())
            .map_err(|e| NotifyError::InvalidSmtpUrl {
                url: server.clone(),
                reason: e.to_string(),
            })?
            .build();
        Ok(Self {
            from,
            server,
            transport,
        })
    }
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from.to_string())
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Notifier for SmtpMailer {
    async fn send_email(&self, message: EmailMessage) -> Result<(), DomainError> {
        let to = message.to.clone();
        let email = compose(&self.from, message)?;
        self.transport.send(email).await.map_err(|e| {
            DomainError::Unavailable(format!(
                "cannot deliver the email to '{}' via SMTP ({}): {e}",
                to.as_str(),
                self.server
            ))
        })?;
        tracing::debug!(to = to.as_str(), server = %self.server, "email delivered via SMTP");
        Ok(())
    }
}

/// Logs the recipient and subject (never the body) at `info` and drops the email; for tests
/// and benchmarks. Still builds the message, so it rejects the same addresses as the others.
#[derive(Clone)]
pub struct LogMailer {
    from: Mailbox,
}

impl LogMailer {
    pub fn new(from: &str) -> Result<Self, NotifyError> {
        Ok(Self {
            from: parse_from(from)?,
        })
    }
}

impl fmt::Debug for LogMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogMailer")
            .field("from", &self.from.to_string())
            .finish()
    }
}

#[async_trait]
impl Notifier for LogMailer {
    async fn send_email(&self, message: EmailMessage) -> Result<(), DomainError> {
        let to = message.to.clone();
        let subject = message.subject.clone();
        drop(compose(&self.from, message)?);
        tracing::info!(to = to.as_str(), subject = %subject, "email dropped (log transport)");
        Ok(())
    }
}
