// One booking (the emails link here): its details, moving an appointment, and cancelling.
import { Link, useParams } from "react-router-dom";
import { getBooking } from "../api";
import { toApiError } from "../api/errors";
import { useSession } from "../auth";
import { BookingSummary } from "../components/BookingSummary";
import { CancelPanel } from "../components/CancelPanel";
import { ErrorMessage } from "../components/ErrorMessage";
import { MovePanel } from "../components/MovePanel";
import { useAsync } from "../components/useAsync";

export function BookingPage() {
  const id = useParams().bookingId as string;
  const session = useSession();
  const { data: booking, error, setData } = useAsync(() => getBooking(id), [id, session?.user.id]);
  if (error) {
    const e = toApiError(error);
    if (e.status === 404 || e.status === 401) {
      return (
        <article>
          <h1>Booking not found</h1>
          <p>
            Open it on the device you booked on, or <Link to="/login">log in</Link> with the account you booked with.
          </p>
        </article>
      );
    }
    return <ErrorMessage error={error} />;
  }
  if (!booking) return <p role="status">Loading…</p>;
  return (
    <article>
      <h1>Booking {booking.reference}</h1>
      <BookingSummary booking={booking} />
      {booking.status === "held" && (
        <p>
          <Link to={`/checkout/${booking.id}`}>Continue to payment</Link>
        </p>
      )}
      <MovePanel booking={booking} onMoved={(b) => setData(b)} />
      <CancelPanel booking={booking} onCancelled={(b) => setData(b)} />
    </article>
  );
}
