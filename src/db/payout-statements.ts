/**
 * The statements the payout batches (payout-batches.ts) are built from: the guarded insert of a
 * payout (its amount as SQL, NULL when the guard does not hold), the balance transactions and
 * ledger movements of a payout written earlier in the same batch (amounts read from its row), and
 * its events. Each is built once per shape and bound per call (prepared.ts).
 */
import { type AnyColumn, and, eq, isNull, type SQL, sql } from "drizzle-orm";
import { newId } from "../lib/ids";
import type { Db } from "./client";
import { type EventOrigin, eventInsert } from "./events";
import { postMovementOf } from "./ledger";
import type { PayoutRow } from "./payouts";
import { type Bound, prepared1 } from "./prepared";
import { balanceTransactions, ledgerBalances, payouts } from "./schema";

const p = sql.placeholder;
const po = payouts;
const bt = balanceTransactions;

/** The merchant's available balance transactions in the currency that no payout contains yet. */
export const unassigned = () =>
  and(
    eq(bt.merchantId, p("merchantId")),
    eq(bt.currency, p("currency")),
    eq(bt.status, "available"),
    isNull(bt.payout),
  );

/** A column of payout `:payoutId` as SQL, for the statements after its insert. */
export const ofPayout = (col: AnyColumn) => sql`(select ${col} from ${po} where ${po.id} = ${p("payoutId")})`;

/**
 * The amount of a new payout, as SQL, NULL when its guard does not hold: automatic, the net sum of
 * the unassigned available balance transactions when positive; manual, `:amount` when the ledger's
 * available balance covers it.
 */
function amountSql(kind: "automatic" | "manual"): SQL {
  if (kind === "automatic") {
    return sql`(select sum(${bt.net}) from ${bt} where ${unassigned()} having sum(${bt.net}) > 0)`;
  }
  const lb = ledgerBalances;
  const amount = sql`cast(${p("amount")} as integer)`;
  const available = sql`(select ${lb.balance} from ${lb} where ${lb.merchantId} = ${p("merchantId")} and ${lb.currency} = ${p("currency")} and ${lb.account} = 'available_balance')`;
  return sql`(select ${amount} where ${amount} > 0 and ${amount} <= ${available})`;
}

/** The insert of a new pending payout whose amount is `amountSql(kind)`, returning the row. */
export function insertPayout(
  db: Db,
  kind: "automatic" | "manual",
  values: Record<string, unknown>,
): Bound<PayoutRow[]> {
  return prepared1(db, `payouts.insert:${kind}`, () =>
    db
      .insert(po)
      .values({
        id: p("payoutId"),
        merchantId: p("merchantId"),
        amount: amountSql(kind),
        currency: p("currency"),
        status: "pending",
        automatic: kind === "automatic" ? 1 : 0,
        arrivalDate: p("arrivalDate"),
        description: p("description"),
        statementDescriptor: p("statementDescriptor"),
        metadata: p("metadata"),
        bankLast4: p("bankLast4"),
        runKey: p("runKey"),
        idempotencyKey: p("idempotencyKey"),
        created: p("created"),
      })
      .returning(),
  ).bind(values);
}

/** What a balance transaction of a payout records: the payout itself, its failure, or its cancellation. */
export type PayoutBtKind = "payout" | "payout_failure" | "payout_cancel";

/**
 * The insert of balance transaction `btId` of payout `:payoutId` (written earlier in the batch):
 * `payout` debits the payout's amount, `payout_failure` and `payout_cancel` credit it back (with no
 * payout, so the next automatic payout pays it out again). Available at once.
 */
export function payoutBt(
  db: Db,
  kind: PayoutBtKind,
  values: { btId: string; payoutId: string; merchantId: string; btPayout: string | null; created: number },
): Bound {
  const debit = kind === "payout";
  return prepared1(db, `payouts.bt:${kind}`, () => {
    const amount = debit ? sql`0 - ${ofPayout(po.amount)}` : ofPayout(po.amount);
    return db.insert(bt).values({
      id: p("btId"),
      merchantId: p("merchantId"),
      currency: ofPayout(po.currency),
      amount,
      fee: 0,
      net: amount,
      type: kind,
      reportingCategory: debit ? "payout" : "payout_reversal",
      source: p("payoutId"),
      description: ofPayout(po.description),
      status: "available",
      availableOn: p("created"),
      payout: p("btPayout"),
      created: p("created"),
    });
  }).bind(values);
}

/** The ledger movement `kind` of payout `payoutId` (written earlier in the batch), its amount read from the row. */
export function payoutMovement(
  db: Db,
  merchantId: string,
  payoutId: string,
  kind: "payout" | "payout_failure" | "payout_cancel",
  created: number,
) {
  return postMovementOf(db, { merchantId, sourceId: payoutId, created }, kind, {
    key: "payout",
    amount: ofPayout(po.amount),
    currency: ofPayout(po.currency),
    values: { payoutId },
  });
}

/** A payout event, recorded in the batch of the change (after it). */
export function payoutEvent(
  db: Db,
  payout: { id: string; merchantId: string },
  type: string,
  created: number,
  origin: EventOrigin | null,
  opts: { previous?: Record<string, unknown>; afterChange?: boolean } = {},
): Bound {
  return eventInsert(db, {
    id: newId("evt"),
    merchantId: payout.merchantId,
    type,
    objectType: "payout",
    objectId: payout.id,
    created,
    origin,
    ...opts,
  });
}
