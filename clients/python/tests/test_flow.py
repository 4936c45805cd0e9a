"""The generated SDK against a live server: the quickstart, and each finding of issue 10
(a UUID is accepted as a path parameter, a 402 raises with a typed error body, a 202 delayed
confirm returns the payment, CSV import is callable)."""

from __future__ import annotations

import pathlib
import runpy
import uuid

import pytest

from boxoffice_client import (
    BookingDto,
    BookingsApi,
    ConfirmPayment,
    CreateBooking,
    ErrorBody,
    ImportResultDto,
    ImportsApi,
    InitiatePayment,
    OpsApi,
    PaymentDto,
    PaymentsApi,
    SeatsApi,
    ServicesApi,
)
from boxoffice_client.exceptions import ApiException, NotFoundException, UnprocessableEntityException

QUICKSTART = pathlib.Path(__file__).resolve().parent.parent / "examples" / "quickstart.py"


def test_quickstart_runs(base_url, monkeypatch, capsys):
    monkeypatch.setenv("BOXOFFICE_URL", base_url)
    runpy.run_path(str(QUICKSTART), run_name="__main__")
    out = capsys.readouterr().out
    assert "tok_declined: HTTP 402, card_declined" in out, out
    assert "cancelled: booking cancelled" in out, out
    assert "2 rows, 2 created" in out, out


def test_health(anonymous):
    assert OpsApi(anonymous).health().status == "ok"


def guest_booking(anonymous, show, seats) -> BookingDto:
    booking = BookingsApi(anonymous).create_booking(
        CreateBooking(show_id=show.id, seat_ids=seats, name="Guest", email="guest@example.com")
    )
    assert isinstance(booking, BookingDto)
    assert booking.status == "held" and booking.guest_token
    return booking


def test_uuid_ids_are_accepted_as_path_parameters(anonymous, seated_show, free_seats):
    booking = guest_booking(anonymous, seated_show, free_seats(1))
    assert isinstance(booking.id, uuid.UUID)
    again = BookingsApi(anonymous).get_booking(booking.id, x_booking_token=booking.guest_token)
    assert again.id == booking.id and again.reference == booking.reference
    # and as text
    again = BookingsApi(anonymous).get_booking(str(booking.id), x_booking_token=booking.guest_token)
    assert again.id == booking.id


def test_declined_card_raises_402_with_typed_error(customer, seated_show, free_seats):
    booking = BookingsApi(customer).create_booking(
        CreateBooking(show_id=seated_show.id, seat_ids=free_seats(1))
    )
    payments = PaymentsApi(customer)
    payment = payments.initiate_payment(
        InitiatePayment(booking_id=booking.id, payment_method="tok_declined")
    )
    with pytest.raises(ApiException) as refused:
        payments.confirm_payment(ConfirmPayment(payment_id=payment.id))
    assert refused.value.status == 402
    body = refused.value.data
    assert isinstance(body, ErrorBody), f"untyped error body: {refused.value.body!r}"
    assert body.error.code == "card_declined"
    assert body.error.message
    # the booking stays held
    assert BookingsApi(customer).get_booking(booking.id).status == "held"


def test_delayed_confirm_returns_the_undecided_payment(customer, seated_show, free_seats):
    booking = BookingsApi(customer).create_booking(
        CreateBooking(show_id=seated_show.id, seat_ids=free_seats(1))
    )
    payments = PaymentsApi(customer)
    payment = payments.initiate_payment(
        InitiatePayment(booking_id=booking.id, payment_method="tok_delayed")
    )
    answer = payments.confirm_payment_with_http_info(ConfirmPayment(payment_id=payment.id))
    assert answer.status_code == 202
    assert isinstance(answer.data, PaymentDto), answer.raw_data
    assert answer.data.id == payment.id
    # not decided yet: the gateway's answer comes through the webhook
    assert answer.data.status not in ("succeeded", "failed"), answer.data
    assert BookingsApi(customer).get_booking(booking.id).status == "held"


def test_paid_booking_cancelled_is_refunded(customer, seated_show, free_seats):
    bookings, payments = BookingsApi(customer), PaymentsApi(customer)
    booking = bookings.create_booking(CreateBooking(show_id=seated_show.id, seat_ids=free_seats(2)))
    payment = payments.initiate_payment(
        InitiatePayment(booking_id=booking.id, payment_method="tok_success")
    )
    confirmed = payments.confirm_payment(ConfirmPayment(payment_id=payment.id))
    assert confirmed.status == "succeeded"
    assert bookings.get_booking(booking.id).status == "confirmed"
    cancelled = bookings.cancel_booking(booking.id)
    assert cancelled.status == "cancelled" and cancelled.cancelled_at is not None
    refunded = payments.get_payment(payment.id)
    assert refunded.refunds, refunded
    assert 0 < refunded.refunds[0].amount <= booking.total_amount
    history = bookings.get_booking_history(booking.id).items
    assert [h.to for h in history if h.entity == "booking"][-1] == "cancelled"


def test_seat_csv_import(provider, anonymous, seated_show):
    tag = uuid.uuid4().hex[:6].upper()
    csv = f"id,seat_identifier,seat_class\nx-{tag},T{tag},A\n"
    result = ImportsApi(provider).import_seats(seated_show.id, ("seats.csv", csv.encode()))
    assert isinstance(result, ImportResultDto)
    assert (result.show_id, result.rows, result.created) == (seated_show.id, 1, 1)
    labels = {s.label for s in SeatsApi(anonymous).get_seat_map(seated_show.id).items}
    assert f"T{tag}" in labels
    # the same file again changes nothing
    assert ImportsApi(provider).import_seats(seated_show.id, csv.encode()).unchanged == 1


def test_bad_csv_is_a_typed_422(provider, seated_show):
    with pytest.raises(UnprocessableEntityException) as bad:
        ImportsApi(provider).import_seats(
            seated_show.id, ("bad.csv", b"id,seat_identifier,seat_class\n,,\n")
        )
    assert isinstance(bad.value.data, ErrorBody)
    assert bad.value.data.error.code == "invalid_csv"


def test_unknown_booking_is_a_typed_404(customer):
    with pytest.raises(NotFoundException) as missing:
        BookingsApi(customer).get_booking(uuid.uuid4())
    assert isinstance(missing.value.data, ErrorBody)
    assert missing.value.data.error.code == "not_found"


def test_an_appointment_is_booked_paid_and_accepted_and_its_slot_cannot_be_taken_twice(
    customer, provider, anonymous
):
    """The marketplace through the SDK: the demo guitar lesson (accepted by its provider first)."""
    services = ServicesApi(anonymous).list_services(q="guitar").items
    assert services, "the demo data has a guitar lesson"
    service = services[0]
    slots = ServicesApi(anonymous).list_slots(service.id)
    assert slots.time_zone == "Europe/Berlin" and slots.items, slots
    slot = slots.items[0]
    bookings, payments = BookingsApi(customer), PaymentsApi(customer)
    booking = bookings.create_booking(
        CreateBooking(service_id=service.id, starts_at=slot.starts_at, notes="first lesson")
    )
    assert booking.kind == "appointment" and booking.show_id is None, booking
    assert booking.appointment.local_start == slot.local_start
    # The same slot again: a typed 409 slot_taken.
    with pytest.raises(ApiException) as taken:
        BookingsApi(anonymous).create_booking(
            CreateBooking(
                service_id=service.id, starts_at=slot.starts_at, name="Late", email="late@example.com"
            )
        )
    assert taken.value.status == 409
    assert ErrorBody.from_json(taken.value.body).error.code == "slot_taken"
    payment = payments.initiate_payment(
        InitiatePayment(booking_id=booking.id, payment_method="tok_success")
    )
    assert payments.confirm_payment(ConfirmPayment(payment_id=payment.id)).status == "succeeded"
    assert bookings.get_booking(booking.id).status == "pending"
    accepted = BookingsApi(provider).accept_appointment(booking.id)
    assert accepted.status == "confirmed"
    mine = BookingsApi(provider).my_appointments(status="confirmed").items
    assert any(b.id == booking.id for b in mine)
