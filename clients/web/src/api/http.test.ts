import axios, { AxiosError, AxiosHeaders, type InternalAxiosRequestConfig } from "axios";
import { afterEach, describe, expect, it, vi } from "vitest";
import { http } from "./http";
import { getSession, setSession } from "./session";

const user = { id: "u1", email: "a@b.c", role: "customer" } as never;

function reply(config: InternalAxiosRequestConfig, status: number, data: unknown) {
  const response = { status, statusText: "", data, headers: {}, config };
  if (status >= 400) throw new AxiosError("fail", "ERR", config, null, response);
  return Promise.resolve(response);
}

describe("the API module's session handling", () => {
  afterEach(() => vi.restoreAllMocks());

  it("trades an expired access token once and retries the call", async () => {
    setSession({ accessToken: "old", refreshToken: "r1", user });
    const seen: string[] = [];
    http.defaults.adapter = (config) => {
      const auth = String((config.headers as AxiosHeaders).get("Authorization"));
      seen.push(auth);
      return auth === "Bearer old"
        ? reply(config, 401, { error: { code: "token_expired", message: "expired" } })
        : reply(config, 200, { ok: true });
    };
    const post = vi.spyOn(axios, "post").mockResolvedValue({
      data: { access_token: "new", refresh_token: "r2", user, token_type: "Bearer", expires_in: 900, refresh_expires_in: 1 },
    });
    const res = await http.get("/users/me");
    expect(res.data).toEqual({ ok: true });
    expect(seen).toEqual(["Bearer old", "Bearer new"]);
    expect(post).toHaveBeenCalledWith("/api/v1/auth/refresh", { refresh_token: "r1" });
    expect(getSession()?.refreshToken).toBe("r2");
  });

  it("signs out when the refresh token is refused", async () => {
    setSession({ accessToken: "old", refreshToken: "r1", user });
    http.defaults.adapter = (config) => reply(config, 401, { error: { code: "token_expired", message: "expired" } });
    vi.spyOn(axios, "post").mockRejectedValue(new Error("401"));
    await expect(http.get("/users/me")).rejects.toBeInstanceOf(AxiosError);
    expect(getSession()).toBeNull();
  });
});
