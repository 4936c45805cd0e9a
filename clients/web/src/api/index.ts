// Every call the app makes, in one place. Components call these, never the network.
import { http, API_BASE } from "./http";
import { toApiError } from "./errors";
import { getSession, guestTokenFor, sessionFromTokens, setSession } from "./session";
import type {
  Booking,
  Category,
  City,
  EventDetail,
  EventSummary,
  ImportResult,
  Notification,
  Page,
  Payment,
  PaymentMethod,
  Quote,
  Seat,
  Service,
  Show,
  SlotList,
  TokenPair,
  User,
} from "./types";
import type { components, operations } from "./schema";

export { API_BASE };

async function call<T>(promise: Promise<{ data: T }>): Promise<T> {
  try {
    return (await promise).data;
  } catch (err) {
    throw toApiError(err);
  }
}

function bookingHeaders(bookingId: string): Record<string, string> {
  const token = guestTokenFor(bookingId);
  return token ? { "X-Booking-Token": token } : {};
}

/** A fresh idempotency key: a retried request is recognised, never done twice. */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}

// ---- catalogue ----
/** The query of GET /events, as the contract states it; the form's empty choices are dropped. */
type EventQuery = NonNullable<operations["list_events"]["parameters"]["query"]>;
export type EventFilters = {
  [K in keyof EventQuery]?: EventQuery[K] | "";
};

function clean(params: object): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") out[k] = v as string | number;
  }
  return out;
}

export const listEvents = (filters: EventFilters = {}) =>
  call(http.get<Page<EventSummary>>("/events", { params: clean(filters) }));
export const getEvent = (id: number) => call(http.get<EventDetail>(`/events/${id}`));
export const listCities = () => call(http.get<Page<City>>("/cities", { params: { limit: 100 } }));
export const getShow = (id: number) => call(http.get<Show>(`/shows/${id}`));
export const getSeats = (showId: number) =>
  call(http.get<Page<Seat>>(`/shows/${showId}/seats`, { params: { limit: 1000 } }));

export type QuoteRequest = components["schemas"]["QuoteRequest"];
export const quote = (showId: number, body: QuoteRequest) => call(http.post<Quote>(`/shows/${showId}/quote`, body));

// ---- the service marketplace ----
/** The query of GET /services, as the contract states it; the form's empty choices are dropped. */
type ServiceQuery = NonNullable<operations["list_services"]["parameters"]["query"]>;
export type ServiceFilters = {
  [K in keyof ServiceQuery]?: ServiceQuery[K] | "";
};
export const listServices = (filters: ServiceFilters = {}) =>
  call(http.get<Page<Service>>("/services", { params: clean(filters) }));
export const getService = (id: number) => call(http.get<Service>(`/services/${id}`));
export const listCategories = () => call(http.get<Page<Category>>("/categories", { params: { limit: 500 } }));
/** The free slots of a service starting in [from, to) (RFC 3339 instants; at most 31 days). */
export const getSlots = (serviceId: number, from?: string, to?: string) =>
  call(http.get<SlotList>(`/services/${serviceId}/slots`, { params: clean({ from, to }) }));

// ---- bookings ----
export type CreateBooking = components["schemas"]["CreateBooking"];
export const createBooking = (body: CreateBooking, key = idempotencyKey()) =>
  call(http.post<Booking>("/bookings", body, { headers: { "Idempotency-Key": key } }));
export const getBooking = (id: string) => call(http.get<Booking>(`/bookings/${id}`, { headers: bookingHeaders(id) }));
export const listMyBookings = (limit = 20, offset = 0) =>
  call(http.get<Page<Booking>>("/bookings", { params: { limit, offset } }));
export const cancelBooking = (id: string) =>
  call(http.post<Booking>(`/bookings/${id}/cancel`, undefined, { headers: bookingHeaders(id) }));

/** Moves an appointment to another free slot of its service (its holder or its provider). */
export const moveAppointment = (id: string, startsAt: string) =>
  call(http.put<Booking>(`/bookings/${id}/slot`, { starts_at: startsAt }, { headers: bookingHeaders(id) }));

/** What a cancel would refund now, as the server's refund policy decides it. */
export type CancellationQuote = components["schemas"]["CancellationQuoteDto"];
export const cancellationQuote = (id: string) =>
  call(http.get<CancellationQuote>(`/bookings/${id}/cancellation`, { headers: bookingHeaders(id) }));

// ---- payments ----
export const initiatePayment = (bookingId: string, method: PaymentMethod) =>
  call(
    http.post<Payment>(
      "/payments/initiate",
      { booking_id: bookingId, payment_method: method },
      { headers: { ...bookingHeaders(bookingId), "Idempotency-Key": idempotencyKey() } },
    ),
  );
/** 200: succeeded; 202: the gateway has not decided yet; 402 thrown as ApiError (declined). */
export const confirmPayment = (bookingId: string, paymentId: string) =>
  call(
    http.post<Payment>(
      "/payments/confirm",
      { payment_id: paymentId },
      { headers: { ...bookingHeaders(bookingId), "Idempotency-Key": idempotencyKey() } },
    ),
  );

// ---- accounts ----
export interface SignupForm {
  email: string;
  password: string;
  first_name: string;
  last_name: string;
  phone?: string;
}
export async function signup(form: SignupForm): Promise<User> {
  await call(http.post<User>("/auth/signup", clean(form)));
  return (await login(form.email, form.password)).user;
}
export async function login(email: string, password: string): Promise<TokenPair> {
  const tokens = await call(http.post<TokenPair>("/auth/login", { email, password }));
  setSession(sessionFromTokens(tokens));
  return tokens;
}
export async function logout(): Promise<void> {
  const session = getSession();
  try {
    if (session) await http.post("/auth/logout", { refresh_token: session.refreshToken });
  } catch {
    // signed out locally whatever the server says
  } finally {
    setSession(null);
  }
}
export const me = () => call(http.get<User>("/users/me"));

// ---- notifications ----
export const listNotifications = (limit = 20, offset = 0, unreadOnly = false) =>
  call(http.get<Page<Notification>>("/notifications", { params: { limit, offset, unread_only: unreadOnly } }));
export const unreadCount = () => call(http.get<{ unread: number }>("/notifications/unread-count"));
export const markRead = (id: number) => call(http.put(`/notifications/${id}/read`));
export const markAllRead = () => call(http.post("/notifications/read-all"));
export const streamTicket = () => call(http.post<{ ticket: string; expires_at: string }>("/notifications/stream-ticket"));

// ---- providers ----
export const myEvents = (organizerId: string, limit = 50, offset = 0) =>
  listEvents({ organizer_id: organizerId, limit, offset });
/** The query of GET /providers/me/appointments; empty choices are dropped. */
type AppointmentQuery = NonNullable<operations["my_appointments"]["parameters"]["query"]>;
export type AppointmentFilters = {
  [K in keyof AppointmentQuery]?: AppointmentQuery[K] | "";
};
export const providerAppointments = (filters: AppointmentFilters = {}) =>
  call(http.get<Page<Booking>>("/providers/me/appointments", { params: clean(filters) }));
export const acceptAppointment = (id: string) => call(http.post<Booking>(`/bookings/${id}/accept`));
/** Declining cancels the appointment and refunds everything paid. */
export const declineAppointment = (id: string) => call(http.post<Booking>(`/bookings/${id}/decline`));
export type CsvKind = "seats" | "pricing";
export function importCsv(showId: number, kind: CsvKind, file: File): Promise<ImportResult> {
  const form = new FormData();
  form.append("file", file);
  const path = kind === "seats" ? `/shows/${showId}/seats/import` : `/shows/${showId}/pricing/import`;
  return call(http.post<ImportResult>(path, form));
}
