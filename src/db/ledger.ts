/**
 * Storage of the double-entry ledger. `postMovement` turns a movement into the statements that book
 * it (the postings into ledger_entries and an update of each account's running balance in
 * ledger_balances), for the caller to put in the same D1 batch as the state change they record.
 * The database then enforces the two rules the domain states: the unique (source_id, kind, account)
 * index refuses a movement booked twice, and the CHECK on ledger_balances refuses an account pushed
 * to the wrong side of zero. Either failure rolls back the whole batch. See docs/ledger.md. The
 * statements are built once per number of postings and bound per movement (prepared.ts).
 */
import { and, eq, type SQL, sql } from "drizzle-orm";
import {
  type Account,
  isBalanced,
  type Movement,
  type MovementKind,
  type Posting,
  postingsFor,
  zeroBalances,
} from "../domain/ledger";
import { newId } from "../lib/ids";
import type { Db } from "./client";
import { type Bound, bindAll, prepared, type Values } from "./prepared";
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

/**
 * The statements booking `n` postings of one transaction, over placeholders: `txnId`,
 * `merchantId`, `currency`, `kind`, `sourceId`, `created`, and per posting `le<i>` (its entry id),
 * `account<i>` and `amount<i>`. With `of`, the currency and each amount (times `amount<i>`) are
 * SQL over what the batch wrote before (see `postMovementOf`).
 */
function bookingShape(db: Db, n: number, of?: { currency: SQL; amount: SQL }) {
  const p = sql.placeholder;
  const b = ledgerBalances;
  const currency = of?.currency ?? p("currency");
  const amount = (i: number) => (of ? sql`${p(`amount${i}`)} * ${of.amount}` : p(`amount${i}`));
  const each = Array.from({ length: n }, (_, i) => i);
  const entries = db.insert(ledgerEntries).values(
    each.map((i) => ({
      id: p(`le${i}`),
      txnId: p("txnId"),
      merchantId: p("merchantId"),
      currency,
      account: p(`account${i}`),
      amount: amount(i),
      kind: p("kind"),
      sourceId: p("sourceId"),
      created: p("created"),
    })),
  );
  // Not one upsert per posting: SQLite checks the CHECK on the row an upsert proposes to insert
  // before it looks for the conflict, so a debit to an existing account would fail as a new row
  // with a negative balance. Create any missing account at 0 (which passes the CHECK), then add.
  const opened = db
    .insert(b)
    .values(each.map((i) => ({ merchantId: p("merchantId"), currency, account: p(`account${i}`), balance: 0 })))
    .onConflictDoNothing();
  const updates = each.map((i) =>
    db
      .update(b)
      .set({ balance: sql`${b.balance} + ${amount(i)}` })
      .where(and(eq(b.merchantId, p("merchantId")), eq(b.currency, currency), eq(b.account, p(`account${i}`)))),
  );
  return [entries, opened, ...updates];
}

/** The values of `bookingShape` for these postings, with fresh entry and transaction ids. */
function bookingValues(at: Omit<PostingContext, "currency">, kind: MovementKind, postings: readonly Posting[]) {
  const values: Values = {
    txnId: newId("txn"),
    merchantId: at.merchantId,
    kind,
    sourceId: at.sourceId,
    created: at.created,
  };
  postings.forEach((posting, i) => {
    values[`le${i}`] = newId("le");
    values[`account${i}`] = posting.account;
    values[`amount${i}`] = posting.amount;
  });
  return values;
}

/** The statements booking `movement` as one balanced transaction; throws if its postings are unbalanced. */
export function postMovement(db: Db, at: PostingContext, movement: Movement): Bound[] {
  const postings = postingsFor(movement);
  if (!isBalanced(postings)) throw new Error(`ledger: unbalanced postings for ${movement.kind}`);
  const shape = prepared(db, `ledger.post:${postings.length}`, () => bookingShape(db, postings.length));
  return bindAll(shape, { ...bookingValues(at, movement.kind, postings), currency: at.currency });
}

/**
 * `postMovement` for a one-amount movement whose amount and currency are SQL over a row an earlier
 * statement of the same batch wrote (the refund a guarded claim inserts): the domain's postings
 * for amount 1, scaled by `amount` in SQL, so they balance as the domain's do. `key` names `of`
 * (the statements are built once per key); its placeholders are bound with `values`.
 */
export function postMovementOf(
  db: Db,
  at: Omit<PostingContext, "currency">,
  kind: Exclude<MovementKind, "capture">,
  of: { key: string; currency: SQL; amount: SQL; values: Values },
): Bound[] {
  const units = postingsFor({ kind, amount: 1 });
  if (!isBalanced(units)) throw new Error(`ledger: unbalanced postings for ${kind}`);
  const shape = prepared(db, `ledger.postOf:${units.length}:${of.key}`, () => bookingShape(db, units.length, of));
  return bindAll(shape, { ...of.values, ...bookingValues(at, kind, units) });
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
