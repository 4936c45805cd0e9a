// The customer's path in a real browser: browse → pick seats → quote → hold → pay → reference;
// a declined card keeps the hold; cancelling shows the refund first; a hold running out.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, newPage, screenshot } from "./lib/browser.mjs";
import { api, baseUrl, bookAndPay, createSeatedShow, shortHoldUrl } from "./lib/fixtures.mjs";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const seat = (page, label) => page.locator(`button[data-seat-label="${label}"]`);

/** The booking `id` as the server has it, opened with the guest token this browser kept. */
async function guestBooking(page, id) {
  const token = await page.evaluate(
    (bookingId) => JSON.parse(localStorage.getItem("boxoffice.guestBookings"))?.find((b) => b.id === bookingId)?.token,
    id,
  );
  return api("GET", `/bookings/${id}`, { headers: { "x-booking-token": token } });
}

async function holdAsGuest(page) {
  await page.getByLabel("Name").fill("Ada Lovelace");
  await page.getByLabel("Email").fill("ada@example.com");
  await page.getByRole("button", { name: "Hold and continue to payment" }).click();
  await page.waitForURL(/\/checkout\//);
}

test("browse, pick two seats, see the quote, hold, pay, and get the reference", async () => {
  const fx = await createSeatedShow({ title: "Hamlet" });
  const page = await newPage(browser);
  await page.goto(`${baseUrl()}/`);
  await page.getByLabel("Search").fill(fx.title);
  await page.getByRole("button", { name: "Search", exact: true }).click();
  await page.getByRole("link", { name: fx.title }).click();
  await page.waitForURL(/\/events\/\d+$/);
  await page.locator(".show-list a").first().click();
  await page.waitForURL(new RegExp(`/shows/${fx.showId}$`));

  // the map: 24 seats by row, labelled, the class table with the tier prices
  await assertSeatLabel(page, "B3", "Row B seat 3, Standard, €12.00, available");
  assert.equal(await page.locator("button[data-seat-label]").count(), 24);
  await seat(page, "B3").click();
  await seat(page, "B4").click();
  assert.equal(await seat(page, "B3").getAttribute("aria-pressed"), "true");
  // 2 of Standard's 16 seats: both at the min tier, 2 × €12.00
  await page.getByTestId("quote-total").filter({ hasText: "€24.00" }).waitFor();
  await screenshot(page, "seat-map");

  await holdAsGuest(page);
  await page.getByTestId("countdown").waitFor();
  assert.match(await page.getByTestId("countdown").innerText(), /Seats held for (9|10):\d\d/);
  await screenshot(page, "checkout");
  await page.getByLabel(/tok_success/).check();
  await page.getByRole("button", { name: /^Pay/ }).click();
  const reference = await page.getByTestId("confirmation-reference").innerText();
  assert.match(reference, /\S{4,}/);
  await screenshot(page, "confirmation");

  // the server agrees: one confirmed booking of B3 and B4
  const id = page.url().split("/").pop();
  const booking = await guestBooking(page, id);
  assert.equal(booking.status, "confirmed");
  assert.equal(booking.reference, reference);
  assert.deepEqual(booking.items.map((i) => i.label).sort(), ["B3", "B4"]);
  assert.equal(booking.total_amount, 2400);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("a declined card shows the message and the hold survives; a second card pays; cancel shows the refund", async () => {
  const fx = await createSeatedShow();
  const page = await newPage(browser);
  await page.goto(`${baseUrl()}/shows/${fx.showId}`);
  await seat(page, "A1").click();
  await page.getByTestId("quote-total").filter({ hasText: "€30.00" }).waitFor();
  await holdAsGuest(page);

  await page.getByLabel(/tok_declined/).check();
  await page.getByRole("button", { name: /^Pay/ }).click();
  await page.getByRole("alert").filter({ hasText: "Your card was declined. Your seats are still held" }).waitFor();
  await page.getByTestId("countdown").waitFor();
  assert.equal(await page.getByTestId("booking-status").getAttribute("data-status"), "held");

  await page.getByLabel(/tok_success/).check();
  await page.getByRole("button", { name: /^Pay/ }).click();
  const reference = await page.getByTestId("confirmation-reference").innerText();

  // my bookings (a guest's, kept in this browser): cancel shows the refund before confirming
  await page.getByRole("link", { name: "My bookings" }).first().click();
  await page.getByRole("button", { name: `Cancel booking ${reference}…` }).click();
  const preview = await page.getByTestId("refund-preview").innerText();
  // the show is a week ahead: the policy gives everything back
  assert.match(preview, /You will be refunded €30\.00\./);
  await screenshot(page, "cancel-preview");
  await page.getByRole("button", { name: "Yes, cancel it" }).click();
  assert.match(await page.getByTestId("cancelled-message").innerText(), /refund of €30\.00/);
  await page.reload();
  await page.locator(`[data-status="cancelled"]`).first().waitFor();
  // the seat is free again
  const seats = await api("GET", `/shows/${fx.showId}/seats`);
  assert.equal(seats.items.find((s) => s.label === "A1").status, "available");
  await page.context().close();
});

test("cancelling late shows and gives the policy's partial refund", async () => {
  // the show starts in 12 hours: inside the 24-hour window, half of what was paid comes back
  const fx = await createSeatedShow({ startsInDays: 0.5 });
  const page = await newPage(browser);
  await page.goto(`${baseUrl()}/shows/${fx.showId}`);
  await seat(page, "A4").click();
  await page.getByTestId("quote-total").filter({ hasText: "€30.00" }).waitFor();
  await holdAsGuest(page);
  await page.getByLabel(/tok_success/).check();
  await page.getByRole("button", { name: /^Pay/ }).click();
  const reference = await page.getByTestId("confirmation-reference").innerText();
  await page.getByRole("link", { name: "Manage this booking" }).click();
  await page.getByRole("button", { name: `Cancel booking ${reference}…` }).click();
  assert.match(await page.getByTestId("refund-preview").innerText(), /refunded €15\.00 of the €30\.00 you paid/);
  await page.getByRole("button", { name: "Yes, cancel it" }).click();
  assert.match(await page.getByTestId("cancelled-message").innerText(), /refund of €15\.00/);
  // the server refunded exactly what was shown
  const id = page.url().split("/").pop();
  const booking = await guestBooking(page, id);
  assert.equal(booking.status, "cancelled");
  assert.equal(booking.payments[0].refunded_amount, 1500);
  await page.context().close();
});

test("a hold that runs out shows as expired and frees the seats", async () => {
  const fx = await createSeatedShow();
  const page = await newPage(browser);
  // the short-hold server (6 s holds) on the same database
  await page.goto(`${shortHoldUrl()}/shows/${fx.showId}`);
  await seat(page, "C5").click();
  await page.getByTestId("quote-total").waitFor();
  await holdAsGuest(page);
  await page.getByTestId("countdown").waitFor();
  await page.getByTestId("hold-expired").waitFor({ timeout: 20_000 });
  assert.match(await page.getByTestId("booking-status").innerText(), /Expired/);
  await screenshot(page, "hold-expired");
  // back on the map, the seat is available again
  await page.getByRole("link", { name: "Pick seats again" }).click();
  await page.waitForFunction(
    () => document.querySelector('button[data-seat-label="C5"]')?.getAttribute("data-status") === "available",
  );
  await page.context().close();
});

test("a seat someone else just took is marked on the map with a readable message", async () => {
  const fx = await createSeatedShow();
  const page = await newPage(browser);
  await page.goto(`${baseUrl()}/shows/${fx.showId}`);
  await seat(page, "B1").click();
  // taken through the API while this page has it selected
  await bookAndPay(fx.showId, ["B1"]);
  await page.getByRole("status").filter({ hasText: "Seat B1 was just taken by someone else" }).waitFor();
  assert.equal(await seat(page, "B1").getAttribute("data-status"), "booked");
  assert.equal(await seat(page, "B1").getAttribute("aria-pressed"), "false");
  await page.context().close();
});

async function assertSeatLabel(page, label, expected) {
  await seat(page, label).waitFor();
  assert.equal(await seat(page, label).getAttribute("aria-label"), expected);
}
