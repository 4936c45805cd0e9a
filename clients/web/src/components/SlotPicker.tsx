// The free slots of a service, a week at a time, grouped by the provider's local date and told
// in the provider's time zone. Each slot is a button (its local time, and for a class the places
// left); the slots are one tab stop: the arrow keys move between them (left/right: the previous
// or next time, up/down: the day before or after), Home/End to a day's first or last, Enter or
// Space picks. Which slots exist is the server's (GET /services/{id}/slots); the picker only
// shows them.
import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from "react";
import { getSlots } from "../api";
import type { Slot } from "../api/types";
import { addDays, dateInZone, formatLocalDay, formatLocalTime, localDateOf, startOfDayInZone } from "../util/time";
import { ErrorMessage } from "./ErrorMessage";
import { useAsync } from "./useAsync";

export interface SlotPickerProps {
  serviceId: number;
  /** The provider's IANA zone (the service's `availability.time_zone`). */
  timeZone: string;
  /** More than 1: a class, whose slots say how many places are left. */
  capacity: number;
  /** How far ahead the service takes bookings: no "next week" beyond it. */
  maxAdvanceDays?: number;
  /** The picked slot's `starts_at`. */
  selected: string | null;
  onSelect: (slot: Slot) => void;
  /** Change it to ask the server again (after a 409 slot_taken, a booking or a move). */
  refreshKey?: number;
  /** Tells apart several pickers on one page (element ids). */
  idPrefix?: string;
  /** The current time (tests). */
  now?: Date;
}

export interface SlotDay {
  date: string;
  slots: Slot[];
}

/** The week's dates, each with its slots (by their local start), in order; days without any too. */
export function groupByLocalDate(slots: Slot[], firstDate: string, days = 7): SlotDay[] {
  const byDate = new Map<string, Slot[]>();
  for (const s of slots) {
    const date = localDateOf(s.local_start);
    byDate.set(date, [...(byDate.get(date) ?? []), s]);
  }
  const out: SlotDay[] = [];
  for (let i = 0; i < days; i += 1) {
    const date = addDays(firstDate, i);
    out.push({ date, slots: byDate.get(date) ?? [] });
  }
  // a slot outside the expected dates (should not happen) is still shown, after them
  for (const [date, list] of byDate) {
    if (!out.some((d) => d.date === date)) out.push({ date, slots: list });
  }
  return out;
}

/** The button's text: "10:00 AM", and for a class "10:00 AM · 3 places left". */
export function slotLabel(slot: Slot, capacity: number): string {
  const time = formatLocalTime(slot.local_start);
  if (capacity <= 1) return time;
  return `${time} · ${slot.remaining} ${slot.remaining === 1 ? "place" : "places"} left`;
}

function formatWeek(first: string): string {
  const last = addDays(first, 6);
  const fmt = (d: string) =>
    new Date(`${d}T00:00:00Z`).toLocaleDateString("en-US", { timeZone: "UTC", month: "short", day: "numeric", year: "numeric" });
  return `${fmt(first)} – ${fmt(last)}`;
}

export function SlotPicker({
  serviceId,
  timeZone,
  capacity,
  maxAdvanceDays,
  selected,
  onSelect,
  refreshKey = 0,
  idPrefix = "slots",
  now,
}: SlotPickerProps) {
  const [week, setWeek] = useState(0);
  // "now" is fixed when the picker opens, so that the weeks do not slide while it is open
  const [opened] = useState(() => now ?? new Date());
  const today = useMemo(() => dateInZone(opened, timeZone), [opened, timeZone]);
  const first = addDays(today, week * 7);
  const from = week === 0 ? opened : startOfDayInZone(first, timeZone);
  const to = startOfDayInZone(addDays(first, 7), timeZone);
  const lastWeek = maxAdvanceDays !== undefined && addDays(first, 7) > addDays(today, maxAdvanceDays);

  const { data, error, loading } = useAsync(
    () => getSlots(serviceId, from.toISOString(), to.toISOString()),
    [serviceId, from.getTime(), to.getTime(), refreshKey],
  );
  // while another week (or a refresh) loads, the old slots are not shown under the new dates
  const shown = loading ? null : data;
  const days = useMemo(() => (shown ? groupByLocalDate(shown.items, first) : []), [shown, first]);
  const flat = useMemo(() => days.flatMap((d) => d.slots), [days]);

  // the one tab stop: the picked slot when shown, else the one last moved to, else the first
  const [active, setActive] = useState<string | null>(null);
  const tabStop =
    (selected && flat.some((s) => s.starts_at === selected) && selected) ||
    (active && flat.some((s) => s.starts_at === active) && active) ||
    flat[0]?.starts_at ||
    null;
  const buttons = useRef(new Map<string, HTMLButtonElement>());
  const [focusWanted, setFocusWanted] = useState<string | null>(null);
  useEffect(() => {
    if (focusWanted) {
      buttons.current.get(focusWanted)?.focus();
      setFocusWanted(null);
    }
  }, [focusWanted]);

  const moveTo = (startsAt: string | undefined) => {
    if (!startsAt) return;
    setActive(startsAt);
    setFocusWanted(startsAt);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const current = (e.target as HTMLElement).closest<HTMLButtonElement>("button[data-starts-at]")?.dataset.startsAt;
    if (!current) return;
    const i = flat.findIndex((s) => s.starts_at === current);
    const d = days.findIndex((day) => day.slots.some((s) => s.starts_at === current));
    if (i < 0 || d < 0) return;
    const inDay = days[d].slots.findIndex((s) => s.starts_at === current);
    const otherDay = (step: number) => {
      for (let j = d + step; j >= 0 && j < days.length; j += step) {
        if (days[j].slots.length) return days[j].slots[Math.min(inDay, days[j].slots.length - 1)].starts_at;
      }
      return undefined;
    };
    let target: string | undefined;
    switch (e.key) {
      case "ArrowRight":
        target = flat[i + 1]?.starts_at;
        break;
      case "ArrowLeft":
        target = flat[i - 1]?.starts_at;
        break;
      case "ArrowDown":
        target = otherDay(1);
        break;
      case "ArrowUp":
        target = otherDay(-1);
        break;
      case "Home":
        target = days[d].slots[0].starts_at;
        break;
      case "End":
        target = days[d].slots[days[d].slots.length - 1].starts_at;
        break;
      default:
        return;
    }
    e.preventDefault();
    moveTo(target);
  };

  const weekId = `${idPrefix}-week`;
  return (
    <div className="slot-picker" data-testid="slot-picker">
      <p className="zone-note">
        Times are in <strong>{timeZone}</strong>, the provider's time zone.
      </p>
      <div className="week-nav">
        <button type="button" onClick={() => setWeek((w) => Math.max(0, w - 1))} disabled={week === 0} aria-controls={weekId}>
          ← Previous week
        </button>
        <span id={`${weekId}-label`} aria-live="polite">
          {formatWeek(first)}
        </span>
        <button type="button" onClick={() => setWeek((w) => w + 1)} disabled={lastWeek} aria-controls={weekId}>
          Next week →
        </button>
      </div>
      <ErrorMessage error={error} />
      {loading && <p role="status">Loading free times…</p>}
      <div id={weekId} className="slot-days" aria-labelledby={`${weekId}-label`} role="group" onKeyDown={onKeyDown} aria-busy={loading}>
        {shown && flat.length === 0 && <p>No free times this week.</p>}
        {shown &&
          flat.length > 0 &&
          days.map((day) => {
            const headingId = `${idPrefix}-day-${day.date}`;
            return (
              <div key={day.date} className="slot-day" role="group" aria-labelledby={headingId}>
                <h3 id={headingId}>{formatLocalDay(day.date)}</h3>
                {day.slots.length === 0 ? (
                  <p className="meta">No free times</p>
                ) : (
                  <ul className="slot-list">
                    {day.slots.map((slot) => {
                      const picked = slot.starts_at === selected;
                      return (
                        <li key={slot.starts_at}>
                          <button
                            type="button"
                            className={`slot${picked ? " slot-selected" : ""}`}
                            aria-pressed={picked}
                            data-starts-at={slot.starts_at}
                            data-local-start={slot.local_start}
                            tabIndex={slot.starts_at === tabStop ? 0 : -1}
                            ref={(el) => {
                              if (el) buttons.current.set(slot.starts_at, el);
                              else buttons.current.delete(slot.starts_at);
                            }}
                            onFocus={() => setActive(slot.starts_at)}
                            onClick={() => onSelect(slot)}
                          >
                            {picked && <span aria-hidden="true">✓ </span>}
                            {slotLabel(slot, capacity)}
                          </button>
                        </li>
                      );
                    })}
                  </ul>
                )}
              </div>
            );
          })}
      </div>
    </div>
  );
}
