// Test data through the HTTP API (fetch): accounts, shows, bookings made "by someone else".
// Every helper takes the server from $E2E_BASE_URL unless given `baseUrl` (e.g. the short-hold
// server, $E2E_SHORT_HOLD_URL: both serve the same database). See ../README.md.

/** The seeded demo accounts (README "Accounts"; `boxoffice seed`, test profile). */
export const DEMO = {
  admin: { email: "admin@boxoffice.local", password: "demo-admin-password" },
  provider: { email: "provider@boxoffice.local", password: "demo-provider-password" },
  customer: { email: "customer@boxoffice.local", password: "demo-customer-password" },
};

/** The normal server (hold 10 minutes). */
export function baseUrl() {
  const url = process.env.E2E_BASE_URL;
  if (!url) throw new Error("E2E_BASE_URL is not set: run the e2e tests with scripts/e2e.sh (make e2e)");
  return url.replace(/\/+$/, "");
}

/** The server whose holds last 6 seconds (APP_BOOKING__HOLD_SECONDS=6), same database. */
export function shortHoldUrl() {
  const url = process.env.E2E_SHORT_HOLD_URL;
  if (!url) throw new Error("E2E_SHORT_HOLD_URL is not set: run the e2e tests with scripts/e2e.sh (make e2e)");
  return url.replace(/\/+$/, "");
}

/** A non-2xx answer: `status`, the error `code` (e.g. "seat_unavailable") and the parsed `body`. */
export class ApiError extends Error {
  constructor(method, path, status, body) {
    const code = body?.error?.code;
    super(`${method} ${path}: ${status}${code ? ` ${code}` : ""} ${body?.error?.message ?? JSON.stringify(body)}`);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/**
 * One API call. `path` is relative to /api/v1 ("/shows/1") unless it starts with "/api/",
 * "/health", "/ready" or "http". Returns the parsed JSON (null for 204); throws ApiError on a
 * non-2xx answer.
 * @param {string} method
 * @param {string} path
 * @param {{ token?: string, body?: unknown, headers?: Record<string,string>, baseUrl?: string }} [opts]
 */
export async function api(method, path, opts = {}) {
  const base = opts.baseUrl ? opts.baseUrl.replace(/\/+$/, "") : baseUrl();
  const url = /^https?:/.test(path)
    ? path
    : /^\/(api\/|health|ready)/.test(path)
      ? base + path
      : `${base}/api/v1${path}`;
  const headers = { accept: "application/json", ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body;
  if (opts.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!res.ok) throw new ApiError(method, path, res.status, data);
  return data;
}

let counter = 0;
const runId = Date.now().toString(36);

/** A string unique to this test run and call: "<prefix> <run>-<n>". */
export function unique(prefix = "e2e") {
  counter += 1;
  return `${prefix} ${runId}-${counter}`;
}

/**
 * Signs in. Returns the token pair and the user:
 * `{ access_token, refresh_token, expires_in, refresh_expires_in, token_type, user }`.
 */
export async function login(email, password, opts = {}) {
  return api("POST", "/auth/login", { body: { email, password }, baseUrl: opts.baseUrl });
}

// Access tokens live 15 minutes: sign in again after 10.
const sessions = new Map();
async function tokenOf(who) {
  const s = sessions.get(who);
  if (s && Date.now() - s.at < 10 * 60_000) return s.token;
  const { email, password } = DEMO[who];
  const pair = await login(email, password);
  sessions.set(who, { token: pair.access_token, at: Date.now() });
  return pair.access_token;
}
/** An access token of the demo admin / provider / customer (cached for 10 minutes). */
export const adminToken = () => tokenOf("admin");
export const providerToken = () => tokenOf("provider");
export const customerToken = () => tokenOf("customer");

/**
 * A fresh customer account. Returns `{ email, password, user, access_token, refresh_token, … }`
 * (the signup answer plus the credentials, to sign in through the app's form).
 */
export async function signupCustomer(opts = {}) {
  const tag = unique("c").replace(/[^a-z0-9]+/gi, "-").toLowerCase();
  const email = opts.email ?? `e2e-${tag}@example.com`;
  const password = opts.password ?? "e2e-customer-password";
  const pair = await api("POST", "/auth/signup", {
    body: {
      email,
      password,
      first_name: opts.firstName ?? "Eve",
      last_name: opts.lastName ?? "Tester",
    },
  });
  return { email, password, ...pair };
}

/** The first city (the seed makes Lisbon, Berlin, Porto), or a new one when there is none. */
async function someCity(admin) {
  const cities = await api("GET", "/cities?limit=1");
  if (cities.items.length > 0) return cities.items[0];
  return api("POST", "/cities", {
    token: admin,
    body: { name: unique("E2E City"), country: "Portugal", latitude: 38.72, longitude: -9.14 },
  });
}

/** A new venue (admin), in `cityId` or the first city. Returns the venue. */
export async function createVenue(opts = {}) {
  const admin = await adminToken();
  const cityId = opts.cityId ?? (await someCity(admin)).id;
  return api("POST", "/venues", {
    token: admin,
    body: {
      city_id: cityId,
      name: opts.name ?? unique("E2E Hall"),
      address: "1 Test Street",
      latitude: 38.72,
      longitude: -9.14,
      time_zone: opts.timeZone ?? "Europe/Lisbon",
    },
  });
}

/** A new event organised by the demo provider (title made unique). Returns the event. */
async function createEvent({ title, eventType, venue }) {
  return api("POST", "/events", {
    token: await providerToken(),
    body: {
      title,
      description: "Created by the end-to-end tests.",
      event_type: eventType,
      city_id: venue.city_id,
      venue_id: venue.id,
    },
  });
}

function showTimes(startsInDays) {
  const start = new Date(Date.now() + startsInDays * 86_400_000);
  start.setUTCMinutes(0, 0, 0);
  const end = new Date(start.getTime() + 2 * 3_600_000);
  return { starts_at: start.toISOString(), ends_at: end.toISOString() };
}

/** Default seat classes: front rows dearer; each with rising min < normal < max prices. */
const DEFAULT_CLASSES = [
  { name: "Premium", min_price: 3000, normal_price: 4000, max_price: 5000 },
  { name: "Standard", min_price: 1200, normal_price: 1500, max_price: 1800 },
];

const rowLetters = (n) => Array.from({ length: n }, (_, i) => String.fromCharCode(65 + i));

/**
 * A seated show ~7 days ahead, in a new venue and a new event of the demo provider.
 * @param {{ title?: string, rows?: number, seatsPerRow?: number,
 *           classes?: Array<{name: string, min_price?: number, normal_price?: number,
 *                            max_price?: number, rows?: string[]}>,
 *           currency?: string, startsInDays?: number, eventType?: string }} [opts]
 *   rows × seatsPerRow seats (default 3 × 8: rows A–C, seats A1…C8). Classes without `rows`
 *   share the rows in order (default: Premium gets row A, Standard rows B–C).
 * @returns {Promise<{ eventId: number, showId: number, title: string, venueId: number,
 *   show: object, seats: object[] }>} seats: the seat map's items (id, label, row, number,
 *   class, status, price, …), in the map's order
 */
export async function createSeatedShow(opts = {}) {
  const rows = opts.rows ?? 3;
  const seatsPerRow = opts.seatsPerRow ?? 8;
  const classes = opts.classes ?? DEFAULT_CLASSES;
  if (rows < 1 || rows > 26) throw new Error("createSeatedShow: rows must be 1..26");
  const letters = rowLetters(rows);
  // rows for the classes that name none: split in order, the first classes taking one row each
  const free = letters.filter((r) => !classes.some((c) => c.rows?.includes(r)));
  const unassigned = classes.filter((c) => !c.rows);
  const seatClasses = classes.map((c) => {
    let classRows = c.rows;
    if (!classRows) {
      const i = unassigned.indexOf(c);
      const last = i === unassigned.length - 1;
      const share = Math.max(1, Math.floor(free.length / unassigned.length));
      classRows = last ? free.slice(i * share) : free.slice(i * share, (i + 1) * share);
    }
    const { rows: _r, ...prices } = c;
    return classRows.length ? { ...prices, rows: classRows, seats_per_row: seatsPerRow } : { ...prices };
  });
  const title = unique(opts.title ?? "E2E Seated Show");
  const venue = await createVenue();
  const event = await createEvent({ title, eventType: opts.eventType ?? "theatre", venue });
  const show = await api("POST", `/events/${event.id}/shows`, {
    token: await providerToken(),
    body: {
      ...showTimes(opts.startsInDays ?? 7),
      venue_id: venue.id,
      screen_name: "Main hall",
      currency: opts.currency ?? "EUR",
      seat_classes: seatClasses,
    },
  });
  const seats = await seatMap(show.id);
  return { eventId: event.id, showId: show.id, title, venueId: venue.id, show, seats };
}

/**
 * A general-admission show ~7 days ahead (new venue and event of the demo provider).
 * @returns {Promise<{ eventId: number, showId: number, title: string, venueId: number,
 *   show: object, capacity: number, price: number }>}
 */
export async function createGaShow(opts = {}) {
  const capacity = opts.capacity ?? 50;
  const price = opts.price ?? 2500;
  const title = unique(opts.title ?? "E2E Open Air");
  const venue = await createVenue();
  const event = await createEvent({ title, eventType: opts.eventType ?? "concert", venue });
  const show = await api("POST", `/events/${event.id}/shows`, {
    token: await providerToken(),
    body: {
      ...showTimes(opts.startsInDays ?? 7),
      venue_id: venue.id,
      currency: opts.currency ?? "EUR",
      capacity,
      price,
    },
  });
  return { eventId: event.id, showId: show.id, title, venueId: venue.id, show, capacity, price };
}

/** The seat map's items of a show (every seat). */
export async function seatMap(showId, opts = {}) {
  const list = await api("GET", `/shows/${showId}/seats`, { baseUrl: opts.baseUrl });
  return list.items;
}

function bookingBody(showId, what) {
  if (Array.isArray(what)) {
    if (what.length === 0) throw new Error("no seats given");
    return typeof what[0] === "string" ? { show_id: showId, seat_labels: what } : { show_id: showId, seat_ids: what };
  }
  if (typeof what === "number") return { show_id: showId, quantity: what };
  throw new Error("seats: an array of seat ids or labels, or a general-admission quantity");
}

/**
 * A held (unpaid) booking, as a guest unless `token` is given.
 * @param {number} showId
 * @param {number[] | string[] | number} seats seat ids, seat labels, or a quantity (general admission)
 * @param {{ token?: string, baseUrl?: string, name?: string, email?: string }} [opts]
 * @returns {Promise<object>} the booking (with `guest_token` for a guest)
 */
export async function holdSeats(showId, seats, opts = {}) {
  const body = bookingBody(showId, seats);
  if (!opts.token) {
    body.name = opts.name ?? "Someone Else";
    body.email = opts.email ?? "someone-else@example.com";
  }
  return api("POST", "/bookings", { token: opts.token, body, baseUrl: opts.baseUrl });
}

/**
 * Books and pays (tok_success) — seats taken "by someone else": a guest unless `token` is given.
 * Hold → POST /payments/initiate → POST /payments/confirm.
 * @returns {Promise<object>} the confirmed booking (plus `guest_token` for a guest)
 */
export async function bookAndPay(showId, seats, opts = {}) {
  const held = await holdSeats(showId, seats, opts);
  const auth = opts.token ? { token: opts.token } : { headers: { "x-booking-token": held.guest_token } };
  const common = { ...auth, baseUrl: opts.baseUrl };
  if (held.status === "held") {
    const payment = await api("POST", "/payments/initiate", {
      ...common,
      body: { booking_id: held.id, payment_method: "tok_success" },
    });
    const paid = await api("POST", "/payments/confirm", { ...common, body: { payment_id: payment.id } });
    if (paid.status !== "succeeded") throw new Error(`payment ${payment.id} is ${paid.status}`);
  }
  const booking = await api("GET", `/bookings/${held.id}`, common);
  if (booking.status !== "confirmed") throw new Error(`booking ${held.id} is ${booking.status}, not confirmed`);
  return { ...booking, guest_token: held.guest_token };
}

// ---- the service marketplace ----

/**
 * A fresh provider account (signup with `role: "provider"`). Its own account, so that its
 * time is not shared with another test's services (a provider is never double-booked, across
 * all their services). Returns `{ email, password, user, access_token, refresh_token, … }`.
 */
export async function signupProvider(opts = {}) {
  const tag = unique("p").replace(/[^a-z0-9]+/gi, "-").toLowerCase();
  const email = opts.email ?? `e2e-${tag}@example.com`;
  const password = opts.password ?? "e2e-provider-password";
  const pair = await api("POST", "/auth/signup", {
    body: { email, password, first_name: "Pat", last_name: "Provider", role: "provider" },
  });
  return { email, password, ...pair };
}

/** A new active category (admin; name made unique). Returns the category. */
export async function createCategory(opts = {}) {
  return api("POST", "/categories", {
    token: await adminToken(),
    body: { name: unique(opts.name ?? "E2E Category"), description: "Made by the end-to-end tests." },
  });
}

const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/**
 * A service of the provider `token` (default: a fresh provider, see `signupProvider`), in a new
 * category, open every day `hours` (default 09:00–17:00) in `timeZone` (default Europe/Berlin):
 * 60-minute slots, no notice, 60 days ahead.
 * @param {{ token?: string, title?: string, price?: number, currency?: string,
 *           requiresAcceptance?: boolean, capacity?: number, durationMinutes?: number,
 *           timeZone?: string, hours?: [string, string] }} [opts]
 * @returns {Promise<{ service: object, serviceId: number, title: string, provider: object | null,
 *   token: string }>} provider: the fresh provider's signup answer (null when `token` was given)
 */
export async function createService(opts = {}) {
  const provider = opts.token ? null : await signupProvider();
  const token = opts.token ?? provider.access_token;
  const category = await createCategory();
  const [start, end] = opts.hours ?? ["09:00", "17:00"];
  const title = unique(opts.title ?? "E2E Service");
  const service = await api("POST", "/services", {
    token,
    body: {
      title,
      description: "Made by the end-to-end tests.",
      category_id: category.id,
      price: opts.price ?? 2500,
      currency: opts.currency ?? "EUR",
      requires_acceptance: opts.requiresAcceptance ?? false,
      availability: {
        time_zone: opts.timeZone ?? "Europe/Berlin",
        weekly: WEEKDAYS.map((weekday) => ({ weekday, start, end })),
        duration_minutes: opts.durationMinutes ?? 60,
        capacity: opts.capacity ?? 1,
        min_notice_minutes: 0,
        max_advance_days: 60,
      },
    },
  });
  return { service, serviceId: service.id, title, provider, token };
}

/** The free slots of a service (`GET /services/{id}/slots`, default: the next 7 days). */
export async function freeSlots(serviceId, opts = {}) {
  const query = new URLSearchParams();
  if (opts.from) query.set("from", opts.from);
  if (opts.to) query.set("to", opts.to);
  const list = await api("GET", `/services/${serviceId}/slots${query.size ? `?${query}` : ""}`, { baseUrl: opts.baseUrl });
  return list.items;
}

/** An appointment at `startsAt`, booked by a guest ("someone else") unless `token` is given; unpaid. */
export async function bookSlot(serviceId, startsAt, opts = {}) {
  const body = { service_id: serviceId, starts_at: startsAt };
  if (!opts.token) {
    body.name = opts.name ?? "Someone Else";
    body.email = opts.email ?? "someone-else@example.com";
  }
  return api("POST", "/bookings", { token: opts.token, body, baseUrl: opts.baseUrl });
}
