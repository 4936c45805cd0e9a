import { fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it } from "vitest";
import type { Seat } from "../api/types";
import { SeatMap } from "./SeatMap";

const seat = (id: number, row: string, number: number, status: Seat["status"] = "available", klass = "Premium"): Seat => ({
  id,
  row,
  number,
  label: `${row}${number}`,
  class: klass,
  status,
  is_booked: status === "booked",
  price: 1200,
  held_until: null,
});

function Harness({ seats }: { seats: Seat[] }) {
  const [selected, setSelected] = useState<Set<number>>(new Set());
  return (
    <SeatMap
      seats={seats}
      currency="USD"
      selected={selected}
      onToggle={(s) =>
        setSelected((prev) => {
          const next = new Set(prev);
          if (next.has(s.id)) next.delete(s.id);
          else next.add(s.id);
          return next;
        })
      }
    />
  );
}

const seats = [seat(1, "C", 7), seat(2, "C", 8, "booked"), seat(3, "D", 7, "held"), seat(4, "D", 8)];

describe("SeatMap", () => {
  it("labels every seat with row, number, class, price and status", () => {
    render(<Harness seats={seats} />);
    expect(screen.getByRole("button", { name: "Row C seat 7, Premium, $12.00, available" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Row C seat 8, Premium, $12.00, booked" })).toBeTruthy();
    expect(screen.getByRole("button", { name: /Row D seat 7, .*held by someone else/ })).toBeTruthy();
  });

  it("picks and unpicks a seat by click, and refuses a taken one", async () => {
    render(<Harness seats={seats} />);
    const c7 = screen.getByRole("button", { name: /Row C seat 7,/ });
    await userEvent.click(c7);
    expect(c7.getAttribute("aria-pressed")).toBe("true");
    expect(c7.getAttribute("aria-label")).toMatch(/selected$/);
    expect(c7.textContent).toContain("✓"); // not only colour
    await userEvent.click(c7);
    expect(c7.getAttribute("aria-pressed")).toBe("false");
    const booked = screen.getByRole("button", { name: /Row C seat 8,/ });
    await userEvent.click(booked);
    expect(booked.getAttribute("aria-pressed")).toBe("false");
    expect(booked.getAttribute("aria-disabled")).toBe("true");
  });

  it("moves with the arrow keys and picks with Enter and Space", async () => {
    render(<Harness seats={seats} />);
    const c7 = screen.getByRole("button", { name: /Row C seat 7,/ });
    // one tab stop for the whole map
    expect(screen.getAllByRole("button").filter((b) => b.tabIndex === 0)).toEqual([c7]);
    c7.focus();
    fireEvent.keyDown(c7, { key: "ArrowDown" });
    const d7 = screen.getByRole("button", { name: /Row D seat 7,/ });
    expect(document.activeElement).toBe(d7);
    fireEvent.keyDown(d7, { key: "ArrowRight" });
    const d8 = screen.getByRole("button", { name: /Row D seat 8,/ });
    expect(document.activeElement).toBe(d8);
    await userEvent.keyboard("{Enter}");
    expect(d8.getAttribute("aria-pressed")).toBe("true");
    await userEvent.keyboard(" ");
    expect(d8.getAttribute("aria-pressed")).toBe("false");
    expect(d8.tabIndex).toBe(0);
  });
});
