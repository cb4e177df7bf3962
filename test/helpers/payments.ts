/** Helpers for payment tests: send form requests as a merchant, and read the ledger. */
import { env } from "cloudflare:workers";
import { and, eq, sql } from "drizzle-orm";
import { createApp } from "../../src/app";
import type { Db } from "../../src/db/client";
import { ledgerEntries, paymentIntents, refunds } from "../../src/db/schema";
import { NON_NEGATIVE_ACCOUNTS } from "../../src/domain/ledger";
import { type PaymentDeps, paymentDeps } from "../../src/payments/deps";
import type { ProcessorFactory } from "../../src/processor/index";
import { call, type Target } from "./http";
import type { TestMerchant } from "./merchants";
import { approvedOps, recordedProcessor } from "./processors";
import { dbOf } from "./shards";

/** POSTs a Stripe-style form body as the merchant and returns status and parsed JSON. */
export async function post(
  m: Pick<TestMerchant, "headers">,
  path: string,
  fields: Record<string, string | number> = {},
  opts: { idempotencyKey?: string; app?: Target } = {},
) {
  const body = new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)])).toString();
  const key: Record<string, string> = opts.idempotencyKey ? { "idempotency-key": opts.idempotencyKey } : {};
  const res = await call(
    path,
    { method: "POST", headers: { ...m.headers, ...key, "content-type": "application/x-www-form-urlencoded" }, body },
    opts.app,
  );
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields.
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

/** GETs a path as the merchant. */
export async function get(m: Pick<TestMerchant, "headers">, path: string, app?: Target) {
  const res = await call(path, { headers: m.headers }, app);
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields.
  return { status: res.status, body: (await res.json()) as any };
}

/** Ledger transactions of a merchant whose postings do not sum to zero (must always be empty). */
export async function unbalancedTransactions(merchantId: string): Promise<string[]> {
  const rows = await (await dbOf(merchantId))
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
  app?: Target,
) {
  const pm = await paymentMethod(m, number);
  return post(
    m,
    "/v1/payment_intents",
    { amount: 1000, currency: "usd", payment_method: pm, confirm: "true", ...fields },
    { app },
  );
}

/** The app as the Worker builds it, on the simulator noting what it approved (see `processorOps`). */
export const recordedApp = createApp({ payments: { processor: recordedProcessor } });

/**
 * The payment services' dependencies for a test on database `db` (a merchant's shard, `dbOf`): the
 * real ones (the simulator noting what it approved, see `processorOps`), optionally at another time
 * or with another processor.
 */
export function deps(db: Db, opts: { at?: number; processor?: ProcessorFactory } = {}): PaymentDeps {
  const { at, processor = recordedProcessor } = opts;
  return paymentDeps(env, db, { ...(at === undefined ? {} : { now: () => at }), processor });
}

/**
 * Every way the merchant's ledger breaks its invariants, as readable strings (must always be
 * empty): a transaction that does not sum to zero, an account below zero that must not be, and a
 * movement booked twice for one source.
 */
export async function ledgerProblems(merchantId: string): Promise<string[]> {
  const db = await dbOf(merchantId);
  const problems = (await unbalancedTransactions(merchantId)).map((txn) => `unbalanced ${txn}`);
  const sums = await db
    .select({
      currency: ledgerEntries.currency,
      account: ledgerEntries.account,
      total: sql<number>`sum(${ledgerEntries.amount})`,
    })
    .from(ledgerEntries)
    .where(eq(ledgerEntries.merchantId, merchantId))
    .groupBy(ledgerEntries.currency, ledgerEntries.account)
    .all();
  for (const s of sums) {
    if ((NON_NEGATIVE_ACCOUNTS as readonly string[]).includes(s.account) && Number(s.total) < 0) {
      problems.push(`negative ${s.account} ${s.currency} ${s.total}`);
    }
  }
  const twice = await db
    .select({
      source: ledgerEntries.sourceId,
      kind: ledgerEntries.kind,
      n: sql<number>`count(distinct ${ledgerEntries.txnId})`,
    })
    .from(ledgerEntries)
    .where(eq(ledgerEntries.merchantId, merchantId))
    .groupBy(ledgerEntries.sourceId, ledgerEntries.kind)
    .all();
  for (const t of twice) if (Number(t.n) > 1) problems.push(`booked twice ${t.kind} ${t.source}`);
  return problems;
}

/** Intents and refunds of the merchant left in a non-terminal state (processing, pending). */
export async function unfinished(merchantId: string): Promise<string[]> {
  const db = await dbOf(merchantId);
  const intents = await db
    .select({ id: paymentIntents.id })
    .from(paymentIntents)
    .where(and(eq(paymentIntents.merchantId, merchantId), eq(paymentIntents.status, "processing")))
    .all();
  const pending = await db
    .select({ id: refunds.id })
    .from(refunds)
    .where(and(eq(refunds.merchantId, merchantId), eq(refunds.status, "pending")))
    .all();
  return [...intents, ...pending].map((r) => r.id);
}

/**
 * What the simulator really did, by kind, for processor keys starting with `prefix` (an intent's
 * operations: `${intentId}_`; a refund: its id): proves how often money moved. Sees only calls made
 * through `recordedProcessor` (the default of `deps`, every `Faults` app, `recordedApp`).
 */
export async function processorOps(prefix: string): Promise<string[]> {
  return approvedOps(prefix);
}
