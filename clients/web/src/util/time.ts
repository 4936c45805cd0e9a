// Dates as people read them, in the browser's time zone (the server speaks UTC).

export function formatDateTime(iso: string, locale = "en-US"): string {
  return new Date(iso).toLocaleString(locale, {
    weekday: "short",
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** Whole seconds from `now` until `iso` (never negative). */
export function secondsUntil(iso: string, now: number = Date.now()): number {
  return Math.max(0, Math.ceil((new Date(iso).getTime() - now) / 1000));
}

/** 125 → "2:05". */
export function formatCountdown(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${String(s).padStart(2, "0")}`;
}

// ---- a provider's wall clock ----
// Appointments and slots carry their provider's local time as `YYYY-MM-DDTHH:MM:SS` (no zone):
// these show it as it is, never moved into the browser's zone (read as UTC, printed as UTC).

function wallClock(local: string): Date {
  const [date, time = "00:00:00"] = local.split("T");
  const [y, m, d] = date.split("-").map(Number);
  const [hh, mm, ss] = time.split(":").map(Number);
  return new Date(Date.UTC(y, m - 1, d, hh || 0, mm || 0, ss || 0));
}

/** "2026-12-14T10:00:00" → "2026-12-14". */
export function localDateOf(local: string): string {
  return local.slice(0, 10);
}

/** "2026-12-14" (or a local date-time) → "Monday, December 14". */
export function formatLocalDay(local: string, locale = "en-US"): string {
  return wallClock(local).toLocaleDateString(locale, { timeZone: "UTC", weekday: "long", month: "long", day: "numeric" });
}

/** "2026-12-14T10:00:00" → "10:00 AM". */
export function formatLocalTime(local: string, locale = "en-US"): string {
  return wallClock(local).toLocaleTimeString(locale, { timeZone: "UTC", hour: "2-digit", minute: "2-digit" });
}

/** "2026-12-14T10:00:00" → "Mon, Dec 14, 2026, 10:00 AM". */
export function formatLocalDateTime(local: string, locale = "en-US"): string {
  return wallClock(local).toLocaleString(locale, {
    timeZone: "UTC",
    weekday: "short",
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** 3600 → "UTC+01:00", -16200 → "UTC−04:30". */
export function formatUtcOffset(seconds: number): string {
  const sign = seconds < 0 ? "−" : "+";
  const abs = Math.abs(Math.trunc(seconds / 60));
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** "2026-12-14" plus `days` days → "2026-12-21". */
export function addDays(date: string, days: number): string {
  const d = wallClock(date);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** The milliseconds `zone`'s clock is ahead of UTC at `instant`. */
function zoneOffsetMs(instant: number, zone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour") % 24, get("minute"), get("second"));
  return wall - Math.floor(instant / 1000) * 1000;
}

/** The date ("YYYY-MM-DD") it is in `zone` at `instant`. */
export function dateInZone(instant: Date, zone: string): string {
  return new Date(instant.getTime() + zoneOffsetMs(instant.getTime(), zone)).toISOString().slice(0, 10);
}

/** The instant a local date starts (its midnight) in `zone` (for a query's bounds). */
export function startOfDayInZone(date: string, zone: string): Date {
  const guess = wallClock(date).getTime();
  let t = guess - zoneOffsetMs(guess, zone);
  t = guess - zoneOffsetMs(t, zone);
  return new Date(t);
}
