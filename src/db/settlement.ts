/**
 * Storage of settlement runs: which merchants have funds due on a shard, and the one batch that
 * makes one merchant's due funds in one currency available. A run is keyed by (merchant, currency,
 * cut-off date): its ledger movement's source is that key, so the ledger's unique (source, kind,
 * account) index refuses a second run of the same key, and the batch (status flips included) rolls
 * back whole. Running a key twice, concurrently, or after a crash therefore moves nothing twice.
 */
import { and, eq, inArray, lte, notInArray, sql } from "drizzle-orm";
import { newId } from "../lib/ids";
import type { Db } from "./client";
import { type EventOrigin, eventInsert } from "./events";
import { isLedgerViolation, postMovementOf } from "./ledger";
import { type Bound, prepared1 } from "./prepared";
import { balanceTransactions } from "./schema";

/** One merchant's funds in one currency that are due at a cut-off. */
export interface Due {
  merchantId: string;
  currency: string;
}

/**
 * Up to `limit` (merchant, currency) pairs on this shard with pending balance transactions due at
 * `cutoff` (available_on ≤ cutoff), leaving out the merchants in `skip` (a move in progress) and
 * the pairs in `tried` (`<merchant>/<currency>`).
 */
export function dueForSettlement(
  db: Db,
  cutoff: number,
  limit: number,
  skip: readonly string[] = [],
  tried: readonly string[] = [],
): Promise<Due[]> {
  const bt = balanceTransactions;
  const due = and(
    eq(bt.status, "pending"),
    lte(bt.availableOn, cutoff),
    skip.length > 0 ? notInArray(bt.merchantId, [...skip]) : undefined,
    // Pairs this run already tried (`<merchant>/<currency>`), as one bound JSON array.
    tried.length > 0
      ? sql`(${bt.merchantId} || '/' || ${bt.currency}) not in (select value from json_each(${JSON.stringify(tried)}))`
      : undefined,
  );
  return db.selectDistinct({ merchantId: bt.merchantId, currency: bt.currency }).from(bt).where(due).limit(limit).all();
}

/** The run key of a merchant's settlement in one currency at one cut-off date (`yyyy-mm-dd`). */
export function settlementKey(due: Due, date: string): string {
  return `stl_${date}_${due.currency}_${due.merchantId}`;
}

/**
 * The batch settling `due` at `cutoff` under run `key`: every pending balance transaction of the
 * merchant in the currency available on or before the cut-off becomes `available` (marked with the
 * run), the ledger moves their net sum from pending to available, and `balance.available` is
 * recorded. Returns the statements; `runSettlement` runs them.
 */
function settlementStatements(
  db: Db,
  due: Due,
  cutoff: number,
  key: string,
  created: number,
  origin: EventOrigin | null,
): Bound[] {
  const bt = balanceTransactions;
  const p = sql.placeholder;
  const flip = prepared1(db, "settlement.flip", () =>
    db
      .update(bt)
      .set({ status: "available", settlement: sql`${p("key")}` })
      .where(
        and(
          eq(bt.merchantId, p("merchantId")),
          eq(bt.currency, p("currency")),
          eq(bt.status, "pending"),
          lte(bt.availableOn, p("cutoff")),
        ),
      ),
  ).bind({ ...due, cutoff, key });
  const settled = sql`(select coalesce(sum(${bt.net}), 0) from ${bt} where ${bt.merchantId} = ${p("settledMerchant")} and ${bt.settlement} = ${p("settledKey")})`;
  const ledger = postMovementOf(db, { merchantId: due.merchantId, sourceId: key, created }, "settle", {
    key: "settlement",
    amount: settled,
    currency: sql`${p("settledCurrency")}`,
    values: { settledMerchant: due.merchantId, settledKey: key, settledCurrency: due.currency },
  });
  const event = eventInsert(db, {
    id: newId("evt"),
    merchantId: due.merchantId,
    type: "balance.available",
    objectType: "balance",
    objectId: due.currency,
    created,
    origin,
  });
  return [flip, ...ledger, event];
}

/**
 * Settles `due` at `cutoff` under `key` in one batch. Returns true when this call settled it,
 * false when the key had already run (the ledger refused the second booking; nothing was written).
 */
export async function runSettlement(
  db: Db,
  due: Due,
  cutoff: number,
  key: string,
  created: number,
  origin: EventOrigin | null = null,
): Promise<boolean> {
  try {
    await db.batch(settlementStatements(db, due, cutoff, key, created, origin) as [Bound, ...Bound[]]);
    return true;
  } catch (err) {
    if (isLedgerViolation(err) === "double_booking") return false;
    throw err;
  }
}

/** The merchant's balance transactions a settlement run made available (for tests and reports). */
export function settledBy(db: Db, merchantId: string, keys: readonly string[]) {
  const bt = balanceTransactions;
  return db
    .select()
    .from(bt)
    .where(and(eq(bt.merchantId, merchantId), inArray(bt.settlement, [...keys])))
    .all();
}
