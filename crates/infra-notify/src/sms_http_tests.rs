//! The SMS gateway adapter against a tiny HTTP receiver on the loopback interface: what it
//! POSTs (JSON `{to, body}`, the bearer key, the message id), and that a non-2xx answer, a
//! refused connection and a silent gateway are failures the outbox retries.

use std::sync::{Arc, Mutex};

use boxoffice_domain::values::Phone;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

/// A gateway on a free loopback port answering `status` (or nothing, when `None`); keeps every
/// request it read (head and body).
async fn gateway(status: Option<u16>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let url = format!("http://{}/v1/messages", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let kept = kept.clone();
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
                kept.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&buf).into_owned());
                match status {
                    Some(code) => {
                        let answer = format!(
                            "HTTP/1.1 {code} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        );
                        let _ = socket.write_all(answer.as_bytes()).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(5)).await,
                }
            });
        }
    });
    (url, seen)
}

fn settings(url: &str, timeout_ms: u64) -> SmsSettings {
    SmsSettings {
        transport: "http".into(),
        url: url.into(),
        api_key: "sk_test_123".into(),
        timeout_ms,
        ..SmsSettings::default()
    }
}

fn message() -> SmsMessage {
    SmsMessage {
        to: Phone::parse("+441234567890").unwrap(),
        text: "boxoffice: Booking \"BX-1\" is confirmed".into(),
        message_id: Some(uuid::Uuid::from_u128(7)),
    }
}

#[tokio::test]
async fn it_posts_json_with_the_bearer_key_and_a_2xx_is_sent() {
    let (url, seen) = gateway(Some(202)).await;
    let sms = crate::build_sms_sender(&settings(&url, 2_000)).unwrap();
    sms.send_sms(message()).await.unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let request = &seen[0];
    let lower = request.to_ascii_lowercase();
    assert!(
        request.starts_with("POST /v1/messages HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        lower.contains("authorization: bearer sk_test_123\r\n"),
        "{request}"
    );
    assert!(
        lower.contains("content-type: application/json\r\n"),
        "{request}"
    );
    assert!(
        lower.contains("idempotency-key: 00000000-0000-0000-0000-000000000007\r\n"),
        "{request}"
    );
    let body: serde_json::Value =
        serde_json::from_str(request.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"to": "+441234567890", "body": "boxoffice: Booking \"BX-1\" is confirmed"})
    );
}

#[tokio::test]
async fn a_non_2xx_answer_a_refused_connection_and_a_silent_gateway_are_failures() {
    let (url, _) = gateway(Some(503)).await;
    let e = HttpSms::new(&settings(&url, 2_000))
        .unwrap()
        .send_sms(message())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, DomainError::Unavailable(m) if m == "the SMS gateway answered 503"),
        "{e:?}"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let e = HttpSms::new(&settings(&format!("http://127.0.0.1:{port}/v1"), 300))
        .unwrap()
        .send_sms(message())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, DomainError::Unavailable(m) if m.starts_with("the SMS gateway: could not connect")),
        "{e:?}"
    );

    let (silent, _) = gateway(None).await;
    let e = HttpSms::new(&settings(&silent, 300))
        .unwrap()
        .send_sms(message())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, DomainError::Unavailable(m) if m == "the SMS gateway: no answer within 300 ms"),
        "{e:?}"
    );
    assert!(!e.to_string().contains("sk_test"), "{e}");
}

#[test]
fn the_settings_are_checked_and_the_key_never_shown() {
    let err = |s: SmsSettings| HttpSms::new(&s).unwrap_err().to_string();
    assert!(err(settings("", 1_000)).contains("sms.url"));
    assert!(err(settings("ftp://gw.example.com/", 1_000)).contains("http(s)"));
    assert!(err(settings("https://gw.example.com/", 0)).contains("timeout_ms"));
    let mut no_key = settings("https://gw.example.com/", 1_000);
    no_key.api_key = " ".into();
    assert!(err(no_key).contains("api_key"));
    let s = settings("https://gw.example.com/v1", 1_000);
    assert!(!format!("{s:?}").contains("sk_test"));
    assert!(!format!("{:?}", HttpSms::new(&s).unwrap()).contains("sk_test"));
}
