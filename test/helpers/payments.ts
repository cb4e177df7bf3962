/** Helpers for payment tests: send form requests as a merchant, and read the ledger. */
import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { getDb } from "../../src/db/client";
import { ledgerEntries } from "../../src/db/schema";
import { type PaymentDeps, paymentDeps } from "../../src/payments/deps";
import type { ProcessorFactory } from "../../src/processor/index";
import { call } from "./http";
import type { TestMerchant } from "./merchants";

/** POSTs a Stripe-style form body as the merchant and returns status and parsed JSON. */
export async function post(
  m: Pick<TestMerchant, "headers">,
  path: string,
  fields: Record<string, string | number> = {},
) {
  const body = new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)])).toString();
  const res = await call(path, {
    method: "POST",
    headers: { ...m.headers, "content-type": "application/x-www-form-urlencoded" },
    body,
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields.
  return { status: res.status, body: (await res.json()) as any };
}

/** GETs a path as the merchant. */
export async function get(m: Pick<TestMerchant, "headers">, path: string) {
  const res = await call(path, { headers: m.headers });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields.
  return { status: res.status, body: (await res.json()) as any };
}

/** Ledger transactions of a merchant whose postings do not sum to zero (must always be empty). */
export async function unbalancedTransactions(merchantId: string): Promise<string[]> {
  const rows = await getDb(env)
    .select({ txn: ledgerEntries.txnId, total: sql<number>`sum(${ledgerEntries.amount})` })
    .from(ledgerEntries)
    .where(eq(ledgerEntries.merchantId, merchantId))
    .groupBy(ledgerEntries.txnId)
    .all();
  return rows.filter((r) => Number(r.total) !== 0).map((r) => r.txn);
}

/** Tokenizes a test card through `POST /v1/payment_methods` and returns its `pm_` id. */
export async function paymentMethod(m: Pick<TestMerchant, "headers">, number: string): Promise<string> {
  const cvc = /^3[47]/.test(number) ? "1234" : "123";
  const res = await post(m, "/v1/payment_methods", {
    type: "card",
    "card[number]": number,
    "card[exp_month]": "12",
    "card[exp_year]": "2040",
    "card[cvc]": cvc,
  });
  if (res.status !== 200) throw new Error(`payment method not created: ${res.body.error?.code}`);
  return res.body.id;
}

/** Creates a single-use `tok_` for a test card through `POST /v1/tokens`. */
export async function cardToken(m: Pick<TestMerchant, "headers">, number: string): Promise<string> {
  const res = await post(m, "/v1/tokens", {
    "card[number]": number,
    "card[exp_month]": "12",
    "card[exp_year]": "2040",
    "card[cvc]": "123",
  });
  if (res.status !== 200) throw new Error(`token not created: ${res.body.error?.code}`);
  return res.body.id;
}

/** Creates and confirms an intent paid with `number`; returns the HTTP status and body. */
export async function pay(
  m: Pick<TestMerchant, "headers">,
  number: string,
  fields: Record<string, string | number> = {},
) {
  const pm = await paymentMethod(m, number);
  return post(m, "/v1/payment_intents", {
    amount: 1000,
    currency: "usd",
    payment_method: pm,
    confirm: "true",
    ...fields,
  });
}

/** The payment services' dependencies for a test: the real ones, optionally at another time or with another processor. */
export function deps(opts: { at?: number; processor?: ProcessorFactory } = {}): PaymentDeps {
  const { at, processor } = opts;
  return paymentDeps(env, { ...(at === undefined ? {} : { now: () => at }), ...(processor ? { processor } : {}) });
}
