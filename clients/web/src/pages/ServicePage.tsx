// A service: its details and terms, the slot picker (a week at a time, in the provider's zone)
// and the booking of the picked slot — on to the checkout when there is something to pay, else
// the confirmation here. A slot someone else took meanwhile (409 slot_taken) says so and the
// slots are asked for again.
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { createBooking, getService, listCategories } from "../api";
import { ApiError, toApiError } from "../api/errors";
import { rememberGuestBooking } from "../api/session";
import type { Booking, Service, Slot } from "../api/types";
import { useSession } from "../auth";
import { BookingSummary } from "../components/BookingSummary";
import { ErrorMessage } from "../components/ErrorMessage";
import { Money } from "../components/Money";
import { SlotPicker } from "../components/SlotPicker";
import { useAsync } from "../components/useAsync";
import { formatLocalDateTime, formatUtcOffset } from "../util/time";
import { formatDuration } from "./ServicesPage";

/** The service's cancellation terms in words (its own fields; the refund itself is the server's). */
export function cancellationTerms(s: Service): string {
  const late =
    s.late_refund_percent >= 100
      ? "in full"
      : s.late_refund_percent > 0
        ? `${s.late_refund_percent} % of the price`
        : "nothing";
  if (s.full_refund_hours_before === 0) {
    return `Cancel before the start for a full refund.`;
  }
  const hours = `${s.full_refund_hours_before} ${s.full_refund_hours_before === 1 ? "hour" : "hours"}`;
  return `Cancel at least ${hours} before the start for a full refund; after that, ${late === "in full" ? "it is still refunded in full" : `${late} is refunded`}.`;
}

/** A 422 about the start: the slot is no longer bookable (its notice or window passed). */
export function namesStartsAt(error: ApiError): boolean {
  const fields = error.details?.["fields"];
  return (
    error.status === 422 &&
    Array.isArray(fields) &&
    fields.some((f) => f && typeof f === "object" && (f as { field?: string }).field === "starts_at")
  );
}

function ServiceDetails({ service, category }: { service: Service; category: string }) {
  const a = service.availability;
  return (
    <dl className="booking-summary service-details">
      <dt>Price</dt>
      <dd data-testid="service-price">
        {service.price > 0 ? <Money amount={service.price} currency={service.currency} /> : "Free"}
        {a.capacity > 1 ? " per person" : ""}
      </dd>
      <dt>Duration</dt>
      <dd>{formatDuration(a.duration_minutes)}</dd>
      {category && (
        <>
          <dt>Category</dt>
          <dd>{category}</dd>
        </>
      )}
      {a.capacity > 1 && (
        <>
          <dt>Places</dt>
          <dd>A class: up to {a.capacity} people each time</dd>
        </>
      )}
      <dt>Time zone</dt>
      <dd data-testid="service-time-zone">{a.time_zone}</dd>
      <dt>Cancellation</dt>
      <dd>{cancellationTerms(service)}</dd>
      <dt>Acceptance</dt>
      <dd data-testid="service-acceptance">
        {service.requires_acceptance
          ? "The provider accepts each booking first: it is confirmed once they accept it (declined: refunded in full)."
          : service.price > 0
            ? "Confirmed as soon as it is paid."
            : "Confirmed at once."}
      </dd>
    </dl>
  );
}

function Booked({ booking }: { booking: Booking }) {
  const pending = booking.status === "pending";
  return (
    <section className="confirmation" aria-labelledby="booked-title">
      <h2 id="booked-title">{pending ? "Booking requested" : "Booking confirmed"}</h2>
      <p role="status">
        {pending ? "The provider will accept or decline it. " : "Thank you! "}Your reference is{" "}
        <strong data-testid="confirmation-reference">{booking.reference}</strong>.
      </p>
      <BookingSummary booking={booking} />
      <p>
        <Link to={`/bookings/${booking.id}`}>Manage this booking</Link> · <Link to="/bookings">My bookings</Link>
      </p>
    </section>
  );
}

export function ServicePage() {
  const id = Number(useParams().serviceId);
  const session = useSession();
  const navigate = useNavigate();
  const { data: service, error: loadError } = useAsync(() => getService(id), [id]);
  const categories = useAsync(() => listCategories(), []);

  const [picked, setPicked] = useState<Slot | null>(null);
  const [refresh, setRefresh] = useState(0);
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [notes, setNotes] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [booked, setBooked] = useState<Booking | null>(null);

  if (loadError) {
    const e = toApiError(loadError);
    if (e.status === 404) {
      return (
        <article>
          <h1>Service not found</h1>
          <p>
            <Link to="/services">All services</Link>
          </p>
        </article>
      );
    }
    return <ErrorMessage error={loadError} />;
  }
  if (!service) return <p role="status">Loading the service…</p>;
  const category = categories.data?.items.find((c) => c.id === service.category_id)?.name ?? "";
  const zone = service.availability.time_zone;

  const book = async (e: FormEvent) => {
    e.preventDefault();
    if (!picked) return;
    setBusy(true);
    setError(null);
    try {
      const booking = await createBooking({
        service_id: service.id,
        starts_at: picked.starts_at,
        ...(notes.trim() ? { notes: notes.trim() } : {}),
        ...(session ? {} : { name: name.trim(), email: email.trim() }),
      });
      if (booking.guest_token) {
        rememberGuestBooking({ id: booking.id, token: booking.guest_token, reference: booking.reference });
      }
      if (booking.status === "held") {
        navigate(`/checkout/${booking.id}`);
        return;
      }
      setBooked(booking);
      setPicked(null);
      setRefresh((r) => r + 1);
    } catch (err) {
      const apiError = toApiError(err);
      if (apiError.code === "slot_taken" || namesStartsAt(apiError)) {
        // gone meanwhile (or no longer bookable): show what is free now
        setPicked(null);
        setRefresh((r) => r + 1);
      }
      setError(apiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <article className="service-page">
      <p>
        <Link to="/services">← All services</Link>
      </p>
      <h1>{service.title}</h1>
      {service.description && <p className="description">{service.description}</p>}
      <ServiceDetails service={service} category={category} />
      {booked && <Booked booking={booked} />}
      {!service.active ? (
        <p className="notice">This service is paused: it takes no bookings at the moment.</p>
      ) : (
        <section aria-labelledby="pick-title">
          <h2 id="pick-title">Pick a time</h2>
          <SlotPicker
            serviceId={service.id}
            timeZone={zone}
            capacity={service.availability.capacity}
            maxAdvanceDays={service.availability.max_advance_days}
            selected={picked?.starts_at ?? null}
            onSelect={(slot) => {
              setPicked(slot);
              setError(null);
            }}
            refreshKey={refresh}
          />
          <form onSubmit={book} className="hold-form" aria-label="Book">
            <p aria-live="polite" className="selection" data-testid="picked-slot">
              {picked
                ? `Picked: ${formatLocalDateTime(picked.local_start)} (${zone}, ${formatUtcOffset(picked.utc_offset_seconds)})`
                : "Pick a time above."}
            </p>
            {!session && (
              <fieldset>
                <legend>
                  Your details (or <Link to="/login">log in</Link>)
                </legend>
                <label htmlFor="guest-name">Name</label>
                <input id="guest-name" required autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />
                <label htmlFor="guest-email">Email</label>
                <input
                  id="guest-email"
                  required
                  type="email"
                  autoComplete="email"
                  value={email}
                  onChange={(e) => setEmail(e.target.value)}
                />
              </fieldset>
            )}
            <label htmlFor="booking-notes">Notes for the provider (optional)</label>
            <textarea id="booking-notes" maxLength={2000} rows={3} value={notes} onChange={(e) => setNotes(e.target.value)} />
            <div>
              <button type="submit" className="primary" disabled={!picked || busy}>
                {busy ? "Booking…" : service.price > 0 ? "Book and continue to payment" : "Book this time"}
              </button>
            </div>
          </form>
          <ErrorMessage error={error} />
        </section>
      )}
    </article>
  );
}
