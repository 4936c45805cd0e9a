//! `PaymentService::initiate`.

use super::*;

#[test]
fn initiate_writes_an_initiated_payment_for_the_owner() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let created = Payment {
            id: NEW_ID,
            created_at: t0(),
            updated_at: t0(),
            ..payment(b.id, PaymentStatus::Initiated, PaymentMethod::Success)
        };
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        let answer = created.clone();
        ports
            .payments
            .expect_create_payment()
            .with(
                eq(NewPayment {
                    id: NEW_ID,
                    booking_id: b.id,
                    method: PaymentMethod::Success,
                    expected_amount: None,
                    actor: customer.history_label(),
                }),
                eq(t0()),
            )
            .times(1)
            .return_once(move |_, _| Ok(answer));
        let got = ports
            .service()
            .initiate(&customer, None, b.id, "tok_success", None)
            .await
            .unwrap();
        assert_eq!(got, created);
    })
}

#[test]
fn initiate_passes_a_matching_amount_and_the_method_as_parsed() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        let bid = b.id;
        ports
            .payments
            .expect_create_payment()
            .with(
                eq(NewPayment {
                    id: NEW_ID,
                    booking_id: b.id,
                    method: PaymentMethod::Delayed,
                    expected_amount: Some(TOTAL),
                    actor: customer.history_label(),
                }),
                eq(t0()),
            )
            .times(1)
            .return_once(move |_, _| {
                Ok(payment(
                    bid,
                    PaymentStatus::Initiated,
                    PaymentMethod::Delayed,
                ))
            });
        let got = ports
            .service()
            .initiate(&customer, None, b.id, " tok_delayed ", Some(TOTAL))
            .await
            .unwrap();
        assert_eq!(got.method, PaymentMethod::Delayed);
        assert_eq!(got.booking_id, bid);
    })
}

#[test]
fn initiate_by_the_guest_token_holder_is_recorded_as_guest() {
    block_on(async {
        let b = running_hold(None);
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        let bid = b.id;
        ports
            .payments
            .expect_create_payment()
            .withf(move |p, now| {
                p.booking_id == bid
                    && p.actor == "guest"
                    && p.method == PaymentMethod::Declined
                    && *now == t0()
            })
            .times(1)
            .return_once(move |_, _| {
                Ok(payment(
                    bid,
                    PaymentStatus::Initiated,
                    PaymentMethod::Declined,
                ))
            });
        let got = ports
            .service()
            .initiate(
                &Actor::Anonymous,
                Some(GUEST_TOKEN),
                bid,
                "tok_declined",
                None,
            )
            .await
            .unwrap();
        assert_eq!(got.status, PaymentStatus::Initiated);
    })
}

#[test]
fn initiate_by_an_admin_of_someone_elses_booking_is_allowed() {
    block_on(async {
        let boss = admin();
        let b = running_hold(Some(Uuid::new_v4()));
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        let (bid, label) = (b.id, boss.history_label());
        ports
            .payments
            .expect_create_payment()
            .withf(move |p, _| p.booking_id == bid && p.actor == label)
            .times(1)
            .return_once(move |_, _| {
                Ok(payment(
                    bid,
                    PaymentStatus::Initiated,
                    PaymentMethod::Success,
                ))
            });
        let got = ports
            .service()
            .initiate(&boss, None, bid, "tok_success", None)
            .await
            .unwrap();
        assert_eq!(got.booking_id, bid);
    })
}

#[test]
fn initiate_by_a_stranger_is_not_found_even_with_a_bad_method() {
    block_on(async {
        let b = running_hold(Some(Uuid::new_v4()));
        let guest = running_hold(None);
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        ports.serve_booking(&guest);
        ports.payments.expect_create_payment().never();
        let svc = ports.service();
        let stranger = actor(Role::Customer);
        assert_eq!(
            svc.initiate(&stranger, None, b.id, "tok_success", None)
                .await
                .unwrap_err(),
            DomainError::not_found("booking", b.id)
        );
        assert_eq!(
            svc.initiate(&stranger, None, b.id, "bogus", Some(1))
                .await
                .unwrap_err(),
            DomainError::not_found("booking", b.id)
        );
        // A provider is a stranger to a customer's booking too.
        assert_eq!(
            svc.initiate(&actor(Role::Provider), None, b.id, "tok_success", None)
                .await
                .unwrap_err(),
            DomainError::not_found("booking", b.id)
        );
        // A guest booking without its token, or with a wrong one.
        assert_eq!(
            svc.initiate(&Actor::Anonymous, None, guest.id, "tok_success", None)
                .await
                .unwrap_err(),
            DomainError::not_found("booking", guest.id)
        );
        assert_eq!(
            svc.initiate(
                &Actor::Anonymous,
                Some("not-the-token"),
                guest.id,
                "tok_success",
                None
            )
            .await
            .unwrap_err(),
            DomainError::not_found("booking", guest.id)
        );
    })
}

#[test]
fn initiate_of_an_unknown_booking_is_not_found_booking() {
    block_on(async {
        let id = Uuid::new_v4();
        let mut ports = Ports::new();
        ports
            .bookings
            .expect_get_booking()
            .with(eq(id))
            .returning(|id| Err(DomainError::not_found("booking", id)));
        ports.payments.expect_create_payment().never();
        assert_eq!(
            ports
                .service()
                .initiate(&admin(), None, id, "tok_success", None)
                .await
                .unwrap_err(),
            DomainError::not_found("booking", id)
        );
    })
}

#[test]
fn initiate_with_an_unknown_method_is_a_validation_error() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        ports.payments.expect_create_payment().never();
        let svc = ports.service();
        for method in ["tok_bogus", "", "TOK_SUCCESS", "card"] {
            assert_eq!(
                failing_fields(svc.initiate(&customer, None, b.id, method, None).await),
                ["payment_method"],
                "{method:?}"
            );
        }
    })
}

#[test]
fn initiate_with_another_amount_than_the_total_is_a_validation_error() {
    block_on(async {
        let customer = actor(Role::Customer);
        let b = running_hold(customer.user_id());
        let mut ports = Ports::new();
        ports.serve_booking(&b);
        ports.payments.expect_create_payment().never();
        let svc = ports.service();
        for amount in [TOTAL - 1, TOTAL + 1, 0, -TOTAL] {
            assert_eq!(
                failing_fields(
                    svc.initiate(&customer, None, b.id, "tok_success", Some(amount))
                        .await
                ),
                ["amount"],
                "{amount}"
            );
        }
    })
}

#[test]
fn initiate_of_a_booking_that_is_not_held_is_booking_not_held() {
    block_on(async {
        let customer = actor(Role::Customer);
        let owner = customer.user_id();
        let mut ports = Ports::new();
        let not_held = [
            past_due_hold(owner),
            booking(
                BookingStatus::Confirmed,
                owner,
                Some(t0() + Duration::minutes(5)),
            ),
            booking(
                BookingStatus::Expired,
                owner,
                Some(t0() - Duration::hours(1)),
            ),
            booking(
                BookingStatus::Cancelled,
                owner,
                Some(t0() + Duration::minutes(5)),
            ),
            booking(BookingStatus::Completed, owner, None),
        ];
        for b in &not_held {
            ports.serve_booking(b);
        }
        ports.payments.expect_create_payment().never();
        let svc = ports.service();
        for b in &not_held {
            assert_eq!(
                conflict_code(
                    svc.initiate(&customer, None, b.id, "tok_success", None)
                        .await
                ),
                "booking_not_held",
                "{}",
                b.status
            );
        }
    })
}
