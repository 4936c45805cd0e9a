// Keyboard-only seat selection and the axe-core check of the main pages.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { checkA11y, launchBrowser, newPage } from "./lib/browser.mjs";
import { baseUrl, createGaShow, createSeatedShow, createService } from "./lib/fixtures.mjs";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const focused = (page) => page.evaluate(() => document.activeElement?.getAttribute("aria-label") ?? document.activeElement?.textContent);

test("seats can be picked and held with the keyboard alone", async () => {
  const fx = await createSeatedShow();
  const page = await newPage(browser);
  await page.goto(`${baseUrl()}/shows/${fx.showId}`);
  await page.locator('button[data-seat-label="A1"]').waitFor();
  // Tab from the top of the page until a seat has the focus: the map is one tab stop
  let label = "";
  for (let i = 0; i < 40 && !/^Row /.test(label ?? ""); i += 1) {
    await page.keyboard.press("Tab");
    label = await focused(page);
  }
  assert.equal(label, "Row A seat 1, Premium, €30.00, available");
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowRight");
  assert.equal(await focused(page), "Row B seat 2, Standard, €12.00, available");
  await page.keyboard.press("Enter");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.press("Space");
  assert.equal(await page.locator('button[data-seat-label="B2"]').getAttribute("aria-pressed"), "true");
  assert.equal(await page.locator('button[data-seat-label="B3"]').getAttribute("aria-pressed"), "true");
  await page.getByTestId("quote-total").filter({ hasText: "€24.00" }).waitFor();
  // on through the form by Tab: the seat map is left in one press, then the "log in" link
  await page.keyboard.press("Tab");
  assert.equal(await focused(page), "log in");
  await page.keyboard.press("Tab");
  await page.keyboard.type("Kay Board");
  await page.keyboard.press("Tab");
  await page.keyboard.type("kay@example.com");
  await page.keyboard.press("Tab");
  assert.equal(await focused(page), "Hold and continue to payment");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/checkout\//);
  await page.getByTestId("countdown").waitFor();
  await page.context().close();
});

test("no serious accessibility violations on the main pages", async () => {
  const seated = await createSeatedShow();
  const ga = await createGaShow();
  const service = await createService({ title: "Axe lesson", capacity: 4, requiresAcceptance: true });
  const page = await newPage(browser);
  const pages = [
    ["events", "/", "h1"],
    ["event", `/events/${seated.eventId}`, ".show-list"],
    ["seat map", `/shows/${seated.showId}`, 'button[data-seat-label="A1"]'],
    ["general admission", `/shows/${ga.showId}`, "#quantity"],
    ["log in", "/login", "#login-email"],
    ["sign up", "/signup", "#su-email"],
    ["my bookings", "/bookings", "h1"],
    ["services", `/services?q=${encodeURIComponent(service.title)}`, ".service-list a"],
    ["service and its slot picker", `/services/${service.serviceId}`, "button[data-starts-at]"],
  ];
  for (const [name, path, ready] of pages) {
    await page.goto(`${baseUrl()}${path}`);
    await page.locator(ready).first().waitFor();
    const { violations, summary } = await checkA11y(page);
    assert.equal(violations.length, 0, `${name} (${path}):\n${summary}`);
  }
  // a held booking's checkout page
  await page.goto(`${baseUrl()}/shows/${seated.showId}`);
  await page.locator('button[data-seat-label="C1"]').click();
  await page.getByLabel("Name").fill("Axe");
  await page.getByLabel("Email").fill("axe@example.com");
  await page.getByRole("button", { name: "Hold and continue to payment" }).click();
  await page.getByTestId("countdown").waitFor();
  const { violations, summary } = await checkA11y(page);
  assert.equal(violations.length, 0, `checkout:\n${summary}`);
  // a picked slot (a class: its places left in the label) and the booking form, then the
  // provider's appointments page (signed in)
  await page.goto(`${baseUrl()}/services/${service.serviceId}`);
  assert.match(await page.locator("button[data-starts-at]").first().innerText(), /^\d\d:\d\d [AP]M · 4 places left$/);
  await page.locator("button[data-starts-at]").first().click();
  await page.locator('button[data-starts-at][aria-pressed="true"]').waitFor();
  const picked = await checkA11y(page);
  assert.equal(picked.violations.length, 0, `service with a picked slot:\n${picked.summary}`);
  await page.goto(`${baseUrl()}/login`);
  await page.getByLabel("Email").fill(service.provider.email);
  await page.getByLabel("Password").fill(service.provider.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
  await page.goto(`${baseUrl()}/provider/appointments`);
  await page.locator("#appt-status").waitFor();
  await page.getByRole("status").filter({ hasText: /appointments?$/ }).waitFor();
  const provider = await checkA11y(page);
  assert.equal(provider.violations.length, 0, `provider appointments:\n${provider.summary}`);
  await page.context().close();
});
