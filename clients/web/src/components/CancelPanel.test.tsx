import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Booking } from "../api/types";

vi.mock("../api", () => ({
  cancellationQuote: vi.fn(),
  cancelBooking: vi.fn(),
}));
import * as api from "../api";
import { CancelPanel } from "./CancelPanel";

const booking = {
  id: "b1",
  reference: "BX-1",
  status: "confirmed",
  currency: "USD",
  total_amount: 2400,
  items: [],
} as unknown as Booking;

describe("CancelPanel", () => {
  beforeEach(() => vi.resetAllMocks());

  it("shows the refund the server quotes before cancelling, then cancels", async () => {
    vi.mocked(api.cancellationQuote).mockResolvedValue({
      booking_id: "b1",
      cancellable: true,
      refund_amount: 1200,
      paid_amount: 2400,
      currency: "USD",
      policy: "Half back within 48 hours of the show.",
    });
    vi.mocked(api.cancelBooking).mockResolvedValue({
      ...booking,
      status: "cancelled",
      payments: [{ refunded_amount: 1200 }],
    } as unknown as Booking);
    const onCancelled = vi.fn();
    render(<CancelPanel booking={booking} onCancelled={onCancelled} />);
    await userEvent.click(screen.getByRole("button", { name: /Cancel booking BX-1/ }));
    expect((await screen.findByTestId("refund-preview")).textContent).toMatch(
      /refunded \$12\.00 of the \$24\.00 you paid\. Half back/,
    );
    expect(api.cancelBooking).not.toHaveBeenCalled();
    await userEvent.click(screen.getByRole("button", { name: "Yes, cancel it" }));
    expect(api.cancelBooking).toHaveBeenCalledWith("b1");
    expect((await screen.findByTestId("cancelled-message")).textContent).toMatch(/refund of \$12\.00/);
    expect(onCancelled).toHaveBeenCalled();
  });

  it("keeps the booking when the person changes their mind", async () => {
    vi.mocked(api.cancellationQuote).mockResolvedValue({
      booking_id: "b1",
      cancellable: true,
      refund_amount: 0,
      paid_amount: 0,
      currency: "USD",
      policy: "",
    });
    render(<CancelPanel booking={booking} onCancelled={() => {}} />);
    await userEvent.click(screen.getByRole("button", { name: /Cancel booking/ }));
    await userEvent.click(await screen.findByRole("button", { name: "Keep my booking" }));
    expect(api.cancelBooking).not.toHaveBeenCalled();
    expect(screen.getByRole("button", { name: /Cancel booking/ })).toBeTruthy();
  });

  it("offers the cancel of an appointment waiting for its provider (pending), not of a cancelled one", () => {
    const { unmount } = render(<CancelPanel booking={{ ...booking, status: "pending" } as Booking} onCancelled={() => {}} />);
    expect(screen.getByRole("button", { name: /Cancel booking BX-1/ })).toBeTruthy();
    unmount();
    render(<CancelPanel booking={{ ...booking, status: "cancelled" } as Booking} onCancelled={() => {}} />);
    expect(screen.queryByRole("button", { name: /Cancel booking/ })).toBeNull();
  });

  it("says when a booking can no longer be cancelled", async () => {
    vi.mocked(api.cancellationQuote).mockResolvedValue({
      booking_id: "b1",
      cancellable: false,
      reason: "booking_completed",
      refund_amount: 0,
      paid_amount: 2400,
      currency: "USD",
      policy: "",
    });
    render(<CancelPanel booking={booking} onCancelled={() => {}} />);
    await userEvent.click(screen.getByRole("button", { name: /Cancel booking/ }));
    expect(await screen.findByText("This booking can no longer be cancelled.")).toBeTruthy();
  });
});
