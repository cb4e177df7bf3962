/** Helpers for checkout tests: create a session as a merchant, and call the page endpoints as a shopper. */
import type { CheckoutSession } from "../../src/routes/checkout-session-schemas";
import { call, type Target } from "./http";
import type { TestMerchant } from "./merchants";
import { post } from "./payments";

/** The form of a session with two line items (2 × 1500 + 1 × 500 = 3500 usd). */
export function sessionForm(extra: Record<string, string | number> = {}): Record<string, string | number> {
  return {
    mode: "payment",
    currency: "usd",
    success_url: "https://shop.example/thanks",
    cancel_url: "https://shop.example/cart",
    "line_items[0][price_data][product_data][name]": "T-shirt",
    "line_items[0][price_data][unit_amount]": 1500,
    "line_items[0][quantity]": 2,
    "line_items[1][price_data][product_data][name]": "Socks",
    "line_items[1][price_data][unit_amount]": 500,
    "line_items[1][quantity]": 1,
    "metadata[order]": "42",
    ...extra,
  };
}

/** Creates a session as the merchant; throws unless it is created. */
export async function newSession(
  m: Pick<TestMerchant, "headers">,
  extra: Record<string, string | number> = {},
): Promise<CheckoutSession> {
  const res = await post(m, "/v1/checkout/sessions", sessionForm(extra));
  if (res.status !== 200) throw new Error(`session not created: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A card as the page sends it. */
export function pageCard(number: string) {
  return { number, exp_month: 12, exp_year: 2040, cvc: "123" };
}

/** POSTs a payment to the page endpoint as a shopper from `ip` (JSON, as the page sends it). */
export async function payPage(
  id: string,
  body: unknown,
  opts: { ip?: string; headers?: Record<string, string>; app?: Target } = {},
) {
  const headers: Record<string, string> = { "content-type": "application/json", ...opts.headers };
  if (opts.ip) headers["cf-connecting-ip"] = opts.ip;
  const res = await call(
    `/checkout/api/sessions/${id}/pay`,
    { method: "POST", headers, body: JSON.stringify(body) },
    opts.app,
  );
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields.
  return { status: res.status, headers: res.headers, text: "", body: (await res.json()) as any };
}

/** GETs the page's view of a session. */
export async function viewPage(id: string, headers: Record<string, string> = {}) {
  const res = await call(`/checkout/api/sessions/${id}`, { headers });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields.
  return { status: res.status, body: (await res.json()) as any };
}

/** A random IPv4 address from TEST-NET-3, so each test has its own per-source budget. */
export function randomIp(): string {
  return `203.0.113.${1 + Math.floor(Math.random() * 250)}`;
}
