//! The CSV imports of a seated show: seats (`id,seat_identifier,seat_class`) and class prices
//! (`id,seat_class,min_price,normal_price,max_price`), each in one transaction.

use std::collections::HashMap;

use boxoffice_domain::catalog::ShowKind;
use boxoffice_domain::import::{ImportSummary, PricingRow, SeatRow};
use boxoffice_domain::{ConflictCode, DomainError};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Int8, Nullable, Text};

use crate::catalog::{find_show, refresh_seat_counts, SEAT_CHUNK};
use crate::models::*;
use crate::schema::*;
use crate::TxError;

fn seated_show_for_import(conn: &mut PgConnection, show_id: i64) -> Result<ShowRow, TxError> {
    let show = find_show(conn, show_id)?;
    if show.kind != ShowKind::Seated.as_str() {
        return Err(DomainError::Conflict {
            code: ConflictCode::NotSeated,
            message: format!("show {show_id} is general admission: it has no seat map"),
        }
        .into());
    }
    Ok(show)
}

pub(crate) fn import_seats_tx(
    conn: &mut PgConnection,
    show_id: i64,
    rows: Vec<SeatRow>,
) -> Result<ImportSummary, TxError> {
    seated_show_for_import(conn, show_id)?;
    // Serialise imports of one show (bookings are not blocked).
    diesel::sql_query("SELECT pg_advisory_xact_lock(1, $1::int)")
        .bind::<diesel::sql_types::Integer, _>((show_id % i64::from(i32::MAX)) as i32)
        .execute(conn)?;
    let mut class_ids: HashMap<String, i64> = seat_classes::table
        .filter(seat_classes::show_id.eq(show_id))
        .select((seat_classes::name, seat_classes::id))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    for r in &rows {
        if !class_ids.contains_key(&r.class) {
            let id: i64 = diesel::insert_into(seat_classes::table)
                .values((
                    seat_classes::show_id.eq(show_id),
                    seat_classes::name.eq(&r.class),
                ))
                .returning(seat_classes::id)
                .get_result(conn)?;
            class_ids.insert(r.class.clone(), id);
        }
    }
    #[derive(QueryableByName)]
    struct Existing {
        #[diesel(sql_type = Int8)]
        id: i64,
        #[diesel(sql_type = Text)]
        label: String,
        #[diesel(sql_type = Int8)]
        seat_class_id: i64,
        #[diesel(sql_type = Nullable<Text>)]
        external_ref: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        booked: bool,
    }
    let existing: Vec<Existing> = diesel::sql_query(
        "SELECT s.id, s.label, s.seat_class_id, s.external_ref, \
         EXISTS (SELECT 1 FROM booking_items bi WHERE bi.seat_id = s.id AND bi.active) AS booked \
         FROM seats s WHERE s.show_id = $1",
    )
    .bind::<Int8, _>(show_id)
    .load(conn)?;
    let existing: HashMap<String, Existing> =
        existing.into_iter().map(|e| (e.label.clone(), e)).collect();
    let mut summary = ImportSummary {
        rows: rows.len() as u64,
        ..Default::default()
    };
    let mut new_rows = Vec::new();
    for r in &rows {
        let class_id = class_ids[&r.class];
        match existing.get(r.label.as_str()) {
            None => {
                summary.created += 1;
                new_rows.push((
                    seats::show_id.eq(show_id),
                    seats::seat_class_id.eq(class_id),
                    seats::label.eq(r.label.as_str().to_owned()),
                    seats::row_label.eq(r.label.row().to_owned()),
                    seats::seat_number.eq(r.label.number() as i32),
                    seats::external_ref.eq(r.external_id.clone()),
                ));
            }
            Some(e) if e.seat_class_id == class_id && e.external_ref == r.external_id => {
                summary.unchanged += 1;
            }
            Some(e) => {
                if e.booked && e.seat_class_id != class_id {
                    return Err(DomainError::InvalidCsv {
                        line: r.line,
                        column: Some("seat_class".into()),
                        problem: format!(
                            "seat '{}' is in an active booking: its class cannot change",
                            r.label
                        ),
                    }
                    .into());
                }
                summary.updated += 1;
                diesel::update(seats::table.find(e.id))
                    .set((
                        seats::seat_class_id.eq(class_id),
                        seats::external_ref.eq(r.external_id.as_deref()),
                    ))
                    .execute(conn)?;
            }
        }
    }
    for chunk in new_rows.chunks(SEAT_CHUNK) {
        diesel::insert_into(seats::table)
            .values(chunk)
            .execute(conn)?;
    }
    refresh_seat_counts(conn, show_id)?;
    Ok(summary)
}

pub(crate) fn import_pricing_tx(
    conn: &mut PgConnection,
    show_id: i64,
    rows: Vec<PricingRow>,
) -> Result<ImportSummary, TxError> {
    seated_show_for_import(conn, show_id)?;
    let mut summary = ImportSummary {
        rows: rows.len() as u64,
        ..Default::default()
    };
    for r in rows {
        type ClassRow = (i64, Option<i64>, Option<i64>, Option<i64>, Option<String>);
        let current: Option<ClassRow> = seat_classes::table
            .filter(seat_classes::show_id.eq(show_id))
            .filter(seat_classes::name.eq(&r.class))
            .select((
                seat_classes::id,
                seat_classes::min_price,
                seat_classes::normal_price,
                seat_classes::max_price,
                seat_classes::external_ref,
            ))
            .for_update()
            .first(conn)
            .optional()?;
        let p = r.prices;
        match current {
            None => {
                diesel::insert_into(seat_classes::table)
                    .values((
                        seat_classes::show_id.eq(show_id),
                        seat_classes::name.eq(&r.class),
                        seat_classes::min_price.eq(p.min_price),
                        seat_classes::normal_price.eq(p.normal_price),
                        seat_classes::max_price.eq(p.max_price),
                        seat_classes::external_ref.eq(&r.external_id),
                    ))
                    .execute(conn)?;
                summary.created += 1;
            }
            Some((id, min, normal, max, ext))
                if (min, normal, max) == (p.min_price, p.normal_price, p.max_price)
                    && ext == r.external_id =>
            {
                let _ = id;
                summary.unchanged += 1;
            }
            Some((id, ..)) => {
                diesel::update(seat_classes::table.find(id))
                    .set((
                        seat_classes::min_price.eq(p.min_price),
                        seat_classes::normal_price.eq(p.normal_price),
                        seat_classes::max_price.eq(p.max_price),
                        seat_classes::external_ref.eq(&r.external_id),
                    ))
                    .execute(conn)?;
                summary.updated += 1;
            }
        }
    }
    Ok(summary)
}
