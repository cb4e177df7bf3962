/**
 * Helpers for payout tests: a merchant with available funds (paid through the API, settled by the
 * real settlement run), its settlement terms, the payout run, and the balance invariants every
 * scenario ends by checking.
 */
import { env } from "cloudflare:workers";
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../../src/db/client";
import { balanceTransactions, ledgerBalances } from "../../src/db/schema";
import { defaultSettings, putSettlementSettings, type SettlementSettingsRow } from "../../src/db/settlement-settings";
import { DAY } from "../../src/domain/fees";
import { type PayoutOptions, payoutShard } from "../../src/payouts/run";
import { cutoffOf, settleShard } from "../../src/settlement/settle";
import { newMerchant, type TestMerchant } from "./merchants";
import { ledgerProblems, pay } from "./payments";
import { dbOf } from "./shards";

/** Unix seconds now. */
export const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Sets the merchant's settlement terms (defaults plus `terms`). */
export async function setTerms(db: Db, merchantId: string, terms: Partial<SettlementSettingsRow>) {
  return putSettlementSettings(db, { ...defaultSettings(merchantId, nowSeconds()), ...terms });
}

/** A merchant paid and settled. */
export interface Funded {
  m: TestMerchant;
  db: Db;
  /** A time (unix seconds) after which every payment made by `funded` is available. */
  asOf: number;
}

/**
 * A merchant with `amounts` paid (usd, each its own charge) with funds available the next day
 * (delay 0), settled as of `asOf` = noon UTC of the next day; its bank account is set (`behaviour`) and its
 * schedule is `schedule` (daily by default).
 */
export async function funded(
  amounts: readonly number[],
  terms: Partial<SettlementSettingsRow> = {},
  opts: { rateLimit?: number; scopes?: readonly string[]; merchant?: TestMerchant } = {},
): Promise<Funded> {
  const m =
    opts.merchant ??
    (await newMerchant({ rateLimit: opts.rateLimit ?? 1000, ...(opts.scopes ? { scopes: opts.scopes } : {}) }));
  const db = await dbOf(m.merchantId);
  await setTerms(db, m.merchantId, { delayDays: 0, bankLast4: "6789", bankBehaviour: "succeeds", ...terms });
  for (const amount of amounts) {
    const res = await pay(m, "4242424242424242", { amount });
    if (res.body.status !== "succeeded") throw new Error(`payment not succeeded: ${res.status}`);
  }
  // Noon of the day after: a test adding minutes to `asOf` never crosses a cut-off (a run at 23:59
  // UTC once made the "same day" a new day and a second payout).
  const asOf = cutoffOf(nowSeconds() + DAY) + DAY / 2;
  await settleShard(db, asOf);
  return { m, db, asOf };
}

/** Runs the payout run on the merchant's shard as of `asOf`. */
export function runPayouts(db: Db, asOf: number, options: PayoutOptions = {}) {
  return payoutShard(db, env, asOf, options);
}

/** The merchant's balance transactions. */
export function transactionsOf(db: Db, merchantId: string) {
  return db.select().from(balanceTransactions).where(eq(balanceTransactions.merchantId, merchantId)).all();
}

/** The merchant's ledger balance of `account` in usd (0 when never posted). */
export async function ledgerBalance(db: Db, merchantId: string, account: string): Promise<number> {
  const row = await db
    .select({ balance: ledgerBalances.balance })
    .from(ledgerBalances)
    .where(
      and(
        eq(ledgerBalances.merchantId, merchantId),
        eq(ledgerBalances.currency, "usd"),
        eq(ledgerBalances.account, account),
      ),
    )
    .get();
  return row?.balance ?? 0;
}

/**
 * Every broken invariant of the merchant's money (must be empty): the ledger's own
 * (`ledgerProblems`), and the ledger's available and pending balances against the net sums of the
 * available and pending balance transactions.
 */
export async function moneyProblems(db: Db, merchantId: string): Promise<string[]> {
  const problems = await ledgerProblems(merchantId);
  const sums = await db
    .select({ status: balanceTransactions.status, net: sql<number>`sum(${balanceTransactions.net})` })
    .from(balanceTransactions)
    .where(and(eq(balanceTransactions.merchantId, merchantId), eq(balanceTransactions.currency, "usd")))
    .groupBy(balanceTransactions.status)
    .all();
  const net = (status: string) => Number(sums.find((s) => s.status === status)?.net ?? 0);
  const available = await ledgerBalance(db, merchantId, "available_balance");
  const pending = await ledgerBalance(db, merchantId, "pending_balance");
  if (available !== net("available")) problems.push(`available ${available} ≠ available BTs ${net("available")}`);
  if (pending !== net("pending")) problems.push(`pending ${pending} ≠ pending BTs ${net("pending")}`);
  return problems;
}
