// Follows the signed-in user's notifications stream. Browsers' EventSource cannot send an
// Authorization header, so each connection opens with a single-use ticket
// (POST /notifications/stream-ticket); after a drop a new ticket is fetched.
import { useEffect } from "react";
import { API_BASE } from "../api/http";
import { streamTicket } from "../api";
import type { Notification } from "../api/types";

export function useNotificationStream(enabled: boolean, onNotification: (n: Notification) => void) {
  useEffect(() => {
    if (!enabled) return;
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const open = async () => {
      try {
        const { ticket } = await streamTicket();
        if (stopped) return;
        source = new EventSource(`${API_BASE}/notifications/stream?ticket=${encodeURIComponent(ticket)}`);
        source.addEventListener("notification", (e) => {
          onNotification(JSON.parse((e as MessageEvent<string>).data) as Notification);
        });
        source.addEventListener("error", () => {
          // a ticket is good once: reconnect with a new one instead of the browser's retry
          source?.close();
          if (!stopped) retry = setTimeout(open, 3000);
        });
      } catch {
        if (!stopped) retry = setTimeout(open, 10_000);
      }
    };
    void open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      source?.close();
    };
    // onNotification is read at call time through the closure of the latest render
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [enabled]);
}
