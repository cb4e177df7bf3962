/**
 * Storage of the double-entry ledger. `postMovements` turns movements into the three statements that
 * book them (the postings into ledger_entries, and each account's running balance in
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
 * The three statements booking `entries` postings into `accounts` distinct accounts, over
 * placeholders: `merchantId`, `currency`, `created`; per posting `le<i>` (its entry id), `txn<i>`,
 * `kind<i>`, `source<i>`, `account<i>` and `amount<i>`; per account `acct<j>` and `net<j>` (the sum
 * of its postings). One multi-row insert of the entries, one insert opening any missing account at
 * 0, one update adding each account's net: three statements however many postings and movements.
 * With `of`, the currency and each amount (times the placeholder) are SQL over what the batch wrote
 * before (see `postMovementOf`).
 */
function bookingShape(db: Db, entries: number, accounts: number, of?: { currency: SQL; amount: SQL }) {
  const p = sql.placeholder;
  const b = ledgerBalances;
  const currency = of?.currency ?? p("currency");
  const scaled = (name: string) => (of ? sql`${p(name)} * ${of.amount}` : p(name));
  const rows = Array.from({ length: entries }, (_, i) => i);
  const accts = Array.from({ length: accounts }, (_, j) => p(`acct${j}`));
  const insertEntries = db.insert(ledgerEntries).values(
    rows.map((i) => ({
      id: p(`le${i}`),
      txnId: p(`txn${i}`),
      merchantId: p("merchantId"),
      currency,
      account: p(`account${i}`),
      amount: scaled(`amount${i}`),
      kind: p(`kind${i}`),
      sourceId: p(`source${i}`),
      created: p("created"),
    })),
  );
  // Not one upsert per account: SQLite checks the CHECK on the row an upsert proposes to insert
  // before it looks for the conflict, so a debit to an existing account would fail as a new row
  // with a negative balance. Create any missing account at 0 (which passes the CHECK), then add;
  // the CHECK then judges each account's balance after the whole booking.
  const opened = db
    .insert(b)
    .values(accts.map((account) => ({ merchantId: p("merchantId"), currency, account, balance: 0 })))
    .onConflictDoNothing();
  const nets = sql.join(
    accts.map((account, j) => sql`when ${account} then ${scaled(`net${j}`)}`),
    sql` `,
  );
  const update = db
    .update(b)
    .set({ balance: sql`${b.balance} + (case ${b.account} ${nets} end)` })
    .where(
      and(
        eq(b.merchantId, p("merchantId")),
        eq(b.currency, currency),
        sql`${b.account} in (${sql.join(accts, sql`, `)})`,
      ),
    );
  return [insertEntries, opened, update];
}

/** A movement to book and the object it belongs to (`pi_…` or `re_…`). */
export interface Booking {
  movement: Movement;
  sourceId: string;
}

/**
 * The values of `bookingShape` for these bookings: each movement's postings under a fresh
 * transaction id, every posting under a fresh entry id, and each account's net. Each booking
 * carries its postings: the domain's, or its unit postings for `postMovementOf`.
 */
function bookingValues(
  at: Omit<PostingContext, "currency" | "sourceId">,
  bookings: readonly { kind: MovementKind; sourceId: string; postings: readonly Posting[] }[],
) {
  const values: Values = { merchantId: at.merchantId, created: at.created };
  const nets = new Map<Account, number>();
  let i = 0;
  for (const { kind, sourceId, postings } of bookings) {
    if (!isBalanced(postings)) throw new Error(`ledger: unbalanced postings for ${kind}`);
    const txnId = newId("txn");
    for (const posting of postings) {
      values[`le${i}`] = newId("le");
      values[`txn${i}`] = txnId;
      values[`kind${i}`] = kind;
      values[`source${i}`] = sourceId;
      values[`account${i}`] = posting.account;
      values[`amount${i}`] = posting.amount;
      nets.set(posting.account, (nets.get(posting.account) ?? 0) + posting.amount);
      i++;
    }
  }
  let j = 0;
  for (const [account, net] of nets) {
    values[`acct${j}`] = account;
    values[`net${j}`] = net;
    j++;
  }
  return { values, entries: i, accounts: j };
}

/**
 * The statements booking `bookings` (one or more movements, each its own balanced transaction) in
 * three statements; throws if a movement's postings are unbalanced. An automatic capture books its
 * authorization and its capture together this way.
 */
export function postMovements(db: Db, at: Omit<PostingContext, "sourceId">, bookings: readonly Booking[]): Bound[] {
  const { values, entries, accounts } = bookingValues(
    at,
    bookings.map(({ movement, sourceId }) => ({ kind: movement.kind, sourceId, postings: postingsFor(movement) })),
  );
  const shape = prepared(db, `ledger.post:${entries}:${accounts}`, () => bookingShape(db, entries, accounts));
  return bindAll(shape, { ...values, currency: at.currency });
}

/** The statements booking `movement` as one balanced transaction of `at.sourceId`. */
export function postMovement(db: Db, at: PostingContext, movement: Movement): Bound[] {
  return postMovements(db, at, [{ movement, sourceId: at.sourceId }]);
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
  const { values, entries, accounts } = bookingValues(at, [{ kind, sourceId: at.sourceId, postings: units }]);
  const shape = prepared(db, `ledger.postOf:${entries}:${accounts}:${of.key}`, () =>
    bookingShape(db, entries, accounts, of),
  );
  return bindAll(shape, { ...of.values, ...values });
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
