// API errors as readable sentences. The server's `{error: {code, message, details}}` is kept
// on the ApiError so that a page can react to a code (a taken seat marks the map).
import type { AxiosError } from "axios";

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown> | null;
  /** Seconds to wait, from a 429's or 503's Retry-After header. */
  readonly retryAfter: number | null;

  constructor(
    status: number,
    code: string,
    message: string,
    details: Record<string, unknown> | null = null,
    retryAfter: number | null = null,
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
  }
}

interface ErrorShape {
  error?: { code?: string; message?: string; details?: Record<string, unknown> | null };
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const ax = err as AxiosError<ErrorShape>;
  if (ax && ax.isAxiosError) {
    const res = ax.response;
    if (!res) return new ApiError(0, "network", "The server could not be reached. Check your connection and try again.");
    const body = res.data?.error;
    const header = res.headers?.["retry-after"];
    const retryAfter = header !== undefined && header !== null && header !== "" ? Number(header) : null;
    return new ApiError(
      res.status,
      body?.code ?? `http_${res.status}`,
      body?.message ?? `The server answered ${res.status}.`,
      body?.details ?? null,
      Number.isFinite(retryAfter) ? retryAfter : null,
    );
  }
  return new ApiError(0, "unknown", err instanceof Error ? err.message : String(err));
}

/** Seat labels named by a 409 seat_unavailable / not_for_sale. */
export function seatLabelsOf(error: ApiError): string[] {
  const seats = error.details?.["seats"];
  return Array.isArray(seats) ? seats.filter((s): s is string => typeof s === "string") : [];
}

/** A sentence for a person, by the error's code. */
export function describeError(err: unknown): string {
  const e = toApiError(err);
  switch (e.code) {
    case "seat_unavailable": {
      const labels = seatLabelsOf(e);
      return labels.length
        ? `Sorry, ${labels.length === 1 ? "seat" : "seats"} ${labels.join(", ")} ${labels.length === 1 ? "was" : "were"} just taken by someone else. Pick another.`
        : "Sorry, a seat you picked was just taken by someone else. Pick another.";
    }
    case "sold_out": {
      const available = e.details?.["available"];
      return typeof available === "number" && available > 0
        ? `Only ${available} ${available === 1 ? "place is" : "places are"} left.`
        : "Sold out: no places are left.";
    }
    case "not_for_sale":
      return "Some of these seats are not for sale.";
    case "show_started":
      return "This show has already started.";
    case "slot_taken":
      return "Sorry, this time was just taken by someone else. Pick another time.";
    case "service_inactive":
      return "This service is not taking bookings at the moment.";
    case "not_an_appointment":
      return "This booking is not an appointment.";
    case "booking_not_held":
      return "Your hold has expired, so the seats were released. Start again to book.";
    case "illegal_transition":
      return "This booking can no longer be changed.";
    case "payment_pending":
      return "A payment for this booking is still being processed.";
    case "card_declined":
      return "Your card was declined. Your seats are still held: try another card.";
    case "insufficient_funds":
      return "The card has insufficient funds. Your seats are still held: try another card.";
    case "rate_limited":
    case "too_many_streams":
      return e.retryAfter !== null
        ? `Too many requests. Please wait ${e.retryAfter} ${e.retryAfter === 1 ? "second" : "seconds"} and try again.`
        : "Too many requests. Please wait a moment and try again.";
    case "invalid_credentials":
      return "Wrong email or password.";
    case "email_taken":
      return "An account with this email already exists. Log in instead.";
    case "authentication_required":
    case "token_expired":
    case "invalid_token":
      return "Please log in again.";
    case "forbidden":
      return "You are not allowed to do this.";
    case "not_found":
      return "Not found.";
    case "unavailable":
      return "The service is busy or restarting. Please try again in a moment.";
    case "validation_failed": {
      const fields = e.details?.["fields"];
      if (Array.isArray(fields) && fields.length) {
        return fields
          .map((f) => (f && typeof f === "object" ? `${(f as { field?: string }).field}: ${(f as { message?: string }).message}` : ""))
          .filter(Boolean)
          .join("; ");
      }
      return e.message;
    }
    default:
      return e.message;
  }
}
