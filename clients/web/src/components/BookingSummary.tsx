import type { Booking } from "../api/types";
import { formatDateTime } from "../util/time";
import { Money } from "./Money";

const STATUS: Record<Booking["status"], string> = {
  held: "Held — waiting for payment",
  pending: "Paid — waiting for the provider to accept",
  confirmed: "Confirmed",
  completed: "Completed",
  expired: "Expired — the hold ran out",
  cancelled: "Cancelled",
};

export function statusText(status: Booking["status"]): string {
  return STATUS[status];
}

export function BookingSummary({ booking }: { booking: Booking }) {
  return (
    <dl className="booking-summary">
      <dt>Reference</dt>
      <dd data-testid="booking-reference">{booking.reference}</dd>
      <dt>Status</dt>
      <dd data-testid="booking-status" data-status={booking.status}>
        {statusText(booking.status)}
      </dd>
      <dt>Places</dt>
      <dd>
        {booking.items
          .map((i) => (i.label ? `${i.label}${i.seat_class ? ` (${i.seat_class})` : ""}` : `${i.quantity} place${i.quantity === 1 ? "" : "s"}`))
          .join(", ")}
      </dd>
      <dt>Total</dt>
      <dd>
        <Money amount={booking.total_amount} currency={booking.currency} />
      </dd>
      <dt>Booked</dt>
      <dd>{formatDateTime(booking.created_at)}</dd>
    </dl>
  );
}
