"""boxoffice from Python, start to finish, with the generated SDK (boxoffice_client).

Against a running server (`make run`, or set BOXOFFICE_URL):

    pip install ./clients/python
    python clients/python/examples/quickstart.py

It signs up, lists events, books seats as a guest and as the signed-in user, pays with the mock
gateway's `tok_success`, sees `tok_declined` refused (a 402 with the error body parsed), cancels
a paid booking and reads its refund, and imports a seat CSV as the demo provider (README: demo
accounts, for local use only). Each step prints one line.
"""

from __future__ import annotations

import os
import uuid

from boxoffice_client import (
    ApiClient,
    AuthApi,
    BookingsApi,
    Configuration,
    ConfirmPayment,
    CreateBooking,
    ErrorBody,
    EventsApi,
    ImportsApi,
    InitiatePayment,
    Login,
    PaymentsApi,
    SeatsApi,
    Signup,
)
from boxoffice_client.exceptions import ApiException

BASE_URL = os.environ.get("BOXOFFICE_URL", "http://127.0.0.1:8080")
PROVIDER = ("provider@boxoffice.local", "demo-provider-password")


def client(access_token: str | None = None) -> ApiClient:
    """An API client for BASE_URL; signed in when given an access token."""
    return ApiClient(Configuration(host=BASE_URL, access_token=access_token))


def free_seats(show_id: int, count: int) -> list[int]:
    """Ids of `count` seats of the show that are free and have a price."""
    seats = SeatsApi(client()).get_seat_map(show_id).items
    free = [s.id for s in seats if s.status == "available" and s.price is not None]
    if len(free) < count:
        raise SystemExit(f"show {show_id} has fewer than {count} free seats")
    return free[:count]


def pay(api: PaymentsApi, booking_id, method: str, guest_token: str | None = None):
    """Initiates and confirms a payment of the whole booking; returns the confirmed payment."""
    payment = api.initiate_payment(
        InitiatePayment(booking_id=booking_id, payment_method=method),
        x_booking_token=guest_token,
    )
    return api.confirm_payment(ConfirmPayment(payment_id=payment.id), x_booking_token=guest_token)


def main() -> None:
    # 1. Sign up: the answer carries an access token for this new customer.
    email = f"ada.{uuid.uuid4().hex[:8]}@example.com"
    tokens = AuthApi(client()).signup(
        Signup(email=email, password="correct horse battery staple", first_name="Ada")
    )
    me = client(tokens.access_token)
    print(f"signed up as {tokens.user.email}")

    # 2. The catalogue is public: the first event that has a seated show.
    events = EventsApi(client()).list_events().items
    print(f"{len(events)} events: " + ", ".join(e.title for e in events))
    show = next(
        s
        for e in events
        for s in EventsApi(client()).get_event(e.id).shows
        if s.kind == "seated"
    )

    # 3. A guest books two seats: no account, a name and an email; the answer's guest_token
    #    is the key to this booking (shown once).
    guest_booking = BookingsApi(client()).create_booking(
        CreateBooking(
            show_id=show.id, seat_ids=free_seats(show.id, 2), name="Grace", email="grace@example.com"
        )
    )
    print(f"guest booking {guest_booking.reference}: {guest_booking.status}, {guest_booking.total_amount} {guest_booking.currency}")
    paid = pay(PaymentsApi(client()), guest_booking.id, "tok_success", guest_booking.guest_token)
    print(f"  paid: payment {paid.status}, outcome {paid.outcome}")

    # 4. The signed-in customer books one seat.
    bookings = BookingsApi(me)
    booking = bookings.create_booking(CreateBooking(show_id=show.id, seat_ids=free_seats(show.id, 1)))
    print(f"my booking {booking.reference}: {booking.status}, {booking.total_amount} {booking.currency}")

    # 5. A declined card is a 402 whose body is the API's error object, parsed.
    payments = PaymentsApi(me)
    try:
        pay(payments, booking.id, "tok_declined")
    except ApiException as refused:
        error: ErrorBody = refused.data
        print(f"  tok_declined: HTTP {refused.status}, {error.error.code}: {error.error.message}")
    else:
        raise SystemExit("tok_declined was accepted")

    # 6. The booking is still held: pay it, then cancel it and read the refund.
    payment = pay(payments, booking.id, "tok_success")
    print(f"  paid: payment {payment.status}, booking {bookings.get_booking(booking.id).status}")
    cancelled = bookings.cancel_booking(booking.id)
    refunded = payments.get_payment(payment.id)
    refund = refunded.refunds[0]
    print(
        f"  cancelled: booking {cancelled.status}; refund {refund.status}, "
        f"{refund.amount} of {refunded.amount} {refunded.currency}"
    )

    # 7. The show's organiser (the demo provider) adds seats by CSV.
    login = AuthApi(client()).login(Login(email=PROVIDER[0], password=PROVIDER[1]))
    suffix = uuid.uuid4().hex[:4].upper()
    csv = "id,seat_identifier,seat_class\n" + "".join(
        f"ext-{suffix}-{n},Q{suffix}{n},A\n" for n in (1, 2)
    )
    # the file as a multipart upload: (file name, bytes)
    result = ImportsApi(client(login.access_token)).import_seats(show.id, ("seats.csv", csv.encode()))
    print(f"seat import into show {result.show_id}: {result.rows} rows, {result.created} created")


if __name__ == "__main__":
    main()
