import { describe, expect, it } from "vitest";
import type { Seat, SeatClass, SeatMapChange, SeatMapSnapshot, Show } from "../api/types";
import { applyChange, fromSnapshot, markTaken, rowsOf } from "./seatMapState";

const cls = (id: number, name: string, price: number, available: number): SeatClass => ({
  id,
  name,
  current_price: price,
  available_seats: available,
  booked_seats: 0,
  held_seats: 0,
  for_sale: true,
  tier: "min",
  total_seats: 4,
  min_price: price,
  normal_price: price,
  max_price: price,
});
const seat = (id: number, row: string, number: number, klass = "A", price = 1000): Seat => ({
  id,
  row,
  number,
  label: `${row}${number}`,
  class: klass,
  status: "available",
  is_booked: false,
  price,
  held_until: null,
});
const show: Show = {
  id: 7,
  event_id: 1,
  kind: "seated",
  currency: "USD",
  starts_at: "2030-01-01T20:00:00Z",
  ends_at: "2030-01-01T22:00:00Z",
  screen_name: "Main hall",
  total_seats: 4,
  available_seats: 4,
  seat_classes: [cls(1, "A", 1000, 4)],
} as Show;
const snapshot: SeatMapSnapshot = {
  version: 3,
  show,
  seats: { items: [seat(1, "A", 2), seat(2, "A", 1), seat(3, "B", 1), seat(4, "B", 2)], total: 4, limit: 4, offset: 0 },
};
const change = (c: Partial<SeatMapChange>): SeatMapChange => ({
  version: 4,
  previous_version: 3,
  held: [],
  booked: [],
  available: [],
  classes: [],
  total_seats: 4,
  available_seats: 4,
  ...c,
});

describe("seat map state", () => {
  it("applies a change's statuses, counts and class prices", () => {
    const next = applyChange(
      fromSnapshot(snapshot),
      change({ held: [1], booked: [3], available_seats: 2, classes: [cls(1, "A", 1500, 2)] }),
    );
    expect(next.version).toBe(4);
    expect(next.show.available_seats).toBe(2);
    expect(next.show.seat_classes[0].current_price).toBe(1500);
    const byId = new Map(next.seats.map((s) => [s.id, s]));
    expect(byId.get(1)?.status).toBe("held");
    expect(byId.get(3)?.status).toBe("booked");
    expect(byId.get(3)?.is_booked).toBe(true);
    expect(byId.get(2)?.status).toBe("available");
    expect(byId.get(2)?.price).toBe(1500);
  });

  it("frees seats again", () => {
    const held = applyChange(fromSnapshot(snapshot), change({ held: [1, 2], available_seats: 2 }));
    const freed = applyChange(held, change({ version: 5, previous_version: 4, available: [1, 2] }));
    expect(freed.seats.every((s) => s.status === "available")).toBe(true);
  });

  it("ignores a change that is not newer than the state", () => {
    const state = fromSnapshot(snapshot);
    expect(applyChange(state, change({ version: 3, held: [1] }))).toBe(state);
  });

  it("marks seats a refusal named as taken", () => {
    const next = markTaken(fromSnapshot(snapshot), ["B1"]);
    expect(next.seats.find((s) => s.label === "B1")?.status).toBe("held");
    expect(next.seats.filter((s) => s.status === "held")).toHaveLength(1);
  });

  it("lays seats out by row, then number", () => {
    const rows = rowsOf([seat(1, "B", 2), seat(2, "A", 10), seat(3, "A", 2), seat(4, "AA", 1)]);
    expect(rows.map((r) => r.row)).toEqual(["A", "AA", "B"]);
    expect(rows[0].seats.map((s) => s.number)).toEqual([2, 10]);
  });
});
