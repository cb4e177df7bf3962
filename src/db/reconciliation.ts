/**
 * Storage for reconciliation (src/settlement/reconcile.ts): what the gateway booked for a merchant
 * in a time window (its `charge` and `refund` balance transactions with the key each is matched
 * on), the mismatches found, and their listing for the operator.
 */
import { and, asc, eq, gt, gte, inArray, lt, or, sql } from "drizzle-orm";
import type { Db } from "./client";
import { balanceTransactions, charges, merchants, paymentIntents, reconciliationItems, refunds } from "./schema";

/** A reconciliation_items row. */
export type ReconciliationItemRow = typeof reconciliationItems.$inferSelect;

/** A booking the processor's file should list: a capture (`ch_…`) or a refund (`re_…`). */
export interface Booked {
  id: string;
  type: "charge" | "refund";
  source: string;
  amount: number;
  currency: string;
  created: number;
  /** A capture's authorization reference (its intent's `processor_reference`), a refund's id; null if unknown. */
  matchKey: string | null;
  /** A refund's status (`pending`, `succeeded`, `failed`); null for a charge. */
  refundStatus: string | null;
}

/**
 * Up to `limit` of the merchant's charge and refund balance transactions created in [`from`, `to`)
 * (unix seconds), after (`created`, `id`) `after`, oldest first, each with its match key.
 */
export async function bookedPage(
  db: Db,
  merchantId: string,
  from: number,
  to: number,
  after: { created: number; id: string } | null,
  limit: number,
): Promise<Booked[]> {
  const bt = balanceTransactions;
  const reference = sql<
    string | null
  >`(select ${paymentIntents.processorReference} from ${charges} join ${paymentIntents} on ${paymentIntents.id} = ${charges.paymentIntentId} where ${charges.id} = ${bt.source})`;
  const rows = await db
    .select({
      id: bt.id,
      type: bt.type,
      source: bt.source,
      amount: bt.amount,
      currency: bt.currency,
      created: bt.created,
      matchKey: sql<string | null>`case ${bt.type} when 'charge' then ${reference} else ${bt.source} end`,
      refundStatus: sql<string | null>`(select ${refunds.status} from ${refunds} where ${refunds.id} = ${bt.source})`,
    })
    .from(bt)
    .where(
      and(
        eq(bt.merchantId, merchantId),
        gte(bt.created, from),
        lt(bt.created, to),
        inArray(bt.type, ["charge", "refund"]),
        after ? or(gt(bt.created, after.created), and(eq(bt.created, after.created), gt(bt.id, after.id))) : undefined,
      ),
    )
    .orderBy(asc(bt.created), asc(bt.id))
    .limit(limit)
    .all();
  return rows as Booked[];
}

/** Records mismatches, each once (the unique index ignores one found before); returns the ids newly recorded. */
export async function insertItems(db: Db, items: ReconciliationItemRow[]): Promise<string[]> {
  const recorded: string[] = [];
  // One statement per item, at most 50 per batch: well under D1's limits on bound parameters.
  for (let i = 0; i < items.length; i += 50) {
    const batch = items
      .slice(i, i + 50)
      .map((item) =>
        db.insert(reconciliationItems).values(item).onConflictDoNothing().returning({ id: reconciliationItems.id }),
      );
    const [first, ...rest] = batch;
    if (!first) break;
    for (const rows of await db.batch([first, ...rest])) recorded.push(...rows.map((r) => r.id));
  }
  return recorded;
}

/** Up to `limit` mismatches found on `date` (of `merchantId` when given), in id order after `after`. */
export async function listItems(
  db: Db,
  q: { date: string; merchantId?: string; after?: string; limit: number },
): Promise<ReconciliationItemRow[]> {
  const r = reconciliationItems;
  return db
    .select()
    .from(r)
    .where(
      and(
        eq(r.date, q.date),
        q.merchantId === undefined ? undefined : eq(r.merchantId, q.merchantId),
        q.after === undefined ? undefined : gt(r.id, q.after),
      ),
    )
    .orderBy(asc(r.id))
    .limit(q.limit)
    .all();
}

/** Up to `limit` ids of the merchants whose objects shard `shard` holds, in id order after `after` (control database). */
export async function merchantsOnShard(control: Db, shard: number, after: string | null, limit: number) {
  const rows = await control
    .select({ id: merchants.id })
    .from(merchants)
    .where(and(eq(merchants.shard, shard), after === null ? undefined : gt(merchants.id, after)))
    .orderBy(asc(merchants.id))
    .limit(limit)
    .all();
  return rows.map((r) => r.id);
}
