/** Helpers for payment tests: send form requests as a merchant, and read the ledger. */
import { env } from "cloudflare:workers";
import { eq, sql } from "drizzle-orm";
import { getDb } from "../../src/db/client";
import { ledgerEntries } from "../../src/db/schema";
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
