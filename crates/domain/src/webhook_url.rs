//! Where a partner webhook may be sent (issue 12, `docs/webhooks.md`): an `http` or `https` URL
//! with a host and no credentials, whose addresses are public — never loopback, private,
//! link-local, unspecified, multicast or otherwise reserved (IPv4 and IPv6, an IPv4 address
//! inside an IPv6 one judged as that IPv4 address) — unless the configured allow-list
//! (`webhooks.allow_hosts`) names the host or the address.
//!
//! The rule is applied twice: to the URL when a webhook is registered ([`WebhookUrl::parse`]:
//! a literal address, or a loopback name), and to every address its host resolves to when a
//! delivery is sent ([`address_allowed`], called by the HTTP adapter's resolver, which connects
//! only to the addresses it passed), so a name that points at an internal address — then or
//! later — is never reached.
//!
//! URLs are parsed with the `url` crate (WHATWG URL parsing), the parser the HTTP client uses:
//! `http://0x7f.1/` or `http://2130706433/` are read as 127.0.0.1 here exactly as they would be
//! when sent.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// Longest webhook URL, in characters.
pub const MAX_URL_CHARS: usize = 2048;

/// The configured exceptions to the address rule: host names and addresses that may be
/// reached although they are not public (a partner's receiver inside the deployment's network,
/// a test's receiver on the loopback interface).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    hosts: Vec<String>,
    addresses: Vec<IpAddr>,
}

impl AllowList {
    /// The list of `entries`: each a host name (`localhost`, `hooks.internal`; matched
    /// case-insensitively, a trailing dot ignored) or an IP address (`127.0.0.1`, `::1`,
    /// `[::1]`). An empty or malformed entry is an error naming it.
    pub fn new<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        let mut list = Self::default();
        for raw in entries {
            let entry = raw.as_ref().trim();
            let bare = entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .unwrap_or(entry);
            if let Ok(ip) = bare.parse::<IpAddr>() {
                list.addresses.push(ip.to_canonical());
                continue;
            }
            let name = normal_name(entry);
            let valid = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
            if !valid {
                return Err(format!(
                    "'{entry}' is neither a host name nor an IP address"
                ));
            }
            list.hosts.push(name);
        }
        Ok(list)
    }

    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty() && self.addresses.is_empty()
    }

    /// Whether the host name `host` is on the list.
    pub fn allows_host(&self, host: &str) -> bool {
        let host = normal_name(host);
        self.hosts.contains(&host)
    }

    /// Whether the address `ip` is on the list (an IPv4-mapped IPv6 address as its IPv4 one).
    pub fn allows_address(&self, ip: IpAddr) -> bool {
        self.addresses.contains(&ip.to_canonical())
    }
}

/// A host name as compared: lower case, without a trailing dot.
fn normal_name(host: &str) -> String {
    host.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Whether `ip` is a public unicast address: not unspecified, loopback, private, shared
/// (carrier-grade NAT), link-local, documentation, benchmarking, multicast, broadcast or
/// reserved. An IPv6 address that carries an IPv4 address (IPv4-mapped `::ffff:0:0/96`,
/// IPv4-compatible `::/96`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) is judged by that IPv4
/// address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => public_v4(a),
        IpAddr::V6(a) => public_v6(a),
    }
}

fn public_v4(a: Ipv4Addr) -> bool {
    let [b0, b1, b2, _] = a.octets();
    let special = b0 == 0 // "this network", 0.0.0.0
        || b0 == 10 // private
        || b0 == 127 // loopback
        || (b0 == 100 && (64..=127).contains(&b1)) // shared address space (CGNAT)
        || (b0 == 169 && b1 == 254) // link-local (cloud metadata endpoints)
        || (b0 == 172 && (16..=31).contains(&b1)) // private
        || (b0 == 192 && b1 == 0 && b2 == 0) // IETF protocol assignments
        || (b0 == 192 && b1 == 0 && b2 == 2) // documentation (TEST-NET-1)
        || (b0 == 192 && b1 == 88 && b2 == 99) // 6to4 relay anycast
        || (b0 == 192 && b1 == 168) // private
        || (b0 == 198 && (b1 == 18 || b1 == 19)) // benchmarking
        || (b0 == 198 && b1 == 51 && b2 == 100) // documentation (TEST-NET-2)
        || (b0 == 203 && b1 == 0 && b2 == 113) // documentation (TEST-NET-3)
        || b0 >= 224; // multicast, reserved, broadcast
    !special
}

/// The IPv4 address an IPv6 address carries, if it is of a form that carries one.
fn embedded_v4(a: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = a.segments();
    let last = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if let Some(v4) = a.to_ipv4_mapped() {
        return Some(v4);
    }
    match s {
        // IPv4-compatible (deprecated); `::` and `::1` are handled before.
        [0, 0, 0, 0, 0, 0, hi, lo] => Some(last(hi, lo)),
        // NAT64 well-known prefix.
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(last(hi, lo)),
        // 6to4: the IPv4 address follows the prefix.
        [0x2002, hi, lo, ..] => Some(last(hi, lo)),
        _ => None,
    }
}

fn public_v6(a: Ipv6Addr) -> bool {
    if a.is_unspecified() || a.is_loopback() {
        return false;
    }
    if let Some(v4) = embedded_v4(a) {
        return public_v4(v4);
    }
    let s = a.segments();
    let special = (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
        || (s[0] & 0xff00) == 0xff00 // multicast ff00::/8
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation 2001:db8::/32
        || (s[0] == 0x2001 && s[1] == 0) // Teredo 2001::/32 (an obfuscated IPv4 inside)
        || (s[0] == 0x2001 && s[1] == 2 && s[2] == 0) // benchmarking 2001:2::/48
        || (s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0) // discard 100::/64
        || s[0] == 0; // the rest of ::/16: reserved
    !special
}

/// Whether a webhook may be sent to `ip`, reached as the URL's host `host`: a public address,
/// or a host name or address on the allow-list.
pub fn address_allowed(allow: &AllowList, host: &str, ip: IpAddr) -> bool {
    is_public(ip.to_canonical()) || allow.allows_host(host) || allow.allows_address(ip)
}

/// Names that always mean this machine (RFC 6761): `localhost` and its subdomains.
fn is_loopback_name(name: &str) -> bool {
    name == "localhost" || name.ends_with(".localhost")
}

/// A webhook URL that passed the rule (see the module docs).
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(Url);

impl WebhookUrl {
    /// Checks `raw` (at most [`MAX_URL_CHARS`] characters; blanks around it ignored) against
    /// the rule and the allow-list; the error
    /// says what is wrong, for the field `url`.
    pub fn parse(raw: &str, allow: &AllowList) -> Result<Self, String> {
        // The limit counts what was sent, blanks included (as the document's `maxLength`).
        if raw.chars().count() > MAX_URL_CHARS {
            return Err(format!(
                "the URL must have at most {MAX_URL_CHARS} characters"
            ));
        }
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("the URL is required".to_owned());
        }
        let url = Url::parse(raw).map_err(|e| format!("not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "the URL's scheme must be http or https, not {}",
                url.scheme()
            ));
        }
        // The parser also reads `http:/host` and `http:\\host` as `http://host/`; the rule
        // (and the document's pattern) is the plain form.
        let start = raw.get(..8).unwrap_or(raw).to_ascii_lowercase();
        if !(start.starts_with("http://") || start.starts_with("https://")) {
            return Err("the URL must start with http:// or https://".to_owned());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("the URL must not carry credentials (user:password@)".to_owned());
        }
        let refused = |what: &str| {
            format!(
                "the URL's host is {what}: webhooks go to public addresses only, unless \
                 webhooks.allow_hosts names the host"
            )
        };
        match url.host() {
            None => return Err("the URL needs a host".to_owned()),
            Some(Host::Domain(name)) => {
                let name = normal_name(name);
                if name.is_empty() {
                    return Err("the URL needs a host".to_owned());
                }
                if is_loopback_name(&name) && !allow.allows_host(&name) {
                    return Err(refused("a loopback name"));
                }
            }
            Some(Host::Ipv4(a)) => {
                if !address_allowed(allow, &a.to_string(), IpAddr::V4(a)) {
                    return Err(refused("not a public address"));
                }
            }
            Some(Host::Ipv6(a)) => {
                if !address_allowed(allow, &a.to_string(), IpAddr::V6(a)) {
                    return Err(refused("not a public address"));
                }
            }
        }
        Ok(Self(url))
    }

    /// The URL as sent (normalised by the parser).
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The host as the HTTP client resolves it (a name lower-cased, an IPv6 address without
    /// brackets).
    pub fn host(&self) -> String {
        match self.0.host() {
            Some(Host::Domain(d)) => d.to_owned(),
            Some(Host::Ipv4(a)) => a.to_string(),
            Some(Host::Ipv6(a)) => a.to_string(),
            None => String::new(),
        }
    }

    /// The address written in the URL, when its host is one.
    pub fn literal_address(&self) -> Option<IpAddr> {
        match self.0.host()? {
            Host::Domain(_) => None,
            Host::Ipv4(a) => Some(IpAddr::V4(a)),
            Host::Ipv6(a) => Some(IpAddr::V6(a)),
        }
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookUrl({})", self.0.as_str())
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}
