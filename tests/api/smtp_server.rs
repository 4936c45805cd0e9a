//! A small SMTP server speaking the real protocol over TCP (RFC 5321: greeting, EHLO/HELO,
//! MAIL, RCPT, DATA with dot-stuffing, RSET, NOOP, QUIT), for the delivery tests: it records
//! every message it accepts, and while `refusing` it answers `554` to `MAIL FROM` like a server
//! that turns mail away.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Clone, Default)]
pub struct SmtpServer {
    /// The raw DATA of every accepted message (dot-stuffing undone).
    pub accepted: Arc<Mutex<Vec<String>>>,
    pub refusing: Arc<AtomicBool>,
}

impl SmtpServer {
    /// Serves on `127.0.0.1:port` until the test's runtime ends.
    pub async fn start(port: u16) -> SmtpServer {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind the SMTP port");
        let server = SmtpServer::default();
        let s = server.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = s.session(socket).await;
                });
            }
        });
        server
    }

    /// The `Message-ID` headers of the accepted messages, in order.
    pub fn message_ids(&self) -> Vec<String> {
        self.accepted
            .lock()
            .unwrap()
            .iter()
            .filter_map(|m| {
                m.lines()
                    .find_map(|l| l.strip_prefix("Message-ID: "))
                    .map(str::to_owned)
            })
            .collect()
    }

    async fn session(&self, socket: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 test-smtp ESMTP ready\r\n").await?;
        while let Some(line) = lines.next_line().await? {
            let verb = line
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" => b"250-test-smtp\r\n250 8BITMIME\r\n",
                "HELO" => b"250 test-smtp\r\n",
                "MAIL" if self.refusing.load(Ordering::SeqCst) => {
                    b"554 5.7.1 no mail accepted now\r\n"
                }
                "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 OK\r\n",
                "DATA" => {
                    write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                    let mut data = String::new();
                    while let Some(l) = lines.next_line().await? {
                        if l == "." {
                            break;
                        }
                        let l = l.strip_prefix('.').unwrap_or(&l);
                        data.push_str(l);
                        data.push('\n');
                    }
                    self.accepted.lock().unwrap().push(data);
                    b"250 2.0.0 queued\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await?;
                    return Ok(());
                }
                _ => b"502 5.5.2 command not recognised\r\n",
            };
            write.write_all(reply).await?;
        }
        Ok(())
    }
}
