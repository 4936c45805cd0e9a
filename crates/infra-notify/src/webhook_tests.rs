//! The HTTP adapter against servers on the loopback interface only: what it sends, that it
//! connects to no address the rule refuses (a literal one, or one a name resolves to), follows
//! no redirect, and reports a refused connection and a silent server.

use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use boxoffice_domain::webhook_url::{AllowList, WebhookUrl};
use boxoffice_domain::webhooks::{WebhookRequest, WebhookSender};
use boxoffice_domain::DomainError;
use reqwest::dns::{Name, Resolve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

fn settings(allow: &[&str], timeout_ms: u64) -> WebhookSettings {
    WebhookSettings {
        allow_hosts: allow.iter().map(|s| (*s).to_owned()).collect(),
        timeout_ms,
    }
}

/// A server on a free loopback port answering every request with `answer` (or never, when
/// `None`); counts connections and keeps the last request's head and body.
struct Server {
    port: u16,
    connections: Arc<AtomicUsize>,
    last: Arc<std::sync::Mutex<String>>,
}

async fn server(answer: Option<&'static str>) -> Server {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let connections = Arc::new(AtomicUsize::new(0));
    let last = Arc::new(std::sync::Mutex::new(String::new()));
    let (c, l) = (connections.clone(), last.clone());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            let l = l.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let text = String::from_utf8_lossy(&buf).into_owned();
                    if let Some(at) = text.find("\r\n\r\n") {
                        let length: usize = text[..at]
                            .lines()
                            .find_map(|h| {
                                h.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if buf.len() >= at + 4 + length {
                            break;
                        }
                    }
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                *l.lock().unwrap() = String::from_utf8_lossy(&buf).into_owned();
                match answer {
                    Some(a) => {
                        let _ = socket.write_all(a.as_bytes()).await;
                    }
                    // Silent: hold the connection open past the client's timeout.
                    None => tokio::time::sleep(std::time::Duration::from_secs(5)).await,
                }
            });
        }
    });
    Server {
        port,
        connections,
        last,
    }
}

fn request(url: &str, allow: &[&str]) -> WebhookRequest {
    WebhookRequest {
        url: WebhookUrl::parse(url, &AllowList::new(allow).unwrap()).unwrap(),
        headers: vec![
            ("Content-Type", "application/json".to_owned()),
            ("X-Boxoffice-Event", "booking.confirmed".to_owned()),
        ],
        body: br#"{"id":"d1"}"#.to_vec(),
    }
}

const TEAPOT: &str = "HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

#[test]
fn the_settings_are_checked() {
    assert!(settings(&["127.0.0.1", "localhost"], 5000)
        .validate()
        .is_ok());
    assert!(settings(&[], 0).validate().is_err());
    assert!(settings(&[], MAX_TIMEOUT_MS + 1).validate().is_err());
    let e = settings(&["not a host!"], 5000).validate().unwrap_err();
    assert!(e.to_string().contains("webhooks.allow_hosts"), "{e}");
}

#[tokio::test]
async fn it_posts_the_body_and_headers_and_answers_the_status_whatever_it_is() {
    let s = server(Some(TEAPOT)).await;
    let sender = HttpWebhookSender::new(&settings(&["127.0.0.1"], 2000)).unwrap();
    let url = format!("http://127.0.0.1:{}/hook?x=1", s.port);
    let status = sender.send(request(&url, &["127.0.0.1"])).await.unwrap();
    assert_eq!(status, 418);
    let seen = s.last.lock().unwrap().clone();
    assert!(seen.starts_with("POST /hook?x=1 HTTP/1.1\r\n"), "{seen}");
    let lower = seen.to_ascii_lowercase();
    assert!(
        lower.contains("x-boxoffice-event: booking.confirmed"),
        "{seen}"
    );
    assert!(lower.contains("content-type: application/json"), "{seen}");
    assert!(lower.contains("user-agent: boxoffice-webhooks/"), "{seen}");
    assert!(seen.ends_with(r#"{"id":"d1"}"#), "{seen}");
}

#[tokio::test]
async fn a_refused_literal_address_is_not_even_connected_to() {
    let s = server(Some(TEAPOT)).await;
    // The URL passed the rule under another list; the sender's own list is empty.
    let sender = HttpWebhookSender::new(&settings(&[], 2000)).unwrap();
    let url = format!("http://127.0.0.1:{}/hook", s.port);
    let e = sender
        .send(request(&url, &["127.0.0.1"]))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, DomainError::Unavailable(m) if m.contains("not an address a webhook may reach")),
        "{e:?}"
    );
    assert_eq!(s.connections.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_name_is_connected_only_at_addresses_the_rule_allows() {
    let s = server(Some(TEAPOT)).await;
    let url = format!("http://localhost:{}/hook", s.port);
    // `localhost` resolves to loopback addresses only: none allowed, no connection.
    let strict = HttpWebhookSender::new(&settings(&["127.0.0.2"], 2000)).unwrap();
    let e = strict
        .send(request(&url, &["localhost"]))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, DomainError::Unavailable(m) if m.contains("resolves to no address")),
        "{e:?}"
    );
    assert_eq!(s.connections.load(Ordering::SeqCst), 0);
    // Allowed by name: connected.
    let open = HttpWebhookSender::new(&settings(&["localhost"], 2000)).unwrap();
    // `localhost` may resolve to ::1 first, where nothing listens; 127.0.0.1 answers.
    assert_eq!(open.send(request(&url, &["localhost"])).await.unwrap(), 418);
    assert_eq!(s.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_resolver_keeps_only_allowed_addresses() {
    let none = CheckedResolver {
        allow: AllowList::default(),
    };
    let e = match none.resolve(Name::from_str("localhost").unwrap()).await {
        Ok(_) => panic!("localhost resolved to an address allowed without the list"),
        Err(e) => e,
    };
    assert!(
        e.to_string().contains("localhost resolves to no address"),
        "{e}"
    );
    let named = CheckedResolver {
        allow: AllowList::new(&["localhost"]).unwrap(),
    };
    let addrs: Vec<_> = named
        .resolve(Name::from_str("localhost").unwrap())
        .await
        .unwrap()
        .collect();
    assert!(!addrs.is_empty());
    assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
}

#[tokio::test]
async fn no_redirect_is_followed() {
    let target = server(Some(TEAPOT)).await;
    let redirect: &'static str = Box::leak(
        format!(
            "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{}/elsewhere\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n",
            target.port
        )
        .into_boxed_str(),
    );
    let s = server(Some(redirect)).await;
    let sender = HttpWebhookSender::new(&settings(&["127.0.0.1"], 2000)).unwrap();
    let url = format!("http://127.0.0.1:{}/hook", s.port);
    assert_eq!(
        sender.send(request(&url, &["127.0.0.1"])).await.unwrap(),
        302
    );
    assert_eq!(target.connections.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_refused_connection_and_a_silent_server_are_failures_that_say_so() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sender = HttpWebhookSender::new(&settings(&["127.0.0.1"], 300)).unwrap();
    let url = format!("http://127.0.0.1:{port}/hook");
    let e = sender
        .send(request(&url, &["127.0.0.1"]))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, DomainError::Unavailable(m) if m.starts_with("could not connect")),
        "{e:?}"
    );
    assert!(!e.to_string().contains("/hook"), "no URL in the error: {e}");
    let silent = server(None).await;
    let url = format!("http://127.0.0.1:{}/hook", silent.port);
    let e = sender
        .send(request(&url, &["127.0.0.1"]))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, DomainError::Unavailable(m) if m == "no answer within 300 ms"),
        "{e:?}"
    );
}
