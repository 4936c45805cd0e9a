// Events: a search box and filters (type, city, dates), paginated; the filters live in the URL.
import { useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { listCities, listEvents } from "../api";
import type { EventType } from "../api/types";
import { ErrorMessage } from "../components/ErrorMessage";
import { useAsync } from "../components/useAsync";

const TYPES: EventType[] = ["movie", "concert", "sport", "standup", "theatre", "other"];
const PAGE = 12;

/** A date input's "YYYY-MM-DD" as the API's RFC 3339 bound (start or end of that UTC day). */
function dayBound(day: string, end: boolean): string | undefined {
  return day ? `${day}T${end ? "23:59:59" : "00:00:00"}Z` : undefined;
}

export function EventsPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const type = (params.get("type") ?? "") as EventType | "";
  const city = params.get("city") ?? "";
  const from = params.get("from") ?? "";
  const to = params.get("to") ?? "";
  const offset = Math.max(0, Number(params.get("offset") ?? 0) || 0);
  const [text, setText] = useState(q);

  const cities = useAsync(() => listCities(), []);
  const events = useAsync(
    () =>
      listEvents({
        q,
        event_type: type,
        city_id: city ? Number(city) : "",
        from: dayBound(from, false),
        to: dayBound(to, true),
        limit: PAGE,
        offset,
      }),
    [q, type, city, from, to, offset],
  );

  const set = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(changes)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    if (!("offset" in changes)) next.delete("offset");
    setParams(next);
  };
  const search = (e: FormEvent) => {
    e.preventDefault();
    set({ q: text.trim() });
  };
  const cityName = (id: number) => cities.data?.items.find((c) => c.id === id)?.name ?? "";

  return (
    <article>
      <h1>Events</h1>
      <form role="search" onSubmit={search} className="filters">
        <label htmlFor="search">Search</label>
        <input id="search" type="search" value={text} placeholder="Title or description" onChange={(e) => setText(e.target.value)} />
        <button type="submit">Search</button>
        <label htmlFor="type">Type</label>
        <select id="type" value={type} onChange={(e) => set({ type: e.target.value })}>
          <option value="">Any type</option>
          {TYPES.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <label htmlFor="city">City</label>
        <select id="city" value={city} onChange={(e) => set({ city: e.target.value })}>
          <option value="">Any city</option>
          {cities.data?.items.map((c) => (
            <option key={c.id} value={String(c.id)}>
              {c.name}
            </option>
          ))}
        </select>
        <label htmlFor="from">From</label>
        <input id="from" type="date" value={from} onChange={(e) => set({ from: e.target.value })} />
        <label htmlFor="to">To</label>
        <input id="to" type="date" value={to} onChange={(e) => set({ to: e.target.value })} />
      </form>
      <ErrorMessage error={events.error} />
      {events.loading && !events.data && <p role="status">Loading events…</p>}
      {events.data && (
        <>
          <p role="status">
            {events.data.total} {events.data.total === 1 ? "event" : "events"}
          </p>
          <ul className="event-list">
            {events.data.items.map((ev) => (
              <li key={ev.id} className="card">
                <h2>
                  <Link to={`/events/${ev.id}`}>{ev.title}</Link>
                </h2>
                <p className="meta">
                  {ev.event_type}
                  {cityName(ev.city_id) ? ` · ${cityName(ev.city_id)}` : ""}
                </p>
                <p>{ev.description}</p>
              </li>
            ))}
          </ul>
          <nav aria-label="Pages" className="pager">
            <button type="button" disabled={offset === 0} onClick={() => set({ offset: String(Math.max(0, offset - PAGE)) })}>
              Previous
            </button>
            <span>
              Page {Math.floor(offset / PAGE) + 1} of {Math.max(1, Math.ceil(events.data.total / PAGE))}
            </span>
            <button type="button" disabled={offset + PAGE >= events.data.total} onClick={() => set({ offset: String(offset + PAGE) })}>
              Next
            </button>
          </nav>
        </>
      )}
    </article>
  );
}
