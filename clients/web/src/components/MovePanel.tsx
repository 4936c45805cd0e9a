// Moving an appointment: the same slot picker as the service's page, then PUT /bookings/{id}/slot
// (atomic on the server: the old time is freed and the new one taken, or nothing changes).
import { useState } from "react";
import { getService, moveAppointment } from "../api";
import { toApiError } from "../api/errors";
import type { Booking, Slot } from "../api/types";
import { formatLocalDateTime } from "../util/time";
import { appointmentWhen } from "./BookingSummary";
import { ErrorMessage } from "./ErrorMessage";
import { SlotPicker } from "./SlotPicker";
import { useAsync } from "./useAsync";

/** Whether an appointment can still be moved: active, and not started (the server decides). */
export function movable(booking: Booking, now = Date.now()): boolean {
  const a = booking.appointment;
  if (!a) return false;
  const active = booking.status === "held" || booking.status === "pending" || booking.status === "confirmed";
  return active && new Date(a.starts_at).getTime() > now;
}

function Picker({ booking, onMoved, onClose }: { booking: Booking; onMoved: (b: Booking) => void; onClose: () => void }) {
  const appt = booking.appointment!;
  const service = useAsync(() => getService(appt.service_id), [appt.service_id]);
  const [picked, setPicked] = useState<Slot | null>(null);
  const [refresh, setRefresh] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const move = async () => {
    if (!picked) return;
    setBusy(true);
    setError(null);
    try {
      onMoved(await moveAppointment(booking.id, picked.starts_at));
    } catch (err) {
      const e = toApiError(err);
      if (e.code === "slot_taken" || e.status === 422) {
        setPicked(null);
        setRefresh((r) => r + 1);
      }
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const titleId = `move-title-${booking.id}`;
  return (
    <section className="move-panel" aria-labelledby={titleId}>
      <p id={titleId}>
        <strong>Move booking {booking.reference}</strong> (now {appointmentWhen(appt)}) to another time:
      </p>
      <ErrorMessage error={service.error} />
      {service.data && (
        <SlotPicker
          serviceId={appt.service_id}
          timeZone={appt.time_zone}
          capacity={service.data.availability.capacity}
          maxAdvanceDays={service.data.availability.max_advance_days}
          selected={picked?.starts_at ?? null}
          onSelect={(s) => {
            setPicked(s);
            setError(null);
          }}
          refreshKey={refresh}
          idPrefix={`move-${booking.id}`}
        />
      )}
      <p aria-live="polite">{picked ? `New time: ${formatLocalDateTime(picked.local_start)} (${appt.time_zone})` : ""}</p>
      <button type="button" className="primary" onClick={move} disabled={!picked || busy}>
        {busy ? "Moving…" : "Move to this time"}
      </button>{" "}
      <button type="button" onClick={onClose} disabled={busy}>
        Keep the current time
      </button>
      <ErrorMessage error={error} />
    </section>
  );
}

export function MovePanel({ booking, onMoved }: { booking: Booking; onMoved: (b: Booking) => void }) {
  const [open, setOpen] = useState(false);
  const [moved, setMoved] = useState<string | null>(null);
  if (!movable(booking)) return null;
  return (
    <div className="move">
      {moved && (
        <p role="status" className="notice" data-testid="moved-message">
          Moved: {moved}.
        </p>
      )}
      {open ? (
        <Picker
          booking={booking}
          onClose={() => setOpen(false)}
          onMoved={(b) => {
            setOpen(false);
            setMoved(b.appointment ? appointmentWhen(b.appointment) : "done");
            onMoved(b);
          }}
        />
      ) : (
        <button type="button" onClick={() => setOpen(true)}>
          Move booking {booking.reference} to another time…
        </button>
      )}
    </div>
  );
}
