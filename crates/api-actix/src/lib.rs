//! The HTTP API (actix-web + paperclip): routes, error mapping, OpenAPI, ops endpoints.
//! Handlers call the domain's use cases; they never touch the database.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpMessage, HttpResponse, HttpServer};
use boxoffice_domain::accounts::AccountService;
use boxoffice_domain::delivery::OutboxAdmin;
use boxoffice_domain::idempotency_service::IdempotencyService;
use boxoffice_domain::inbox::InboxService;
use boxoffice_domain::lifecycle::PaymentService;
use boxoffice_domain::marketplace::catalog::MarketplaceCatalog;
use boxoffice_domain::ports::HealthCheck;
use boxoffice_domain::service::{BookingService, CatalogService};
use boxoffice_domain::values::Currency;
use boxoffice_domain::webhook_service::WebhookService;
use futures_util::FutureExt;
use paperclip::actix::{web, OpenApiExt};
use paperclip::v2::models::{DefaultApiRaw, Info};
use paperclip::v2::schema::Apiv2Schema;

pub mod accounts;
pub mod appointments;
pub mod auth;
pub mod cache;
pub mod codes;
pub mod dto;
pub mod edges;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod idempotency;
pub mod inbox;
pub mod live;
pub mod logging;
pub mod marketplace;
pub mod openapi;
pub mod outbox;
pub mod payments;
pub mod quote;
pub mod ratelimit;
pub mod seal;
pub mod seat_map;
pub mod stream;
pub mod swagger;
pub mod timestamp;
pub mod web_app;
pub mod webhooks;

use error::ApiError;
use handlers as h;

/// What the handlers need.
#[derive(Clone)]
pub struct ApiState {
    pub catalog: CatalogService,
    pub bookings: BookingService,
    /// Payments and refunds.
    pub payments: PaymentService,
    pub accounts: AccountService,
    /// Idempotency keys of retried writes (`idempotency::idempotent`).
    pub idempotency: IdempotencyService,
    /// The in-app inbox.
    pub inbox: InboxService,
    /// The admin's view of the outbox.
    pub outbox: OutboxAdmin,
    /// Partner webhooks and their delivery logs.
    pub webhooks: WebhookService,
    /// The service marketplace's categories and services.
    pub marketplace: MarketplaceCatalog,
    /// Signs and checks access tokens.
    pub jwt: Arc<auth::JwtKeys>,
    pub health: Arc<dyn HealthCheck>,
    pub default_currency: Currency,
    /// Largest CSV upload in bytes.
    pub csv_limit: usize,
    /// Rendered seat maps, kept briefly (see `cache`).
    pub seat_cache: Arc<cache::SeatMapCache>,
    /// The live streams of this instance (see `live`).
    pub live: Arc<live::Live>,
}

/// HTTP settings.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest JSON body in bytes.
    pub json_limit: usize,
    /// Worker threads (0 = one per core).
    pub workers: usize,
    /// CORS, security headers, client address.
    pub edges: edges::EdgeSettings,
    /// Token buckets.
    pub rate_limit: ratelimit::RateLimitSettings,
    /// The web app served at `/` (`web_app`); `None`: no web app, the JSON 404.
    pub web: Option<web_app::WebApp>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            json_limit: 1024 * 1024,
            workers: 0,
            edges: edges::EdgeSettings::default(),
            rate_limit: ratelimit::RateLimitSettings::default(),
            web: None,
        }
    }
}

/// Every route of the API, for the server and for the spec.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .service(web::resource("/auth/signup").route(web::post().to(accounts::signup)))
            .service(web::resource("/auth/login").route(web::post().to(accounts::login)))
            .service(web::resource("/auth/refresh").route(web::post().to(accounts::refresh)))
            .service(web::resource("/auth/logout").route(web::post().to(accounts::logout)))
            .service(
                web::resource("/auth/password-reset")
                    .route(web::post().to(accounts::password_reset)),
            )
            .service(
                web::resource("/auth/password-reset/confirm")
                    .route(web::post().to(accounts::password_reset_confirm)),
            )
            .service(
                web::resource("/users/me")
                    .route(web::get().to(accounts::me))
                    .route(web::patch().to(accounts::update_me)),
            )
            .service(web::resource("/users").route(web::get().to(accounts::list_users)))
            .service(
                web::resource("/users/{id}")
                    .route(web::get().to(accounts::get_user))
                    .route(web::patch().to(accounts::update_user)),
            )
            .service(
                web::resource("/users/{id}/bookings").route(web::get().to(accounts::user_bookings)),
            )
            .service(
                web::resource("/users/{id}/notifications").route(web::get().to(inbox::list_user)),
            )
            .service(
                web::resource("/users/{user_id}/notifications/{id}/read")
                    .route(web::put().to(inbox::mark_user_read)),
            )
            .service(web::resource("/notifications").route(web::get().to(inbox::list_mine)))
            .service(
                web::resource("/notifications/unread-count")
                    .route(web::get().to(inbox::unread_count)),
            )
            .service(web::resource("/notifications/push").route(web::post().to(inbox::push)))
            .service(
                web::resource("/notifications/stream")
                    .route(web::get().to(stream::notification_stream)),
            )
            .service(
                web::resource("/notifications/stream-ticket")
                    .route(web::post().to(stream::create_stream_ticket)),
            )
            .service(
                web::resource("/notifications/read-all")
                    .route(web::post().to(inbox::mark_all_mine_read)),
            )
            .service(
                web::resource("/notifications/{id}/read")
                    .route(web::put().to(inbox::mark_mine_read)),
            )
            .service(web::resource("/admin/outbox").route(web::get().to(outbox::list_outbox)))
            .service(
                web::resource("/admin/outbox/{id}/retry")
                    .route(web::post().to(outbox::retry_outbox_message)),
            )
            .configure(webhooks::routes)
            .configure(marketplace::routes)
            .configure(appointments::routes)
            .service(
                web::resource("/cities")
                    .route(web::post().to(h::create_city))
                    .route(web::get().to(h::list_cities)),
            )
            .service(
                web::resource("/venues")
                    .route(web::post().to(h::create_venue))
                    .route(web::get().to(h::list_venues)),
            )
            .service(
                web::resource("/events")
                    .route(web::post().to(h::create_event))
                    .route(web::get().to(h::list_events)),
            )
            .service(web::resource("/events/{id}").route(web::get().to(h::get_event)))
            .service(web::resource("/events/{id}/shows").route(web::post().to(h::create_show)))
            .service(web::resource("/events/{id}/book").route(web::post().to(h::book_event)))
            .service(web::resource("/shows/{id}").route(web::get().to(h::get_show)))
            .service(web::resource("/shows/{id}/seats").route(web::get().to(seat_map::list_seats)))
            .service(
                web::resource("/shows/{id}/seats/stream").route(web::get().to(stream::seat_stream)),
            )
            .service(web::resource("/shows/{id}/quote").route(web::post().to(quote::quote_booking)))
            .service(
                web::resource("/shows/{id}/seats/import").route(web::post().to(h::import_seats)),
            )
            .service(
                web::resource("/shows/{id}/pricing/import")
                    .route(web::post().to(h::import_pricing)),
            )
            .service(web::resource("/seats/{id}").route(web::get().to(h::get_seat)))
            .service(
                web::resource("/bookings")
                    .route(web::post().to(h::create_booking))
                    .route(web::get().to(h::list_bookings)),
            )
            .service(
                web::resource("/bookings/{id}")
                    .route(web::get().to(h::get_booking))
                    .route(web::delete().to(h::delete_booking)),
            )
            .service(
                web::resource("/bookings/{id}/cancel").route(web::post().to(h::cancel_booking)),
            )
            .service(
                web::resource("/bookings/{id}/cancellation")
                    .route(web::get().to(h::cancellation_quote)),
            )
            .service(
                web::resource("/bookings/{id}/seats").route(web::put().to(payments::change_seats)),
            )
            .service(web::resource("/payments/initiate").route(web::post().to(payments::initiate)))
            .service(web::resource("/payments/confirm").route(web::post().to(payments::confirm)))
            .service(web::resource("/payments/webhook").route(web::post().to(payments::webhook)))
            .service(web::resource("/payments/{id}").route(web::get().to(payments::get_payment)))
            .service(web::resource("/payments/{id}/refund").route(web::post().to(payments::refund)))
            .service(
                web::resource("/bookings/{id}/history").route(web::get().to(h::booking_history)),
            ),
    )
    .service(web::resource("/health").route(web::get().to(h::health)))
    .service(web::resource("/ready").route(web::get().to(h::ready)));
}

fn base_spec() -> DefaultApiRaw {
    let mut spec = DefaultApiRaw {
        info: Info {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            title: "boxoffice".to_owned(),
            description: Some(
                "Booking platform API: seated shows with tiered seat-class pricing, general-admission \
                 events, bookings that never oversell. Money is integer minor units plus an ISO \
                 currency code. Errors: {\"error\": {\"code\", \"message\", \"details\"}}."
                    .to_owned(),
            ),
            ..Default::default()
        },
        ..Default::default()
    };
    named_schemas(&mut spec);
    spec
}

/// Registers the types that appear only nested in others (paperclip inlines them) and the
/// error body, so that `openapi::finish` can replace every inline copy with a `$ref`. A new
/// nested type goes here too (the test `every_schema_is_named` fails until it does).
fn named_schemas(spec: &mut DefaultApiRaw) {
    fn add<T: Apiv2Schema>(spec: &mut DefaultApiRaw) {
        let name = T::name().expect("a named schema");
        spec.definitions.insert(name, T::raw_schema());
    }
    add::<error::ErrorBody>(spec);
    add::<error::ErrorObject>(spec);
    add::<dto::AcceptedDto>(spec);
    add::<dto::AppointmentDto>(spec);
    add::<dto::AvailabilityConflictDto>(spec);
    add::<dto::AvailabilityDto>(spec);
    add::<dto::AvailabilityExceptionDto>(spec);
    add::<dto::AvailabilityInputDto>(spec);
    add::<dto::AvailabilityPatchDto>(spec);
    add::<dto::BookingDto>(spec);
    add::<dto::BookingItemDto>(spec);
    add::<dto::CancellationQuoteDto>(spec);
    add::<dto::CategoryDto>(spec);
    add::<dto::CityDto>(spec);
    add::<dto::EventDto>(spec);
    add::<dto::HistoryEntryDto>(spec);
    add::<dto::PaymentDto>(spec);
    add::<dto::RefundDto>(spec);
    add::<dto::SeatClassDto>(spec);
    add::<dto::SeatClassInput>(spec);
    add::<dto::SeatDto>(spec);
    add::<dto::SeatInput>(spec);
    add::<dto::SeatList>(spec);
    add::<dto::SeatPricingDto>(spec);
    add::<dto::ServiceDto>(spec);
    add::<dto::ShowDto>(spec);
    add::<dto::SlotDto>(spec);
    add::<live::SeatMapChangeDto>(spec);
    add::<live::SeatMapSnapshotDto>(spec);
    add::<inbox::NotificationDto>(spec);
    add::<stream::StreamTicketDto>(spec);
    add::<dto::UserDto>(spec);
    add::<dto::VenueDto>(spec);
    add::<dto::WeeklyIntervalDto>(spec);
}

/// The OpenAPI 3 document of the API, generated from the routes and types (no server, no
/// database needed) and finished by `openapi::finish`. The same document is served at
/// `/openapi.json`.
pub fn openapi_spec() -> serde_json::Value {
    let mut out = serde_json::Value::Null;
    let _app = actix_web::App::new()
        .wrap_api_with_spec(base_spec())
        .configure(routes)
        .with_raw_json_spec_v3(|app, spec| {
            out = spec;
            app
        })
        .build();
    openapi::finish(&mut out);
    out
}

async fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&ApiError::not_found("no such route"))
}

/// What no route took: the web app's answer (`web_app::WebApp::respond`), else the JSON 404.
async fn unrouted(web: Option<&web_app::WebApp>, req: &actix_web::HttpRequest) -> HttpResponse {
    match web {
        Some(web) => match web.respond(req).await {
            Some(res) => res,
            None => not_found().await,
        },
        None => not_found().await,
    }
}

/// Starts the HTTP server on `listener`.
pub fn serve(
    listener: TcpListener,
    state: ApiState,
    settings: HttpSettings,
) -> std::io::Result<Server> {
    let rate_limit = ratelimit::RateLimit::new(
        settings.rate_limit.clone(),
        settings.edges.trust_forwarded_for,
        state.jwt.user_key(),
    );
    let data = actix_web::web::Data::new(state);
    let json_limit = settings.json_limit;
    let edges = settings.edges.clone();
    let web = settings.web.clone();
    // The spec is built once; paperclip's own spec route is shadowed by this one (registered
    // first), which serves the post-processed document (`openapi::finish`).
    let spec = actix_web::web::Bytes::from(
        serde_json::to_vec(&openapi_spec()).map_err(std::io::Error::other)?,
    );
    let mut server = HttpServer::new(move || {
        let query_cfg = actix_web::web::QueryConfig::default()
            .error_handler(|err, _req| error::query_error(&err).into());
        let path_cfg = actix_web::web::PathConfig::default()
            .error_handler(|err, _req| error::path_error(&err).into());
        let spec = spec.clone();
        let web = web.clone();
        actix_web::App::new()
            .app_data(data.clone())
            // JSON bodies are read by `extract::Body`, which takes its size limit from here.
            .app_data(actix_web::web::PayloadConfig::new(json_limit))
            .app_data(query_cfg)
            .app_data(path_cfg)
            .route(
                "/openapi.json",
                actix_web::web::get().to(move || {
                    let spec = spec.clone();
                    async move {
                        HttpResponse::Ok()
                            .content_type("application/json")
                            .body(spec)
                    }
                }),
            )
            .configure(swagger::routes)
            // Innermost first: rate limit, request id, CORS (preflights
            // are answered there and cost no tokens), the request log, and security headers
            // outermost (every answer gets them, 429s included).
            .wrap(rate_limit.clone())
            .wrap_fn(|req, srv| {
                let request_id = req
                    .extensions()
                    .get::<tracing_actix_web::RequestId>()
                    .map(|r| r.to_string());
                let fut = srv.call(req);
                async move {
                    let mut res = fut.await?.map_into_boxed_body();
                    if let Some(id) = request_id.and_then(|r| HeaderValue::from_str(&r).ok()) {
                        res.headers_mut()
                            .insert(HeaderName::from_static("x-request-id"), id);
                    }
                    Ok(res)
                }
                .boxed_local()
            })
            .wrap(edges::cors(&edges))
            .wrap(tracing_actix_web::TracingLogger::<logging::RequestSpans>::new())
            .wrap(edges::security_headers(&edges))
            .wrap_api_with_spec(base_spec())
            .configure(routes)
            .with_json_spec_v3_at("/openapi.json")
            .default_service(
                actix_web::web::route().to(move |req: actix_web::HttpRequest| {
                    let web = web.clone();
                    async move { unrouted(web.as_ref(), &req).await }
                }),
            )
            .build()
    });
    if settings.workers > 0 {
        server = server.workers(settings.workers);
    }
    Ok(server.listen(listener)?.run())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_documents_every_route() {
        let spec = openapi_spec();
        assert_eq!(spec["openapi"].as_str().map(|s| &s[..2]), Some("3."));
        let paths = spec["paths"].as_object().expect("paths");
        for p in [
            "/api/v1/cities",
            "/api/v1/bookings",
            "/api/v1/bookings/{id}/cancel",
            "/api/v1/shows/{id}/seats",
            "/api/v1/shows/{id}/seats/import",
            "/health",
        ] {
            assert!(paths.contains_key(p), "{p} missing");
        }
    }

    #[test]
    fn spec_documents_the_bearer_scheme_and_where_it_is_needed() {
        let spec = openapi_spec();
        let scheme = &spec["components"]["securitySchemes"][auth::SECURITY_SCHEME];
        assert_eq!(scheme["type"], "http");
        assert_eq!(scheme["scheme"], "bearer");
        assert_eq!(scheme["bearerFormat"], "JWT");
        let required = serde_json::json!([{ "bearerAuth": [] }]);
        let optional = serde_json::json!([{ "bearerAuth": [] }, {}]);
        for (path, method) in [
            ("/api/v1/cities", "post"),
            ("/api/v1/venues", "post"),
            ("/api/v1/events", "post"),
            ("/api/v1/events/{id}/shows", "post"),
            ("/api/v1/shows/{id}/seats/import", "post"),
            ("/api/v1/users/me", "get"),
            ("/api/v1/users", "get"),
            ("/api/v1/users/{id}", "patch"),
        ] {
            assert_eq!(
                spec["paths"][path][method]["security"], required,
                "{method} {path}"
            );
        }
        for (path, method) in [
            ("/api/v1/bookings", "post"),
            ("/api/v1/bookings/{id}", "get"),
            ("/api/v1/cities", "get"),
        ] {
            assert_eq!(
                spec["paths"][path][method]["security"], optional,
                "{method} {path}"
            );
        }
        // The sign-in routes need nothing.
        assert!(spec["paths"]["/api/v1/auth/login"]["post"]["security"].is_null());
        // Guest bookings document their header.
        let params = spec["paths"]["/api/v1/bookings/{id}"]["get"]["parameters"]
            .as_array()
            .expect("parameters");
        assert!(params
            .iter()
            .any(|p| p["name"] == "X-Booking-Token" && p["in"] == "header"));
    }
}
