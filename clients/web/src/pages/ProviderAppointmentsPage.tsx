// A provider's appointments (GET /providers/me/appointments), earliest first: a date range (at
// most 31 days, the server's limit) and a status filter, in the URL; Accept / Decline for the
// ones waiting for the provider (`pending`). Declining cancels and refunds everything paid — the
// server's decision; the page asks once before.
import { useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { acceptAppointment, declineAppointment, providerAppointments } from "../api";
import type { Booking, BookingStatus } from "../api/types";
import { useSession } from "../auth";
import { appointmentWhen, statusText } from "../components/BookingSummary";
import { ErrorMessage } from "../components/ErrorMessage";
import { Money } from "../components/Money";
import { useAsync } from "../components/useAsync";
import { addDays } from "../util/time";

const PAGE = 20;
const STATUSES: BookingStatus[] = ["pending", "confirmed", "held", "completed", "cancelled", "expired"];
/** The server's longest range. */
const MAX_DAYS = 31;

/** Today in the browser's zone, as "YYYY-MM-DD". */
function todayLocal(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** A date input's "YYYY-MM-DD" as the instant its day starts in the browser's zone. */
function dayStart(day: string): string {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y, m - 1, d).toISOString();
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

function AppointmentRow({ booking, onChange }: { booking: Booking; onChange: (b: Booking) => void }) {
  const [confirmDecline, setConfirmDecline] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const a = booking.appointment;
  const act = async (what: "accept" | "decline") => {
    setBusy(true);
    setError(null);
    try {
      const b = what === "accept" ? await acceptAppointment(booking.id) : await declineAppointment(booking.id);
      setDone(what === "accept" ? `Accepted booking ${b.reference}.` : `Declined booking ${b.reference}; everything paid is refunded.`);
      setConfirmDecline(false);
      onChange(b);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const titleId = `appt-${booking.id}`;
  return (
    <li className="card" data-booking-id={booking.id}>
      <h2 id={titleId}>{a ? `${a.service_title}, ${appointmentWhen(a)}` : `Booking ${booking.reference}`}</h2>
      <p>
        <span data-testid="appointment-status" data-status={booking.status}>
          {statusText(booking.status)}
        </span>{" "}
        · {booking.reference} · <Money amount={booking.total_amount} currency={booking.currency} />
        {a && a.places > 1 ? ` · ${a.places} places` : ""}
      </p>
      <p>
        {booking.name}
        {booking.email ? ` · ${booking.email}` : ""}
        {booking.phone ? ` · ${booking.phone}` : ""}
      </p>
      {a?.notes && <p className="notes">Notes: {a.notes}</p>}
      {done && (
        <p role="status" className="notice">
          {done}
        </p>
      )}
      {booking.status === "pending" &&
        (confirmDecline ? (
          <div role="alertdialog" aria-labelledby={`${titleId}-decline`}>
            <p id={`${titleId}-decline`}>
              <strong>Decline booking {booking.reference}?</strong> It is cancelled and the customer is refunded in full.
            </p>
            <button type="button" className="danger" onClick={() => act("decline")} disabled={busy}>
              Yes, decline it
            </button>{" "}
            <button type="button" onClick={() => setConfirmDecline(false)} disabled={busy}>
              Keep it
            </button>
          </div>
        ) : (
          <p>
            <button type="button" className="primary" onClick={() => act("accept")} disabled={busy}>
              Accept booking {booking.reference}
            </button>{" "}
            <button type="button" onClick={() => setConfirmDecline(true)} disabled={busy}>
              Decline booking {booking.reference}…
            </button>
          </p>
        ))}
      <ErrorMessage error={error} />
    </li>
  );
}

export function ProviderAppointmentsPage() {
  const session = useSession();
  const [params, setParams] = useSearchParams();
  const today = todayLocal();
  const from = params.get("from") || today;
  const to = params.get("to") || addDays(from, 13);
  const status = (params.get("status") ?? "") as BookingStatus | "";
  const offset = Math.max(0, Number(params.get("offset") ?? 0) || 0);
  const span = daysBetween(from, to) + 1;
  const rangeProblem =
    span < 1 ? "The end date is before the start date." : span > MAX_DAYS ? `Pick at most ${MAX_DAYS} days.` : null;

  const allowed = !!session && (session.user.role === "provider" || session.user.role === "admin");
  const { data, error, loading, setData } = useAsync(
    () =>
      allowed && !rangeProblem
        ? providerAppointments({ from: dayStart(from), to: dayStart(addDays(to, 1)), status, limit: PAGE, offset })
        : Promise.resolve(null),
    [allowed, from, to, status, offset, rangeProblem],
  );

  if (!allowed) {
    return (
      <p>
        This page is for providers. <Link to="/login">Log in</Link> with a provider account.
      </p>
    );
  }

  const set = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (!("offset" in changes)) next.delete("offset");
    setParams(next);
  };
  const replace = (b: Booking) => data && setData({ ...data, items: data.items.map((x) => (x.id === b.id ? b : x)) });

  return (
    <article>
      <p>
        <Link to="/provider">← My events</Link>
      </p>
      <h1>My appointments</h1>
      <form className="filters" aria-label="Filter appointments" onSubmit={(e) => e.preventDefault()}>
        <label htmlFor="appt-from">From</label>
        <input id="appt-from" type="date" required value={from} onChange={(e) => set({ from: e.target.value })} />
        <label htmlFor="appt-to">To</label>
        <input id="appt-to" type="date" required value={to} onChange={(e) => set({ to: e.target.value })} />
        <label htmlFor="appt-status">Status</label>
        <select id="appt-status" value={status} onChange={(e) => set({ status: e.target.value })}>
          <option value="">Any status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {statusText(s)}
            </option>
          ))}
        </select>
      </form>
      <p className="meta-note">Dates are days in your browser's time zone; each time is shown on its service's clock.</p>
      {rangeProblem && (
        <p role="alert" className="error">
          {rangeProblem}
        </p>
      )}
      <ErrorMessage error={error} />
      {loading && !data && !rangeProblem && <p role="status">Loading appointments…</p>}
      {data && (
        <>
          <p role="status">
            {data.total} {data.total === 1 ? "appointment" : "appointments"}
          </p>
          <ul className="bookings">
            {data.items.map((b) => (
              <AppointmentRow key={b.id} booking={b} onChange={replace} />
            ))}
          </ul>
          {data.total > PAGE && (
            <nav aria-label="Pages" className="pager">
              <button type="button" disabled={offset === 0} onClick={() => set({ offset: String(Math.max(0, offset - PAGE)) })}>
                Earlier
              </button>
              <button type="button" disabled={offset + PAGE >= data.total} onClick={() => set({ offset: String(offset + PAGE) })}>
                Later
              </button>
            </nav>
          )}
        </>
      )}
    </article>
  );
}
