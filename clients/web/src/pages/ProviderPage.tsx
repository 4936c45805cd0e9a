// A provider's events and shows, and the CSV import of a show's seat map and prices with the
// rejected line shown.
import { useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { getEvent, importCsv, myEvents, type CsvKind } from "../api";
import { toApiError } from "../api/errors";
import type { ImportResult, Show } from "../api/types";
import { useSession } from "../auth";
import { ErrorMessage } from "../components/ErrorMessage";
import { useAsync } from "../components/useAsync";
import { formatDateTime } from "../util/time";

function CsvProblem({ error }: { error: unknown }) {
  const e = toApiError(error);
  if (e.code !== "invalid_csv") return <ErrorMessage error={error} />;
  const d = e.details ?? {};
  return (
    <div role="alert" className="error" data-testid="csv-error">
      <p>The file was rejected; nothing was imported.</p>
      <p>
        {d["line"] !== undefined && <>Line {String(d["line"])}</>}
        {d["column"] !== undefined && d["column"] !== null && <>, column {String(d["column"])}</>}
        {": "}
        {String(d["problem"] ?? e.message)}
      </p>
    </div>
  );
}

function ImportForm({ show }: { show: Show }) {
  const [kind, setKind] = useState<CsvKind>("seats");
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await importCsv(show.id, kind, file));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const id = `show-${show.id}`;
  return (
    <form onSubmit={submit} className="import-form" aria-label={`Import a CSV into the show of ${formatDateTime(show.starts_at)}`}>
      <label htmlFor={`${id}-kind`}>CSV of</label>
      <select id={`${id}-kind`} value={kind} onChange={(e) => setKind(e.target.value as CsvKind)}>
        <option value="seats">seats (the seat map)</option>
        <option value="pricing">prices (per seat class)</option>
      </select>
      <label htmlFor={`${id}-file`}>File</label>
      <input id={`${id}-file`} type="file" accept=".csv,text/csv" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      <button type="submit" disabled={!file || busy}>
        Upload
      </button>
      {result && (
        <p role="status" data-testid="csv-result">
          Imported {result.rows} rows: {result.created} created, {result.updated} updated, {result.unchanged} unchanged.
        </p>
      )}
      {error !== null && <CsvProblem error={error} />}
    </form>
  );
}

function EventShows({ eventId }: { eventId: number }) {
  const { data, error } = useAsync(() => getEvent(eventId), [eventId]);
  if (error) return <ErrorMessage error={error} />;
  if (!data) return <p role="status">Loading shows…</p>;
  if (!data.shows.length) return <p>No shows.</p>;
  return (
    <ul>
      {data.shows.map((s) => (
        <li key={s.id}>
          <p>
            <Link to={`/shows/${s.id}`}>{formatDateTime(s.starts_at)}</Link> · {s.kind === "seated" ? "seated" : "general admission"} ·{" "}
            {s.available_seats} of {s.total_seats} available
          </p>
          {s.kind === "seated" && <ImportForm show={s} />}
        </li>
      ))}
    </ul>
  );
}

const PAGE = 20;

export function ProviderPage() {
  const session = useSession();
  const [offset, setOffset] = useState(0);
  const { data, error } = useAsync(
    () => (session ? myEvents(session.user.id, PAGE, offset) : Promise.resolve(null)),
    [session?.user.id, offset],
  );
  if (!session || (session.user.role !== "provider" && session.user.role !== "admin")) {
    return <p>This page is for providers. <Link to="/login">Log in</Link> with a provider account.</p>;
  }
  return (
    <article>
      <h1>My events</h1>
      <p>
        <Link to="/provider/appointments">My appointments</Link>: the bookings of your services, with Accept and Decline for
        the ones waiting for you.
      </p>
      <p>
        CSV files: seats as <code>id,seat_identifier,seat_class</code> (one row per seat), prices as{" "}
        <code>id,seat_class,min_price,normal_price,max_price</code> (one row per class). A rejected file imports nothing
        and names the line.
      </p>
      <ErrorMessage error={error} />
      {data && data.items.length === 0 && <p>You have no events yet.</p>}
      <ul>
        {data?.items.map((ev) => (
          <li key={ev.id} className="card">
            <h2>{ev.title}</h2>
            <EventShows eventId={ev.id} />
          </li>
        ))}
      </ul>
      {data && data.total > PAGE && (
        <nav aria-label="Pages" className="pager">
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            Previous
          </button>
          <button type="button" disabled={offset + PAGE >= data.total} onClick={() => setOffset(offset + PAGE)}>
            Next
          </button>
        </nav>
      )}
    </article>
  );
}
