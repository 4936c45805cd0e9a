// A show: its live seat map (or a quantity picker for general admission), the quote of what is
// picked, and the hold.
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import { createBooking, getEvent, quote as fetchQuote } from "../api";
import { seatLabelsOf, toApiError } from "../api/errors";
import { rememberGuestBooking } from "../api/session";
import type { Quote, Seat } from "../api/types";
import { useSession } from "../auth";
import { ClassTable } from "../components/ClassTable";
import { ErrorMessage } from "../components/ErrorMessage";
import { QuoteBox } from "../components/QuoteBox";
import { SeatLegend, SeatMap } from "../components/SeatMap";
import { useAsync } from "../components/useAsync";
import { markTaken } from "../live/seatMapState";
import { useSeatStream } from "../live/useSeatStream";
import { formatDateTime } from "../util/time";

const MAX_SEATS = 10;

export function ShowPage() {
  const showId = Number(useParams().showId);
  const { state, status, patch } = useSeatStream(showId);
  const session = useSession();
  const navigate = useNavigate();
  const event = useAsync(() => (state ? getEvent(state.show.event_id) : Promise.resolve(null)), [state?.show.event_id]);

  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [quantity, setQuantity] = useState(1);
  const [quote, setQuote] = useState<Quote | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [busy, setBusy] = useState(false);

  const seated = state?.show.kind === "seated";
  const seatsById = useMemo(() => new Map((state?.seats ?? []).map((s) => [s.id, s])), [state]);

  // A picked seat that someone else takes meanwhile leaves the selection, with a notice.
  useEffect(() => {
    const gone = [...selected].filter((id) => seatsById.get(id)?.status !== "available");
    if (gone.length) {
      setSelected((prev) => new Set([...prev].filter((id) => !gone.includes(id))));
      const labels = gone.map((id) => seatsById.get(id)?.label).filter(Boolean);
      setNotice(`Seat ${labels.join(", ")} was just taken by someone else and removed from your selection.`);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [seatsById]);

  // The quote follows the selection (and the live prices: it is asked again on every version).
  const wanted = seated ? [...selected].sort((a, b) => a - b) : [];
  const quoteKey = seated ? wanted.join(",") : `q${quantity}`;
  useEffect(() => {
    if (!state || (seated && wanted.length === 0) || (!seated && quantity < 1)) {
      setQuote(null);
      return;
    }
    let live = true;
    const timer = setTimeout(() => {
      fetchQuote(showId, seated ? { seat_ids: wanted } : { quantity }).then(
        (q) => live && setQuote(q),
        (err: unknown) => live && setError(err),
      );
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [quoteKey, state?.version, showId]);

  if (!state) {
    return <p role="status">{status === "connecting" ? "Loading the seat map…" : "Reconnecting…"}</p>;
  }
  const { show } = state;

  const toggle = (seat: Seat) => {
    setNotice(null);
    setError(null);
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(seat.id)) next.delete(seat.id);
      else if (next.size >= MAX_SEATS) setNotice(`You can book at most ${MAX_SEATS} seats at once.`);
      else next.add(seat.id);
      return next;
    });
  };

  const hold = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const booking = await createBooking({
        show_id: showId,
        ...(seated ? { seat_ids: wanted } : { quantity }),
        ...(session ? {} : { name: name.trim(), email: email.trim() }),
      });
      if (booking.guest_token) {
        rememberGuestBooking({ id: booking.id, token: booking.guest_token, reference: booking.reference });
      }
      navigate(`/checkout/${booking.id}`);
    } catch (err) {
      const apiError = toApiError(err);
      if (apiError.code === "seat_unavailable") {
        const labels = seatLabelsOf(apiError);
        patch((s) => markTaken(s, labels));
      }
      setError(apiError);
    } finally {
      setBusy(false);
    }
  };

  const canHold = seated ? wanted.length > 0 : quantity >= 1 && quantity <= show.available_seats;

  return (
    <article className="show-page">
      <p>
        <Link to={`/events/${show.event_id}`}>← {event.data?.title ?? "Back to the event"}</Link>
      </p>
      <h1>{event.data?.title ?? "Show"}</h1>
      <p>
        {formatDateTime(show.starts_at)}
        {show.screen_name ? ` · ${show.screen_name}` : ""}
      </p>
      <p className="availability" aria-live="polite">
        <strong data-testid="available-count">{show.available_seats}</strong> of {show.total_seats}{" "}
        {seated ? "seats" : "places"} available
        <span className={`live-dot live-${status}`}>{status === "live" ? " · live" : " · reconnecting…"}</span>
      </p>
      {seated ? (
        <>
          <ClassTable classes={show.seat_classes} currency={show.currency} />
          <SeatLegend />
          <SeatMap seats={state.seats} currency={show.currency} selected={selected} onToggle={toggle} />
          <p aria-live="polite" className="selection">
            {wanted.length
              ? `Selected: ${wanted.map((id) => seatsById.get(id)?.label).join(", ")}`
              : "Pick your seats on the map."}
          </p>
        </>
      ) : (
        <p>
          <label htmlFor="quantity">Number of places</label>{" "}
          <input
            id="quantity"
            type="number"
            min={1}
            max={Math.min(MAX_SEATS, Math.max(1, show.available_seats))}
            value={quantity}
            onChange={(e) => setQuantity(Math.max(1, Math.trunc(Number(e.target.value) || 1)))}
          />
        </p>
      )}
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {quote && <QuoteBox quote={quote} />}
      <form onSubmit={hold} className="hold-form" aria-label="Hold">
        {!session && (
          <fieldset>
            <legend>Your details (or <Link to="/login">log in</Link>)</legend>
            <label htmlFor="guest-name">Name</label>
            <input id="guest-name" required autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />
            <label htmlFor="guest-email">Email</label>
            <input id="guest-email" required type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
          </fieldset>
        )}
        <button type="submit" className="primary" disabled={!canHold || busy}>
          {busy ? "Holding…" : "Hold and continue to payment"}
        </button>
      </form>
      <ErrorMessage error={error} />
    </article>
  );
}
