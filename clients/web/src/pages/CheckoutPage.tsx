// Checkout: the hold's countdown, the test card, and the confirmation with the reference.
import { useEffect, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router-dom";
import { confirmPayment, getBooking, initiatePayment } from "../api";
import { toApiError } from "../api/errors";
import type { Booking, PaymentMethod } from "../api/types";
import { BookingSummary } from "../components/BookingSummary";
import { Countdown, useCountdown } from "../components/Countdown";
import { ErrorMessage } from "../components/ErrorMessage";
import { Money } from "../components/Money";
import { useAsync } from "../components/useAsync";

const CARDS: { token: PaymentMethod; label: string }[] = [
  { token: "tok_success", label: "Test card that pays (tok_success)" },
  { token: "tok_declined", label: "Test card that is declined (tok_declined)" },
  { token: "tok_delayed", label: "Test card the bank decides later (tok_delayed)" },
];

export function CheckoutPage() {
  const id = useParams().bookingId as string;
  const { data: booking, error: loadError, reload, setData } = useAsync(() => getBooking(id), [id]);
  const [card, setCard] = useState<PaymentMethod>("tok_success");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [pending, setPending] = useState(false);
  const held = booking?.status === "held";
  const left = useCountdown(held ? booking?.expires_at : null, reload);

  // A delayed payment: ask again until the bank's answer has arrived.
  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(reload, 2000);
    return () => clearInterval(timer);
  }, [pending, reload]);
  useEffect(() => {
    if (pending && booking && booking.status !== "held") setPending(false);
  }, [pending, booking]);

  if (loadError) return <ErrorMessage error={loadError} />;
  if (!booking) return <p role="status">Loading your booking…</p>;

  const pay = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const payment = await initiatePayment(booking.id, card);
      const result = await confirmPayment(booking.id, payment.id);
      if (result.status === "initiated") setPending(true);
      const fresh: Booking = await getBooking(booking.id);
      setData(fresh);
    } catch (err) {
      setError(toApiError(err));
      reload();
    } finally {
      setBusy(false);
    }
  };

  const appointment = booking.appointment ?? null;
  const places = appointment ? "time" : "seats";

  if (booking.status === "confirmed" || booking.status === "completed" || booking.status === "pending") {
    const waiting = booking.status === "pending";
    return (
      <article className="confirmation">
        <h1>{waiting ? "Paid — waiting for the provider" : "Booking confirmed"}</h1>
        <p role="status">
          {waiting ? "Thank you! The provider will now accept or decline it (declined: refunded in full). " : "Thank you! "}
          Your reference is <strong data-testid="confirmation-reference">{booking.reference}</strong>.
        </p>
        <BookingSummary booking={booking} />
        <p>
          <Link to={`/bookings/${booking.id}`}>Manage this booking</Link> · <Link to="/bookings">My bookings</Link>
        </p>
      </article>
    );
  }

  if (booking.status !== "held" || left === 0) {
    return (
      <article className="checkout">
        <h1>{booking.status === "cancelled" ? "Booking cancelled" : "Your hold has expired"}</h1>
        <p role="alert" data-testid="hold-expired">
          {booking.status === "cancelled"
            ? "This booking was cancelled."
            : `The time to pay ran out, so the ${places} ${appointment ? "was" : "were"} released for others. You have not been charged.`}
        </p>
        <BookingSummary booking={booking} />
        {appointment ? (
          <p>
            <Link to={`/services/${appointment.service_id}`}>Pick a time again</Link>
          </p>
        ) : (
          booking.show_id != null && (
            <p>
              <Link to={`/shows/${booking.show_id}`}>Pick seats again</Link>
            </p>
          )
        )}
      </article>
    );
  }

  return (
    <article className="checkout">
      <h1>Checkout</h1>
      {left !== null && <Countdown seconds={left} label={appointment ? "This time is held for" : "Seats held for"} />}
      <BookingSummary booking={booking} />
      <form onSubmit={pay} aria-label="Payment">
        <fieldset>
          <legend>Payment (test cards; nothing is charged)</legend>
          {CARDS.map((c) => (
            <label key={c.token} className="radio">
              <input type="radio" name="card" value={c.token} checked={card === c.token} onChange={() => setCard(c.token)} />
              {c.label}
            </label>
          ))}
        </fieldset>
        <button type="submit" className="primary" disabled={busy || pending}>
          {busy ? "Paying…" : <>Pay <Money amount={booking.total_amount} currency={booking.currency} /></>}
        </button>
      </form>
      {pending && (
        <p role="status" className="notice">
          The bank has not decided yet. Your {places} {appointment ? "stays" : "stay"} held; this page updates when the answer arrives.
        </p>
      )}
      <ErrorMessage error={error} />
    </article>
  );
}
