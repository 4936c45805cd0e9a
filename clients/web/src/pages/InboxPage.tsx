import { useEffect, useState } from "react";
import { Link } from "react-router-dom";
import { listNotifications, markAllRead, markRead } from "../api";
import { ErrorMessage } from "../components/ErrorMessage";
import { useAsync } from "../components/useAsync";
import { useInbox } from "../inbox";
import { formatDateTime } from "../util/time";

const PAGE = 20;

export function InboxPage() {
  const inbox = useInbox();
  const [offset, setOffset] = useState(0);
  const { data, error, reload } = useAsync(() => listNotifications(PAGE, offset), [offset]);
  const [actionError, setActionError] = useState<unknown>(null);
  // a new notification on the stream shows up at once
  useEffect(() => {
    if (inbox.latest) reload();
  }, [inbox.latest, reload]);

  const act = async (f: () => Promise<unknown>) => {
    try {
      await f();
      reload();
      inbox.refresh();
    } catch (err) {
      setActionError(err);
    }
  };

  return (
    <article>
      <h1>Notifications</h1>
      <p role="status">
        {inbox.unread} unread{" "}
        {inbox.unread > 0 && (
          <button type="button" onClick={() => act(markAllRead)}>
            Mark all as read
          </button>
        )}
      </p>
      <ErrorMessage error={error ?? actionError} />
      {data && data.items.length === 0 && <p>Nothing yet.</p>}
      <ul className="notifications">
        {data?.items.map((n) => (
          <li key={n.id} className={`card ${n.read_at ? "read" : "unread"}`}>
            <h2>
              {!n.read_at && <span className="badge">New</span>} {n.title}
            </h2>
            <p className="meta">{formatDateTime(n.created_at)}</p>
            <p>{n.body}</p>
            {n.booking_id && <Link to={`/bookings/${n.booking_id}`}>Open the booking</Link>}{" "}
            {!n.read_at && (
              <button type="button" onClick={() => act(() => markRead(n.id))}>
                Mark as read
              </button>
            )}
          </li>
        ))}
      </ul>
      {data && data.total > PAGE && (
        <nav aria-label="Pages" className="pager">
          <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            Newer
          </button>
          <button type="button" disabled={offset + PAGE >= data.total} onClick={() => setOffset(offset + PAGE)}>
            Older
          </button>
        </nav>
      )}
    </article>
  );
}
