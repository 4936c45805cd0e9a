//! The request log: one line per request when its span closes (tracing-actix-web's root
//! span). Probes (`/health`, `/ready`), which orchestrators call every few seconds, are logged
//! at DEBUG so that they do not drown the INFO log.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::Error;
use tracing::Span;
use tracing_actix_web::{root_span, DefaultRootSpanBuilder, Level, RootSpanBuilder};

/// The paths of the health probes.
pub const PROBE_PATHS: [&str; 2] = ["/health", "/ready"];

/// The level of the request log line of a request to `path`.
pub fn request_log_level(path: &str) -> Level {
    if PROBE_PATHS.contains(&path) {
        Level::DEBUG
    } else {
        Level::INFO
    }
}

/// The root span of every request, at [`request_log_level`]; the fields are
/// tracing-actix-web's defaults (method, route, status, request id, latency on close).
pub struct RequestSpans;

impl RootSpanBuilder for RequestSpans {
    fn on_request_start(request: &ServiceRequest) -> Span {
        // A span's level is part of its static metadata: one macro call per level.
        if request_log_level(request.path()) == Level::DEBUG {
            root_span!(level = Level::DEBUG, request)
        } else {
            root_span!(level = Level::INFO, request)
        }
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_are_logged_at_debug_everything_else_at_info() {
        assert_eq!(request_log_level("/health"), Level::DEBUG);
        assert_eq!(request_log_level("/ready"), Level::DEBUG);
        for path in [
            "/api/v1/events",
            "/healthz",
            "/ready/x",
            "/openapi.json",
            "/",
        ] {
            assert_eq!(request_log_level(path), Level::INFO, "{path}");
        }
    }
}
