// Two browsers on one show: a booking in one turns the seats taken in the other, without a
// reload; the availability count follows.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, newPage, screenshot } from "./lib/browser.mjs";
import { baseUrl, createSeatedShow } from "./lib/fixtures.mjs";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test("a booking in one browser context shows as taken in another without reload", async () => {
  const fx = await createSeatedShow();
  const alice = await newPage(browser);
  const bob = await newPage(browser);
  await Promise.all([alice.goto(`${baseUrl()}/shows/${fx.showId}`), bob.goto(`${baseUrl()}/shows/${fx.showId}`)]);
  await bob.locator('button[data-seat-label="A2"]').waitFor();
  assert.equal(await bob.getByTestId("available-count").innerText(), "24");
  let bobNavigations = 0;
  bob.on("framenavigated", () => (bobNavigations += 1));

  await alice.locator('button[data-seat-label="A2"]').click();
  await alice.locator('button[data-seat-label="A3"]').click();
  await alice.getByLabel("Name").fill("Alice");
  await alice.getByLabel("Email").fill("alice@example.com");
  await alice.getByRole("button", { name: "Hold and continue to payment" }).click();
  await alice.waitForURL(/\/checkout\//);

  // held on Bob's map
  await bob.waitForFunction(
    () =>
      ["A2", "A3"].every(
        (l) => document.querySelector(`button[data-seat-label="${l}"]`)?.getAttribute("data-status") === "held",
      ),
    null,
    { timeout: 10_000 },
  );
  assert.equal(await bob.getByTestId("available-count").innerText(), "22");
  assert.match(await bob.locator('button[data-seat-label="A2"]').getAttribute("aria-label"), /held by someone else$/);

  // paid: booked on Bob's map
  await alice.getByLabel(/tok_success/).check();
  await alice.getByRole("button", { name: /^Pay/ }).click();
  await alice.getByTestId("confirmation-reference").waitFor();
  await bob.waitForFunction(
    () =>
      ["A2", "A3"].every(
        (l) => document.querySelector(`button[data-seat-label="${l}"]`)?.getAttribute("data-status") === "booked",
      ),
    null,
    { timeout: 10_000 },
  );
  await screenshot(bob, "live-seat-map");
  assert.equal(bobNavigations, 0, "Bob's page was not reloaded");
  // Bob cannot pick a taken seat
  await bob.locator('button[data-seat-label="A2"]').click({ force: true });
  assert.equal(await bob.locator('button[data-seat-label="A2"]').getAttribute("aria-pressed"), "false");
  await alice.context().close();
  await bob.context().close();
});
