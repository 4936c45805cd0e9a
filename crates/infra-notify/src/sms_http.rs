//! The SMS gateway adapter of the [`SmsSender`] port (`sms.transport = "http"`): one POST of
//! `{"to": "+44…", "body": "…"}` (JSON) to `sms.url` with `Authorization: Bearer <sms.api_key>`
//! and `Idempotency-Key: <message id>` (the same on every retry, for a gateway that dedupes),
//! under `sms.timeout_ms`, following no redirect. A 2xx answer is sent; any other answer, a
//! refused connection or a timeout is `Unavailable`, and the outbox retries the message.

use std::time::Duration;

use async_trait::async_trait;
use boxoffice_domain::ports::{SmsMessage, SmsSender};
use boxoffice_domain::DomainError;

use crate::webhook::describe;
use crate::{NotifyError, SmsSettings};

/// Sends text messages through an HTTP gateway.
#[derive(Clone)]
pub struct HttpSms {
    client: reqwest::Client,
    url: String,
    api_key: String,
    timeout: Duration,
}

impl std::fmt::Debug for HttpSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSms")
            .field("url", &crate::settings::redact_url(&self.url))
            .field("api_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

#[derive(serde::Serialize)]
struct Body<'a> {
    to: &'a str,
    body: &'a str,
}

impl HttpSms {
    /// `sms.url` must be an `http(s)` URL, `sms.api_key` non-empty, `sms.timeout_ms` 1..=60000.
    pub fn new(settings: &SmsSettings) -> Result<Self, NotifyError> {
        let url = settings.url.trim();
        let parsed = reqwest::Url::parse(url).map_err(|e| {
            NotifyError::InvalidSms(format!(
                "sms.url '{}' is not a URL: {e}",
                crate::settings::redact_url(url)
            ))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
            return Err(NotifyError::InvalidSms(
                "sms.url must be an http(s) URL with a host".into(),
            ));
        }
        let api_key = settings.api_key.trim();
        if api_key.is_empty() {
            return Err(NotifyError::InvalidSms(
                "the \"http\" text-message transport needs sms.api_key (APP_SMS__API_KEY)".into(),
            ));
        }
        if !(1..=crate::MAX_TIMEOUT_MS).contains(&settings.timeout_ms) {
            return Err(NotifyError::InvalidSms(format!(
                "sms.timeout_ms must be 1..={}, not {}",
                crate::MAX_TIMEOUT_MS,
                settings.timeout_ms
            )));
        }
        let timeout = Duration::from_millis(settings.timeout_ms);
        let client = reqwest::Client::builder()
            .user_agent(concat!("boxoffice-sms/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            .map_err(|e| NotifyError::InvalidSms(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            client,
            url: url.to_owned(),
            api_key: api_key.to_owned(),
            timeout,
        })
    }
}

#[async_trait]
impl SmsSender for HttpSms {
    async fn send_sms(&self, message: SmsMessage) -> Result<(), DomainError> {
        let mut request = self
            .client
            .post(&self.url)
            .bearer_auth(&self.api_key)
            .json(&Body {
                to: message.to.as_str(),
                body: &message.text,
            });
        if let Some(id) = message.message_id {
            request = request.header("Idempotency-Key", id.to_string());
        }
        match request.send().await {
            Ok(answer) if answer.status().is_success() => Ok(()),
            // Never the body: a gateway may echo the key or the text.
            Ok(answer) => Err(DomainError::Unavailable(format!(
                "the SMS gateway answered {}",
                answer.status().as_u16()
            ))),
            Err(e) => Err(DomainError::Unavailable(format!(
                "the SMS gateway: {}",
                describe(&e.without_url(), self.timeout)
            ))),
        }
    }
}

#[cfg(test)]
#[path = "sms_http_tests.rs"]
mod tests;
