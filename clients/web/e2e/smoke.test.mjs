// The built app is served by boxoffice: the index renders in Chromium, client-side routes fall
// back to the app, unknown API routes stay JSON 404s. Run with scripts/e2e.sh (make e2e).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, newPage, screenshot } from "./lib/browser.mjs";
import { baseUrl } from "./lib/fixtures.mjs";

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test("the app's index loads and renders into #root", async () => {
  const page = await newPage(browser);
  const res = await page.goto(`${baseUrl()}/`);
  assert.equal(res?.status(), 200);
  assert.match(res.headers()["content-type"] ?? "", /text\/html/);
  await page.waitForFunction(() => (document.querySelector("#root")?.childElementCount ?? 0) > 0);
  assert.ok((await page.title()).length > 0, "the page has a title");
  await screenshot(page, "home");
  const uncaught = page.errors.filter((e) => e.startsWith("pageerror:"));
  assert.deepEqual(uncaught, [], "no uncaught exceptions");
  await page.context().close();
});

test("a client-side route (/events/1) is answered with the app (SPA fallback)", async () => {
  const res = await fetch(`${baseUrl()}/events/1`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/html/);
  assert.match(await res.text(), /<div id="root"/);
});

test("an unknown API route is a JSON 404, not the app", async () => {
  const res = await fetch(`${baseUrl()}/api/v1/nope`);
  assert.equal(res.status, 404);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  const body = await res.json();
  assert.equal(body.error?.code, "not_found");
});
