// My bookings: a signed-in user's from the server, and the ones made as a guest on this browser.
import { useState } from "react";
import { Link } from "react-router-dom";
import { getBooking, listMyBookings } from "../api";
import { guestBookings } from "../api/session";
import type { Booking } from "../api/types";
import { useSession } from "../auth";
import { appointmentWhen, statusText } from "../components/BookingSummary";
import { CancelPanel } from "../components/CancelPanel";
import { ErrorMessage } from "../components/ErrorMessage";
import { Money } from "../components/Money";
import { MovePanel } from "../components/MovePanel";
import { useAsync } from "../components/useAsync";

const PAGE = 20;

async function load(signedIn: boolean, offset: number): Promise<{ items: Booking[]; total: number }> {
  const guests = await Promise.all(guestBookings().map((g) => getBooking(g.id).catch(() => null)));
  const guestItems = guests.filter((b): b is Booking => b !== null);
  if (!signedIn) return { items: guestItems, total: guestItems.length };
  const page = await listMyBookings(PAGE, offset);
  const seen = new Set(page.items.map((b) => b.id));
  const extra = offset === 0 ? guestItems.filter((b) => !seen.has(b.id)) : [];
  return { items: [...page.items, ...extra], total: page.total + extra.length };
}

export function BookingsPage() {
  const session = useSession();
  const [offset, setOffset] = useState(0);
  const { data, error, loading, setData } = useAsync(() => load(!!session, offset), [session?.user.id, offset]);

  const replace = (b: Booking) =>
    data && setData({ ...data, items: data.items.map((x) => (x.id === b.id ? b : x)) });

  return (
    <article>
      <h1>My bookings</h1>
      {!session && (
        <p>
          These are the bookings made on this browser without an account. <Link to="/login">Log in</Link> to see your
          account's bookings.
        </p>
      )}
      <ErrorMessage error={error} />
      {loading && !data && <p role="status">Loading…</p>}
      {data && data.items.length === 0 && <p>
          No bookings yet. <Link to="/">Find an event</Link> or <Link to="/services">a service</Link>.
        </p>}
      <ul className="bookings">
        {data?.items.map((b) => (
          <li key={b.id} className="card" data-booking-id={b.id}>
            <h2>
              <Link to={`/bookings/${b.id}`}>Booking {b.reference}</Link>
            </h2>
            {b.appointment ? (
              <p>
                <span data-status={b.status}>{statusText(b.status)}</span> ·{" "}
                <Link to={`/services/${b.appointment.service_id}`}>{b.appointment.service_title}</Link> ·{" "}
                <span data-testid="appointment-when">{appointmentWhen(b.appointment)}</span> ·{" "}
                <Money amount={b.total_amount} currency={b.currency} />
              </p>
            ) : (
              <p>
                <span data-status={b.status}>{statusText(b.status)}</span> ·{" "}
                {b.items.map((i) => i.label ?? `${i.quantity} place${i.quantity === 1 ? "" : "s"}`).join(", ")} ·{" "}
                <Money amount={b.total_amount} currency={b.currency} />
              </p>
            )}
            {b.status === "held" && <Link to={`/checkout/${b.id}`}>Pay now</Link>}
            <MovePanel booking={b} onMoved={replace} />
            <CancelPanel booking={b} onCancelled={replace} />
          </li>
        ))}
      </ul>
      {session && data && data.total > PAGE && (
        <nav aria-label="Pages" className="pager">
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            Newer
          </button>
          <button type="button" disabled={offset + PAGE >= data.total} onClick={() => setOffset(offset + PAGE)}>
            Older
          </button>
        </nav>
      )}
    </article>
  );
}
