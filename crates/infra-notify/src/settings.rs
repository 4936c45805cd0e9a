//! The email settings (a section of the application configuration).

use std::fmt;

/// How emails leave the application. `Debug` never prints the SMTP credentials.
#[derive(Clone, serde::Deserialize)]
pub struct EmailSettings {
    /// `"file"` (development default), `"smtp"` or `"log"`; trimmed, case-insensitive.
    pub transport: String,
    /// The sender, `"Boxoffice <no-reply@example.com>"` or a bare address.
    pub from: String,
    /// The directory the `file` transport writes its `.eml` files into (created when missing).
    /// Only needed by `file`; defaults to empty.
    #[serde(default)]
    pub dir: String,
    /// The server of the `smtp` transport, in lettre's `from_url` syntax: `smtp://host:25`
    /// (plain), `smtp://user:pass@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:pass@host:465` (implicit TLS); user and password percent-encoded.
    /// Only needed by `smtp`; defaults to empty.
    #[serde(default)]
    pub smtp_url: String,
}

impl fmt::Debug for EmailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailSettings")
            .field("transport", &self.transport)
            .field("from", &self.from)
            .field("dir", &self.dir)
            .field("smtp_url", &redact_url(&self.smtp_url))
            .finish()
    }
}

/// `scheme://…@host:port` when the URL carries credentials, `scheme://host:port` otherwise; the
/// path, query and fragment are dropped. Never returns any part of the user info, even for a
/// malformed URL (the LAST `@` ends it, so an unescaped `@` or `/` in a password cannot leak).
pub(crate) fn redact_url(url: &str) -> String {
    let url = url.trim();
    if url.is_empty() {
        return String::new();
    }
    let Some((scheme, rest)) = url.split_once("://").filter(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    }) else {
        return "<redacted: not a URL>".to_owned();
    };
    let (credentials, after) = match rest.rfind('@') {
        Some(at) => ("…@", &rest[at + 1..]),
        None => ("", rest),
    };
    let host = after.split(['/', '?', '#']).next().unwrap_or_default();
    format!("{scheme}://{credentials}{host}")
}
