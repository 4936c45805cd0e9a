//! `GET /shows/{id}/seats`, the hottest read: the seat map rendered straight from the domain's
//! seats into JSON bytes (no DTO per seat), kept briefly in the [`SeatMapCache`] with its
//! `ETag`, and answered `304 Not Modified` when the client's `If-None-Match` names that tag.
//!
//! The bytes are exactly what `serde_json` makes of [`SeatList`] (the documented shape): the
//! tests below render both ways and compare.
//!
//! [`SeatMapCache`]: crate::cache::SeatMapCache

use std::collections::BTreeMap;

use actix_web::body::BoxBody;
use actix_web::dev::Payload;
use actix_web::http::header::{self, Header, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, Responder};
use boxoffice_domain::catalog::{SeatStatus, ShowDetail};
use boxoffice_domain::seat_map::{SeatPlace, SeatState};
use paperclip::actix::{api_v2_operation, web, OperationModifier};
use paperclip::v2::models::{
    DataType, DefaultOperationRaw, DefaultSchemaRaw, Either, Parameter, ParameterIn,
};
use paperclip::v2::schema::Apiv2Schema;

use crate::auth::TokenChecked;
use crate::cache::Rendered;
use crate::dto::SeatList;
use crate::error::ApiError;
use crate::extract::JsonBytes;
use crate::handlers::positive_id;
use crate::ApiState;

/// The request header of a conditional read.
pub const IF_NONE_MATCH: &str = "If-None-Match";

/// All seats of a show, ordered by class, row and number, with status and current class price
#[api_v2_operation(operation_id = "get_seat_map", tags(Seats))]
pub async fn list_seats(
    state: web::Data<ApiState>,
    _auth: TokenChecked,
    id: web::Path<i64>,
    condition: IfNoneMatch,
) -> Result<SeatMapResponse, ApiError> {
    let id = positive_id(id.into_inner(), "show")?;
    let generation = match state.seat_cache.get(id, state.catalog.now()) {
        Ok(map) => return Ok(SeatMapResponse::answer(map, &condition)),
        Err(generation) => generation,
    };
    let seats = state.catalog.list_seats(id).await?;
    // Not served from memory past the first hold's end: its seats are free then.
    let hold_ends = seats.first_hold_end();
    let map = Rendered::new(render(&seats.show, seats.seats()).into());
    state
        .seat_cache
        .store_until(id, generation, map.clone(), hold_ends);
    Ok(SeatMapResponse::answer(map, &condition))
}

// ---------- rendering ----------

/// The JSON of `SeatList { items: [SeatDto…], total, limit, offset }` for these seats, each
/// with its class's current price (the domain's quote of the class's next seat).
pub fn render<'a>(
    show: &ShowDetail,
    seats: impl ExactSizeIterator<Item = (&'a SeatPlace, SeatState)>,
) -> Vec<u8> {
    let prices: Vec<(i64, Option<i64>)> = show
        .classes
        .iter()
        .map(|c| (c.id, c.current_quote().map(|q| q.price)))
        .collect();
    let mut out = Vec::with_capacity(64 + seats.len() * 176);
    out.extend_from_slice(b"{\"items\":[");
    let mut last: Option<(i64, Option<i64>)> = None;
    let n = seats.len() as i64;
    for (i, (s, state)) in seats.enumerate() {
        // Seats come grouped by class: most look-ups are the class of the seat before.
        let price = match last {
            Some((class, price)) if class == s.class_id => price,
            _ => {
                let price = prices
                    .iter()
                    .find(|(class, _)| *class == s.class_id)
                    .and_then(|(_, p)| *p);
                last = Some((s.class_id, price));
                price
            }
        };
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"id\":");
        int(&mut out, s.id);
        out.extend_from_slice(b",\"label\":");
        string(&mut out, &s.label);
        out.extend_from_slice(b",\"row\":");
        string(&mut out, &s.row);
        out.extend_from_slice(b",\"number\":");
        int(&mut out, s.number);
        out.extend_from_slice(b",\"class\":");
        string(&mut out, &s.class);
        out.extend_from_slice(b",\"status\":\"");
        out.extend_from_slice(state.status().as_str().as_bytes());
        out.extend_from_slice(b"\",\"held_until\":");
        match &state.held_until() {
            Some(t) => string(&mut out, &crate::timestamp::format(t)),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(if state.status() == SeatStatus::Available {
            b",\"is_booked\":false,\"price\":"
        } else {
            b",\"is_booked\":true,\"price\":"
        });
        match price {
            Some(p) => int(&mut out, p),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"external_ref\":");
        match &s.external_ref {
            Some(r) => string(&mut out, r),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"total\":");
    int(&mut out, n);
    out.extend_from_slice(b",\"limit\":");
    int(&mut out, n);
    out.extend_from_slice(b",\"offset\":0}");
    out
}

fn int(out: &mut Vec<u8>, v: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

/// A JSON string as `serde_json` writes it: copied when nothing in it needs escaping, else
/// escaped by `serde_json` itself.
fn string(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail");
    }
}

// ---------- conditional requests ----------

/// The `If-None-Match` request header: `*` or a list of entity tags. An unparsable value is
/// ignored (the full map is sent), never an error.
pub struct IfNoneMatch(Option<header::IfNoneMatch>);

impl IfNoneMatch {
    /// Does the condition hold — must the map be sent? False when a tag matches `etag` by the
    /// weak comparison (RFC 9110 §13.1.2) or the header is `*`.
    fn wants(&self, etag: &HeaderValue) -> bool {
        match &self.0 {
            None => true,
            Some(header::IfNoneMatch::Any) => false,
            Some(header::IfNoneMatch::Items(tags)) => {
                let Some(ours) = etag
                    .to_str()
                    .ok()
                    .and_then(|t| t.parse::<header::EntityTag>().ok())
                else {
                    return true;
                };
                !tags.iter().any(|t| t.weak_eq(&ours))
            }
        }
    }
}

impl FromRequest for IfNoneMatch {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = if req.headers().contains_key(header::IF_NONE_MATCH) {
            header::IfNoneMatch::parse(req).ok()
        } else {
            None
        };
        std::future::ready(Ok(Self(parsed)))
    }
}

impl Apiv2Schema for IfNoneMatch {}
impl OperationModifier for IfNoneMatch {
    fn update_parameter(op: &mut DefaultOperationRaw) {
        op.parameters.push(Either::Right(Parameter {
            description: Some(
                "The `ETag` of a seat map the client holds (or several, comma separated, or \
                 `*`). When the map is unchanged — its `ETag` matches one of them — the answer \
                 is 304 Not Modified with no body; otherwise 200 with the map. An unparsable \
                 value is ignored."
                    .into(),
            ),
            in_: ParameterIn::Header,
            name: IF_NONE_MATCH.into(),
            required: false,
            data_type: Some(DataType::String),
            ..Default::default()
        }));
    }
}

/// The seat map (200, with its `ETag`) or 304 Not Modified (the `ETag` alone); documented as
/// the 200 of [`SeatList`] (the 304 and the header are added by `openapi::finish`).
pub enum SeatMapResponse {
    Map(Rendered),
    NotModified(HeaderValue),
}

impl SeatMapResponse {
    fn answer(map: Rendered, condition: &IfNoneMatch) -> Self {
        if condition.wants(&map.etag) {
            Self::Map(map)
        } else {
            Self::NotModified(map.etag)
        }
    }
}

impl Responder for SeatMapResponse {
    type Body = BoxBody;

    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        match self {
            Self::Map(map) => HttpResponse::Ok()
                .content_type("application/json")
                .insert_header((header::ETAG, map.etag))
                .body(map.body),
            Self::NotModified(etag) => HttpResponse::NotModified()
                .insert_header((header::ETAG, etag))
                .finish(),
        }
    }
}

impl Apiv2Schema for SeatMapResponse {
    fn name() -> Option<String> {
        SeatList::name()
    }
    fn raw_schema() -> DefaultSchemaRaw {
        SeatList::raw_schema()
    }
}

impl OperationModifier for SeatMapResponse {
    fn update_parameter(_op: &mut DefaultOperationRaw) {}

    fn update_response(op: &mut DefaultOperationRaw) {
        JsonBytes::<SeatList>::update_response(op);
    }

    fn update_definitions(map: &mut BTreeMap<String, DefaultSchemaRaw>) {
        JsonBytes::<SeatList>::update_definitions(map);
    }
}

#[cfg(test)]
mod tests {
    use boxoffice_domain::catalog::{SeatClassAvailability, SeatView, Show, ShowKind};
    use boxoffice_domain::pricing::TierPrices;
    use boxoffice_domain::status::BookingStatus;
    use boxoffice_domain::values::Currency;
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::dto::SeatDto;

    fn class(
        id: i64,
        name: &str,
        prices: (Option<i64>, Option<i64>, Option<i64>),
    ) -> SeatClassAvailability {
        SeatClassAvailability {
            id,
            name: name.into(),
            prices: TierPrices {
                min_price: prices.0,
                normal_price: prices.1,
                max_price: prices.2,
            },
            total_seats: 10,
            held_seats: 2,
            booked_seats: 3,
        }
    }

    fn seat(
        id: i64,
        class: &SeatClassAvailability,
        label: &str,
        status: BookingStatus,
    ) -> (SeatPlace, SeatState) {
        let split = label
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(label.len());
        let place = SeatPlace {
            id,
            label: label.into(),
            row: label[..split].into(),
            number: label[split..].parse().unwrap_or(0),
            class_id: class.id,
            class: class.name.as_str().into(),
            external_ref: None,
        };
        let until = Utc.timestamp_opt(1_800_000_000, 123_456_789).unwrap();
        (place, SeatState::taken_by(status, Some(until)))
    }

    /// What `serde_json` makes of the documented DTOs.
    fn by_serde(show: &ShowDetail, seats: &[(SeatPlace, SeatState)]) -> Vec<u8> {
        let items: Vec<SeatDto> = seats
            .iter()
            .map(|(p, state)| {
                let price = show
                    .classes
                    .iter()
                    .find(|c| c.id == p.class_id)
                    .and_then(|c| c.current_quote())
                    .map(|q| q.price);
                let view = SeatView {
                    id: p.id,
                    label: p.label.clone(),
                    row: p.row.clone(),
                    number: p.number,
                    class_id: p.class_id,
                    class: p.class.clone(),
                    status: state.status(),
                    held_until: state.held_until(),
                    external_ref: p.external_ref.clone(),
                };
                SeatDto::new(view, price)
            })
            .collect();
        let n = items.len() as i64;
        serde_json::to_vec(&SeatList {
            items,
            total: n,
            limit: n,
            offset: 0,
        })
        .unwrap()
    }

    fn show(classes: Vec<SeatClassAvailability>) -> ShowDetail {
        let t = Utc.with_ymd_and_hms(2026, 12, 6, 20, 0, 0).unwrap();
        ShowDetail {
            show: Show {
                id: 1,
                event_id: 1,
                venue_id: None,
                screen_name: String::new(),
                starts_at: t,
                ends_at: t + chrono::Duration::hours(2),
                kind: ShowKind::Seated,
                currency: Currency::parse("USD").unwrap(),
                capacity: None,
                free_places: None,
                price: None,
                created_at: t,
            },
            classes,
        }
    }

    #[test]
    fn renders_exactly_what_serde_renders() {
        let a = class(1, "Stalls", (Some(1200), Some(1500), Some(2000)));
        let b = class(
            2,
            "Odd \"name\" \\ with\ttab, ünïcode, </script>",
            (None, None, None),
        );
        let c = class(3, "Half priced", (Some(900), None, None));
        let mut seats = [
            seat(10, &a, "A1", BookingStatus::Cancelled),
            seat(11, &a, "A2", BookingStatus::Held),
            seat(12, &a, "A10", BookingStatus::Confirmed),
            seat(20, &b, "B1", BookingStatus::Expired),
            seat(30, &c, "GA", BookingStatus::Held),
            seat(13, &a, "AA1", BookingStatus::Cancelled),
        ];
        seats[1].0.external_ref = Some("ext-\u{1}-\"q\"".into());
        seats[3].0.external_ref = Some("plain".into());
        seats[5].0.label = "AA\u{7f}1".into();
        let show = show(vec![a, b, c]);
        for n in [0, 1, seats.len()] {
            let got = render(&show, seats[..n].iter().map(|(p, s)| (p, *s)));
            assert_eq!(
                String::from_utf8(got).unwrap(),
                String::from_utf8(by_serde(&show, &seats[..n])).unwrap(),
                "{n} seats"
            );
        }
    }

    #[test]
    fn if_none_match_compares_weakly_and_ignores_garbage() {
        let map = Rendered::new(actix_web::web::Bytes::from_static(b"{}"));
        let tag = map.etag.to_str().unwrap().to_owned();
        let cond = |v: Option<&str>| {
            let mut req = actix_web::test::TestRequest::default();
            if let Some(v) = v {
                req = req.insert_header((header::IF_NONE_MATCH, v));
            }
            let req = req.to_http_request();
            futures_util::FutureExt::now_or_never(IfNoneMatch::from_request(
                &req,
                &mut Payload::None,
            ))
            .unwrap()
            .unwrap()
        };
        assert!(cond(None).wants(&map.etag));
        assert!(!cond(Some(&tag)).wants(&map.etag));
        assert!(!cond(Some(&format!("W/{tag}"))).wants(&map.etag));
        assert!(!cond(Some(&format!("\"other\", {tag}"))).wants(&map.etag));
        assert!(!cond(Some("*")).wants(&map.etag));
        assert!(cond(Some("\"other\"")).wants(&map.etag));
        assert!(cond(Some("not a tag")).wants(&map.etag));
        assert!(
            cond(Some(&tag[1..33])).wants(&map.etag),
            "an unquoted tag is no tag"
        );
    }
}
