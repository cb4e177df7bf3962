/**
 * GET /docs in real Chromium: the Scalar reference renders /openapi.json and the guides under the
 * page's Content-Security-Policy with nothing logged as wrong and no request to another origin; the
 * navigation lists every tag and the guides, search finds an operation and opens it, an operation
 * shows its required scope and its curl and stripe samples, it fits a phone (the screenshots in
 * docs/screenshots/), the browser enforces the policy, and a merchant's publishable key works from
 * the page's origin.
 */
import assert from "node:assert/strict";
import { assertStaticFiles, type BrowserTest, DESKTOP, type OpenedPage, PHONE } from "./harness.ts";

/** src/routes/docs.ts's DOCS_CSP (the page) and public/_headers' /docs/* policy (its assets). */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; " +
  "img-src 'self' data:; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Waits until Scalar has rendered the document's title and the guides in the introduction. */
async function rendered({ page }: OpenedPage): Promise<void> {
  await page
    .locator("h1", { hasText: /^edgepay$/ })
    .first()
    .waitFor();
  await page.locator("h1#api-1\\/description\\/errors").waitFor({ state: "attached" });
}

/** Every request of the page went to the gateway's own origin (or was inline `data:`). */
function sameOriginOnly(opened: OpenedPage, origin: string): void {
  const elsewhere = opened.requests.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith("data:"));
  assert.deepEqual(elsewhere, []);
}

/** The reference at 1280×800: headers, title, every tag and guide in the navigation, no error, no other origin. */
export async function rendersTheReferenceOnADesktop(t: BrowserTest): Promise<void> {
  const opened = await t.openPage("/docs", DESKTOP);
  const { page, response } = opened;
  assert.equal(response.status(), 200);
  assert.equal(response.headers()["content-security-policy"], CSP);
  assert.match(response.headers()["content-type"] ?? "", /^text\/html/);
  assert.equal(await page.title(), "edgepay API reference");
  await rendered(opened);

  const spec = (await (await fetch(new URL("/openapi.json", t.gateway.base))).json()) as { tags: { name: string }[] };
  const nav = page.locator(".references-sidebar, aside, nav").first();
  for (const { name } of spec.tags) {
    await nav.getByText(name, { exact: true }).first().waitFor({ timeout: 5000 });
  }
  await nav.getByText("Introduction", { exact: true }).first().click();
  for (const guide of [
    "Authentication",
    "Errors",
    "Idempotency",
    "Pagination",
    "Rate limits",
    "Webhooks",
    "Test cards",
  ]) {
    await nav.getByText(guide, { exact: true }).first().waitFor({ timeout: 5000 });
  }
  const assets = opened.requests.map((url) => new URL(url).pathname);
  for (const path of ["/docs/vendor/standalone.js", "/openapi.json", "/docs/guides/errors.md"]) {
    assert.ok(assets.includes(path), `${path} was not requested: ${assets.join(", ")}`);
  }
  sameOriginOnly(opened, t.gateway.base);
  assert.deepEqual(opened.errors, []);
  await opened.screenshot("docs-desktop");
}

/** Search: typing "capture" lists the capture operation; choosing it opens the operation. */
export async function searchFindsAnOperation(t: BrowserTest): Promise<void> {
  const opened = await t.openPage("/docs", DESKTOP);
  const { page } = opened;
  await rendered(opened);
  await page
    .getByRole("button", { name: /search/i })
    .first()
    .click();
  const box = page.getByRole("combobox", { name: "Enter search query" });
  await box.fill("capture");
  const hit = page.getByRole("option").filter({ hasText: "/v1/payment_intents/{id}/capture" }).first();
  await hit.waitFor();
  await opened.screenshot("docs-search");
  await hit.click();
  await page.waitForFunction(() => decodeURIComponent(location.hash).includes("/v1/payment_intents/{id}/capture"));
  await page.getByRole("heading", { name: "Capture all or part of an authorization" }).first().waitFor();
  sameOriginOnly(opened, t.gateway.base);
  assert.deepEqual(opened.errors, []);
}

/** A guide is a page of its own: the errors guide's table, reached from the navigation. */
export async function aGuideIsReachable(t: BrowserTest): Promise<void> {
  const opened = await t.openPage("/docs", DESKTOP);
  const { page } = opened;
  await rendered(opened);
  await page.getByText("Introduction", { exact: true }).first().click();
  await page.locator('a[href="#description/errors"]').first().click();
  await page.waitForFunction(() => location.hash === "#description/errors");
  const heading = page.locator("h1#api-1\\/description\\/errors");
  await heading.waitFor();
  const row = page.locator("tr", { hasText: "cross_origin_request" }).first();
  await row.waitFor();
  assert.match((await row.textContent()) ?? "", /cross_origin_request\s+403\s+permission_error/);
  assert.deepEqual(opened.errors, []);
}

/** An operation shows its required scope, its fields, and the curl and stripe-node samples. */
export async function anOperationShowsScopeAndSamples(t: BrowserTest): Promise<void> {
  const opened = await t.openPage("/docs#tag/refunds/POST/v1/refunds", DESKTOP);
  const { page } = opened;
  await rendered(opened);
  const section = page.locator("section", { hasText: "Required scope:" }).filter({ hasText: "refunds:write" }).first();
  await section.waitFor();
  const sample = page.locator(".scalar-codeblock-pre, pre", {
    hasText: 'curl -X POST "http://127.0.0.1:8787/v1/refunds"',
  });
  await sample.first().waitFor();
  await opened.screenshot("docs-operation");
  assert.deepEqual(opened.errors, []);
}

/** The reference at 390×844: it renders, nothing wider than the screen scrolls the page sideways. */
export async function fitsAPhone(t: BrowserTest): Promise<void> {
  const opened = await t.openPage("/docs", PHONE);
  await opened.page
    .locator("h1", { hasText: /^edgepay$/ })
    .first()
    .waitFor();
  const { scrollWidth, innerWidth } = await opened.page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  assert.equal(innerWidth, PHONE.width);
  assert.ok(scrollWidth <= innerWidth, `the page is ${scrollWidth} px wide on a ${innerWidth} px screen`);
  sameOriginOnly(opened, t.gateway.base);
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

/**
 * The page's static files, reached directly, carry the same policy from public/_headers (which only
 * wrangler's asset router applies, so vitest cannot check it), and nothing under /docs/ lists a folder.
 */
export async function staticFilesCarryThePolicy(t: BrowserTest): Promise<void> {
  await assertStaticFiles(
    t.gateway.base,
    CSP,
    [
      ["/docs/index.html", /^text\/html/],
      ["/docs/docs.js", /javascript/],
      ["/docs/docs.css", /^text\/css/],
      ["/docs/guides/errors.md", /^text\/markdown/],
      ["/docs/vendor/standalone.js", /javascript/],
    ],
    ["/docs/_headers", "/docs/vendor/", "/docs/guides/"],
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
