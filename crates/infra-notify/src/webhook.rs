//! The HTTP adapter of the [`WebhookSender`] port (partner webhooks, `docs/webhooks.md`): one
//! POST per attempt with reqwest (rustls), under a short timeout, following no redirect and
//! through no proxy.
//!
//! The address rule is the domain's ([`address_allowed`]): a URL written with an address is
//! checked before anything is sent, and a host name is resolved by [`CheckedResolver`], which
//! hands the client only the addresses the rule allows — so the connection goes to an address
//! that was checked, whatever the name resolves to later (no DNS-rebinding window) — and fails
//! when none is left.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use boxoffice_domain::webhook_url::{address_allowed, AllowList};
use boxoffice_domain::webhooks::{WebhookRequest, WebhookSender};
use boxoffice_domain::DomainError;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::NotifyError;

/// Longest timeout `webhooks.timeout_ms` may set.
pub const MAX_TIMEOUT_MS: u64 = 60_000;

/// The partner webhooks' settings (a section of the application configuration).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct WebhookSettings {
    /// Host names and addresses a webhook may reach although they are not public (loopback,
    /// private, link-local …): e.g. `["127.0.0.1", "localhost"]` for a local receiver. Empty
    /// (the default): public addresses only.
    #[serde(default)]
    pub allow_hosts: Vec<String>,
    /// The deadline of one attempt (connecting, sending, the answer's status), milliseconds.
    pub timeout_ms: u64,
}

impl WebhookSettings {
    /// The allow-list of `allow_hosts` (an entry that is neither a host name nor an address
    /// is an error).
    pub fn allow_list(&self) -> Result<AllowList, NotifyError> {
        AllowList::new(&self.allow_hosts).map_err(NotifyError::InvalidAllowList)
    }

    /// Checks the settings (at start-up).
    pub fn validate(&self) -> Result<(), NotifyError> {
        self.allow_list()?;
        if !(1..=MAX_TIMEOUT_MS).contains(&self.timeout_ms) {
            return Err(NotifyError::InvalidWebhookTimeout(self.timeout_ms));
        }
        Ok(())
    }
}

/// Resolves a host name and keeps only the addresses the rule allows for it.
#[derive(Debug, Clone)]
pub struct CheckedResolver {
    allow: AllowList,
}

/// No address of a host may be reached.
#[derive(Debug, thiserror::Error)]
#[error("{0} resolves to no address a webhook may reach (only private, loopback or reserved ones)")]
struct Refused(String);

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let allow = self.allow.clone();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| address_allowed(&allow, &host, a.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(Box::new(Refused(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Sends webhook deliveries over HTTP(S).
#[derive(Debug, Clone)]
pub struct HttpWebhookSender {
    client: reqwest::Client,
    allow: AllowList,
    timeout: Duration,
}

impl HttpWebhookSender {
    pub fn new(settings: &WebhookSettings) -> Result<Self, NotifyError> {
        settings.validate()?;
        let allow = settings.allow_list()?;
        let timeout = Duration::from_millis(settings.timeout_ms);
        let client = reqwest::Client::builder()
            .user_agent(concat!("boxoffice-webhooks/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .connect_timeout(timeout)
            .dns_resolver(Arc::new(CheckedResolver {
                allow: allow.clone(),
            }))
            .build()
            .map_err(|e| NotifyError::WebhookClient(e.to_string()))?;
        Ok(Self {
            client,
            allow,
            timeout,
        })
    }
}

/// What went wrong, with its causes (never the URL: it may carry a partner's token).
pub(crate) fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no answer within {} ms", timeout.as_millis());
    }
    let mut out = if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[async_trait]
impl WebhookSender for HttpWebhookSender {
    async fn send(&self, request: WebhookRequest) -> Result<u16, DomainError> {
        // A literal address is not resolved: it is checked here.
        if let Some(ip) = request.url.literal_address() {
            if !address_allowed(&self.allow, &request.url.host(), ip) {
                return Err(DomainError::Unavailable(format!(
                    "{ip} is not an address a webhook may reach"
                )));
            }
        }
        let mut b = self.client.post(request.url.as_str());
        for (name, value) in request.headers {
            b = b.header(name, value);
        }
        match b.body(request.body).send().await {
            // Only the status counts; the body is not read.
            Ok(answer) => Ok(answer.status().as_u16()),
            Err(e) => Err(DomainError::Unavailable(describe(
                &e.without_url(),
                self.timeout,
            ))),
        }
    }
}

#[cfg(test)]
#[path = "webhook_tests.rs"]
mod tests;
