// The seat map as the show's stream (GET /shows/{id}/seats/stream) describes it: a snapshot,
// then changes that name seats by id and give the new counts and class prices.
import type { Seat, SeatClass, SeatMapChange, SeatMapSnapshot, Show } from "../api/types";

export interface SeatMapState {
  version: number;
  show: Show;
  seats: Seat[];
}

export function fromSnapshot(snapshot: SeatMapSnapshot): SeatMapState {
  return { version: snapshot.version, show: snapshot.show, seats: snapshot.seats.items };
}

function withClasses(current: SeatClass[], changed: SeatClass[]): SeatClass[] {
  if (!changed.length) return current;
  const byId = new Map(changed.map((c) => [c.id, c]));
  return current.map((c) => byId.get(c.id) ?? c);
}

/** Applies a change; a change that does not follow the state's version is ignored (the
 * stream sends a snapshot when it cannot give the missed changes). */
export function applyChange(state: SeatMapState, change: SeatMapChange): SeatMapState {
  if (change.version <= state.version) return state;
  const status = new Map<number, Seat["status"]>();
  change.held.forEach((id) => status.set(id, "held"));
  change.booked.forEach((id) => status.set(id, "booked"));
  change.available.forEach((id) => status.set(id, "available"));
  const classes = withClasses(state.show.seat_classes, change.classes);
  const priceOf = new Map(classes.map((c) => [c.name, c.current_price]));
  const seats = state.seats.map((seat) => {
    const next = status.get(seat.id);
    const price = priceOf.get(seat.class);
    const moved = next !== undefined && next !== seat.status;
    const repriced = price !== undefined && price !== null && price !== seat.price;
    if (!moved && !repriced) return seat;
    return {
      ...seat,
      status: next ?? seat.status,
      is_booked: (next ?? seat.status) === "booked",
      held_until: (next ?? seat.status) === "held" ? seat.held_until : null,
      price: repriced ? (price as number) : seat.price,
    };
  });
  return {
    version: change.version,
    seats,
    show: {
      ...state.show,
      seat_classes: classes,
      available_seats: change.available_seats,
      total_seats: change.total_seats,
    },
  };
}

/** Marks seats taken at once (a 409 seat_unavailable named them), before the stream says so. */
export function markTaken(state: SeatMapState, labels: string[]): SeatMapState {
  if (!labels.length) return state;
  const set = new Set(labels);
  return {
    ...state,
    seats: state.seats.map((s) => (set.has(s.label) && s.status === "available" ? { ...s, status: "held" } : s)),
  };
}

/** Rows in order, each with its seats by number. */
export function rowsOf(seats: Seat[]): { row: string; seats: Seat[] }[] {
  const rows = new Map<string, Seat[]>();
  for (const seat of seats) {
    const list = rows.get(seat.row) ?? [];
    list.push(seat);
    rows.set(seat.row, list);
  }
  const collator = new Intl.Collator("en", { numeric: true });
  return [...rows.entries()]
    .sort(([a], [b]) => collator.compare(a, b))
    .map(([row, list]) => ({ row, seats: list.sort((a, b) => a.number - b.number) }));
}
