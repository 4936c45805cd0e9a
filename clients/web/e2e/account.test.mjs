// Accounts, the inbox, general admission and the provider's CSV import, in the browser.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, newPage, screenshot } from "./lib/browser.mjs";
import { DEMO, adminToken, api, baseUrl, createGaShow, createSeatedShow, unique } from "./lib/fixtures.mjs";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test("sign up, get a notification live, read it, log out and in again, see my bookings", async () => {
  const fx = await createSeatedShow();
  const page = await newPage(browser);
  const email = `${unique("web").replace(/[^a-z0-9]+/gi, "-").toLowerCase()}@example.com`;
  await page.goto(`${baseUrl()}/signup`);
  await page.getByLabel("First name").fill("Grace");
  await page.getByLabel("Last name").fill("Hopper");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel(/^Password/).fill("a-long-password");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
  assert.ok(await page.getByText(email).isVisible());

  // an announcement to this user reaches the header's count through the stream, no reload
  const user = (await api("POST", "/auth/login", { body: { email, password: "a-long-password" } })).user;
  await page.getByRole("link", { name: /Notifications, 0 unread/ }).waitFor();
  await api("POST", "/notifications/push", {
    token: await adminToken(),
    body: { title: "Doors open at 19:00", body: "See you soon.", user_ids: [user.id], email: false },
  });
  await page.getByTestId("unread-count").filter({ hasText: "1" }).waitFor({ timeout: 10_000 });
  await page.getByRole("link", { name: /Notifications, 1 unread/ }).click();
  await page.getByRole("heading", { name: /Doors open at 19:00/ }).waitFor();
  await page.getByRole("button", { name: "Mark as read" }).click();
  await page.getByRole("link", { name: /Notifications, 0 unread/ }).waitFor();

  // a booking while signed in: no contact form, listed under My bookings
  await page.goto(`${baseUrl()}/shows/${fx.showId}`);
  await page.locator('button[data-seat-label="C2"]').click();
  assert.equal(await page.getByLabel("Name").count(), 0, "a signed-in user is not asked for contact details");
  await page.getByRole("button", { name: "Hold and continue to payment" }).click();
  await page.getByTestId("countdown").waitFor();
  await page.getByLabel(/tok_success/).check();
  await page.getByRole("button", { name: /^Pay/ }).click();
  const reference = await page.getByTestId("confirmation-reference").innerText();

  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("link", { name: "Log in" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("a-long-password");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
  await page.getByRole("link", { name: "My bookings" }).click();
  await page.getByRole("link", { name: `Booking ${reference}` }).waitFor();
  await screenshot(page, "my-bookings");
  await page.context().close();
});

test("general admission: a quantity, its quote, and the hold", async () => {
  const fx = await createGaShow({ capacity: 40, price: 2500 });
  const page = await newPage(browser);
  await page.goto(`${baseUrl()}/shows/${fx.showId}`);
  await page.getByLabel("Number of places").fill("3");
  await page.getByTestId("quote-total").filter({ hasText: "€75.00" }).waitFor();
  assert.equal(await page.getByTestId("available-count").innerText(), "40");
  await page.getByLabel("Name").fill("Gus");
  await page.getByLabel("Email").fill("gus@example.com");
  await page.getByRole("button", { name: "Hold and continue to payment" }).click();
  await page.getByTestId("countdown").waitFor();
  assert.match(await page.locator(".booking-summary").innerText(), /3 places/);
  await page.context().close();
});

test("a provider uploads a seat map CSV: a bad line is named, a good file imports", async () => {
  const fx = await createSeatedShow({ title: "CSV" });
  const page = await newPage(browser);
  await page.goto(`${baseUrl()}/login`);
  await page.getByLabel("Email").fill(DEMO.provider.email);
  await page.getByLabel("Password").fill(DEMO.provider.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("link", { name: "My events" }).click();
  const card = page.locator(".card", { has: page.getByRole("heading", { name: fx.title }) });
  await card.locator("select").first().waitFor();

  await card.getByLabel("File").setInputFiles({
    name: "seats.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("id,seat_identifier,seat_class\n,D1,Standard\n,,Standard\n"),
  });
  await card.getByRole("button", { name: "Upload" }).click();
  const problem = await card.getByTestId("csv-error").innerText();
  assert.match(problem, /Line 3, column seat_identifier: seat_identifier is empty/);
  await screenshot(page, "csv-error");

  await card.getByLabel("File").setInputFiles({
    name: "seats.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("id,seat_identifier,seat_class\n,D1,Standard\n,D2,Standard\n"),
  });
  await card.getByRole("button", { name: "Upload" }).click();
  assert.match(await card.getByTestId("csv-result").innerText(), /Imported 2 rows: 2 created/);
  const seats = await api("GET", `/shows/${fx.showId}/seats?limit=100`);
  assert.ok(seats.items.some((s) => s.label === "D1"));
  await page.context().close();
});
