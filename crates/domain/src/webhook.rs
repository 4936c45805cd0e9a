//! The webhook signature of the payment gateway (re-exported by [`crate::payment`]): an HMAC-SHA256
//! of `<timestamp>.<body>` under the shared secret, sent as `t=<unix seconds>,v1=<hex>`.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::codes::AuthCode;
use crate::error::DomainError;

/// The HTTP header that carries the webhook signature.
pub const WEBHOOK_SIGNATURE_HEADER: &str = "X-Boxoffice-Signature";

/// How far (seconds) a webhook's timestamp may be from now, in either direction.
pub const WEBHOOK_TOLERANCE_SECS: i64 = 300;

/// Why a webhook was refused. All of them are a 401 at the edge (see the `From` impl).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// The header is not `t=<unix seconds>,v1=<64 hex digits>`.
    #[error("malformed signature header")]
    Malformed,
    /// No `v1` signature matches the body under the secret.
    #[error("signature does not match")]
    BadSignature,
    /// The signature is right but the timestamp is too old (a replay) or too far in the future.
    #[error("signature timestamp outside the tolerance")]
    OutsideTolerance,
}

impl From<WebhookError> for DomainError {
    fn from(e: WebhookError) -> Self {
        DomainError::unauthorized(AuthCode::InvalidSignature, format!("webhook refused: {e}"))
    }
}

type HmacSha256 = Hmac<Sha256>;

fn webhook_mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    s
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    let pairs = s.as_bytes().chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return None;
    }
    pairs
        .map(|pair| Some((nibble(pair[0])? << 4) | nibble(pair[1])?))
        .collect()
}

/// The signature header value for `body` sent at `timestamp` (unix seconds):
/// `t=<timestamp>,v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`.
pub fn sign_webhook(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let tag = webhook_mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", to_hex(&tag))
}

/// Checks a signature header made by [`sign_webhook`] against the raw `body`.
///
/// The header is comma-separated `key=value` pairs (blanks around them ignored): exactly one `t`
/// (decimal unix seconds) and one or more `v1` (64 hex digits, so that a sender may sign with an
/// old and a new secret while rotating); other keys are ignored. The signature is compared in
/// constant time, then `|now_unix - t|` must be at most `tolerance_secs`
/// ([`WEBHOOK_TOLERANCE_SECS`] in production).
pub fn verify_webhook(
    secret: &[u8],
    header: &str,
    body: &[u8],
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<(), WebhookError> {
    let mut timestamp: Option<i64> = None;
    let mut signatures: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        let (key, value) = part.split_once('=').ok_or(WebhookError::Malformed)?;
        let (key, value) = (key.trim(), value.trim());
        match key {
            "t" => {
                if timestamp.is_some()
                    || value.is_empty()
                    || !value.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(WebhookError::Malformed);
                }
                timestamp = Some(value.parse().map_err(|_| WebhookError::Malformed)?);
            }
            "v1" => {
                let sig = from_hex(value)
                    .filter(|s| s.len() == 32)
                    .ok_or(WebhookError::Malformed)?;
                signatures.push(sig);
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(WebhookError::Malformed)?;
    if signatures.is_empty() {
        return Err(WebhookError::Malformed);
    }
    let mac = webhook_mac(secret, timestamp, body);
    if !signatures
        .iter()
        .any(|sig| mac.clone().verify_slice(sig).is_ok())
    {
        return Err(WebhookError::BadSignature);
    }
    let within = now_unix
        .checked_sub(timestamp)
        .is_some_and(|age| age.checked_abs().is_some_and(|a| a <= tolerance_secs));
    if !within {
        return Err(WebhookError::OutsideTolerance);
    }
    Ok(())
}
