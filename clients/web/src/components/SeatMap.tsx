// The seat map: seats laid out by row and number, each a button labelled with its row, number,
// class, current price and status. Status is shown by colour AND by a mark and the label, never
// by colour alone. Arrow keys move between seats (one seat is in the tab order at a time);
// Enter or Space picks one.
import { useRef, useState, type KeyboardEvent } from "react";
import type { Seat } from "../api/types";
import { rowsOf } from "../live/seatMapState";
import { formatMoney } from "../util/money";

export type SeatView = "available" | "selected" | "held" | "booked" | "unpriced";

export function seatView(seat: Seat, selected: boolean): SeatView {
  if (selected) return "selected";
  if (seat.status === "available" && (seat.price === null || seat.price === undefined)) return "unpriced";
  return seat.status;
}

const STATUS_TEXT: Record<SeatView, string> = {
  available: "available",
  selected: "selected",
  held: "held by someone else",
  booked: "booked",
  unpriced: "not for sale",
};

const MARK: Record<SeatView, string> = {
  available: "",
  selected: "✓",
  held: "◔",
  booked: "✕",
  unpriced: "–",
};

export function seatLabel(seat: Seat, currency: string, selected: boolean): string {
  const price = seat.price !== null && seat.price !== undefined ? `, ${formatMoney(seat.price, currency)}` : "";
  return `Row ${seat.row} seat ${seat.number}, ${seat.class}${price}, ${STATUS_TEXT[seatView(seat, selected)]}`;
}

interface Props {
  seats: Seat[];
  currency: string;
  selected: ReadonlySet<number>;
  onToggle: (seat: Seat) => void;
}

export function SeatMap({ seats, currency, selected, onToggle }: Props) {
  const rows = rowsOf(seats);
  const [focusId, setFocusId] = useState<number | null>(null);
  const refs = useRef(new Map<number, HTMLButtonElement>());
  const tabStop = focusId ?? rows[0]?.seats[0]?.id ?? null;

  const move = (rowIdx: number, seatIdx: number) => {
    const row = rows[Math.max(0, Math.min(rows.length - 1, rowIdx))];
    if (!row) return;
    const seat = row.seats[Math.max(0, Math.min(row.seats.length - 1, seatIdx))];
    if (!seat) return;
    setFocusId(seat.id);
    refs.current.get(seat.id)?.focus();
  };

  const onKey = (e: KeyboardEvent<HTMLButtonElement>, rowIdx: number, seatIdx: number) => {
    const step: Record<string, [number, number]> = {
      ArrowLeft: [0, -1],
      ArrowRight: [0, 1],
      ArrowUp: [-1, 0],
      ArrowDown: [1, 0],
    };
    if (e.key in step) {
      e.preventDefault();
      const [dr, ds] = step[e.key];
      move(rowIdx + dr, seatIdx + ds);
    } else if (e.key === "Home") {
      e.preventDefault();
      move(rowIdx, 0);
    } else if (e.key === "End") {
      e.preventDefault();
      move(rowIdx, Number.MAX_SAFE_INTEGER);
    }
  };

  return (
    <div className="seat-map">
      <div className="screen" aria-hidden="true">
        Stage / screen
      </div>
      <div className="seat-rows" role="group" aria-label="Seat map: use the arrow keys to move between seats, Enter or Space to pick one">
        {rows.map((row, rowIdx) => (
          <div className="seat-row" role="group" aria-label={`Row ${row.row}`} key={row.row}>
            <span className="row-name" aria-hidden="true">
              {row.row}
            </span>
            {row.seats.map((seat, seatIdx) => {
              const isSelected = selected.has(seat.id);
              const view = seatView(seat, isSelected);
              const pickable = view === "available" || view === "selected";
              return (
                <button
                  key={seat.id}
                  ref={(el) => {
                    if (el) refs.current.set(seat.id, el);
                    else refs.current.delete(seat.id);
                  }}
                  type="button"
                  className={`seat seat-${view} class-${cssClassIndex(seat.class)}`}
                  data-seat-id={seat.id}
                  data-seat-label={seat.label}
                  data-status={view}
                  aria-label={seatLabel(seat, currency, isSelected)}
                  aria-pressed={isSelected}
                  aria-disabled={!pickable}
                  tabIndex={seat.id === tabStop ? 0 : -1}
                  onFocus={() => setFocusId(seat.id)}
                  onKeyDown={(e) => onKey(e, rowIdx, seatIdx)}
                  onClick={() => pickable && onToggle(seat)}
                >
                  <span className="seat-number">{seat.number}</span>
                  {MARK[view] && (
                    <span className="seat-mark" aria-hidden="true">
                      {MARK[view]}
                    </span>
                  )}
                </button>
              );
            })}
          </div>
        ))}
      </div>
    </div>
  );
}

const classIndex = new Map<string, number>();
/** A stable small number per class name, for its outline colour. */
function cssClassIndex(name: string): number {
  let idx = classIndex.get(name);
  if (idx === undefined) {
    idx = classIndex.size % 6;
    classIndex.set(name, idx);
  }
  return idx;
}

export function SeatLegend() {
  const items: SeatView[] = ["available", "selected", "held", "booked", "unpriced"];
  return (
    <ul className="legend" aria-label="Legend">
      {items.map((v) => (
        <li key={v}>
          <span className={`seat seat-${v} legend-swatch`} aria-hidden="true">
            {MARK[v] || "7"}
          </span>
          {STATUS_TEXT[v] === "held by someone else" ? "held (someone is paying)" : STATUS_TEXT[v]}
        </li>
      ))}
    </ul>
  );
}
