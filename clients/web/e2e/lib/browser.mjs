// Chromium for the end-to-end tests: launch, screenshots, accessibility checks.
// See ../README.md for the whole harness.
import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));

/** The repository root (clients/web/e2e/lib → ../../../..). */
export const REPO = path.resolve(here, "../../../..");

/** Where screenshots go: $E2E_OUT (scripts/e2e.sh sets <target>/e2e), else <repo>/target/e2e. */
export const OUT_DIR = process.env.E2E_OUT || path.join(REPO, "target", "e2e");

/** The Chromium binary: $CHROMIUM, else Debian's /usr/bin/chromium. */
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

/**
 * Flags Chromium needs on a machine without network access: without them it tries to reach
 * Google's services (component updates, sync, QUIC probes) and misbehaves or stalls.
 */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Starts headless Chromium (playwright-core). playwright gives every launch a fresh temporary
 * profile (--user-data-dir) and deletes it on close. Close the browser in an `after` hook.
 * @param {import("playwright-core").LaunchOptions} [options] extra launch options (args are appended)
 * @returns {Promise<import("playwright-core").Browser>}
 */
export async function launchBrowser(options = {}) {
  const { args = [], ...rest } = options;
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...args],
    timeout: 60_000,
    ...rest,
  });
}

/**
 * A new page in a fresh context (its own cookies and storage), with the console errors and
 * uncaught page errors collected in `page.errors` (strings) for assertions.
 * @param {import("playwright-core").Browser} browser
 * @param {import("playwright-core").BrowserContextOptions} [contextOptions]
 */
export async function newPage(browser, contextOptions = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...contextOptions });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") page.errors.push(`console.error: ${m.text()}`);
  });
  return page;
}

/**
 * A full-page PNG screenshot at $E2E_OUT/<name>.png.
 * @returns {Promise<string>} the file's path
 */
export async function screenshot(page, name) {
  mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, `${name.replace(/[^A-Za-z0-9._-]+/g, "-")}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

const AXE_PATH = require.resolve("axe-core/axe.min.js");

/**
 * Runs axe-core on the page and returns the violations of impact `serious` or `critical`.
 * @param {import("playwright-core").Page} page
 * @param {{ context?: unknown, options?: object, impacts?: string[] }} [opts]
 *   context: what axe checks (default the whole document; e.g. "#root" or {exclude: [...]})
 *   options: more axe.run options (e.g. { rules: { "color-contrast": { enabled: false } } })
 *   impacts: which impacts count (default ["serious", "critical"])
 * @returns {Promise<{ violations: object[], summary: string }>} summary: one line per violation
 *   (rule id, impact, help, up to three offending selectors), "" when there is none
 */
export async function checkA11y(page, opts = {}) {
  const { context = null, options = {}, impacts = ["serious", "critical"] } = opts;
  const loaded = () => page.evaluate(() => typeof window.axe === "object");
  if (!(await loaded())) {
    const seen = page.errors?.length ?? 0;
    try {
      await page.addScriptTag({ path: AXE_PATH });
    } catch {
      // handled below
    }
    if (!(await loaded())) {
      // refused by the page's Content-Security-Policy (inline scripts): evaluate it through
      // devtools instead, which CSP does not cover, and forget the CSP report it caused
      await page.evaluate(readFileSync(AXE_PATH, "utf8"));
      if (page.errors) {
        const added = page.errors.splice(seen);
        page.errors.push(...added.filter((e) => !e.includes("Content Security Policy")));
      }
    }
  }
  const results = await page.evaluate(
    ([ctx, o]) => window.axe.run(ctx ?? document, { resultTypes: ["violations"], ...o }),
    [context, options],
  );
  const violations = results.violations.filter((v) => impacts.includes(v.impact));
  const summary = violations
    .map((v) => {
      const where = v.nodes
        .slice(0, 3)
        .map((n) => n.target.join(" "))
        .join(", ");
      const more = v.nodes.length > 3 ? ` (+${v.nodes.length - 3} more)` : "";
      return `${v.id} [${v.impact}] ${v.help}: ${where}${more}`;
    })
    .join("\n");
  return { violations, summary };
}
