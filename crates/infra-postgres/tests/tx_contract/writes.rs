//! The writing primitives of the port: bookings with items, history and counters; places
//! released and taken back; items replaced; payments and refunds with the database's refusals.

use boxoffice_domain::booking::{BookingStatus, PlannedItem};
use boxoffice_domain::engine::{
    BookingTx, HistoryRecord, NewPaymentRow, NewRefundRow, PaymentChange, RefundChange,
};
use boxoffice_domain::payment::{
    HistoryEntity, PaymentMethod, PaymentOutcome, PaymentStatus, RefundStatus,
};
use boxoffice_domain::pricing::Tier;
use boxoffice_domain::DomainError;
use boxoffice_infra_postgres::tx::PgTx;
use uuid::Uuid;

use super::support::*;
use super::{history, in_tx, savepoint, sold};

fn conflict_code<T: std::fmt::Debug>(r: Result<T, DomainError>) -> &'static str {
    match r {
        Err(DomainError::Conflict { code, .. }) => code.as_str(),
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[test]
fn several_bookings_are_written_with_items_history_and_counters() {
    let (_db, mut conn) = world();
    in_tx(&mut conn, |c| {
        let mut tx = PgTx::new(c);
        let mut two = booking(
            1,
            SHOW,
            BookingStatus::Held,
            Some(now() + minutes(10)),
            vec![seat_item(STALLS, 2, 1_000), seat_item(BALCONY, 1, 800)],
        );
        two.items[1].tier = Some(Tier::Normal);
        two.actor = "user:x".into();
        let mut one = booking(
            2,
            SHOW,
            BookingStatus::Confirmed,
            None,
            vec![seat_item(STALLS, 3, 0)],
        );
        one.created_at = now() + minutes(1);
        // Each booking keeps its own show and creation instant, whatever the others have.
        let general = booking(
            3,
            GA,
            BookingStatus::Held,
            Some(now() + minutes(10)),
            vec![places(2)],
        );
        tx.insert_bookings(&[two, one, general]).unwrap();
        assert_eq!(tx.show_of_booking(Uuid::from_u128(3)), Ok(Some(GA)));
        let later = tx.load_booking(Uuid::from_u128(2)).unwrap();
        assert_eq!(
            (later.created_at, later.updated_at),
            (now() + minutes(1), now() + minutes(1))
        );

        let b = tx.load_booking(Uuid::from_u128(1)).unwrap();
        assert_eq!(
            (b.status, b.event_id, b.quantity, b.total_amount),
            (BookingStatus::Held, Some(EVENT), 2, 1_800)
        );
        assert_eq!(
            (b.created_at, b.updated_at, b.expires_at),
            (now(), now(), Some(now() + minutes(10)))
        );
        assert_eq!(b.reference, "BX-TEST00001");
        let items: Vec<_> = b
            .items
            .iter()
            .map(|i| {
                (
                    i.seat_id,
                    i.label.clone(),
                    i.seat_class.clone(),
                    i.price,
                    i.tier,
                )
            })
            .collect();
        assert_eq!(
            items,
            vec![
                (
                    Some(seat(STALLS, 2)),
                    Some("A2".into()),
                    Some("stalls".into()),
                    1_000,
                    Some(Tier::Min)
                ),
                (
                    Some(seat(BALCONY, 1)),
                    Some("B1".into()),
                    Some("balcony".into()),
                    800,
                    Some(Tier::Normal)
                ),
            ]
        );
        assert_eq!(
            tx.load_booking(Uuid::from_u128(2)).unwrap().status,
            BookingStatus::Confirmed
        );
        // The counters moved in the same statement: the classes count them at once.
        assert_eq!(sold(&mut tx, STALLS, now()), 2);
        assert_eq!(sold(&mut tx, BALCONY, now()), 1);
        tx.finish().unwrap();
        assert_eq!(
            history(c, 1),
            vec![(
                "booking".into(),
                None,
                "held".into(),
                Some("user:x".into()),
                None,
                now()
            )]
        );
        assert_eq!(history(c, 2)[0].2, "confirmed");
        assert_eq!(history(c, 2)[0].5, now() + minutes(1));
        let items_show: i64 = {
            use boxoffice_infra_postgres::schema::booking_items as bi;
            use diesel::prelude::*;
            bi::table
                .filter(bi::booking_id.eq(Uuid::from_u128(3)))
                .select(bi::show_id)
                .first(c)
                .unwrap()
        };
        assert_eq!(items_show, GA);
    });
}

#[test]
fn the_database_refuses_a_seat_in_two_active_bookings_and_a_reference_twice() {
    let (_db, mut conn) = world();
    in_tx(&mut conn, |c| {
        savepoint(c, |tx| {
            tx.insert_bookings(&[hold(1, 1, now() + minutes(1))])
        })
        .unwrap();
        let again = savepoint(c, |tx| {
            tx.insert_bookings(&[hold(2, 1, now() + minutes(1))])
        });
        assert!(
            matches!(again, Err(DomainError::SeatsUnavailable { .. })),
            "{again:?}"
        );
        let mut tx = PgTx::new(c);
        let mut same_ref = hold(3, 4, now() + minutes(1));
        same_ref.reference = "BX-TEST00001".into();
        assert!(tx.insert_bookings(&[same_ref]).is_err());
        assert!(tx.reference_clash);
    });
}

#[test]
fn releasing_places_deactivates_items_and_gives_general_places_back_and_reactivating_undoes_it() {
    let (_db, mut conn) = world();
    in_tx(&mut conn, |c| {
        let mut tx = PgTx::new(c);
        tx.insert_bookings(&[
            booking(
                1,
                SHOW,
                BookingStatus::Confirmed,
                None,
                vec![seat_item(STALLS, 3, 1), seat_item(STALLS, 1, 1)],
            ),
            booking(
                2,
                GA,
                BookingStatus::Held,
                Some(now() + minutes(5)),
                vec![places(3)],
            ),
        ])
        .unwrap();
        assert!(tx.take_places(GA, 3).unwrap());
        let seated = tx.lock_booking(Uuid::from_u128(1)).unwrap();
        let general = tx.lock_booking(Uuid::from_u128(2)).unwrap();

        tx.release_places(&seated).unwrap();
        tx.release_places(&general).unwrap();
        assert_eq!(tx.active_items(seated.id), Ok(vec![]));
        assert_eq!(
            tx.seat_holders(&[seat(STALLS, 1), seat(STALLS, 3)]),
            Ok(vec![])
        );
        assert_eq!(tx.show(GA).unwrap().snapshot.free_places, Some(10));
        assert_eq!(
            sold(&mut tx, STALLS, now()),
            0,
            "released seats are free at once"
        );
        // All items, active or not, in seat order.
        assert_eq!(
            tx.item_seats(seated.id),
            Ok(vec![seat(STALLS, 1), seat(STALLS, 3)])
        );
        assert_eq!(tx.item_seats(general.id), Ok(vec![]));

        tx.reactivate_items(seated.id).unwrap();
        let labels: Vec<_> = tx
            .active_items(seated.id)
            .unwrap()
            .into_iter()
            .map(|i| (i.seat_id, i.class_id, i.label))
            .collect();
        assert_eq!(
            labels,
            vec![
                (Some(seat(STALLS, 3)), Some(STALLS), Some("A3".into())),
                (Some(seat(STALLS, 1)), Some(STALLS), Some("A1".into())),
            ]
        );
        assert_eq!(tx.seat_holders(&[seat(STALLS, 1)]).unwrap().len(), 1);
        assert_eq!(sold(&mut tx, STALLS, now()), 2);
        tx.finish().unwrap();
        let mut tx = PgTx::new(c);
        assert_eq!(sold(&mut tx, STALLS, now()), 2);
    });
}

#[test]
fn replacing_items_sets_the_new_seats_quantity_and_total() {
    let (_db, mut conn) = world();
    in_tx(&mut conn, |c| {
        let mut tx = PgTx::new(c);
        tx.insert_bookings(&[booking(
            1,
            SHOW,
            BookingStatus::Held,
            Some(now() + minutes(10)),
            vec![seat_item(STALLS, 1, 1_000), seat_item(STALLS, 2, 1_000)],
        )])
        .unwrap();
        let b = tx.lock_booking(Uuid::from_u128(1)).unwrap();
        let new: Vec<PlannedItem> = vec![
            seat_item(STALLS, 2, 1_000),
            seat_item(STALLS, 3, 2_000),
            seat_item(BALCONY, 1, 500),
        ];
        let later = now() + minutes(1);
        tx.replace_items(&b, &new, 3, 3_500, later).unwrap();
        let got = tx.load_booking(b.id).unwrap();
        assert_eq!(
            (got.quantity, got.total_amount, got.updated_at),
            (3, 3_500, later)
        );
        let labels: Vec<_> = got.items.iter().filter_map(|i| i.label.clone()).collect();
        assert_eq!(labels, vec!["A2", "A3", "B1"]);
        assert_eq!(tx.seat_holders(&[seat(STALLS, 1)]), Ok(vec![]));
        assert_eq!(sold(&mut tx, STALLS, now()), 2);
        assert_eq!(sold(&mut tx, BALCONY, now()), 1);
        tx.finish().unwrap();
        let mut tx = PgTx::new(c);
        assert_eq!(sold(&mut tx, STALLS, now()), 2);
        assert_eq!(sold(&mut tx, BALCONY, now()), 1);
    });
}

fn new_payment(n: u128, booking: u128) -> NewPaymentRow {
    NewPaymentRow {
        id: Uuid::from_u128(n),
        booking_id: Uuid::from_u128(booking),
        amount: 1_000,
        currency: usd(),
        method: PaymentMethod::Success.as_str().into(),
        now: now(),
    }
}

fn paid_change(n: u128, status: PaymentStatus, outcome: Option<PaymentOutcome>) -> PaymentChange {
    PaymentChange {
        id: Uuid::from_u128(n),
        status,
        gateway_ref: format!("pay_{n}"),
        failure_code: (status == PaymentStatus::Failed).then(|| "card_declined".into()),
        outcome,
        now: now() + minutes(1),
    }
}

fn new_refund(n: u128, payment: u128, amount: i64) -> NewRefundRow {
    NewRefundRow {
        id: Uuid::from_u128(n),
        payment_id: Uuid::from_u128(payment),
        amount,
        status: RefundStatus::Pending,
        reason: "because".into(),
        now: now() + minutes(n as i64),
    }
}

#[test]
fn payments_one_live_per_booking_locked_and_updated_as_the_gateway_answered() {
    let (_db, mut conn) = world();
    in_tx(&mut conn, |c| {
        savepoint(c, |tx| {
            tx.insert_bookings(&[hold(1, 1, now() + minutes(10))])?;
            tx.insert_payment(&new_payment(10, 1))
        })
        .unwrap();
        let second = savepoint(c, |tx| tx.insert_payment(&new_payment(11, 1)));
        assert_eq!(conflict_code(second), "payment_pending");

        let mut tx = PgTx::new(c);
        assert_eq!(
            tx.booking_of_payment(Uuid::from_u128(10)),
            Ok(Uuid::from_u128(1))
        );
        let p = tx.lock_payment(Uuid::from_u128(10)).unwrap();
        assert_eq!(
            (p.status, p.amount, p.refunded, p.currency),
            (PaymentStatus::Initiated, 1_000, 0, usd())
        );
        assert_eq!((p.booking_id, p.gateway_ref), (Uuid::from_u128(1), None));
        let initiated = tx.lock_payment_of_booking(Uuid::from_u128(1), PaymentStatus::Initiated);
        assert_eq!(initiated.unwrap().map(|p| p.id), Some(Uuid::from_u128(10)));
        assert_eq!(
            tx.lock_payment_of_booking(Uuid::from_u128(1), PaymentStatus::Succeeded),
            Ok(None)
        );

        tx.update_payment(&paid_change(10, PaymentStatus::Failed, None))
            .unwrap();
        let failed = tx.load_payment(Uuid::from_u128(10)).unwrap();
        assert_eq!(failed.status, PaymentStatus::Failed);
        assert_eq!(failed.failure_code.as_deref(), Some("card_declined"));
        assert_eq!(
            (failed.gateway_ref.as_deref(), failed.updated_at),
            (Some("pay_10"), now() + minutes(1))
        );
        // After a failure, a new payment is allowed.
        tx.insert_payment(&new_payment(11, 1)).unwrap();
        let ok = paid_change(
            11,
            PaymentStatus::Succeeded,
            Some(PaymentOutcome::BookingConfirmed),
        );
        tx.update_payment(&ok).unwrap();
        let paid = tx.lock_payment_of_booking(Uuid::from_u128(1), PaymentStatus::Succeeded);
        let paid = paid.unwrap().unwrap();
        assert_eq!(
            (paid.id, paid.gateway_ref.as_deref()),
            (Uuid::from_u128(11), Some("pay_11"))
        );
        let loaded = tx.load_payment(paid.id).unwrap();
        assert_eq!(loaded.outcome, Some(PaymentOutcome::BookingConfirmed));
        assert_eq!(loaded.method, PaymentMethod::Success);
        let payments: Vec<_> = tx
            .load_booking(Uuid::from_u128(1))
            .unwrap()
            .payments
            .into_iter()
            .map(|p| p.id)
            .collect();
        assert_eq!(payments, vec![Uuid::from_u128(10), Uuid::from_u128(11)]);
    });
}

#[test]
fn refunds_only_of_a_succeeded_payment_and_never_above_it() {
    let (_db, mut conn) = world();
    in_tx(&mut conn, |c| {
        savepoint(c, |tx| {
            tx.insert_bookings(&[hold(1, 1, now() + minutes(10))])?;
            tx.insert_payment(&new_payment(10, 1))
        })
        .unwrap();
        let early = savepoint(c, |tx| tx.insert_refund(&new_refund(20, 10, 100)));
        assert_eq!(conflict_code(early), "payment_not_succeeded");
        savepoint(c, |tx| {
            let ok = paid_change(
                10,
                PaymentStatus::Succeeded,
                Some(PaymentOutcome::BookingConfirmed),
            );
            tx.update_payment(&ok)?;
            tx.insert_refund(&new_refund(21, 10, 300))?;
            tx.insert_refund(&new_refund(22, 10, 600))
        })
        .unwrap();
        let over = savepoint(c, |tx| tx.insert_refund(&new_refund(23, 10, 101)));
        assert_eq!(conflict_code(over), "refund_exceeds_payment");

        let mut tx = PgTx::new(c);
        assert_eq!(tx.lock_payment(Uuid::from_u128(10)).unwrap().refunded, 900);
        let r = tx.lock_refund(Uuid::from_u128(22)).unwrap();
        assert_eq!(
            (r.amount, r.status, r.payment_id),
            (600, RefundStatus::Pending, Uuid::from_u128(10))
        );
        assert_eq!(
            (r.reason.as_str(), r.created_at),
            ("because", now() + minutes(22))
        );
        // A failed refund gives its amount back.
        tx.update_refund(&RefundChange {
            id: r.id,
            status: RefundStatus::Failed,
            gateway_ref: None,
            failure_code: Some("unknown_charge".into()),
            now: now() + minutes(30),
        })
        .unwrap();
        assert_eq!(tx.lock_payment(Uuid::from_u128(10)).unwrap().refunded, 300);
        tx.update_refund(&RefundChange {
            id: Uuid::from_u128(21),
            status: RefundStatus::Succeeded,
            gateway_ref: Some("re_21".into()),
            failure_code: None,
            now: now() + minutes(31),
        })
        .unwrap();
        assert_eq!(tx.lock_payment(Uuid::from_u128(10)).unwrap().refunded, 300);
        let p = tx.load_payment(Uuid::from_u128(10)).unwrap();
        let refunds: Vec<_> = p
            .refunds
            .iter()
            .map(|r| {
                (
                    r.amount,
                    r.status,
                    r.gateway_ref.clone(),
                    r.failure_code.clone(),
                )
            })
            .collect();
        assert_eq!(
            refunds,
            vec![
                (300, RefundStatus::Succeeded, Some("re_21".into()), None),
                (
                    600,
                    RefundStatus::Failed,
                    None,
                    Some("unknown_charge".into())
                ),
            ]
        );
        assert_eq!(p.refunds[1].updated_at, now() + minutes(30));
        tx.insert_refund(&new_refund(24, 10, 700)).unwrap();
    });
}

#[test]
fn record_writes_one_history_row_as_given() {
    let (_db, mut conn) = world();
    in_tx(&mut conn, |c| {
        let mut tx = PgTx::new(c);
        tx.insert_bookings(&[hold(1, 1, now() + minutes(10))])
            .unwrap();
        tx.record(&HistoryRecord {
            booking_id: Uuid::from_u128(1),
            entity: HistoryEntity::Payment,
            entity_id: "p-1".into(),
            from: Some("initiated".into()),
            to: "failed".into(),
            actor: "gateway".into(),
            reason: Some("card_declined".into()),
            at: now() + minutes(2),
        })
        .unwrap();
        assert_eq!(
            history(c, 1)[1],
            (
                "payment".into(),
                Some("initiated".into()),
                "failed".into(),
                Some("gateway".into()),
                Some("card_declined".into()),
                now() + minutes(2)
            )
        );
    });
}
