// Follows a show's seat-map stream. The browser's EventSource reconnects by itself after a
// drop and sends Last-Event-ID (the last version seen): the server then replays the missed
// changes or sends a fresh snapshot. When the server refuses (429, 404) the stream is closed
// and opened again after a pause.
import { useEffect, useRef, useState } from "react";
import { API_BASE } from "../api/http";
import type { SeatMapChange, SeatMapSnapshot } from "../api/types";
import { applyChange, fromSnapshot, type SeatMapState } from "./seatMapState";

export type StreamStatus = "connecting" | "live" | "reconnecting";

export function useSeatStream(showId: number) {
  const [state, setState] = useState<SeatMapState | null>(null);
  const [status, setStatus] = useState<StreamStatus>("connecting");
  const stateRef = useRef<SeatMapState | null>(null);

  useEffect(() => {
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const update = (next: SeatMapState) => {
      stateRef.current = next;
      setState(next);
    };
    const open = () => {
      source = new EventSource(`${API_BASE}/shows/${showId}/seats/stream`);
      source.addEventListener("open", () => setStatus("live"));
      source.addEventListener("snapshot", (e) => {
        update(fromSnapshot(JSON.parse((e as MessageEvent<string>).data) as SeatMapSnapshot));
        setStatus("live");
      });
      source.addEventListener("change", (e) => {
        const current = stateRef.current;
        if (current) update(applyChange(current, JSON.parse((e as MessageEvent<string>).data) as SeatMapChange));
      });
      source.addEventListener("error", () => {
        if (stopped || !source) return;
        setStatus("reconnecting");
        if (source.readyState === EventSource.CLOSED) {
          source.close();
          retry = setTimeout(open, 3000);
        }
      });
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(retry);
      source?.close();
    };
  }, [showId]);

  /** Lets the page change the state at once (e.g. mark seats a 409 named). */
  const patch = (f: (s: SeatMapState) => SeatMapState) => {
    if (stateRef.current) {
      const next = f(stateRef.current);
      stateRef.current = next;
      setState(next);
    }
  };

  return { state, status, patch };
}
