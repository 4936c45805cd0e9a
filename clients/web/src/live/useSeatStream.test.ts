import { act, renderHook } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SeatMapChange, SeatMapSnapshot } from "../api/types";
import { useSeatStream } from "./useSeatStream";

/** A stand-in for the browser's EventSource: the test plays the server. */
class FakeEventSource {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSED = 2;
  static all: FakeEventSource[] = [];
  readyState = FakeEventSource.CONNECTING;
  closed = false;
  private listeners = new Map<string, ((e: Event) => void)[]>();
  constructor(readonly url: string) {
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, fn: (e: Event) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  close() {
    this.closed = true;
    this.readyState = FakeEventSource.CLOSED;
  }
  emit(type: string, data?: unknown) {
    const event = data === undefined ? new Event(type) : new MessageEvent(type, { data: JSON.stringify(data) });
    this.listeners.get(type)?.forEach((fn) => fn(event));
  }
}

const snapshot: SeatMapSnapshot = {
  version: 10,
  show: {
    id: 5,
    event_id: 1,
    kind: "seated",
    currency: "USD",
    starts_at: "2030-01-01T20:00:00Z",
    ends_at: "2030-01-01T22:00:00Z",
    screen_name: "1",
    total_seats: 2,
    available_seats: 2,
    seat_classes: [],
  },
  seats: {
    items: [
      { id: 1, row: "A", number: 1, label: "A1", class: "A", status: "available", is_booked: false, price: 100 },
      { id: 2, row: "A", number: 2, label: "A2", class: "A", status: "available", is_booked: false, price: 100 },
    ],
    total: 2,
    limit: 2,
    offset: 0,
  },
};
const change: SeatMapChange = {
  version: 11,
  previous_version: 10,
  held: [],
  booked: [2],
  available: [],
  classes: [],
  total_seats: 2,
  available_seats: 1,
};

describe("useSeatStream", () => {
  beforeEach(() => {
    FakeEventSource.all = [];
    vi.stubGlobal("EventSource", FakeEventSource);
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it("opens the show's stream, takes the snapshot, then applies changes", () => {
    const { result } = renderHook(() => useSeatStream(5));
    const source = FakeEventSource.all[0];
    expect(source.url).toBe("/api/v1/shows/5/seats/stream");
    expect(result.current.state).toBeNull();
    act(() => source.emit("snapshot", snapshot));
    expect(result.current.status).toBe("live");
    expect(result.current.state?.version).toBe(10);
    act(() => source.emit("change", change));
    expect(result.current.state?.version).toBe(11);
    expect(result.current.state?.show.available_seats).toBe(1);
    expect(result.current.state?.seats.find((s) => s.id === 2)?.status).toBe("booked");
  });

  it("leaves a dropped connection to the browser's own retry (which sends Last-Event-ID)", () => {
    const { result } = renderHook(() => useSeatStream(5));
    const source = FakeEventSource.all[0];
    act(() => source.emit("snapshot", snapshot));
    source.readyState = FakeEventSource.CONNECTING; // the browser is reconnecting
    act(() => source.emit("error"));
    expect(result.current.status).toBe("reconnecting");
    act(() => vi.advanceTimersByTime(10_000));
    expect(FakeEventSource.all).toHaveLength(1);
    expect(source.closed).toBe(false);
    // the replayed change after the reconnection applies on top of the kept state
    act(() => source.emit("open"));
    act(() => source.emit("change", change));
    expect(result.current.status).toBe("live");
    expect(result.current.state?.version).toBe(11);
  });

  it("opens a new stream 3 s after the server refused one (429) and keeps the map meanwhile", () => {
    const { result } = renderHook(() => useSeatStream(5));
    const first = FakeEventSource.all[0];
    act(() => first.emit("snapshot", snapshot));
    first.readyState = FakeEventSource.CLOSED;
    act(() => first.emit("error"));
    expect(result.current.state?.version).toBe(10);
    act(() => vi.advanceTimersByTime(2_999));
    expect(FakeEventSource.all).toHaveLength(1);
    act(() => vi.advanceTimersByTime(1));
    expect(FakeEventSource.all).toHaveLength(2);
    act(() => FakeEventSource.all[1].emit("snapshot", { ...snapshot, version: 12 }));
    expect(result.current.state?.version).toBe(12);
  });

  it("closes the stream when the page goes", () => {
    const { unmount } = renderHook(() => useSeatStream(5));
    unmount();
    expect(FakeEventSource.all[0].closed).toBe(true);
  });
});
