import { Link } from "react-router-dom";
import type { Appointment, Booking } from "../api/types";
import { formatDateTime, formatLocalDateTime, formatLocalTime } from "../util/time";
import { Money } from "./Money";

const STATUS: Record<Booking["status"], string> = {
  held: "Held — waiting for payment",
  // an appointment whose provider accepts each booking first: paid, or free
  pending: "Waiting for the provider to accept",
  confirmed: "Confirmed",
  completed: "Completed",
  expired: "Expired — the hold ran out",
  cancelled: "Cancelled",
};

export function statusText(status: Booking["status"]): string {
  return STATUS[status];
}

/** An appointment's time on its provider's clock: "Mon, Dec 14, 2026, 10:00 AM – 11:00 AM (Europe/Berlin)". */
export function appointmentWhen(a: Appointment): string {
  return `${formatLocalDateTime(a.local_start)} – ${formatLocalTime(a.local_end)} (${a.time_zone})`;
}

/** What a booking is for, in a few words: the seats or places, or the appointment's service and time. */
export function bookingWhat(booking: Booking): string {
  if (booking.appointment) return `${booking.appointment.service_title}, ${appointmentWhen(booking.appointment)}`;
  return booking.items.map((i) => i.label ?? `${i.quantity} place${i.quantity === 1 ? "" : "s"}`).join(", ");
}

export function BookingSummary({ booking }: { booking: Booking }) {
  const appt = booking.appointment;
  return (
    <dl className="booking-summary">
      <dt>Reference</dt>
      <dd data-testid="booking-reference">{booking.reference}</dd>
      <dt>Status</dt>
      <dd data-testid="booking-status" data-status={booking.status}>
        {statusText(booking.status)}
      </dd>
      {appt ? (
        <>
          <dt>Service</dt>
          <dd>
            <Link to={`/services/${appt.service_id}`}>{appt.service_title}</Link>
          </dd>
          <dt>When</dt>
          <dd data-testid="appointment-when">{appointmentWhen(appt)}</dd>
          {appt.places > 1 && (
            <>
              <dt>Places</dt>
              <dd>{appt.places}</dd>
            </>
          )}
          {appt.notes && (
            <>
              <dt>Notes</dt>
              <dd className="notes">{appt.notes}</dd>
            </>
          )}
        </>
      ) : (
        <>
          <dt>Places</dt>
          <dd>
            {booking.items
              .map((i) =>
                i.label ? `${i.label}${i.seat_class ? ` (${i.seat_class})` : ""}` : `${i.quantity} place${i.quantity === 1 ? "" : "s"}`,
              )
              .join(", ")}
          </dd>
        </>
      )}
      <dt>Total</dt>
      <dd>
        <Money amount={booking.total_amount} currency={booking.currency} />
      </dd>
      <dt>Booked</dt>
      <dd>{formatDateTime(booking.created_at)}</dd>
    </dl>
  );
}
