//! The address rule of webhook URLs: http(s), a host, no credentials, and no loopback,
//! private, link-local, unspecified, multicast or reserved address (IPv4 and IPv6, an IPv4
//! address inside an IPv6 one judged as itself) unless the allow-list names it.

use std::net::IpAddr;

use crate::webhook_url::{address_allowed, is_public, AllowList, WebhookUrl, MAX_URL_CHARS};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn none() -> AllowList {
    AllowList::default()
}

#[test]
fn public_addresses_are_public_and_the_special_ranges_are_not() {
    for public in [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.216.34",
        "172.15.255.255",
        "172.32.0.1",
        "100.63.255.255",
        "100.128.0.1",
        "192.0.1.1",
        "198.17.255.255",
        "223.255.255.254",
        "2606:4700:4700::1111",
        "2a00:1450:4001:82b::200e",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ] {
        assert!(is_public(ip(public)), "{public} is public");
    }
    for special in [
        // IPv4
        "0.0.0.0",
        "0.1.2.3",
        "10.0.0.1",
        "10.255.255.255",
        "127.0.0.1",
        "127.1.2.3",
        "100.64.0.1",
        "100.127.255.254",
        "169.254.169.254",
        "172.16.0.1",
        "172.31.255.255",
        "192.0.0.8",
        "192.0.2.1",
        "192.88.99.1",
        "192.168.1.1",
        "198.18.0.1",
        "198.19.255.255",
        "198.51.100.7",
        "203.0.113.9",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        // IPv6
        "::",
        "::1",
        "fe80::1",
        "febf::1",
        "fec0::1",
        "fc00::1",
        "fd12:3456:789a::1",
        "ff02::1",
        "2001:db8::1",
        "2001::1",
        "2001:2::1",
        "100::1",
        "::2",
        // IPv6 forms carrying a special IPv4 address
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "::192.168.0.1",
        "64:ff9b::7f00:1",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::",
        "2002:c0a8:101::1",
    ] {
        assert!(!is_public(ip(special)), "{special} is not public");
    }
}

#[test]
fn the_allow_list_names_hosts_and_addresses() {
    let allow = AllowList::new(&["LocalHost.", " 127.0.0.1 ", "[::1]", "hooks.internal"]).unwrap();
    assert!(allow.allows_host("localhost"));
    assert!(allow.allows_host("LOCALHOST"));
    assert!(allow.allows_host("hooks.internal."));
    assert!(!allow.allows_host("other.internal"));
    assert!(allow.allows_address(ip("127.0.0.1")));
    // An IPv4-mapped address is its IPv4 address.
    assert!(allow.allows_address(ip("::ffff:127.0.0.1")));
    assert!(allow.allows_address(ip("::1")));
    assert!(!allow.allows_address(ip("127.0.0.2")));
    assert!(!allow.is_empty());
    assert!(none().is_empty());
    // A host name on the list allows whatever it resolves to; an address only itself.
    assert!(address_allowed(&allow, "localhost", ip("127.0.0.53")));
    assert!(address_allowed(&allow, "a.example", ip("127.0.0.1")));
    assert!(!address_allowed(&allow, "a.example", ip("10.0.0.1")));
    assert!(address_allowed(&none(), "a.example", ip("8.8.8.8")));
    assert!(!address_allowed(&none(), "localhost", ip("127.0.0.1")));
    for bad in ["", "  ", "http://x", "a b", "host/path", "user@host"] {
        assert!(AllowList::new(&[bad]).is_err(), "{bad:?} is refused");
    }
}

#[test]
fn a_url_is_http_or_https_with_a_host_and_no_credentials() {
    let ok = WebhookUrl::parse("  https://Hooks.Example.com/boxoffice?x=1  ", &none()).unwrap();
    assert_eq!(ok.as_str(), "https://hooks.example.com/boxoffice?x=1");
    assert_eq!(ok.host(), "hooks.example.com");
    assert_eq!(ok.literal_address(), None);
    assert!(WebhookUrl::parse("http://8.8.8.8:8080/h", &none()).is_ok());
    assert!(WebhookUrl::parse("http://[2606:4700:4700::1111]/h", &none()).is_ok());
    for (bad, says) in [
        ("", "required"),
        ("not a url", "not a URL"),
        ("/relative/path", "not a URL"),
        ("ftp://example.com/x", "http or https"),
        ("file:///etc/passwd", "http or https"),
        ("gopher://example.com/", "http or https"),
        ("javascript:alert(1)", "http or https"),
        ("https://user:pass@example.com/", "credentials"),
        ("https://user@example.com/", "credentials"),
        ("http:/example.com/x", "must start with http://"),
        ("http:\\example.com\\x", "must start with http://"),
        ("HTTPS:example.com", "must start with http://"),
    ] {
        let e = WebhookUrl::parse(bad, &none()).unwrap_err();
        assert!(e.contains(says), "{bad:?}: {e}");
    }
    let long = format!("https://example.com/{}", "a".repeat(MAX_URL_CHARS));
    assert!(WebhookUrl::parse(&long, &none())
        .unwrap_err()
        .contains("at most"));
    // The limit counts blanks too (as the document's maxLength does).
    let padded = format!("{}https://example.com/", " ".repeat(MAX_URL_CHARS));
    assert!(WebhookUrl::parse(&padded, &none()).is_err());
}

#[test]
fn loopback_private_and_reserved_hosts_are_refused_in_every_spelling() {
    for bad in [
        "http://127.0.0.1/h",
        "http://127.0.0.1:9000/h",
        "http://localhost/h",
        "http://LOCALHOST./h",
        "http://api.localhost/h",
        "http://10.1.2.3/h",
        "http://192.168.0.10/h",
        "http://172.20.0.1/h",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/h",
        "http://224.0.0.1/h",
        // The WHATWG parser reads these as 127.0.0.1, as the HTTP client would.
        "http://2130706433/h",
        "http://0x7f.1/h",
        "http://0177.0.0.1/h",
        "http://127.1/h",
        // IPv6, and IPv4 inside IPv6
        "http://[::1]/h",
        "http://[::]/h",
        "http://[fe80::1]/h",
        "http://[fd00::1]/h",
        "http://[ff02::1]/h",
        "http://[::ffff:127.0.0.1]/h",
        "http://[::ffff:7f00:1]/h",
        "http://[::ffff:169.254.169.254]/h",
        "http://[64:ff9b::a00:1]/h",
        "http://[2002:a00:1::]/h",
    ] {
        let e = WebhookUrl::parse(bad, &none()).unwrap_err();
        assert!(e.contains("public addresses only"), "{bad}: {e}");
    }
}

#[test]
fn the_allow_list_lets_a_named_host_or_address_through() {
    let allow = AllowList::new(&["127.0.0.1", "localhost", "::1"]).unwrap();
    for ok in [
        "http://127.0.0.1:9000/h",
        "http://localhost:9000/h",
        "http://[::1]:9000/h",
        "http://[::ffff:127.0.0.1]/h",
    ] {
        let url = WebhookUrl::parse(ok, &allow).unwrap_or_else(|e| panic!("{ok}: {e}"));
        assert!(url.as_str().starts_with("http://"));
    }
    assert_eq!(
        WebhookUrl::parse("http://127.0.0.1:9000/h", &allow)
            .unwrap()
            .literal_address(),
        Some(ip("127.0.0.1"))
    );
    assert_eq!(
        WebhookUrl::parse("http://[::1]:9000/h", &allow)
            .unwrap()
            .host(),
        "::1"
    );
    // Only what it names: another loopback address or a private one stays refused.
    assert!(WebhookUrl::parse("http://127.0.0.2/h", &allow).is_err());
    assert!(WebhookUrl::parse("http://10.0.0.1/h", &allow).is_err());
    assert!(WebhookUrl::parse("http://api.localhost/h", &allow).is_err());
}
