/**
 * The operator dashboard in real Chromium, against `wrangler dev`: after a burst of traffic (payments
 * that succeed and that decline, 404s and 400s), /admin/dashboard shows the sign-in form; signing in
 * with the operator token sets an HttpOnly session cookie (never the token in a URL or in reach of
 * scripts) and the page draws its four charts from GET /admin/v1/metrics, lists the decline codes and
 * the audit log, with no console error. It fits a phone; signing out, or a session that is not valid,
 * brings the form back; its static files carry the strict headers. Screenshot:
 * docs/screenshots/dashboard.png and dashboard-phone.png.
 */
import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import type { TestMerchant } from "./gateway.ts";
import { assertStaticFiles, type BrowserTest, DESKTOP, type OpenedPage, PHONE } from "./harness.ts";

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
const CHARTS = ["chart-requests", "chart-success", "chart-errors", "chart-latency"];

/** One merchant API request with the secret key; answers the status. */
async function merchantCall(t: BrowserTest, m: TestMerchant, path: string, form?: Record<string, string>) {
  const res = await fetch(new URL(path, t.gateway.base), {
    method: form ? "POST" : "GET",
    headers: { authorization: `Bearer ${m.secretKey}`, "content-type": "application/x-www-form-urlencoded" },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  await res.arrayBuffer();
  return res.status;
}

/** A burst of traffic: payments that succeed and that decline, unknown objects (404) and bad params (400). */
async function burst(t: BrowserTest): Promise<void> {
  const m = await t.gateway.merchant("Dashboard traffic");
  const pay = (pm: string) =>
    merchantCall(t, m, "/v1/payment_intents", { amount: "2500", currency: "usd", confirm: "true", payment_method: pm });
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) statuses.push(await pay("pm_card_visa"));
  for (let i = 0; i < 5; i++) statuses.push(await pay("pm_card_chargeDeclined"));
  for (let i = 0; i < 3; i++) statuses.push(await pay("pm_card_chargeDeclinedInsufficientFunds"));
  for (let i = 0; i < 5; i++) statuses.push(await merchantCall(t, m, `/v1/payment_intents/pi_missing${i}`));
  for (let i = 0; i < 4; i++) statuses.push(await merchantCall(t, m, "/v1/payment_intents", { amount: "ten" }));
  const count = (s: number) => statuses.filter((x) => x === s).length;
  assert.deepEqual([count(200), count(402), count(404), count(400)], [12, 8, 5, 4]);
}

/** Opens the dashboard and waits for the sign-in form. */
async function openLogin(t: BrowserTest, viewport = DESKTOP): Promise<OpenedPage> {
  const opened = await t.openPage("/admin/dashboard", viewport);
  await opened.page.locator("#login").waitFor();
  assert.equal(await opened.page.locator("#dashboard").isHidden(), true);
  return opened;
}

/** Types the operator token into the form and signs in; waits for the dashboard. */
async function signIn(t: BrowserTest, page: Page): Promise<void> {
  await page.getByLabel("Operator secret").fill(t.gateway.operatorToken);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("#dashboard").waitFor();
  assert.equal(await page.locator("#secret").inputValue(), "");
}

/** Waits until every chart has drawn at least one interval with data; answers the counts. */
async function chartsDrawn(page: Page): Promise<number[]> {
  await page.waitForFunction(
    (ids) => ids.every((id) => Number(document.getElementById(id)?.dataset.points ?? 0) > 0),
    CHARTS,
    { timeout: 20_000 },
  );
  return page.evaluate((ids) => ids.map((id) => Number(document.getElementById(id)?.dataset.points)), CHARTS);
}

/** (a) Desktop: traffic, sign-in, the charts and tables fill; no token anywhere a script or URL reaches. */
export async function signsInAndShowsTheTraffic(t: BrowserTest): Promise<void> {
  await burst(t);
  const opened = await openLogin(t, DESKTOP);
  const { page } = opened;
  const urls: string[] = [];
  page.on("request", (r) => urls.push(r.url()));
  await signIn(t, page);

  const points = await chartsDrawn(page);
  assert.ok(
    points.every((n) => n > 0),
    `points per chart: ${points.join(", ")}`,
  );
  const declines = page.locator("#declines tbody tr");
  await declines.first().waitFor();
  const codes = await page.locator("#declines tbody tr td:first-child").allTextContents();
  assert.ok(codes.includes("generic_decline"), `decline codes: ${codes.join(", ")}`);
  assert.ok(codes.includes("insufficient_funds"), `decline codes: ${codes.join(", ")}`);
  const actions = await page.locator("#audit tbody tr td:nth-child(3)").allTextContents();
  assert.ok(actions.includes("merchant.created"), `audit actions: ${actions.join(", ")}`);
  assert.ok(actions.includes("dashboard.signed_in"), `audit actions: ${actions.join(", ")}`);
  assert.notEqual(await page.locator("#tile-requests").textContent(), "–");

  // The token never went into a URL, and the session is out of reach of scripts (HttpOnly).
  for (const url of [page.url(), ...urls]) assert.ok(!url.includes(t.gateway.operatorToken), url);
  assert.equal(await page.evaluate(() => document.cookie), "");
  const cookies = await page.context().cookies();
  assert.deepEqual(
    cookies.map((c) => [c.name, c.path, c.httpOnly, c.secure, c.sameSite]),
    [["__Host-edgepay_dashboard", "/", true, true, "Strict"]],
  );
  assert.ok(!cookies[0]?.value.includes(t.gateway.operatorToken));
  assert.deepEqual(opened.errors, []);
  await opened.screenshot("dashboard");
}

/** (b) Phone: the signed-in page fits 390 px; signing out brings the form back and the cookie is gone. */
export async function fitsAPhoneAndSignsOut(t: BrowserTest): Promise<void> {
  const opened = await openLogin(t, PHONE);
  const { page } = opened;
  await signIn(t, page);
  await page.locator("#chart-requests .uplot").waitFor();
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  assert.equal(innerWidth, PHONE.width);
  assert.ok(scrollWidth <= innerWidth, `the page is ${scrollWidth} px wide on a ${innerWidth} px screen`);
  await opened.screenshot("dashboard-phone");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.locator("#login").waitFor();
  assert.deepEqual(await page.context().cookies(), []);
  await page.reload();
  await page.locator("#login").waitFor();
  assert.deepEqual(opened.errors, []);
}

/** (c) A wrong secret is refused in the form; a session cookie that is not valid shows the form, not the data. */
export async function refusesWrongSecretsAndBadSessions(t: BrowserTest): Promise<void> {
  const opened = await openLogin(t);
  const { page } = opened;
  await page.getByLabel("Operator secret").fill("eop_not-a-real-secret");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").getByText("That secret was not accepted.").waitFor();
  assert.equal(await page.locator("#secret").getAttribute("aria-invalid"), "true");
  assert.deepEqual(await page.context().cookies(), []);
  assert.deepEqual(
    opened.errors.filter((e) => !e.includes("401")),
    [],
  );

  // A forged session cookie: the page asks who is signed in, learns nobody, and shows the form.
  const forged = await t.openPage("/admin/dashboard");
  // The first load's own session check must have answered: a reload while it runs aborts it.
  await forged.page.locator("#login").waitFor();
  await forged.page.context().addCookies([
    {
      name: "__Host-edgepay_dashboard",
      value: "eyJhbGciOiJFUzI1NiJ9.e30.AAAA",
      domain: "127.0.0.1",
      path: "/",
      secure: true,
    },
  ]);
  await forged.page.reload();
  await forged.page.locator("#login").waitFor();
  assert.deepEqual(forged.errors, []);

  // A session whose operator is disabled meanwhile: the next refresh gets a 401 and the form comes back.
  const op = await t.gateway.operator<{ id: string; secret: string }>("/admin/v1/operators", { name: "dash-browser" });
  const ended = await openLogin(t);
  await ended.page.getByLabel("Operator secret").fill(op.secret);
  await ended.page.getByRole("button", { name: "Sign in" }).click();
  await ended.page.locator("#dashboard").waitFor();
  assert.equal(await ended.page.locator("#who-text").textContent(), `Signed in as ${op.id}`);
  await t.gateway.operator(`/admin/v1/operators/${op.id}/disable`, {});
  await ended.page.getByLabel("6 h").check();
  await ended.page.locator("#login").waitFor();
  assert.equal(await ended.page.locator("#login-notice").textContent(), "Your session has ended. Sign in again.");
  assert.deepEqual(await ended.page.context().cookies(), []);
}

/** (d) The page's static files carry the strict headers; the HTML is not an asset of its own. */
export async function staticFilesCarryTheStrictHeaders(t: BrowserTest): Promise<void> {
  await assertStaticFiles(
    t.gateway.base,
    CSP,
    [
      ["/admin/dashboard.js", /javascript/],
      ["/admin/charts.js", /javascript/],
      ["/admin/dashboard.css", /^text\/css/],
      ["/admin/vendor/uPlot.iife.min.js", /javascript/],
      ["/admin/vendor/uPlot.min.css", /^text\/css/],
    ],
    ["/admin/dashboard.html", "/admin/_headers", "/admin/vendor/"],
  );
  const page = await fetch(new URL("/admin/dashboard", t.gateway.base));
  assert.equal(page.headers.get("content-security-policy"), CSP);
}
