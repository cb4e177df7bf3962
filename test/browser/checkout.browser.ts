/**
 * The hosted checkout page in real Chromium, against `wrangler dev` (with its static-asset router and
 * public/_headers): a session created with the merchant's secret key is paid from its `url` and lands
 * on `success_url?session_id=…` with the session complete and the intent succeeded; a decline is shown
 * inline and a second card pays; a Luhn-invalid number never reaches the API; an expired session shows
 * the expired state; the page and its assets carry the strict headers and log nothing wrong; the form
 * works from the keyboard alone; a 3-D Secure card is challenged, and Complete lands paid while Fail
 * comes back to the page with the failure read out; wrangler's output never holds a card number. Screenshots:
 * docs/screenshots/checkout-desktop.png and checkout-phone.png.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import type { TestMerchant } from "./gateway.ts";
import { type BrowserTest, DESKTOP, type OpenedPage, PHONE } from "./harness.ts";

const GOOD = "4242424242424242";
const DECLINED = "4000000000000002";
const LUHN_INVALID = "4242424242424241";

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/** The security headers of the page and of its CSS and script. */
const SECURITY = {
  "content-security-policy": CSP,
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
};

interface Session {
  id: string;
  url: string;
  payment_intent: string;
  status: string;
}

/** A merchant API call with its secret key (form-encoded POST with `form`, else GET); throws on non-2xx. */
async function merchantApi<T>(t: BrowserTest, m: TestMerchant, path: string, form?: Record<string, string>) {
  const res = await fetch(new URL(path, t.gateway.base), {
    method: form ? "POST" : "GET",
    headers: { authorization: `Bearer ${m.secretKey}`, "content-type": "application/x-www-form-urlencoded" },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  const body = (await res.json()) as T;
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** A session of two line items (2 × $15.00 + 1 × $5.00) whose success URL is on the gateway's own origin. */
async function newSession(t: BrowserTest, m: TestMerchant): Promise<Session> {
  return await merchantApi<Session>(t, m, "/v1/checkout/sessions", {
    mode: "payment",
    currency: "usd",
    success_url: `${t.gateway.base}/checkout-done`,
    cancel_url: `${t.gateway.base}/checkout-cancelled`,
    "line_items[0][price_data][product_data][name]": "Linen shirt",
    "line_items[0][price_data][unit_amount]": "1500",
    "line_items[0][quantity]": "2",
    "line_items[1][price_data][product_data][name]": "Wool socks",
    "line_items[1][price_data][unit_amount]": "500",
    "line_items[1][quantity]": "1",
  });
}

/** Opens the session's page and waits until its script has shown the session. */
async function openCheckout(t: BrowserTest, session: Session, viewport = DESKTOP): Promise<OpenedPage> {
  const opened = await t.openPage(new URL(session.url).pathname, viewport);
  await opened.page.locator("#checkout").waitFor();
  return opened;
}

/** Types a card into the form as a shopper would (CVC last). */
async function fillCard(page: Page, number: string, cvc = "123"): Promise<void> {
  await page.locator("#number").fill("");
  await page.locator("#number").pressSequentially(number);
  await page.locator("#exp").fill("");
  await page.locator("#exp").pressSequentially("1234");
  await page.locator("#cvc").fill(cvc);
}

/** Requests the page makes to the pay endpoint, from now on. */
function payRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on("request", (r) => {
    if (r.url().endsWith("/pay")) seen.push(r.url());
  });
  return seen;
}

/** Waits for the browser to land on the success URL; checks its session_id and that the API shows it paid. */
async function landsPaid(t: BrowserTest, m: TestMerchant, page: Page, session: Session): Promise<void> {
  await page.waitForURL((url) => url.pathname === "/checkout-done");
  const landed = new URL(page.url());
  assert.equal(landed.origin, t.gateway.base);
  assert.equal(landed.searchParams.get("session_id"), session.id);
  const after = await merchantApi<{ status: string; payment_status: string; url: string | null }>(
    t,
    m,
    `/v1/checkout/sessions/${session.id}`,
  );
  assert.deepEqual([after.status, after.payment_status, after.url], ["complete", "paid", null]);
  const intent = await merchantApi<{ status: string }>(t, m, `/v1/payment_intents/${session.payment_intent}`);
  assert.equal(intent.status, "succeeded");
}

/** (a) 1280×800: the merchant, items and total in dollars; 4242… pays and lands on success_url. */
export async function paysWith4242OnADesktop(t: BrowserTest): Promise<void> {
  const m = await t.gateway.merchant("Linen & Wool Co.");
  const session = await newSession(t, m);
  const opened = await openCheckout(t, session, DESKTOP);
  const { page } = opened;
  assert.equal(await page.locator("#merchant").textContent(), "Linen & Wool Co.");
  assert.equal(await page.locator("#total").textContent(), "$35.00");
  assert.deepEqual(await page.locator("#items li").allInnerTexts(), [
    "Linen shirt\nQty 2\n$30.00",
    "Wool socks\nQty 1\n$5.00",
  ]);
  assert.equal(await page.locator("#back").getAttribute("href"), `${t.gateway.base}/checkout-cancelled`);
  await fillCard(page, GOOD);
  assert.equal(await page.locator("#number").inputValue(), "4242 4242 4242 4242");
  assert.equal(await page.locator("#exp").inputValue(), "12 / 34");
  assert.equal(await page.locator("#brand").textContent(), "Visa");
  await page.locator("#email").fill("ada@example.com");
  await page.locator("#name").fill("Ada Lovelace");
  assert.deepEqual(opened.errors, []);
  await opened.screenshot("checkout-desktop");
  await page.getByRole("button", { name: "Pay $35.00" }).click();
  await landsPaid(t, m, page, session);
}

/** (b) 390×844: a declined card is read out inline (CVC cleared, form kept); then 4242… pays. */
export async function declineShownInlineThenPaysOnAPhone(t: BrowserTest): Promise<void> {
  const m = await t.gateway.merchant("Corner Bakery");
  const session = await newSession(t, m);
  const opened = await openCheckout(t, session, PHONE);
  const { page } = opened;
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  assert.equal(innerWidth, PHONE.width);
  assert.ok(scrollWidth <= innerWidth, `the page is ${scrollWidth} px wide on a ${innerWidth} px screen`);
  await fillCard(page, DECLINED);
  await page.locator("#submit").click();
  const alert = page.getByRole("alert");
  await alert.getByText("Your card was declined.").waitFor();
  assert.equal(await page.locator("#cvc").inputValue(), "");
  assert.equal(await page.locator("#number").inputValue(), "4000 0000 0000 0002");
  assert.equal(await page.locator("#submit").isEnabled(), true);
  assert.equal(page.url(), new URL(session.url).href);
  assert.deepEqual(
    opened.errors.filter((e) => !e.includes("402")),
    [],
  );
  await opened.screenshot("checkout-phone");
  await fillCard(page, GOOD);
  await page.locator("#submit").click();
  await landsPaid(t, m, page, session);
}

/** (c) A Luhn-invalid number is flagged as it is typed, and submitting it never calls the API. */
export async function luhnInvalidNumberNeverReachesTheApi(t: BrowserTest): Promise<void> {
  const m = await t.gateway.merchant();
  const session = await newSession(t, m);
  const opened = await openCheckout(t, session);
  const { page } = opened;
  const pays = payRequests(page);
  await page.locator("#number").pressSequentially(LUHN_INVALID);
  const error = page.locator("#number-error");
  await error.getByText("Your card number is invalid.").waitFor();
  assert.equal(await page.locator("#number").getAttribute("aria-invalid"), "true");
  assert.match((await page.locator("#number").getAttribute("aria-describedby")) ?? "", /\bnumber-error\b/);
  await page.locator("#exp").pressSequentially("1234");
  await page.locator("#cvc").fill("123");
  await page.locator("#submit").click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), "number");
  await page.waitForTimeout(300);
  assert.deepEqual(pays, []);
  assert.deepEqual(opened.errors, []);
  // Corrected, the same form pays.
  await page.locator("#number").fill("");
  await page.locator("#number").pressSequentially(GOOD);
  assert.equal(await page.locator("#number").getAttribute("aria-invalid"), "false");
  assert.equal(await error.isHidden(), true);
  await page.locator("#submit").click();
  await landsPaid(t, m, page, session);
  assert.equal(pays.length, 1);
}

/** (d) An expired session, and an unknown id, show the expired state and no form. */
export async function expiredSessionIsRefused(t: BrowserTest): Promise<void> {
  const m = await t.gateway.merchant();
  const session = await newSession(t, m);
  await merchantApi(t, m, `/v1/checkout/sessions/${session.id}/expire`, {});
  for (const path of [new URL(session.url).pathname, `/checkout/cs_test_${"x".repeat(48)}`]) {
    const opened = await t.openPage(path, PHONE);
    await opened.page.locator("#gone").waitFor();
    assert.equal(await opened.page.locator("#gone-title").textContent(), "This checkout session has expired");
    assert.equal(await opened.page.locator("#checkout").isHidden(), true);
    assert.equal(await opened.page.locator("#number").isVisible(), false);
    // The session view's 404 is the only thing Chromium reports.
    assert.deepEqual(
      opened.errors.filter((e) => !e.includes("404")),
      [],
    );
  }
}

/** (e) The page and its CSS and script carry the strict headers; the HTML is not an asset of its own; CSP holds. */
export async function strictHeadersAndNoViolations(t: BrowserTest): Promise<void> {
  const m = await t.gateway.merchant();
  const session = await newSession(t, m);
  const opened = await openCheckout(t, session);
  const headers = opened.response.headers();
  assert.equal(opened.response.status(), 200);
  for (const [name, value] of Object.entries({ ...SECURITY, "cache-control": "no-store" })) {
    assert.equal(headers[name], value, name);
  }
  for (const [path, type] of [
    ["/checkout/checkout.js", /javascript/],
    ["/checkout/checkout.css", /^text\/css/],
    ["/base.css", /^text\/css/],
  ] as const) {
    const res = await fetch(new URL(path, t.gateway.base));
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get("content-type") ?? "", type);
    for (const [name, value] of Object.entries(SECURITY)) assert.equal(res.headers.get(name), value, `${path} ${name}`);
  }
  for (const path of ["/checkout/checkout.html", "/_headers", "/checkout/_headers"]) {
    assert.equal((await fetch(new URL(path, t.gateway.base))).status, 404, path);
  }
  // The browser enforces the policy: a fetch to another origin is refused as a connect-src violation.
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
  // Nothing else went wrong while the page loaded and ran.
  assert.deepEqual(
    opened.errors.filter((e) => !e.includes("127.0.0.1:9")),
    [],
  );
}

/** (f) Tab reaches every field and the button in reading order; the form pays from the keyboard alone. */
export async function keyboardOnly(t: BrowserTest): Promise<void> {
  const m = await t.gateway.merchant();
  const session = await newSession(t, m);
  const { page, errors } = await openCheckout(t, session);
  const order: string[] = [];
  for (let i = 0; i < 7; i++) {
    await page.keyboard.press("Tab");
    order.push(await page.evaluate(() => document.activeElement?.id ?? ""));
  }
  assert.deepEqual(order, ["back", "email", "number", "exp", "cvc", "name", "submit"]);
  // A visible focus ring on the focused button.
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
  assert.equal(outline, "solid");
  await page.keyboard.press("Shift+Tab"); // name
  await page.keyboard.press("Shift+Tab"); // cvc
  await page.keyboard.press("Shift+Tab"); // exp
  await page.keyboard.press("Shift+Tab"); // number
  await page.keyboard.type(GOOD);
  await page.keyboard.press("Tab");
  await page.keyboard.type("1234");
  await page.keyboard.press("Tab");
  await page.keyboard.type("123");
  assert.deepEqual(errors, []);
  await page.keyboard.press("Enter");
  await landsPaid(t, m, page, session);
}

/** (g) Last in the file (exports run sorted by name): after every payment above, no card number (plain or grouped) in wrangler's captured output. */
export async function wranglerOutputHoldsNoCardNumber(t: BrowserTest): Promise<void> {
  const log = t.gateway.log();
  for (const number of [GOOD, DECLINED, LUHN_INVALID]) {
    for (const shown of [number, number.replace(/(\d{4})(?=\d)/g, "$1 ")]) {
      assert.ok(!log.includes(shown), `wrangler's output holds ${shown.slice(0, 4)}…`);
    }
  }
}

/** The card that always asks for 3-D Secure (Stripe's 4000002760003184). */
const THREE_DS = "4000002760003184";

/** (h) A 3-D Secure card: the challenge page opens, Complete authorizes, and the shopper lands paid. */
export async function threeDSecureCompletedLandsPaid(t: BrowserTest): Promise<void> {
  const m = await t.gateway.merchant();
  const session = await newSession(t, m);
  const opened = await openCheckout(t, session);
  const { page } = opened;
  await fillCard(page, THREE_DS);
  await page.locator("#submit").click();
  await page.waitForURL((url) => url.pathname.startsWith("/3ds/payatt_"));
  const intent = await merchantApi<{ status: string }>(t, m, `/v1/payment_intents/${session.payment_intent}`);
  assert.equal(intent.status, "requires_action");
  await page.getByRole("button", { name: "Complete authentication" }).click();
  await landsPaid(t, m, page, session);
}

/** (i) A 3-D Secure card whose challenge fails: back on the page with the failure read out; another card pays. */
export async function threeDSecureFailedThenPaysWithAnotherCard(t: BrowserTest): Promise<void> {
  const m = await t.gateway.merchant();
  const session = await newSession(t, m);
  const opened = await openCheckout(t, session, PHONE);
  const { page } = opened;
  await fillCard(page, THREE_DS);
  await page.locator("#submit").click();
  await page.waitForURL((url) => url.pathname.startsWith("/3ds/payatt_"));
  await page.getByRole("button", { name: "Fail authentication" }).click();
  await page.waitForURL((url) => url.pathname === new URL(session.url).pathname);
  assert.equal(new URL(page.url()).searchParams.get("redirect_status"), "failed");
  await page.locator("#checkout").waitFor();
  await page.getByRole("alert").getByText("Your card could not be authenticated.").waitFor();
  const intent = await merchantApi<{ status: string; last_payment_error: { code: string } | null }>(
    t,
    m,
    `/v1/payment_intents/${session.payment_intent}`,
  );
  assert.deepEqual(
    [intent.status, intent.last_payment_error?.code],
    ["requires_payment_method", "payment_intent_authentication_failure"],
  );
  await fillCard(page, GOOD);
  await page.locator("#submit").click();
  await landsPaid(t, m, page, session);
}
