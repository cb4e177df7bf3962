/**
 * Storage of the double-entry ledger. `postMovement` turns a movement into the statements that book
 * it (the postings into ledger_entries and an update of each account's running balance in
 * ledger_balances), for the caller to put in the same D1 batch as the state change they record.
 * The database then enforces the two rules the domain states: the unique (source_id, kind, account)
 * index refuses a movement booked twice, and the CHECK on ledger_balances refuses an account pushed
 * to the wrong side of zero. Either failure rolls back the whole batch. See docs/ledger.md.
 */
import { and, eq, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import {
  type Account,
  isBalanced,
  type Movement,
  type MovementKind,
  postingsFor,
  zeroBalances,
} from "../domain/ledger";
import { newId } from "../lib/ids";
import type { Db } from "./client";
import { ledgerBalances, ledgerEntries } from "./schema";

/** Where a movement is booked: whose ledger, which currency, for which intent or refund, and when. */
export interface PostingContext {
  merchantId: string;
  currency: string;
  /** The intent (`pi_…`) or refund (`re_…`) the movement belongs to. */
  sourceId: string;
  /** Unix seconds. */
  created: number;
}

/** The statements booking `movement` as one balanced transaction; throws if its postings are unbalanced. */
export function postMovement(db: Db, at: PostingContext, movement: Movement): BatchItem<"sqlite">[] {
  const postings = postingsFor(movement);
  if (!isBalanced(postings)) throw new Error(`ledger: unbalanced postings for ${movement.kind}`);
  const txnId = newId("txn");
  const entries = db.insert(ledgerEntries).values(
    postings.map((p) => ({
      id: newId("le"),
      txnId,
      merchantId: at.merchantId,
      currency: at.currency,
      account: p.account,
      amount: p.amount,
      kind: movement.kind,
      sourceId: at.sourceId,
      created: at.created,
    })),
  );
  // Not one upsert per posting: SQLite checks the CHECK on the row an upsert proposes to insert
  // before it looks for the conflict, so a debit to an existing account would fail as a new row
  // with a negative balance. Create any missing account at 0 (which passes the CHECK), then add.
  const opened = db
    .insert(ledgerBalances)
    .values(postings.map((p) => ({ merchantId: at.merchantId, currency: at.currency, account: p.account, balance: 0 })))
    .onConflictDoNothing();
  const updates = postings.map((p) =>
    db
      .update(ledgerBalances)
      .set({ balance: sql`${ledgerBalances.balance} + ${p.amount}` })
      .where(
        and(
          eq(ledgerBalances.merchantId, at.merchantId),
          eq(ledgerBalances.currency, at.currency),
          eq(ledgerBalances.account, p.account),
        ),
      ),
  );
  return [entries, opened, ...updates];
}

/**
 * `postMovement` for a one-amount movement whose amount and currency are SQL over a row an earlier
 * statement of the same batch wrote (the refund a guarded claim inserts): the domain's postings
 * for amount 1, scaled by `amount` in SQL, so they balance as the domain's do.
 */
export function postMovementOf(
  db: Db,
  at: Omit<PostingContext, "currency">,
  kind: Exclude<MovementKind, "capture">,
  of: { currency: SQL; amount: SQL },
): BatchItem<"sqlite">[] {
  const units = postingsFor({ kind, amount: 1 });
  if (!isBalanced(units)) throw new Error(`ledger: unbalanced postings for ${kind}`);
  const txnId = newId("txn");
  const b = ledgerBalances;
  const entries = db.insert(ledgerEntries).values(
    units.map((p) => ({
      id: newId("le"),
      txnId,
      merchantId: at.merchantId,
      currency: of.currency,
      account: p.account,
      amount: sql`${p.amount} * ${of.amount}`,
      kind,
      sourceId: at.sourceId,
      created: at.created,
    })),
  );
  const opened = db
    .insert(b)
    .values(units.map((p) => ({ merchantId: at.merchantId, currency: of.currency, account: p.account, balance: 0 })))
    .onConflictDoNothing();
  const updates = units.map((p) =>
    db
      .update(b)
      .set({ balance: sql`${b.balance} + ${p.amount} * ${of.amount}` })
      .where(and(eq(b.merchantId, at.merchantId), eq(b.currency, of.currency), eq(b.account, p.account))),
  );
  return [entries, opened, ...updates];
}

/** Why D1 refused a batch that booked a movement. */
export type LedgerViolation = "double_booking" | "negative_balance";

/**
 * Classifies a D1 batch error: `double_booking` for the UNIQUE index on ledger_entries (the same
 * movement kind booked twice for one source), `negative_balance` for the sign CHECK on
 * ledger_balances (an account pushed to the wrong side of zero; despite the name, this covers a
 * positive balance on a non-positive account too).
 */
export function isLedgerViolation(err: unknown): LedgerViolation | null {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e.message.includes("UNIQUE constraint failed") && e.message.includes("ledger_entries.")) {
      return "double_booking";
    }
    if (e.message.includes("CHECK constraint failed") && e.message.includes("ledger_balances_sign_check")) {
      return "negative_balance";
    }
  }
  return null;
}

/** One currency of a merchant's ledger: every account's balance, and the total of succeeded refunds. */
export interface CurrencyBalances {
  currency: string;
  accounts: Record<Account, number>;
  /** Sum of the processor postings of kind `refund`: what the processor has paid back to cardholders. */
  refunded: number;
}

/**
 * A merchant's balances per currency, sorted by currency. Account balances come from the running
 * totals in ledger_balances. `refunded` is not a balance (the processor account nets captures and
 * refunds together), so it is summed from the `refund` postings to the processor account, in the
 * same round trip; that read grows with the merchant's postings, which is fine until settlement
 * gives the ledger a per-period summary to read instead.
 */
export async function balances(db: Db, merchantId: string): Promise<CurrencyBalances[]> {
  const [rows, refunds] = await db.batch([
    db
      .select({
        currency: ledgerBalances.currency,
        account: ledgerBalances.account,
        balance: ledgerBalances.balance,
      })
      .from(ledgerBalances)
      .where(eq(ledgerBalances.merchantId, merchantId)),
    db
      .select({ currency: ledgerEntries.currency, amount: sql<number>`sum(${ledgerEntries.amount})` })
      .from(ledgerEntries)
      .where(
        and(
          eq(ledgerEntries.merchantId, merchantId),
          eq(ledgerEntries.account, "processor"),
          eq(ledgerEntries.kind, "refund"),
        ),
      )
      .groupBy(ledgerEntries.currency),
  ]);
  const byCurrency = new Map<string, CurrencyBalances>();
  const of = (currency: string) => {
    let c = byCurrency.get(currency);
    if (!c) {
      c = { currency, accounts: zeroBalances(), refunded: 0 };
      byCurrency.set(currency, c);
    }
    return c;
  };
  for (const r of rows) {
    // The CHECK admits only known accounts, so the cast holds.
    of(r.currency).accounts[r.account as Account] = r.balance;
  }
  for (const r of refunds) of(r.currency).refunded = Number(r.amount);
  return [...byCurrency.values()].sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
}
