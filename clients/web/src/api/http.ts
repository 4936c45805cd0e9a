// The one axios instance: bearer token on every call, and a 401 `token_expired` traded once
// for a new pair at /auth/refresh (concurrent calls share that one refresh).
import axios, { AxiosError, type AxiosInstance, type InternalAxiosRequestConfig } from "axios";
import { getSession, sessionFromTokens, setSession } from "./session";
import type { TokenPair } from "./types";

export const API_BASE = "/api/v1";

export const http: AxiosInstance = axios.create({ baseURL: API_BASE, timeout: 20_000 });

http.interceptors.request.use((config) => {
  const session = getSession();
  if (session && !config.headers.has("Authorization")) {
    config.headers.set("Authorization", `Bearer ${session.accessToken}`);
  }
  return config;
});

let refreshing: Promise<string | null> | null = null;

/** Trades the refresh token for a new pair; null (and signed out) when that fails. */
export function refreshSession(): Promise<string | null> {
  if (!refreshing) {
    const session = getSession();
    refreshing = (async () => {
      if (!session) return null;
      try {
        const res = await axios.post<TokenPair>(`${API_BASE}/auth/refresh`, {
          refresh_token: session.refreshToken,
        });
        setSession(sessionFromTokens(res.data));
        return res.data.access_token;
      } catch {
        setSession(null);
        return null;
      }
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

type Retriable = InternalAxiosRequestConfig & { _retried?: boolean };

http.interceptors.response.use(undefined, async (error: AxiosError<{ error?: { code?: string } }>) => {
  const config = error.config as Retriable | undefined;
  const code = error.response?.data?.error?.code;
  const expired = error.response?.status === 401 && (code === "token_expired" || code === "invalid_token");
  if (config && expired && !config._retried && getSession()) {
    config._retried = true;
    const token = await refreshSession();
    if (token) {
      config.headers.set("Authorization", `Bearer ${token}`);
      return http.request(config);
    }
  }
  throw error;
});
