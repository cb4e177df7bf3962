/**
 * GET /docs in real Chromium: the reference renders from /openapi.json under its Content-Security-Policy
 * with nothing logged as wrong, at desktop and phone widths (the screenshots in docs/screenshots/), the
 * browser enforces that policy, and a merchant's publishable key works from the page's origin.
 */
import assert from "node:assert/strict";
import { type BrowserTest, DESKTOP, type OpenedPage, PHONE } from "./harness.ts";

const CSP = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'";

/** Waits until the page's script has rendered every operation of /openapi.json, and returns their count. */
async function rendered({ page }: OpenedPage): Promise<number> {
  await page.locator("section.op").first().waitFor();
  return await page.locator("section.op").count();
}

/** The reference at 1280×800: headers, title, heading, every operation, no console error. */
export async function rendersTheReferenceOnADesktop(t: BrowserTest): Promise<void> {
  const opened = await t.openPage("/docs", DESKTOP);
  const { page, response } = opened;
  assert.equal(response.status(), 200);
  assert.equal(response.headers()["content-security-policy"], CSP);
  assert.match(response.headers()["content-type"] ?? "", /^text\/html/);
  assert.equal(await page.title(), "edgepay API reference");
  assert.equal(await page.locator("header h1").textContent(), "edgepay API reference");

  const spec = (await (await fetch(new URL("/openapi.json", t.gateway.base))).json()) as {
    paths: Record<string, object>;
  };
  const operations = Object.values(spec.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
  assert.equal(await rendered(opened), operations);
  assert.equal(await page.locator("#info").textContent(), "edgepay 0.1.0");
  await page.getByText("/v1/payment_intents/{id}/capture", { exact: true }).first().waitFor();
  assert.deepEqual(opened.errors, []);
  await opened.screenshot("docs-desktop");
}

/** The reference at 390×844: it renders, nothing wider than the screen scrolls the page sideways. */
export async function fitsAPhone(t: BrowserTest): Promise<void> {
  const opened = await t.openPage("/docs", PHONE);
  assert.ok((await rendered(opened)) > 0);
  const { scrollWidth, innerWidth } = await opened.page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  assert.equal(innerWidth, PHONE.width);
  assert.ok(scrollWidth <= innerWidth, `the page is ${scrollWidth} px wide on a ${innerWidth} px screen`);
  assert.deepEqual(opened.errors, []);
  await opened.screenshot("docs-phone");
}

/** Chromium enforces the policy: a fetch from the page to another origin is refused and reported. */
export async function cspBlocksOtherOrigins(t: BrowserTest): Promise<void> {
  const opened = await t.openPage("/docs");
  await rendered(opened);
  const outcome = await opened.page.evaluate(async () => {
    const violation = new Promise<string>((resolve) =>
      document.addEventListener("securitypolicyviolation", (e) => resolve(e.effectiveDirective), { once: true }),
    );
    const fetched = await fetch("http://127.0.0.1:9/").then(
      () => "answered",
      () => "refused",
    );
    return { fetched, directive: await violation };
  });
  assert.deepEqual(outcome, { fetched: "refused", directive: "connect-src" });
  assert.ok(
    opened.errors.some((e) => e.includes("Content Security Policy")),
    opened.errors.join("\n"),
  );
}

/** The runner's merchant: its publishable key tokenizes a test card from the page, its secret key reads it back. */
export async function merchantKeysWorkFromThePage(t: BrowserTest): Promise<void> {
  const merchant = await t.gateway.merchant();
  const opened = await t.openPage("/docs");
  const answer = await opened.page.evaluate(async (key) => {
    const res = await fetch("/v1/payment_methods", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/x-www-form-urlencoded" },
      body: "type=card&card[number]=4242424242424242&card[exp_month]=12&card[exp_year]=2034&card[cvc]=123",
    });
    return { status: res.status, body: (await res.json()) as { id?: string; card?: { last4?: string } } };
  }, merchant.publishableKey);
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.match(answer.body.id ?? "", /^pm_/);
  assert.equal(answer.body.card?.last4, "4242");

  const read = await fetch(new URL(`/v1/payment_methods/${answer.body.id}`, t.gateway.base), {
    headers: { authorization: `Bearer ${merchant.secretKey}` },
  });
  assert.equal(read.status, 200);
  assert.deepEqual(opened.errors, []);
}
