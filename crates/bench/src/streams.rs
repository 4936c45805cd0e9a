//! Open seat-map streams during a flash sale (issue 12): N Server-Sent Events connections to
//! the show's `GET /shows/{id}/seats/stream`, each read as fast as it comes and counted, never
//! parsed beyond its `id:` and `event:` lines. Raw HTTP/1.1 over TCP: a thousand of them cost
//! the load generator little.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::*;

/// What one stream received.
#[derive(Debug, Default, Clone)]
pub(crate) struct StreamCount {
    pub bytes: u64,
    pub snapshots: u64,
    pub changes: u64,
    /// The `id` (version) of the last event.
    pub last_id: i64,
    pub error: Option<String>,
}

/// Open streams, read in the background until [`Streams::close`] — on a runtime thread of
/// their own, so that reading them does not hold up the flash-sale clients' thread.
pub(crate) struct Streams {
    tasks: Vec<tokio::task::JoinHandle<StreamCount>>,
    stop: watch::Sender<bool>,
    runtime: tokio::runtime::Runtime,
}

/// Opens `n` streams of `show` on the server at `addr` (`host:port`), 50 at a time; each has
/// its first event (the snapshot) before this returns.
pub(crate) async fn open(addr: &str, show: i64, n: usize) -> BoxResult<Streams> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let (stop, stopped) = watch::channel(false);
    let events = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let first_error: Arc<Mutex<Option<String>>> = Arc::default();
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let (addr, stopped, seen, lost) = (
            addr.to_owned(),
            stopped.clone(),
            events.clone(),
            failed.clone(),
        );
        let first_error = first_error.clone();
        tasks.push(runtime.spawn(async move {
            match connect(addr, show).await {
                Ok((sock, rest)) => read(sock, rest, stopped, seen).await,
                Err(e) => {
                    lost.fetch_add(1, Ordering::Relaxed);
                    first_error.lock().unwrap().get_or_insert(e.to_string());
                    StreamCount {
                        error: Some(e.to_string()),
                        ..Default::default()
                    }
                }
            }
        }));
        // 50 connections at a time.
        if i % 50 == 49 {
            while events.load(Ordering::Relaxed) + failed.load(Ordering::Relaxed) < i as u64 + 1 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    }
    // Every stream's snapshot has arrived.
    let deadline = Instant::now() + Duration::from_secs(60);
    while events.load(Ordering::Relaxed) + failed.load(Ordering::Relaxed) < n as u64 {
        if Instant::now() > deadline {
            return Err("the streams' snapshots did not all arrive within 60 s".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    if let Some(e) = first_error.lock().unwrap().take() {
        return Err(format!("a stream could not be opened: {e}").into());
    }
    Ok(Streams {
        tasks,
        stop,
        runtime,
    })
}

/// Connects, asks for the stream, checks the answer's status; returns the socket and what it
/// read past the headers.
async fn connect(addr: String, show: i64) -> BoxResult<(TcpStream, Vec<u8>)> {
    let mut sock = TcpStream::connect(&addr).await?;
    sock.set_nodelay(true)?;
    let request = format!(
        "GET /api/v1/shows/{show}/seats/stream HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    );
    sock.write_all(request.as_bytes()).await?;
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 4096];
    loop {
        let n = sock.read(&mut buf).await?;
        if n == 0 {
            return Err("the server closed a stream before answering".into());
        }
        head.extend_from_slice(&buf[..n]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            let status = String::from_utf8_lossy(&head[..head.len().min(12)]).to_string();
            if !status.starts_with("HTTP/1.1 200") {
                return Err(format!("a stream was refused: {status}").into());
            }
            let rest = head.split_off(end + 4);
            return Ok((sock, rest));
        }
        if head.len() > 16_384 {
            return Err("a stream's headers did not end".into());
        }
    }
}

/// The `id:` and `event:` lines of what arrives (a line is at most 64 bytes of interest; data
/// lines are skipped byte by byte).
struct Lines {
    line: Vec<u8>,
    count: StreamCount,
    /// The event whose lines are arriving: counted at its closing blank line, when all of
    /// it (a snapshot's data is ~300 kB) has been read.
    pending: Option<&'static str>,
}

impl Lines {
    fn feed(&mut self, bytes: &[u8], events: &AtomicU64) {
        self.count.bytes += bytes.len() as u64;
        let mut from = 0;
        for end in memchr::memchr_iter(b'\n', bytes) {
            let part = &bytes[from..end];
            let room = 64usize.saturating_sub(self.line.len());
            self.line.extend_from_slice(&part[..part.len().min(room)]);
            self.end_line(events);
            from = end + 1;
        }
        let part = &bytes[from..];
        let room = 64usize.saturating_sub(self.line.len());
        self.line.extend_from_slice(&part[..part.len().min(room)]);
    }

    fn end_line(&mut self, events: &AtomicU64) {
        let line = &self.line[..];
        if let Some(id) = line.strip_prefix(b"id: ") {
            if let Some(id) = std::str::from_utf8(id)
                .ok()
                .and_then(|s| s.trim().parse().ok())
            {
                self.count.last_id = id;
            }
        } else if line == b"event: change" {
            self.pending = Some("change");
        } else if line == b"event: snapshot" {
            self.pending = Some("snapshot");
        } else if line.is_empty() {
            let Some(event) = self.pending.take() else {
                self.line.clear();
                return;
            };
            if event == "change" {
                self.count.changes += 1;
            } else {
                self.count.snapshots += 1;
            }
            events.fetch_add(1, Ordering::Relaxed);
        }
        self.line.clear();
    }
}

async fn read(
    mut sock: TcpStream,
    rest: Vec<u8>,
    mut stop: watch::Receiver<bool>,
    events: Arc<AtomicU64>,
) -> StreamCount {
    let mut lines = Lines {
        line: Vec::with_capacity(64),
        count: StreamCount::default(),
        pending: None,
    };
    lines.feed(&rest, &events);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        tokio::select! {
            got = sock.read(&mut buf) => match got {
                Ok(0) => {
                    lines.count.error = Some("closed by the server".into());
                    break;
                }
                Ok(n) => lines.feed(&buf[..n], &events),
                Err(e) => {
                    lines.count.error = Some(e.to_string());
                    break;
                }
            },
            _ = stop.changed() => break,
        }
    }
    lines.count
}

impl Streams {
    /// Stops reading, closes every stream, and returns what each received.
    pub(crate) async fn close(self) -> Vec<StreamCount> {
        let _ = self.stop.send(true);
        let mut out = Vec::with_capacity(self.tasks.len());
        for t in self.tasks {
            out.push(t.await.unwrap_or_default());
        }
        self.runtime.shutdown_background();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_count_events_and_keep_the_last_id_across_reads() {
        let events = AtomicU64::new(0);
        let mut l = Lines {
            line: Vec::new(),
            count: StreamCount::default(),
            pending: None,
        };
        let stream = b"retry: 2000\n\n1a\r\nid: 7\nevent: snapshot\ndata: {\"x\":1}\n\n\r\nid: 8\nevent: change\ndata: {}\n\n: keep-alive\n\n";
        for part in stream.chunks(5) {
            l.feed(part, &events);
        }
        assert_eq!(
            (l.count.snapshots, l.count.changes, l.count.last_id),
            (1, 1, 8)
        );
        assert_eq!(events.load(Ordering::Relaxed), 2);
    }
}
