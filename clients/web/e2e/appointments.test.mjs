// Appointments in a real browser: a guest books a slot of a service and pays with the test
// card; the slot leaves the picker; the provider accepts it on their appointments page. A free
// service: a slot taken meanwhile says so, a booking is confirmed at once, and is moved from
// My bookings.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { checkA11y, launchBrowser, newPage, screenshot } from "./lib/browser.mjs";
import { api, baseUrl, bookSlot, createService, freeSlots } from "./lib/fixtures.mjs";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const slots = (page) => page.locator("[data-testid=slot-picker] button[data-starts-at]");
const slotAt = (page, startsAt) => page.locator(`[data-testid=slot-picker] button[data-starts-at="${startsAt}"]`);

/** The booking `id` as the server has it, opened with the guest token this browser kept. */
async function guestBooking(page, id) {
  const token = await page.evaluate(
    (bookingId) => JSON.parse(localStorage.getItem("boxoffice.guestBookings"))?.find((b) => b.id === bookingId)?.token,
    id,
  );
  return api("GET", `/bookings/${id}`, { headers: { "x-booking-token": token } });
}

async function logIn(page, email, password) {
  await page.goto(`${baseUrl()}/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
}

test("a guest books and pays a slot, it leaves the picker, and the provider accepts it", async () => {
  const fx = await createService({ title: "Haircut", price: 2500, requiresAcceptance: true });
  const page = await newPage(browser);

  // find it: the services page, its search, its page
  await page.goto(`${baseUrl()}/`);
  await page.getByRole("link", { name: "Services" }).click();
  await page.getByLabel("Search").fill(fx.title);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.getByRole("link", { name: fx.title }).click();
  await page.waitForURL(new RegExp(`/services/${fx.serviceId}$`));
  assert.equal(await page.getByTestId("service-time-zone").innerText(), "Europe/Berlin");
  assert.match(await page.getByTestId("service-acceptance").innerText(), /accepts each booking first/);
  assert.match(await page.getByText(/^Times are in/).innerText(), /Europe\/Berlin, the provider's time zone/);

  // the picker shows the server's free slots, on the provider's clock
  await slots(page).first().waitFor();
  const first = slots(page).first();
  const startsAt = await first.getAttribute("data-starts-at");
  const localStart = await first.getAttribute("data-local-start");
  const server = (await freeSlots(fx.serviceId)).find((s) => s.starts_at === startsAt);
  assert.ok(server, `the first slot ${startsAt} is one of the server's`);
  assert.equal(server.local_start, localStart);
  const hh = Number(localStart.slice(11, 13));
  const expected = `${String(hh % 12 === 0 ? 12 : hh % 12).padStart(2, "0")}:${localStart.slice(14, 16)} ${hh < 12 ? "AM" : "PM"}`;
  assert.equal((await first.innerText()).trim(), expected);
  await first.click();
  assert.equal(await first.getAttribute("aria-pressed"), "true");
  assert.match(await page.getByTestId("picked-slot").innerText(), /Europe\/Berlin, UTC\+0[12]:00/);
  await screenshot(page, "service-slot-picker");

  await page.getByLabel("Name").fill("Ada Lovelace");
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByLabel(/Notes for the provider/).fill("Short at the back, please");
  await page.getByRole("button", { name: "Book and continue to payment" }).click();
  await page.waitForURL(/\/checkout\//);
  assert.match(await page.getByTestId("countdown").innerText(), /This time is held for (9|10):\d\d/);
  assert.match(await page.getByTestId("appointment-when").innerText(), /\(Europe\/Berlin\)$/);
  await page.getByLabel(/tok_success/).check();
  await page.getByRole("button", { name: /^Pay/ }).click();
  const reference = await page.getByTestId("confirmation-reference").innerText();
  await page.getByRole("heading", { name: "Paid — waiting for the provider" }).waitFor();

  // the server agrees: paid, waiting for the provider, at the picked time, with the notes
  const id = page.url().split("/").pop();
  let booking = await guestBooking(page, id);
  assert.equal(booking.status, "pending");
  assert.equal(booking.kind, "appointment");
  assert.equal(booking.show_id ?? null, null);
  assert.equal(booking.appointment.starts_at, startsAt);
  assert.equal(booking.appointment.notes, "Short at the back, please");

  // the slot is gone from the picker (a one-to-one service)
  await page.goto(`${baseUrl()}/services/${fx.serviceId}`);
  await slots(page).first().waitFor();
  assert.equal(await slotAt(page, startsAt).count(), 0);

  // the provider accepts it on their appointments page
  const provider = await newPage(browser);
  await logIn(provider, fx.provider.email, fx.provider.password);
  await provider.getByRole("link", { name: "My events" }).click();
  await provider.getByRole("link", { name: "My appointments" }).click();
  await provider.waitForURL(/\/provider\/appointments$/);
  const row = provider.locator(`li[data-booking-id="${id}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /Short at the back, please/);
  assert.match(await row.innerText(), new RegExp(`${fx.title}, .*\\(Europe/Berlin\\)`));
  await screenshot(provider, "provider-appointments");
  const a11y = await checkA11y(provider);
  assert.equal(a11y.violations.length, 0, `provider appointments:\n${a11y.summary}`);
  await row.getByRole("button", { name: `Accept booking ${reference}` }).click();
  await row.getByText(`Accepted booking ${reference}.`).waitFor();
  assert.equal(await row.getByTestId("appointment-status").getAttribute("data-status"), "confirmed");
  booking = await guestBooking(page, id);
  assert.equal(booking.status, "confirmed");

  // the customer's list: the service and its local time
  await page.getByRole("link", { name: "My bookings" }).first().click();
  const mine = page.locator(`li[data-booking-id="${id}"]`);
  await mine.locator('[data-status="confirmed"]').waitFor();
  assert.match(await mine.innerText(), new RegExp(fx.title));
  assert.deepEqual(page.errors, []);
  assert.deepEqual(provider.errors, []);
  await page.context().close();
  await provider.context().close();
});

test("a free slot: taken meanwhile says so, booked at once, then moved from My bookings", async () => {
  const fx = await createService({ title: "Free consultation", price: 0 });
  const page = await newPage(browser);
  await page.goto(`${baseUrl()}/services/${fx.serviceId}`);
  await slots(page).nth(2).waitFor();

  // someone else books the picked slot before this browser does
  const taken = await slots(page).first().getAttribute("data-starts-at");
  await slotAt(page, taken).click();
  await bookSlot(fx.serviceId, taken);
  await page.getByLabel("Name").fill("Grace Hopper");
  await page.getByLabel("Email").fill("grace@example.com");
  await page.getByRole("button", { name: "Book this time" }).click();
  await page.getByRole("alert").filter({ hasText: "this time was just taken by someone else" }).waitFor();
  await page.waitForFunction(
    (t) => !document.querySelector(`[data-testid=slot-picker] button[data-starts-at="${t}"]`) &&
      document.querySelectorAll("[data-testid=slot-picker] button[data-starts-at]").length > 0,
    taken,
  );

  // another one: free, so confirmed at once, here
  const startsAt = await slots(page).first().getAttribute("data-starts-at");
  await slotAt(page, startsAt).click();
  await page.getByRole("button", { name: "Book this time" }).click();
  await page.getByRole("heading", { name: "Booking confirmed" }).waitFor();
  const reference = await page.getByTestId("confirmation-reference").innerText();
  await page.waitForFunction(
    (t) => !document.querySelector(`[data-testid=slot-picker] button[data-starts-at="${t}"]`),
    startsAt,
  );

  // My bookings: move it to a slot of the next week
  await page.getByRole("link", { name: "My bookings" }).first().click();
  await page.getByRole("button", { name: `Move booking ${reference} to another time…` }).click();
  const panel = page.locator(".move-panel");
  await panel.locator("button[data-starts-at]").first().waitFor();
  const thisWeek = await panel.locator("[id$=\"-week-label\"]").innerText();
  await panel.getByRole("button", { name: /Next week/ }).click();
  await panel.locator("[id$=\"-week-label\"]").filter({ hasNotText: thisWeek }).waitFor();
  const target = panel.locator('.slot-days[aria-busy="false"] button[data-starts-at]').first();
  await target.waitFor();
  const newStart = await target.getAttribute("data-starts-at");
  assert.ok(Date.parse(newStart) > Date.parse(startsAt));
  await target.click();
  await panel.getByRole("button", { name: "Move to this time" }).click();
  await page.getByTestId("moved-message").waitFor();
  await screenshot(page, "appointment-moved");

  const booking = (await api("GET", `/bookings/${(await bookingIdOf(page, reference))}`, {
    headers: { "x-booking-token": await tokenOf(page, reference) },
  }));
  assert.equal(booking.status, "confirmed");
  assert.equal(booking.appointment.starts_at, newStart);
  // the old time is free again, the new one taken
  const free = (await freeSlots(fx.serviceId, { from: startsAt, to: new Date(Date.parse(newStart) + 3_600_000).toISOString() })).map(
    (s) => s.starts_at,
  );
  assert.ok(free.includes(startsAt), "the old time is free again");
  assert.ok(!free.includes(newStart), "the new time is taken");
  // the browser logs the refused booking (409) itself; nothing else went wrong
  assert.deepEqual(
    page.errors.filter((e) => !e.includes("status of 409")),
    [],
  );
  await page.context().close();
});

async function guestEntry(page, reference) {
  return page.evaluate(
    (ref) => JSON.parse(localStorage.getItem("boxoffice.guestBookings"))?.find((b) => b.reference === ref),
    reference,
  );
}
async function bookingIdOf(page, reference) {
  return (await guestEntry(page, reference)).id;
}
async function tokenOf(page, reference) {
  return (await guestEntry(page, reference)).token;
}
