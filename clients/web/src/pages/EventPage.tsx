import { Link, useParams } from "react-router-dom";
import { getEvent } from "../api";
import { ErrorMessage } from "../components/ErrorMessage";
import { Money } from "../components/Money";
import { useAsync } from "../components/useAsync";
import { formatDateTime } from "../util/time";

export function EventPage() {
  const id = Number(useParams().eventId);
  const { data: event, error } = useAsync(() => getEvent(id), [id]);
  if (error) return <ErrorMessage error={error} />;
  if (!event) return <p role="status">Loading…</p>;
  const shows = [...event.shows].sort((a, b) => a.starts_at.localeCompare(b.starts_at));
  return (
    <article>
      <p>
        <Link to="/">← All events</Link>
      </p>
      <h1>{event.title}</h1>
      <p className="meta">{event.event_type}</p>
      <p>{event.description}</p>
      <h2>Shows</h2>
      {shows.length === 0 && <p>No shows yet.</p>}
      <ul className="show-list">
        {shows.map((s) => {
          const prices = s.seat_classes
            .map((c) => c.current_price)
            .filter((p): p is number => typeof p === "number");
          const from = s.kind === "general" ? s.price : prices.length ? Math.min(...prices) : null;
          return (
            <li key={s.id} className="card">
              <h3>
                <Link to={`/shows/${s.id}`}>{formatDateTime(s.starts_at)}</Link>
              </h3>
              <p>
                {s.screen_name ? `${s.screen_name} · ` : ""}
                {s.kind === "seated" ? "Reserved seating" : "General admission"} · {s.available_seats} of {s.total_seats}{" "}
                available
                {from !== null && from !== undefined && (
                  <>
                    {" "}
                    · from <Money amount={from} currency={s.currency} />
                  </>
                )}
              </p>
            </li>
          );
        })}
      </ul>
    </article>
  );
}
