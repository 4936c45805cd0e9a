import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Booking, Service, Slot } from "../api/types";

vi.mock("../api", () => ({
  getService: vi.fn(),
  getSlots: vi.fn(),
  moveAppointment: vi.fn(),
}));
import * as api from "../api";
import { ApiError } from "../api/errors";
import { MovePanel, movable } from "./MovePanel";

const slot = (startsAt: string, local: string): Slot => ({
  starts_at: startsAt,
  ends_at: startsAt,
  local_start: local,
  local_end: local,
  utc_offset_seconds: 3600,
  remaining: 1,
});
const A = slot("2030-01-08T09:00:00Z", "2030-01-08T10:00:00");
const B = slot("2030-01-08T10:00:00Z", "2030-01-08T11:00:00");

const appointment = (status: Booking["status"], startsAt = "2030-01-07T09:00:00Z", local = "2030-01-07T10:00:00"): Booking =>
  ({
    id: "b1",
    reference: "BX-1",
    kind: "appointment",
    status,
    currency: "EUR",
    total_amount: 0,
    items: [],
    payments: [],
    show_id: null,
    appointment: {
      service_id: 7,
      service_title: "Haircut",
      provider_id: "p1",
      starts_at: startsAt,
      ends_at: startsAt,
      time_zone: "Europe/Berlin",
      local_start: local,
      local_end: local.replace("T10:", "T11:").replace("T11:00", "T12:00"),
      places: 1,
      notes: "",
    },
  }) as unknown as Booking;

describe("MovePanel", () => {
  beforeEach(() => {
    vi.resetAllMocks();
    vi.mocked(api.getService).mockResolvedValue({
      id: 7,
      availability: { capacity: 1, max_advance_days: 60, time_zone: "Europe/Berlin" },
    } as unknown as Service);
    vi.mocked(api.getSlots).mockResolvedValue({ service_id: 7, time_zone: "Europe/Berlin", from: "", to: "", items: [A, B] });
  });

  it("is offered for an active appointment not yet started, not for a show's booking or a cancelled one", () => {
    const now = Date.parse("2029-12-31T00:00:00Z");
    expect(movable(appointment("confirmed"), now)).toBe(true);
    expect(movable(appointment("pending"), now)).toBe(true);
    expect(movable(appointment("cancelled"), now)).toBe(false);
    expect(movable(appointment("confirmed"), Date.parse("2030-01-07T09:00:00Z"))).toBe(false);
    expect(movable({ ...appointment("confirmed"), appointment: null } as Booking, now)).toBe(false);
  });

  it("moves to the slot picked in the picker", async () => {
    const moved = appointment("confirmed", B.starts_at, B.local_start);
    vi.mocked(api.moveAppointment).mockResolvedValue(moved);
    const onMoved = vi.fn();
    render(
      <MemoryRouter>
        <MovePanel booking={appointment("confirmed")} onMoved={onMoved} />
      </MemoryRouter>,
    );
    await userEvent.click(screen.getByRole("button", { name: "Move booking BX-1 to another time…" }));
    const move = screen.getByRole("button", { name: "Move to this time" }) as HTMLButtonElement;
    expect(move.disabled).toBe(true);
    await userEvent.click(await screen.findByRole("button", { name: "11:00 AM" }));
    await userEvent.click(move);
    expect(api.moveAppointment).toHaveBeenCalledWith("b1", B.starts_at);
    expect(onMoved).toHaveBeenCalledWith(moved);
    expect((await screen.findByTestId("moved-message")).textContent).toBe(
      "Moved: Tue, Jan 8, 2030, 11:00 AM – 12:00 PM (Europe/Berlin).",
    );
  });

  it("says when the new slot was just taken, and asks for the slots again", async () => {
    vi.mocked(api.moveAppointment).mockRejectedValue(new ApiError(409, "slot_taken", "taken"));
    render(
      <MemoryRouter>
        <MovePanel booking={appointment("confirmed")} onMoved={() => {}} />
      </MemoryRouter>,
    );
    await userEvent.click(screen.getByRole("button", { name: /Move booking BX-1/ }));
    await userEvent.click(await screen.findByRole("button", { name: "10:00 AM" }));
    vi.mocked(api.getSlots).mockResolvedValue({ service_id: 7, time_zone: "Europe/Berlin", from: "", to: "", items: [B] });
    await userEvent.click(screen.getByRole("button", { name: "Move to this time" }));
    expect((await screen.findByRole("alert")).textContent).toMatch(/just taken by someone else/);
    await screen.findByRole("button", { name: "11:00 AM" });
    expect(screen.queryByRole("button", { name: "10:00 AM" })).toBeNull();
    expect(api.getSlots).toHaveBeenCalledTimes(2);
  });
});
