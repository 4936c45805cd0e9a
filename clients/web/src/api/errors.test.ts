import { AxiosError, AxiosHeaders } from "axios";
import { describe, expect, it } from "vitest";
import { ApiError, describeError, seatLabelsOf, toApiError } from "./errors";

function axiosError(status: number, body: unknown, headers: Record<string, string> = {}): AxiosError {
  const config = { headers: new AxiosHeaders() };
  return new AxiosError("fail", "ERR", config as never, null, {
    status,
    statusText: "",
    data: body,
    headers,
    config: config as never,
  });
}

describe("API errors", () => {
  it("keeps the server's code, details and Retry-After", () => {
    const e = toApiError(axiosError(429, { error: { code: "rate_limited", message: "slow down" } }, { "retry-after": "7" }));
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(429);
    expect(e.code).toBe("rate_limited");
    expect(e.retryAfter).toBe(7);
    expect(describeError(e)).toBe("Too many requests. Please wait 7 seconds and try again.");
  });

  it("names the seats that were just taken", () => {
    const e = toApiError(
      axiosError(409, { error: { code: "seat_unavailable", message: "x", details: { seats: ["A1", "A2"] } } }),
    );
    expect(seatLabelsOf(e)).toEqual(["A1", "A2"]);
    expect(describeError(e)).toContain("seats A1, A2 were just taken");
  });

  it("says a declined card keeps the hold", () => {
    const e = toApiError(axiosError(402, { error: { code: "card_declined", message: "declined" } }));
    expect(describeError(e)).toMatch(/declined.*still held/);
  });

  it("says how many places are left when sold out", () => {
    const e = toApiError(axiosError(409, { error: { code: "sold_out", message: "x", details: { requested: 3, available: 1 } } }));
    expect(describeError(e)).toBe("Only 1 place is left.");
  });

  it("lists the failing fields of a validation error", () => {
    const e = toApiError(
      axiosError(422, {
        error: { code: "validation_failed", message: "x", details: { fields: [{ field: "email", message: "not an email" }] } },
      }),
    );
    expect(describeError(e)).toBe("email: not an email");
  });

  it("explains a lost connection", () => {
    const err = new AxiosError("Network Error", "ERR_NETWORK", { headers: new AxiosHeaders() } as never);
    expect(describeError(err)).toMatch(/could not be reached/);
  });
});
