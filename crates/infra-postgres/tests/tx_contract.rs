//! Contract tests of `PgTx`, the PostgreSQL implementation of the domain's transaction port
//! (`boxoffice_domain::engine::BookingTx`): each MUST and each promise of the port's
//! documentation, checked against a fresh database. The domain's in-memory fake of the same
//! port (`crates/domain/src/tests/engine/fake.rs`) is held to the same documentation.

#[path = "tx_contract/support.rs"]
mod support;

use boxoffice_domain::booking::{BookingStatus, SeatSnapshot};
use boxoffice_domain::engine::{BookingTx, Lock, StatusChange};
use boxoffice_domain::values::SeatLabel;
use boxoffice_domain::DomainError;
use boxoffice_infra_postgres::tx::PgTx;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use uuid::Uuid;

use support::*;

/// Runs `f` over a `PgTx` inside a transaction that is rolled back at the end.
fn in_tx(conn: &mut PgConnection, f: impl FnOnce(&mut PgConnection)) {
    conn.test_transaction::<_, diesel::result::Error, _>(|c| {
        f(c);
        Ok(())
    });
}

/// Runs `f` over a fresh `PgTx` in a savepoint, rolled back when `f` fails (PostgreSQL
/// refuses everything else in a transaction whose statement failed).
fn savepoint<T>(
    c: &mut PgConnection,
    f: impl FnOnce(&mut PgTx) -> Result<T, DomainError>,
) -> Result<T, DomainError> {
    #[derive(Debug)]
    enum E {
        Domain(DomainError),
        Db(diesel::result::Error),
    }
    impl From<diesel::result::Error> for E {
        fn from(e: diesel::result::Error) -> Self {
            E::Db(e)
        }
    }
    c.transaction(|c| {
        let mut tx = PgTx::new(c);
        let out = f(&mut tx).map_err(E::Domain)?;
        tx.finish().map_err(E::Domain)?;
        Ok(out)
    })
    .map_err(|e| match e {
        E::Domain(d) => d,
        E::Db(e) => panic!("savepoint: {e}"),
    })
}

fn sold(tx: &mut PgTx, class_id: i64, at: chrono::DateTime<chrono::Utc>) -> u64 {
    tx.classes(SHOW, &[class_id], at).unwrap()[0].sold_seats
}

#[test]
fn unknown_ids_are_not_found_naming_the_entity() {
    let (_db, mut conn) = world();
    in_tx(&mut conn, |c| {
        let mut tx = PgTx::new(c);
        let id = Uuid::from_u128(404);
        assert_eq!(tx.show(99), Err(DomainError::not_found("show", 99)));
        assert_eq!(
            tx.lock_booking(id),
            Err(DomainError::not_found("booking", id))
        );
        assert_eq!(
            tx.show_of_booking(id),
            Err(DomainError::not_found("booking", id))
        );
        assert_eq!(
            tx.load_booking(id),
            Err(DomainError::not_found("booking", id))
        );
        assert_eq!(
            tx.booking_of_payment(id),
            Err(DomainError::not_found("payment", id))
        );
        assert_eq!(
            tx.lock_payment(id),
            Err(DomainError::not_found("payment", id))
        );
        assert_eq!(
            tx.load_payment(id),
            Err(DomainError::not_found("payment", id))
        );
        assert_eq!(
            tx.lock_refund(id),
            Err(DomainError::not_found("refund", id))
        );
    });
}

#[test]
fn a_show_is_read_as_stored() {
    let (_db, mut conn) = world();
    in_tx(&mut conn, |c| {
        let mut tx = PgTx::new(c);
        let seated = tx.show(SHOW).unwrap();
        assert_eq!(seated.event_id, EVENT);
        let s = &seated.snapshot;
        assert_eq!((s.id, s.starts_at, s.currency), (SHOW, starts(), usd()));
        assert_eq!((s.price, s.free_places), (None, None));
        let general = tx.show(GA).unwrap().snapshot;
        assert_eq!(
            (general.price, general.free_places),
            (Some(2_500), Some(10))
        );
        assert_ne!(general.kind, s.kind);
    });
}

#[test]
fn seat_ids_by_label_finds_the_seats_of_the_show_only() {
    let (_db, mut conn) = world();
    in_tx(&mut conn, |c| {
        let mut tx = PgTx::new(c);
        let labels: Vec<SeatLabel> = ["A1", "B2", "Z9"]
            .iter()
            .map(|l| SeatLabel::parse(l).unwrap())
            .collect();
        let found = tx.seat_ids_by_label(SHOW, &labels).unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(found["A1"], seat(STALLS, 1));
        assert_eq!(found["B2"], seat(BALCONY, 2));
        // A1 of the other show is its own seat.
        let other = tx.seat_ids_by_label(OTHER_SHOW, &labels).unwrap();
        assert_eq!(
            other.into_iter().collect::<Vec<_>>(),
            vec![("A1".into(), OTHER_SEAT)]
        );
    });
}

#[test]
fn seats_come_in_id_order_only_those_that_exist_of_any_show_not_taken() {
    let (_db, mut conn) = world();
    in_tx(&mut conn, |c| {
        let mut tx = PgTx::new(c);
        tx.insert_bookings(&[hold(1, 1, now() + minutes(5))])
            .unwrap();
        let ask = [OTHER_SEAT, seat(BALCONY, 3), 99_999, seat(STALLS, 1)];
        for lock in [Lock::None, Lock::ForUpdate] {
            let got = tx.seats(&ask, lock).unwrap();
            let got_ids: Vec<i64> = got.iter().map(|s| s.id).collect();
            assert_eq!(got_ids, vec![seat(STALLS, 1), seat(BALCONY, 3), OTHER_SEAT]);
            assert_eq!(
                got[1],
                SeatSnapshot {
                    id: seat(BALCONY, 3),
                    show_id: SHOW,
                    class_id: BALCONY,
                    label: "B3".into(),
                    row: "B".into(),
                    number: 3,
                    taken: false,
                }
            );
            assert!(got.iter().all(|s| !s.taken));
            assert_eq!(got[2].show_id, OTHER_SHOW);
        }
        assert_eq!(tx.seats(&[], Lock::ForUpdate), Ok(vec![]));
    });
}

#[test]
fn classes_count_active_items_but_not_holds_past_due_at_now() {
    let (_db, mut conn) = world();
    in_tx(&mut conn, |c| {
        let mut tx = PgTx::new(c);
        tx.insert_bookings(&[
            booking(
                1,
                SHOW,
                BookingStatus::Confirmed,
                None,
                vec![seat_item(STALLS, 1, 1)],
            ),
            hold(2, 2, now() + chrono::Duration::microseconds(1)),
            // Past due at exactly `now`.
            hold(3, 3, now()),
            booking(
                4,
                SHOW,
                BookingStatus::Held,
                Some(now() + minutes(5)),
                vec![seat_item(BALCONY, 1, 1)],
            ),
        ])
        .unwrap();
        let classes = tx.classes(SHOW, &[BALCONY, STALLS], now()).unwrap();
        let mut got: Vec<_> = classes
            .iter()
            .map(|c| (c.id, c.name.as_str(), c.total_seats, c.sold_seats))
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![(STALLS, "stalls", 10, 2), (BALCONY, "balcony", 5, 1)]
        );
        let balcony = classes.iter().find(|c| c.id == BALCONY).unwrap();
        assert_eq!(
            (
                balcony.prices.min_price,
                balcony.prices.normal_price,
                balcony.prices.max_price
            ),
            (Some(500), None, Some(1_200))
        );
        // A microsecond earlier the third hold still runs.
        assert_eq!(
            sold(&mut tx, STALLS, now() - chrono::Duration::microseconds(1)),
            3
        );
        assert_eq!(sold(&mut tx, STALLS, now() + minutes(60)), 1);
    });
}

#[test]
fn seat_holders_are_the_active_items_with_their_bookings_stored_state() {
    let (_db, mut conn) = world();
    in_tx(&mut conn, |c| {
        let mut tx = PgTx::new(c);
        tx.insert_bookings(&[
            booking(
                1,
                SHOW,
                BookingStatus::Confirmed,
                None,
                vec![seat_item(STALLS, 1, 1)],
            ),
            hold(2, 2, now()),
            hold(3, 3, now() + minutes(1)),
        ])
        .unwrap();
        let three = tx.lock_booking(Uuid::from_u128(3)).unwrap();
        tx.release_places(&three).unwrap();
        let mut holders = tx
            .seat_holders(&[
                seat(STALLS, 1),
                seat(STALLS, 2),
                seat(STALLS, 3),
                seat(STALLS, 4),
            ])
            .unwrap();
        holders.sort_by_key(|h| h.seat_id);
        let got: Vec<_> = holders
            .iter()
            .map(|h| (h.seat_id, h.booking_id, h.status, h.expires_at))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    seat(STALLS, 1),
                    Uuid::from_u128(1),
                    BookingStatus::Confirmed,
                    None
                ),
                // Past due, but stored held: the port reports what is stored.
                (
                    seat(STALLS, 2),
                    Uuid::from_u128(2),
                    BookingStatus::Held,
                    Some(now())
                ),
            ]
        );
    });
}

#[test]
fn lock_booking_reads_the_stored_row() {
    let (_db, mut conn) = world();
    in_tx(&mut conn, |c| {
        let mut tx = PgTx::new(c);
        tx.insert_bookings(&[booking(
            7,
            GA,
            BookingStatus::Held,
            Some(now()),
            vec![places(3)],
        )])
        .unwrap();
        let b = tx.lock_booking(Uuid::from_u128(7)).unwrap();
        assert_eq!(
            (b.status, b.show_id, b.quantity),
            (BookingStatus::Held, Some(GA), 3)
        );
        assert_eq!(
            (b.total_amount, b.currency, b.expires_at),
            (7_500, usd(), Some(now()))
        );
        assert!(b.is_past_due(now()));
        assert_eq!(tx.show_of_booking(b.id), Ok(Some(GA)));
    });
}

#[test]
fn try_lock_bookings_skips_a_row_another_transaction_holds() {
    let (db, mut conn) = world();
    conn.transaction::<_, diesel::result::Error, _>(|c| {
        let mut tx = PgTx::new(c);
        tx.insert_bookings(&[hold(2, 2, now()), hold(1, 1, now()), hold(3, 3, now())])
            .unwrap();
        tx.finish().unwrap();
        Ok(())
    })
    .unwrap();
    let mut other = PgConnection::establish(db.url()).expect("second connection");
    other
        .batch_execute(&format!(
            "BEGIN; SELECT 1 FROM bookings WHERE id = '{}' FOR UPDATE",
            Uuid::from_u128(2)
        ))
        .unwrap();
    in_tx(&mut conn, |c| {
        let mut tx = PgTx::new(c);
        let ask = [
            Uuid::from_u128(3),
            Uuid::from_u128(2),
            Uuid::from_u128(1),
            Uuid::from_u128(9),
        ];
        let got: Vec<Uuid> = tx
            .try_lock_bookings(&ask)
            .unwrap()
            .iter()
            .map(|b| b.id)
            .collect();
        assert_eq!(got, vec![Uuid::from_u128(1), Uuid::from_u128(3)]);
        assert_eq!(tx.try_lock_bookings(&[]), Ok(vec![]));
    });
    // Waiting for it ends at the lock timeout: the transaction is unavailable, not broken.
    in_tx(&mut conn, |c| {
        c.batch_execute("SET LOCAL lock_timeout = '50ms'").unwrap();
        let mut tx = PgTx::new(c);
        let r = tx.lock_booking(Uuid::from_u128(2));
        assert!(matches!(r, Err(DomainError::Unavailable(_))), "{r:?}");
    });
    other.batch_execute("ROLLBACK").unwrap();
    in_tx(&mut conn, |c| {
        let mut tx = PgTx::new(c);
        let ask = [Uuid::from_u128(2)];
        assert_eq!(tx.try_lock_bookings(&ask).unwrap().len(), 1);
    });
}

#[test]
fn past_due_holds_come_earliest_deadline_first_and_limited() {
    let (_db, mut conn) = world();
    in_tx(&mut conn, |c| {
        let mut tx = PgTx::new(c);
        let due = |n, at| hold(n, n as i64, at);
        tx.insert_bookings(&[
            due(1, now() - minutes(1)),
            due(2, now() - minutes(3)),
            due(3, now()),
            due(4, now() + chrono::Duration::microseconds(1)),
            // Paid after its hold: not a hold any more.
            booking(
                5,
                SHOW,
                BookingStatus::Confirmed,
                Some(now() - minutes(9)),
                vec![seat_item(STALLS, 5, 1)],
            ),
        ])
        .unwrap();
        tx.insert_bookings(&[booking(
            6,
            GA,
            BookingStatus::Held,
            Some(now() - minutes(2)),
            vec![places(1)],
        )])
        .unwrap();
        let ids = |v: Vec<Uuid>| v.into_iter().map(|u| u.as_u128()).collect::<Vec<_>>();
        assert_eq!(
            ids(tx.past_due_holds(None, now(), 10).unwrap()),
            vec![2, 6, 1, 3]
        );
        assert_eq!(ids(tx.past_due_holds(None, now(), 2).unwrap()), vec![2, 6]);
        assert_eq!(
            ids(tx.past_due_holds(Some(SHOW), now(), 10).unwrap()),
            vec![2, 1, 3]
        );
        assert_eq!(
            ids(tx.past_due_holds(Some(GA), now(), 10).unwrap()),
            vec![6]
        );
    });
}

#[test]
fn past_due_places_sum_the_places_of_the_shows_past_due_holds() {
    let (_db, mut conn) = world();
    in_tx(&mut conn, |c| {
        let mut tx = PgTx::new(c);
        let ga = |n, at, q| booking(n, GA, BookingStatus::Held, Some(at), vec![places(q)]);
        tx.insert_bookings(&[
            ga(1, now() - minutes(1), 3),
            ga(2, now(), 2),
            ga(3, now() + minutes(1), 4),
        ])
        .unwrap();
        assert_eq!(tx.past_due_places(GA, now()), Ok(5));
        assert_eq!(tx.past_due_places(SHOW, now()), Ok(0));
    });
}

#[test]
fn take_places_is_a_guarded_update() {
    let (_db, mut conn) = world();
    in_tx(&mut conn, |c| {
        let mut tx = PgTx::new(c);
        let free = |tx: &mut PgTx| tx.show(GA).unwrap().snapshot.free_places;
        assert_eq!(tx.take_places(GA, 4), Ok(true));
        assert_eq!(free(&mut tx), Some(6));
        assert_eq!(tx.take_places(GA, 7), Ok(false));
        assert_eq!(free(&mut tx), Some(6));
        assert_eq!(tx.take_places(GA, 6), Ok(true));
        assert_eq!(tx.take_places(GA, 1), Ok(false));
        assert_eq!(free(&mut tx), Some(0));
        assert_eq!(tx.take_places(SHOW, 1), Ok(false));
    });
}

#[test]
fn fresh_ids_and_reference_bits_differ() {
    let (_db, mut conn) = world();
    in_tx(&mut conn, |c| {
        let mut tx = PgTx::new(c);
        assert_ne!(tx.fresh_id(), tx.fresh_id());
        assert_ne!(tx.fresh_reference_bits(), tx.fresh_reference_bits());
    });
}

#[test]
fn set_status_writes_the_row_and_its_history_dated_as_given() {
    let (_db, mut conn) = world();
    in_tx(&mut conn, |c| {
        let mut tx = PgTx::new(c);
        tx.insert_bookings(&[hold(1, 1, now() - minutes(5))])
            .unwrap();
        let later = now() + minutes(30);
        tx.set_status(&StatusChange {
            booking_id: Uuid::from_u128(1),
            from: BookingStatus::Held,
            to: BookingStatus::Expired,
            actor: "system".into(),
            reason: Some("why".into()),
            at: now() - minutes(5),
            now: later,
            cancelled_at: None,
        })
        .unwrap();
        let b = tx.load_booking(Uuid::from_u128(1)).unwrap();
        assert_eq!(
            (b.status, b.updated_at, b.cancelled_at),
            (BookingStatus::Expired, later, None)
        );
        let h = history(c, 1);
        assert_eq!(
            h,
            vec![
                (
                    "booking".into(),
                    None,
                    "held".into(),
                    Some("guest".into()),
                    None,
                    now()
                ),
                (
                    "booking".into(),
                    Some("held".into()),
                    "expired".into(),
                    Some("system".into()),
                    Some("why".into()),
                    now() - minutes(5)
                ),
            ]
        );
    });
}

type HistoryRow = (
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    chrono::DateTime<chrono::Utc>,
);

/// The history rows of booking `n`, in the order written.
fn history(c: &mut PgConnection, n: u128) -> Vec<HistoryRow> {
    use boxoffice_infra_postgres::schema::booking_history as h;
    use diesel::prelude::*;
    h::table
        .filter(h::booking_id.eq(Uuid::from_u128(n)))
        .order(h::id)
        .select((
            h::entity,
            h::from_status,
            h::to_status,
            h::actor,
            h::reason,
            h::at,
        ))
        .load(c)
        .unwrap()
}

#[path = "tx_contract/writes.rs"]
mod writes;
