import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router-dom";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Booking, Page } from "../api/types";

vi.mock("../api", () => ({
  providerAppointments: vi.fn(),
  acceptAppointment: vi.fn(),
  declineAppointment: vi.fn(),
}));
import * as api from "../api";
import { setSession } from "../api/session";
import { SessionProvider } from "../auth";
import { ProviderAppointmentsPage } from "./ProviderAppointmentsPage";

const appointment = (id: string, status: Booking["status"], local: string): Booking =>
  ({
    id,
    reference: `BX-${id}`,
    kind: "appointment",
    status,
    name: "Ada Lovelace",
    email: "ada@example.com",
    currency: "EUR",
    total_amount: 2500,
    items: [],
    payments: [],
    quantity: 1,
    show_id: null,
    event_id: null,
    created_at: "2026-12-01T10:00:00Z",
    updated_at: "2026-12-01T10:00:00Z",
    appointment: {
      service_id: 7,
      service_title: "Haircut",
      provider_id: "p1",
      starts_at: "2026-12-14T09:00:00Z",
      ends_at: "2026-12-14T10:00:00Z",
      time_zone: "Europe/Berlin",
      local_start: local,
      local_end: local.replace("T10:", "T11:"),
      places: 1,
      notes: "Short, please",
    },
  }) as Booking;

const page = (items: Booking[]): Page<Booking> => ({ items, total: items.length, limit: 20, offset: 0 });

function renderPage(url = "/provider/appointments?from=2026-12-07&to=2026-12-20") {
  return render(
    <SessionProvider>
      <MemoryRouter initialEntries={[url]}>
        <ProviderAppointmentsPage />
      </MemoryRouter>
    </SessionProvider>,
  );
}

const row = (reference: string) =>
  document.querySelector(`li[data-booking-id="${reference.replace("BX-", "")}"]`) as HTMLElement;

describe("ProviderAppointmentsPage", () => {
  beforeEach(() => {
    vi.resetAllMocks();
    setSession({
      accessToken: "a",
      refreshToken: "r",
      user: { id: "p1", email: "provider@example.com", role: "provider" } as never,
    });
    vi.mocked(api.providerAppointments).mockResolvedValue(
      page([appointment("1", "pending", "2026-12-14T10:00:00"), appointment("2", "confirmed", "2026-12-15T10:00:00")]),
    );
  });

  it("lists the range's appointments on their provider's clock, Accept/Decline only for pending ones", async () => {
    renderPage();
    await screen.findByText("2 appointments");
    const [from, to] = [new Date(2026, 11, 7).toISOString(), new Date(2026, 11, 21).toISOString()];
    expect(api.providerAppointments).toHaveBeenCalledWith({ from, to, status: "", limit: 20, offset: 0 });
    expect(screen.getByRole("heading", { name: "Haircut, Mon, Dec 14, 2026, 10:00 AM – 11:00 AM (Europe/Berlin)" })).toBeTruthy();
    expect(within(row("BX-1")).getByText("Notes: Short, please")).toBeTruthy();
    expect(within(row("BX-1")).getByRole("button", { name: "Accept booking BX-1" })).toBeTruthy();
    expect(within(row("BX-2")).queryByRole("button", { name: /Accept/ })).toBeNull();
    expect(within(row("BX-2")).queryByRole("button", { name: /Decline/ })).toBeNull();
  });

  it("accepts a pending appointment", async () => {
    vi.mocked(api.acceptAppointment).mockResolvedValue(appointment("1", "confirmed", "2026-12-14T10:00:00"));
    renderPage();
    await userEvent.click(await screen.findByRole("button", { name: "Accept booking BX-1" }));
    expect(api.acceptAppointment).toHaveBeenCalledWith("1");
    expect(api.declineAppointment).not.toHaveBeenCalled();
    expect(await within(row("BX-1")).findByText("Accepted booking BX-1.")).toBeTruthy();
    expect(within(row("BX-1")).getByTestId("appointment-status").getAttribute("data-status")).toBe("confirmed");
    expect(within(row("BX-1")).queryByRole("button", { name: /Accept/ })).toBeNull();
  });

  it("declines only after asking, and can keep it instead", async () => {
    vi.mocked(api.declineAppointment).mockResolvedValue(appointment("1", "cancelled", "2026-12-14T10:00:00"));
    renderPage();
    await userEvent.click(await screen.findByRole("button", { name: "Decline booking BX-1…" }));
    expect(api.declineAppointment).not.toHaveBeenCalled();
    await userEvent.click(screen.getByRole("button", { name: "Keep it" }));
    expect(api.declineAppointment).not.toHaveBeenCalled();
    await userEvent.click(screen.getByRole("button", { name: "Decline booking BX-1…" }));
    expect(screen.getByRole("alertdialog").textContent).toMatch(/refunded in full/);
    await userEvent.click(screen.getByRole("button", { name: "Yes, decline it" }));
    expect(api.declineAppointment).toHaveBeenCalledWith("1");
    expect(api.acceptAppointment).not.toHaveBeenCalled();
    expect(await within(row("BX-1")).findByText(/Declined booking BX-1/)).toBeTruthy();
    expect(within(row("BX-1")).getByTestId("appointment-status").getAttribute("data-status")).toBe("cancelled");
  });

  it("shows the server's refusal and keeps the buttons", async () => {
    const { ApiError } = await import("../api/errors");
    vi.mocked(api.acceptAppointment).mockRejectedValue(new ApiError(409, "illegal_transition", "not pending"));
    renderPage();
    await userEvent.click(await screen.findByRole("button", { name: "Accept booking BX-1" }));
    expect((await screen.findByRole("alert")).textContent).toBe("This booking can no longer be changed.");
    expect(screen.getByRole("button", { name: "Accept booking BX-1" })).toBeTruthy();
  });

  it("filters by status and refuses a range longer than the server's 31 days", async () => {
    renderPage();
    await screen.findByText("2 appointments");
    await userEvent.selectOptions(screen.getByLabelText("Status"), "pending");
    expect(api.providerAppointments).toHaveBeenLastCalledWith(expect.objectContaining({ status: "pending" }));
    vi.mocked(api.providerAppointments).mockClear();
    renderPage("/provider/appointments?from=2026-12-01&to=2027-01-31");
    expect(await screen.findByText("Pick at most 31 days.")).toBeTruthy();
    expect(api.providerAppointments).not.toHaveBeenCalled();
  });

  it("is for providers only", () => {
    setSession(null);
    renderPage();
    expect(screen.getByText(/This page is for providers/)).toBeTruthy();
    expect(api.providerAppointments).not.toHaveBeenCalled();
  });
});
