// Where the signed-in session and the guest bookings' tokens are kept: the browser's
// localStorage, so that a reload or a new tab keeps them.
import type { TokenPair, User } from "./types";

const SESSION_KEY = "boxoffice.session";
const GUEST_KEY = "boxoffice.guestBookings";

export interface Session {
  accessToken: string;
  refreshToken: string;
  user: User;
}

type Listener = (session: Session | null) => void;
const listeners = new Set<Listener>();

function read<T>(key: string): T | null {
  try {
    const raw = localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

export function getSession(): Session | null {
  return read<Session>(SESSION_KEY);
}

export function setSession(session: Session | null): void {
  if (session) localStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else localStorage.removeItem(SESSION_KEY);
  listeners.forEach((l) => l(session));
}

export function sessionFromTokens(tokens: TokenPair): Session {
  return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, user: tokens.user };
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A booking made without signing in: its id and the token that opens it. */
export interface GuestBooking {
  id: string;
  token: string;
  reference?: string;
}

export function guestBookings(): GuestBooking[] {
  return read<GuestBooking[]>(GUEST_KEY) ?? [];
}

export function rememberGuestBooking(booking: GuestBooking): void {
  const rest = guestBookings().filter((b) => b.id !== booking.id);
  localStorage.setItem(GUEST_KEY, JSON.stringify([booking, ...rest]));
}

export function guestTokenFor(bookingId: string): string | undefined {
  return guestBookings().find((b) => b.id === bookingId)?.token;
}
