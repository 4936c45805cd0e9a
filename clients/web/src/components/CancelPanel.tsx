// Cancelling: first the refund the policy gives now (asked of the server), then the cancel.
import { useState } from "react";
import { cancelBooking, cancellationQuote, type CancellationQuote } from "../api";
import type { Booking } from "../api/types";
import { ErrorMessage } from "./ErrorMessage";
import { Money } from "./Money";

/** What has been refunded of a booking's payments so far (pending and succeeded refunds). */
function refundedOf(booking: Booking): number {
  return (booking.payments ?? []).reduce((sum, p) => sum + (p.refunded_amount ?? 0), 0);
}

export function CancelPanel({ booking, onCancelled }: { booking: Booking; onCancelled: (b: Booking) => void }) {
  const [preview, setPreview] = useState<CancellationQuote | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<{ refund: number; paid: boolean } | null>(null);

  if (done) {
    return (
      <p role="status" className="notice" data-testid="cancelled-message">
        Booking {booking.reference} is cancelled.{" "}
        {done.refund > 0 ? (
          <>
            A refund of <Money amount={done.refund} currency={booking.currency} /> is on its way to your card.
          </>
        ) : done.paid ? (
          "No refund is due under the cancellation policy."
        ) : (
          "Nothing was charged, so there is nothing to refund."
        )}
      </p>
    );
  }
  // held, confirmed, or an appointment waiting for its provider's acceptance
  if (booking.status !== "held" && booking.status !== "confirmed" && booking.status !== "pending") return null;

  const ask = async () => {
    setBusy(true);
    setError(null);
    try {
      setPreview(await cancellationQuote(booking.id));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const cancel = async () => {
    setBusy(true);
    setError(null);
    try {
      const cancelled = await cancelBooking(booking.id);
      // the refund this cancel wrote, as the server answered it
      setDone({ refund: refundedOf(cancelled) - refundedOf(booking), paid: (preview?.paid_amount ?? 0) > 0 });
      onCancelled(cancelled);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="cancel-panel">
      {!preview ? (
        <button type="button" onClick={ask} disabled={busy}>
          Cancel booking {booking.reference}…
        </button>
      ) : preview.cancellable ? (
        <div role="alertdialog" aria-labelledby={`cancel-title-${booking.id}`} aria-describedby={`cancel-desc-${booking.id}`}>
          <p id={`cancel-title-${booking.id}`}>
            <strong>Cancel booking {booking.reference}?</strong>
          </p>
          <p id={`cancel-desc-${booking.id}`} data-testid="refund-preview">
            {preview.refund_amount > 0 ? (
              <>
                You will be refunded <Money amount={preview.refund_amount} currency={preview.currency} />
                {preview.paid_amount !== preview.refund_amount && (
                  <> of the <Money amount={preview.paid_amount} currency={preview.currency} /> you paid</>
                )}
                .
              </>
            ) : preview.paid_amount > 0 ? (
              "No refund is due under the cancellation policy."
            ) : (
              "Nothing has been paid, so there is nothing to refund."
            )}{" "}
            {preview.policy}
          </p>
          <button type="button" className="danger" onClick={cancel} disabled={busy}>
            Yes, cancel it
          </button>{" "}
          <button type="button" onClick={() => setPreview(null)} disabled={busy}>
            Keep my booking
          </button>
        </div>
      ) : (
        <p role="status">This booking can no longer be cancelled.</p>
      )}
      <ErrorMessage error={error} />
    </div>
  );
}
