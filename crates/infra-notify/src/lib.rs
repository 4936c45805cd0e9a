//! Notification adapters: implementations of the domain port
//! [`Notifier`](boxoffice_domain::ports::Notifier) on top of [lettre](https://lettre.rs).
//!
//! Three email adapters, chosen by [`EmailSettings::transport`] through [`build_notifier`]:
//!
//! | transport | adapter | what it does |
//! |---|---|---|
//! | `"file"` | [`FileMailer`] | writes one `<uuid>.eml` file per email into [`EmailSettings::dir`] (created when missing). **The development default**: open the file, or read it back with [`latest_email_to`]. |
//! | `"smtp"` | [`SmtpMailer`] | delivers through the SMTP server of [`EmailSettings::smtp_url`] (`smtp://host:25`, `smtp://user:pass@host:587?tls=required`, `smtps://user:pass@host:465`; lettre's `from_url` syntax). |
//! | `"log"` | [`LogMailer`] | logs the recipient and subject at `info` and drops the email; for tests and benchmarks. |
//!
//! Every adapter builds the same lettre message (`From`, `To`, `Subject`, a `text/plain;
//! charset=utf-8` body), so an address lettre cannot parse is rejected the same way everywhere
//! (`DomainError::Validation` on the field `email`). A failing transport gives
//! `DomainError::Unavailable`. Neither error, nor any log line, ever contains the body: bodies
//! carry one-time tokens.
//!
//! Emails are sent by the outbox's delivery worker (`boxoffice_domain::delivery`,
//! `docs/notifications.md`): a message written in the transaction of its change, retried with
//! backoff while the transport fails, so none is lost when the mail server is down or a process
//! dies after the commit.
//!
//! Text messages (SMS) have their own port, [`SmsSender`](boxoffice_domain::ports::SmsSender),
//! and two adapters chosen by [`SmsSettings::transport`] through [`build_sms_sender`]: `"file"`
//! ([`FileSms`], one `<uuid>.sms` file per message in [`SmsSettings::dir`]) and `"log"`
//! ([`LogSms`]). No gateway adapter exists yet.
//!
//! Partner webhooks have the [`WebhookSender`](boxoffice_domain::webhooks::WebhookSender)
//! port and one adapter, [`HttpWebhookSender`] (reqwest over rustls; `webhook.rs`), which
//! connects only to addresses the domain's rule allows (`webhooks.allow_hosts` names the
//! exceptions).
//!
//! All adapters must be used inside a tokio runtime (lettre's `Tokio1Executor`).

mod mailer;
mod read;
mod settings;
mod sms;
mod sms_http;
mod webhook;

pub use mailer::{build_notifier, FileMailer, LogMailer, NotifyError, SmtpMailer};
pub use read::{latest_email_to, read_email, ReadEmail};
pub use settings::EmailSettings;
pub use sms::{build_sms_sender, FileSms, LogSms, SmsSettings};
pub use sms_http::HttpSms;
pub use webhook::{CheckedResolver, HttpWebhookSender, WebhookSettings, MAX_TIMEOUT_MS};

#[cfg(test)]
mod tests;
