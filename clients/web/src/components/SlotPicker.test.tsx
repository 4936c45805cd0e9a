import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Slot, SlotList } from "../api/types";

vi.mock("../api", () => ({ getSlots: vi.fn() }));
import * as api from "../api";
import { groupByLocalDate, SlotPicker, slotLabel } from "./SlotPicker";

// Monday 7 December 2026, 04:00 in Berlin (UTC+1)
const NOW = new Date("2026-12-07T03:00:00Z");

const slot = (startsAt: string, localStart: string, remaining = 1): Slot => {
  const end = new Date(Date.parse(startsAt) + 3_600_000).toISOString().replace(".000Z", "Z");
  const [d, t] = localStart.split("T");
  const hour = String(Number(t.slice(0, 2)) + 1).padStart(2, "0");
  return {
    starts_at: startsAt,
    ends_at: end,
    local_start: localStart,
    local_end: `${d}T${hour}${t.slice(2)}`,
    utc_offset_seconds: 3600,
    remaining,
  };
};

const SLOTS = [
  slot("2026-12-07T09:00:00Z", "2026-12-07T10:00:00"),
  slot("2026-12-07T10:00:00Z", "2026-12-07T11:00:00"),
  slot("2026-12-08T08:00:00Z", "2026-12-08T09:00:00"),
  // Tuesday 23:30 UTC is already Wednesday 00:30 in Berlin: it belongs to Wednesday
  slot("2026-12-08T23:30:00Z", "2026-12-09T00:30:00"),
  slot("2026-12-09T13:00:00Z", "2026-12-09T14:00:00"),
];

const list = (items: Slot[]): SlotList => ({
  service_id: 7,
  time_zone: "Europe/Berlin",
  from: "2026-12-07T03:00:00Z",
  to: "2026-12-13T23:00:00Z",
  items,
});

function Harness({ capacity = 1, onSelect = () => {} }: { capacity?: number; onSelect?: (s: Slot) => void }) {
  const [picked, setPicked] = useState<string | null>(null);
  return (
    <SlotPicker
      serviceId={7}
      timeZone="Europe/Berlin"
      capacity={capacity}
      maxAdvanceDays={20}
      selected={picked}
      onSelect={(s) => {
        setPicked(s.starts_at);
        onSelect(s);
      }}
      now={NOW}
    />
  );
}

const day = (name: string) => screen.getByRole("group", { name });

describe("groupByLocalDate", () => {
  it("groups by the provider's local date, every day of the week listed", () => {
    const days = groupByLocalDate(SLOTS, "2026-12-07");
    expect(days.map((d) => d.date)).toEqual([
      "2026-12-07",
      "2026-12-08",
      "2026-12-09",
      "2026-12-10",
      "2026-12-11",
      "2026-12-12",
      "2026-12-13",
    ]);
    expect(days.map((d) => d.slots.length)).toEqual([2, 1, 2, 0, 0, 0, 0]);
    expect(days[2].slots[0].local_start).toBe("2026-12-09T00:30:00");
  });

  it("labels a one-to-one slot with its local time, a class slot with the places left", () => {
    expect(slotLabel(SLOTS[0], 1)).toBe("10:00 AM");
    expect(slotLabel({ ...SLOTS[0], remaining: 3 }, 5)).toBe("10:00 AM · 3 places left");
    expect(slotLabel({ ...SLOTS[0], remaining: 1 }, 5)).toBe("10:00 AM · 1 place left");
  });
});

describe("SlotPicker", () => {
  beforeEach(() => {
    vi.resetAllMocks();
    vi.mocked(api.getSlots).mockResolvedValue(list(SLOTS));
  });

  it("asks for this week in the provider's zone and shows the slots under their local dates", async () => {
    render(<Harness />);
    await screen.findByRole("button", { name: "10:00 AM" });
    // from now to the end of Sunday 13 December in Berlin (midnight = 23:00 UTC)
    expect(api.getSlots).toHaveBeenCalledWith(7, "2026-12-07T03:00:00.000Z", "2026-12-13T23:00:00.000Z");
    expect(screen.getByText(/Times are in/).textContent).toBe("Times are in Europe/Berlin, the provider's time zone.");
    const names = (g: HTMLElement) => within(g).queryAllByRole("button").map((b) => b.textContent);
    expect(names(day("Monday, December 7"))).toEqual(["10:00 AM", "11:00 AM"]);
    expect(names(day("Tuesday, December 8"))).toEqual(["09:00 AM"]);
    expect(names(day("Wednesday, December 9"))).toEqual(["12:30 AM", "02:00 PM"]);
    expect(within(day("Thursday, December 10")).getByText("No free times")).toBeTruthy();
  });

  it("shows a class's places left on each slot", async () => {
    vi.mocked(api.getSlots).mockResolvedValue(
      list([slot("2026-12-07T09:00:00Z", "2026-12-07T10:00:00", 4), slot("2026-12-07T10:00:00Z", "2026-12-07T11:00:00", 1)]),
    );
    render(<Harness capacity={5} />);
    expect(await screen.findByRole("button", { name: "10:00 AM · 4 places left" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "11:00 AM · 1 place left" })).toBeTruthy();
  });

  it("picks a slot by click, pressed and marked", async () => {
    const onSelect = vi.fn();
    render(<Harness onSelect={onSelect} />);
    const b = await screen.findByRole("button", { name: "11:00 AM" });
    await userEvent.click(b);
    expect(onSelect).toHaveBeenCalledWith(SLOTS[1]);
    expect(b.getAttribute("aria-pressed")).toBe("true");
    expect(b.textContent).toContain("✓"); // not only colour
    expect(screen.getByRole("button", { name: "10:00 AM" }).getAttribute("aria-pressed")).toBe("false");
  });

  it("is one tab stop; the arrows, Home and End move between slots; Enter picks", async () => {
    const onSelect = vi.fn();
    render(<Harness onSelect={onSelect} />);
    await screen.findByRole("button", { name: "10:00 AM" });
    const tabbable = screen.getAllByRole("button").filter((b) => b.dataset.startsAt && b.tabIndex === 0);
    expect(tabbable.map((b) => b.textContent)).toEqual(["10:00 AM"]);

    // Tab past the week buttons: the first slot is the only stop among the slots
    await userEvent.tab();
    while (!document.activeElement?.getAttribute("data-starts-at")) await userEvent.tab();
    const focused = () => (document.activeElement as HTMLElement).dataset.startsAt;
    expect(focused()).toBe("2026-12-07T09:00:00Z");
    await userEvent.keyboard("{ArrowRight}");
    expect(focused()).toBe("2026-12-07T10:00:00Z");
    await userEvent.keyboard("{ArrowDown}"); // the next day: Tuesday has one slot
    expect(focused()).toBe("2026-12-08T08:00:00Z");
    await userEvent.keyboard("{ArrowDown}"); // Wednesday, the same position
    expect(focused()).toBe("2026-12-08T23:30:00Z");
    await userEvent.keyboard("{End}");
    expect(focused()).toBe("2026-12-09T13:00:00Z");
    await userEvent.keyboard("{ArrowDown}"); // no later day with slots: stays
    expect(focused()).toBe("2026-12-09T13:00:00Z");
    await userEvent.keyboard("{Home}");
    expect(focused()).toBe("2026-12-08T23:30:00Z");
    await userEvent.keyboard("{ArrowUp}{ArrowLeft}");
    expect(focused()).toBe("2026-12-07T10:00:00Z");
    await userEvent.keyboard("{Enter}");
    expect(onSelect).toHaveBeenCalledWith(SLOTS[1]);
    // the picked slot is now the one tab stop
    const stops = screen.getAllByRole("button").filter((b) => b.dataset.startsAt && b.tabIndex === 0);
    expect(stops.map((b) => b.dataset.startsAt)).toEqual(["2026-12-07T10:00:00Z"]);
  });

  it("goes a week at a time, from the provider's midnight, never before this week", async () => {
    render(<Harness />);
    await screen.findByRole("button", { name: "10:00 AM" });
    const previous = screen.getByRole("button", { name: /Previous week/ }) as HTMLButtonElement;
    expect(previous.disabled).toBe(true);
    expect(screen.getByText("Dec 7, 2026 – Dec 13, 2026")).toBeTruthy();
    vi.mocked(api.getSlots).mockResolvedValue(list([]));
    await userEvent.click(screen.getByRole("button", { name: /Next week/ }));
    expect(await screen.findByText("No free times this week.")).toBeTruthy();
    expect(api.getSlots).toHaveBeenLastCalledWith(7, "2026-12-13T23:00:00.000Z", "2026-12-20T23:00:00.000Z");
    expect(screen.getByText("Dec 14, 2026 – Dec 20, 2026")).toBeTruthy();
    expect(previous.disabled).toBe(false);
    // bookings are taken 20 days ahead: the week of 21 December is still in, the one after not
    await userEvent.click(screen.getByRole("button", { name: /Next week/ }));
    await screen.findByText("Dec 21, 2026 – Dec 27, 2026");
    expect((screen.getByRole("button", { name: /Next week/ }) as HTMLButtonElement).disabled).toBe(true);
    await userEvent.click(previous);
    await userEvent.click(previous);
    expect(api.getSlots).toHaveBeenLastCalledWith(7, "2026-12-07T03:00:00.000Z", "2026-12-13T23:00:00.000Z");
  });
});
