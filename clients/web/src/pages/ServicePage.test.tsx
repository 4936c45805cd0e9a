import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router-dom";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Booking, Service, Slot } from "../api/types";

vi.mock("../api", () => ({
  getService: vi.fn(),
  listCategories: vi.fn(),
  getSlots: vi.fn(),
  createBooking: vi.fn(),
}));
import * as api from "../api";
import { ApiError } from "../api/errors";
import { guestBookings } from "../api/session";
import { SessionProvider } from "../auth";
import { ServicePage } from "./ServicePage";

const service = (over: Partial<Service> = {}): Service =>
  ({
    id: 7,
    provider_id: "p1",
    title: "Haircut",
    description: "Wash, cut\nand dry",
    category_id: 1,
    price: 2500,
    currency: "EUR",
    availability: {
      time_zone: "Europe/Berlin",
      weekly: [],
      exceptions: [],
      duration_minutes: 60,
      buffer_before_minutes: 0,
      buffer_after_minutes: 15,
      capacity: 1,
      min_notice_minutes: 0,
      max_advance_days: 60,
    },
    requires_acceptance: false,
    full_refund_hours_before: 24,
    late_refund_percent: 50,
    reminder_minutes_before: null,
    image_urls: [],
    active: true,
    deleted_at: null,
    created_at: "2026-12-01T10:00:00Z",
    updated_at: "2026-12-01T10:00:00Z",
    ...over,
  }) as Service;

const slot = (startsAt: string, local: string): Slot => ({
  starts_at: startsAt,
  ends_at: startsAt,
  local_start: local,
  local_end: local,
  utc_offset_seconds: 3600,
  remaining: 1,
});
const A = slot("2030-01-07T09:00:00Z", "2030-01-07T10:00:00");
const B = slot("2030-01-07T10:00:00Z", "2030-01-07T11:00:00");

const booking = (status: Booking["status"]): Booking =>
  ({
    id: "b1",
    reference: "BX-1",
    kind: "appointment",
    status,
    name: "Ada",
    currency: "EUR",
    total_amount: 0,
    items: [],
    payments: [],
    quantity: 1,
    show_id: null,
    created_at: "2026-12-01T10:00:00Z",
    updated_at: "2026-12-01T10:00:00Z",
    guest_token: "tok",
    appointment: {
      service_id: 7,
      service_title: "Haircut",
      provider_id: "p1",
      starts_at: A.starts_at,
      ends_at: A.ends_at,
      time_zone: "Europe/Berlin",
      local_start: A.local_start,
      local_end: "2030-01-07T11:00:00",
      places: 1,
      notes: "",
    },
  }) as Booking;

function renderPage() {
  return render(
    <SessionProvider>
      <MemoryRouter initialEntries={["/services/7"]}>
        <Routes>
          <Route path="/services/:serviceId" element={<ServicePage />} />
          <Route path="/checkout/:bookingId" element={<h1>Checkout page</h1>} />
        </Routes>
      </MemoryRouter>
    </SessionProvider>,
  );
}

async function pickAndBook(time: string, button: string) {
  await userEvent.click(await screen.findByRole("button", { name: time }));
  await userEvent.type(screen.getByLabelText("Name"), "Ada Lovelace");
  await userEvent.type(screen.getByLabelText("Email"), "ada@example.com");
  await userEvent.type(screen.getByLabelText(/Notes for the provider/), "Short, please");
  await userEvent.click(screen.getByRole("button", { name: button }));
}

describe("ServicePage", () => {
  beforeEach(() => {
    vi.resetAllMocks();
    vi.mocked(api.getService).mockResolvedValue(service());
    vi.mocked(api.listCategories).mockResolvedValue({ items: [], total: 0, limit: 500, offset: 0 });
    vi.mocked(api.getSlots).mockResolvedValue({
      service_id: 7,
      time_zone: "Europe/Berlin",
      from: "",
      to: "",
      items: [A, B],
    });
  });

  it("shows the terms and the zone, books a priced slot as a guest and goes to the checkout", async () => {
    vi.mocked(api.createBooking).mockResolvedValue(booking("held"));
    renderPage();
    expect((await screen.findByTestId("service-price")).textContent).toBe("€25.00");
    expect(screen.getByTestId("service-time-zone").textContent).toBe("Europe/Berlin");
    expect(screen.getByText(/Cancel at least 24 hours before the start for a full refund; after that, 50 % of the price/)).toBeTruthy();
    await pickAndBook("10:00 AM", "Book and continue to payment");
    expect(api.createBooking).toHaveBeenCalledWith({
      service_id: 7,
      starts_at: A.starts_at,
      notes: "Short, please",
      name: "Ada Lovelace",
      email: "ada@example.com",
    });
    expect(await screen.findByRole("heading", { name: "Checkout page" })).toBeTruthy();
    expect(guestBookings()).toEqual([{ id: "b1", token: "tok", reference: "BX-1" }]);
  });

  it("shows the confirmation of a free slot here", async () => {
    vi.mocked(api.getService).mockResolvedValue(service({ price: 0, requires_acceptance: true }));
    vi.mocked(api.createBooking).mockResolvedValue(booking("pending"));
    renderPage();
    await pickAndBook("10:00 AM", "Book this time");
    expect(await screen.findByRole("heading", { name: "Booking requested" })).toBeTruthy();
    expect(screen.getByTestId("confirmation-reference").textContent).toBe("BX-1");
  });

  it("says when the slot was just taken and asks for the slots again", async () => {
    vi.mocked(api.createBooking).mockRejectedValue(new ApiError(409, "slot_taken", "taken"));
    renderPage();
    await screen.findByRole("button", { name: "10:00 AM" });
    expect(api.getSlots).toHaveBeenCalledTimes(1);
    vi.mocked(api.getSlots).mockResolvedValue({ service_id: 7, time_zone: "Europe/Berlin", from: "", to: "", items: [B] });
    await pickAndBook("10:00 AM", "Book and continue to payment");
    expect((await screen.findByRole("alert")).textContent).toBe(
      "Sorry, this time was just taken by someone else. Pick another time.",
    );
    await screen.findByRole("button", { name: "11:00 AM" });
    expect(api.getSlots).toHaveBeenCalledTimes(2);
    expect(screen.queryByRole("button", { name: "10:00 AM" })).toBeNull();
    expect(screen.getByTestId("picked-slot").textContent).toBe("Pick a time above.");
    expect((screen.getByRole("button", { name: "Book and continue to payment" }) as HTMLButtonElement).disabled).toBe(true);
  });
});
