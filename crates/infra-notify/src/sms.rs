//! The text-message adapters of the [`SmsSender`] port: a file drop (development), a log line
//! (tests, benchmarks) and an HTTP gateway ([`crate::HttpSms`], `sms_http.rs`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use boxoffice_domain::ports::{SmsMessage, SmsSender};
use boxoffice_domain::DomainError;

use crate::NotifyError;

/// How text messages leave the application.
#[derive(Clone, serde::Deserialize)]
pub struct SmsSettings {
    /// `"file"` (development default), `"log"` or `"http"`; trimmed, case-insensitive.
    pub transport: String,
    /// The directory the `file` transport writes its `.sms` files into (created when missing).
    #[serde(default)]
    pub dir: String,
    /// The gateway's endpoint (`http` transport): `{to, body}` is POSTed to it.
    #[serde(default)]
    pub url: String,
    /// The gateway's key, sent as `Authorization: Bearer …` (`http` transport; never logged).
    #[serde(default)]
    pub api_key: String,
    /// How long one POST to the gateway may take (`http` transport).
    #[serde(default = "default_sms_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_sms_timeout_ms() -> u64 {
    5_000
}

impl Default for SmsSettings {
    fn default() -> Self {
        Self {
            transport: "log".into(),
            dir: String::new(),
            url: String::new(),
            api_key: String::new(),
            timeout_ms: default_sms_timeout_ms(),
        }
    }
}

impl std::fmt::Debug for SmsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsSettings")
            .field("transport", &self.transport)
            .field("dir", &self.dir)
            .field("url", &crate::settings::redact_url(&self.url))
            .field(
                "api_key",
                &if self.api_key.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// Builds the adapter named by `settings.transport`.
pub fn build_sms_sender(settings: &SmsSettings) -> Result<Arc<dyn SmsSender>, NotifyError> {
    match settings.transport.trim().to_ascii_lowercase().as_str() {
        "file" => Ok(Arc::new(FileSms::new(&settings.dir)?)),
        "log" => Ok(Arc::new(LogSms)),
        "http" => Ok(Arc::new(crate::HttpSms::new(settings)?)),
        _ => Err(NotifyError::UnknownSmsTransport(settings.transport.clone())),
    }
}

/// Writes every text message as one `<message id or random uuid>.sms` file: a `To:` line, a
/// blank line, the text.
#[derive(Debug, Clone)]
pub struct FileSms {
    dir: PathBuf,
}

impl FileSms {
    pub fn new(dir: &str) -> Result<Self, NotifyError> {
        if dir.trim().is_empty() {
            return Err(NotifyError::MissingSmsDir);
        }
        let dir = PathBuf::from(dir.trim());
        std::fs::create_dir_all(&dir).map_err(|source| NotifyError::CreateDir {
            dir: dir.clone(),
            source,
        })?;
        Ok(Self { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait]
impl SmsSender for FileSms {
    async fn send_sms(&self, message: SmsMessage) -> Result<(), DomainError> {
        let name = message.message_id.unwrap_or_else(uuid::Uuid::new_v4);
        let path = self.dir.join(format!("{name}.sms"));
        let body = format!("To: {}\n\n{}\n", message.to.as_str(), message.text);
        // A development transport: one small file, written on the blocking pool.
        tokio::task::spawn_blocking(move || std::fs::write(&path, body))
            .await
            .map_err(|e| DomainError::internal_from("text message file task", e))?
            .map_err(|e| {
                DomainError::Unavailable(format!("cannot write the text message file: {e}"))
            })
    }
}

/// Logs the recipient and the text's length at `info`, and drops the message.
#[derive(Debug, Clone, Copy)]
pub struct LogSms;

#[async_trait]
impl SmsSender for LogSms {
    async fn send_sms(&self, message: SmsMessage) -> Result<(), DomainError> {
        tracing::info!(
            to = message.to.as_str(),
            chars = message.text.chars().count(),
            "text message dropped (log transport)"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use boxoffice_domain::values::Phone;

    #[tokio::test]
    async fn the_file_transport_writes_one_file_per_message_named_by_its_id() {
        let dir = std::env::temp_dir().join(format!("boxoffice-sms-{}", uuid::Uuid::new_v4()));
        let sms = build_sms_sender(&SmsSettings {
            transport: " File ".into(),
            dir: dir.to_string_lossy().into_owned(),
            ..SmsSettings::default()
        })
        .unwrap();
        let id = uuid::Uuid::from_u128(7);
        sms.send_sms(SmsMessage {
            to: Phone::parse("+441234567890").unwrap(),
            text: "boxoffice: Booking BX-1 is confirmed".into(),
            message_id: Some(id),
        })
        .await
        .unwrap();
        let written = std::fs::read_to_string(dir.join(format!("{id}.sms"))).unwrap();
        assert_eq!(
            written,
            "To: +441234567890\n\nboxoffice: Booking BX-1 is confirmed\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(build_sms_sender(&SmsSettings {
            transport: "pigeon".into(),
            ..SmsSettings::default()
        })
        .is_err());
        assert!(build_sms_sender(&SmsSettings {
            transport: "file".into(),
            dir: " ".into(),
            ..SmsSettings::default()
        })
        .is_err());
        assert!(LogSms
            .send_sms(SmsMessage {
                to: Phone::parse("+441234567890").unwrap(),
                text: "x".into(),
                message_id: None,
            })
            .await
            .is_ok());
    }
}
