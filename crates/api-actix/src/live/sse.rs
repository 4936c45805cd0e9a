//! The bytes of the live streams: a frame rendered once for all its readers, and the body of
//! one stream — its first frames, then its hub's, with keep-alives — that ends a reader too
//! slow to keep up.

use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::time::Duration;

use actix_web::web::Bytes;
use futures_util::Stream;
use tokio::sync::broadcast;

use super::Live;

/// One SSE frame (`id`, `event`, `data`), rendered once and shared by every stream that sends
/// it. `version` orders it within its stream (a show's version, or a notification's id).
#[derive(Debug)]
pub struct Frame {
    pub version: i64,
    pub bytes: Bytes,
}

impl Frame {
    /// A frame whose `id` is `version`.
    pub(super) fn new(event: &str, version: i64, data: &[u8]) -> Arc<Frame> {
        Self::with_id(event, version, version, data)
    }

    pub(super) fn with_id(event: &str, id: i64, version: i64, data: &[u8]) -> Arc<Frame> {
        let mut out = Vec::with_capacity(data.len() + 48);
        out.extend_from_slice(format!("id: {id}\nevent: {event}\ndata: ").as_bytes());
        out.extend_from_slice(data);
        out.extend_from_slice(b"\n\n");
        Arc::new(Frame {
            version,
            bytes: out.into(),
        })
    }
}

/// A stream being opened: the frames it starts with, then the hub's frames above `after`.
pub struct Opened {
    pub first: Vec<Bytes>,
    pub(super) rx: broadcast::Receiver<Arc<Frame>>,
    pub(super) after: i64,
}

/// Holds a stream's place among the client's open streams; gives it back when dropped (the
/// client went away, or the stream ended).
pub struct StreamGuard {
    pub(super) live: Weak<Live>,
    pub(super) client: String,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        if let Some(live) = self.live.upgrade() {
            live.release(&self.client);
        }
    }
}

/// The comment line that keeps an idle stream open.
const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";
/// Tells `EventSource` how long to wait before it reconnects (milliseconds).
const RETRY: &[u8] = b"retry: 2000\n\n";

struct Body {
    first: VecDeque<Bytes>,
    rx: broadcast::Receiver<Arc<Frame>>,
    after: i64,
    tick: tokio::time::Interval,
    _guard: StreamGuard,
}

/// The bytes of an open stream: `retry`, its first frames, then every frame of its hub above
/// the version it started at, with a keep-alive comment every `keep_alive`. Ends when the
/// reader falls more than the hub's buffer behind.
pub fn body(
    opened: Opened,
    keep_alive: Duration,
    guard: StreamGuard,
) -> impl Stream<Item = Result<Bytes, actix_web::Error>> {
    let mut first: VecDeque<Bytes> = opened.first.into();
    first.push_front(Bytes::from_static(RETRY));
    let start = tokio::time::Instant::now() + keep_alive;
    let state = Body {
        first,
        rx: opened.rx,
        after: opened.after,
        tick: tokio::time::interval_at(start, keep_alive),
        _guard: guard,
    };
    futures_util::stream::unfold(state, |mut b| async move {
        if let Some(f) = b.first.pop_front() {
            return Some((Ok(f), b));
        }
        loop {
            tokio::select! {
                got = b.rx.recv() => match got {
                    Ok(frame) if frame.version > b.after => {
                        b.after = frame.version;
                        return Some((Ok(frame.bytes.clone()), b));
                    }
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::debug!(behind = n, "slow live stream reader dropped");
                        return None;
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = b.tick.tick() => return Some((Ok(Bytes::from_static(KEEP_ALIVE)), b)),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    fn opened(buffer: usize) -> (broadcast::Sender<Arc<Frame>>, Opened) {
        let (tx, rx) = broadcast::channel(buffer);
        let first = vec![Bytes::from_static(b"first")];
        (
            tx,
            Opened {
                first,
                rx,
                after: 3,
            },
        )
    }

    fn guard() -> StreamGuard {
        StreamGuard {
            live: Weak::new(),
            client: "test".into(),
        }
    }

    #[tokio::test]
    async fn a_stream_sends_retry_its_first_frames_then_only_newer_frames() {
        let (tx, opened) = opened(8);
        let mut s = Box::pin(body(opened, Duration::from_secs(60), guard()));
        tx.send(Frame::new("change", 3, b"{}")).unwrap(); // already in its first frames
        tx.send(Frame::new("change", 4, b"{\"v\":4}")).unwrap();
        assert_eq!(s.next().await.unwrap().unwrap(), RETRY);
        assert_eq!(s.next().await.unwrap().unwrap(), "first");
        assert_eq!(
            s.next().await.unwrap().unwrap(),
            "id: 4\nevent: change\ndata: {\"v\":4}\n\n"
        );
    }

    #[tokio::test]
    async fn a_reader_that_falls_behind_is_ended_not_queued_for() {
        let (tx, opened) = opened(2);
        let mut s = Box::pin(body(opened, Duration::from_secs(60), guard()));
        s.next().await.unwrap().unwrap();
        s.next().await.unwrap().unwrap();
        // Five frames while the reader reads nothing: the channel keeps two.
        for v in 4..9 {
            tx.send(Frame::new("change", v, b"{}")).unwrap();
        }
        assert!(s.next().await.is_none(), "the slow reader's stream ends");
    }

    #[tokio::test]
    async fn an_idle_stream_gets_keep_alive_comments_and_ends_with_its_hub() {
        let (tx, opened) = opened(2);
        let mut s = Box::pin(body(opened, Duration::from_millis(30), guard()));
        s.next().await.unwrap().unwrap();
        s.next().await.unwrap().unwrap();
        assert_eq!(s.next().await.unwrap().unwrap(), KEEP_ALIVE);
        drop(tx);
        assert!(s.next().await.is_none());
    }
}
