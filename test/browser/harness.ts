/**
 * What a browser test gets: the running gateway (operator calls, merchants with keys) and pages in
 * real Chromium. A test file is `test/browser/<name>.browser.ts`; each exported async function is one
 * test taking a `BrowserTest`, and it fails by throwing (node:assert). Every page a test opens gets its
 * own browser context, closed when the test ends, and records what went wrong in the page: console
 * errors (CSP violations among them), uncaught exceptions and failed requests, and every request it made.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page, Response } from "playwright-core";
import type { Gateway } from "./gateway.ts";

/** A window size; `mobile` also turns on the meta viewport and touch, as on a phone. */
export interface Viewport {
  width: number;
  height: number;
  mobile?: boolean;
}

/** The desktop width the screenshots use. */
export const DESKTOP: Viewport = { width: 1280, height: 800 };
/** A phone (iPhone 12 to 15 logical size). */
export const PHONE: Viewport = { width: 390, height: 844, mobile: true };

/** A page opened by `openPage`, with what it has logged as wrong so far. */
export interface OpenedPage {
  page: Page;
  /** The answer to the navigation itself. */
  response: Response;
  /** Console errors, uncaught exceptions and failed requests, in order. */
  errors: string[];
  /** The URL of every request the page made, from its navigation on, in order. */
  requests: string[];
  /** Writes the visible viewport as `<name>.png` into the run's screenshot directory; returns the path. */
  screenshot(name: string): Promise<string>;
}

/** The argument of every browser test. */
export interface BrowserTest {
  /** The gateway: `base` URL, `operator(path, body?)`, `merchant()` → ids and `sk_`/`pk_` keys. */
  gateway: Gateway;
  /** Opens `path` (on the gateway) in a fresh context of the given size and waits for `load`. */
  openPage(path: string, viewport?: Viewport): Promise<OpenedPage>;
}

/** A browser test: one exported async function of a `*.browser.ts` file. */
export type BrowserTestFn = (t: BrowserTest) => Promise<void>;

/** Builds the `BrowserTest` of one test; `close()` ends every context it opened. */
export function browserTest(browser: Browser, gateway: Gateway, screenshotDir: string) {
  const contexts: BrowserContext[] = [];
  const test: BrowserTest = {
    gateway,
    async openPage(path, viewport = DESKTOP) {
      const context = await browser.newContext({
        viewport: { width: viewport.width, height: viewport.height },
        isMobile: viewport.mobile ?? false,
        hasTouch: viewport.mobile ?? false,
        deviceScaleFactor: 1,
      });
      contexts.push(context);
      const page = await context.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on("request", (r) => requests.push(r.url()));
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(`console: ${m.text()}`);
      });
      page.on("pageerror", (e) => errors.push(`uncaught: ${e.message}`));
      page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
      const response = await page.goto(new URL(path, gateway.base).href, { waitUntil: "load" });
      if (!response) throw new Error(`no response for ${path}`);
      return {
        page,
        response,
        errors,
        requests,
        async screenshot(name) {
          if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`screenshot name ${name}: use a-z, 0-9 and -`);
          mkdirSync(screenshotDir, { recursive: true });
          const file = join(screenshotDir, `${name}.png`);
          await page.screenshot({ path: file, animations: "disabled", caret: "hide" });
          return file;
        },
      };
    },
  };
  const close = async () => {
    await Promise.allSettled(contexts.map((c) => c.close()));
  };
  return { test, close };
}

/**
 * Each of `files` (path and content-type pattern) is served 200 with the policy `csp` and
 * `X-Frame-Options: DENY` (public/_headers, which only wrangler's asset router applies), and each of
 * `missing` is a 404 (no folder listing, no _headers file).
 */
export async function assertStaticFiles(
  base: string,
  csp: string,
  files: readonly (readonly [string, RegExp])[],
  missing: readonly string[],
): Promise<void> {
  for (const [path, type] of files) {
    const res = await fetch(new URL(path, base));
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get("content-type") ?? "", type, path);
    assert.equal(res.headers.get("content-security-policy"), csp, path);
    assert.equal(res.headers.get("x-frame-options"), "DENY", path);
  }
  for (const path of missing) assert.equal((await fetch(new URL(path, base))).status, 404, path);
}
