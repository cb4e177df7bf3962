/**
 * The payout batches: the ones that create a payout (automatic, from the merchant's available balance
 * transactions not yet paid out; manual, guarded by the available balance) and move it through its
 * life (pending → in_transit → paid | failed, or pending → canceled). Each is one D1 batch that
 * reads nothing first: the amount is SQL over the rows as the batch sees them, and a guard that
 * does not hold makes a NOT NULL column NULL, which rolls the whole batch back (db/errors.ts).
 * Automatic payouts are keyed by run (`payouts_run_idx`), so a run repeated, concurrent or resumed
 * after a crash creates nothing twice; each movement is booked once per payout by the ledger's
 * (source, kind, account) index. See docs/payouts.md.
 */
import { and, eq, sql } from "drizzle-orm";
import type { PayoutFailureCode } from "../domain/payouts";
import { newId } from "../lib/ids";
import { balanceTransactionOf } from "./balance-transactions";
import type { Db } from "./client";
import { isGuardMiss, isUniqueViolation } from "./errors";
import type { EventOrigin } from "./events";
import { postMovement } from "./ledger";
import { insertPayout, payoutBt, payoutEvent, payoutMovement, unassigned } from "./payout-statements";
import type { PayoutRow } from "./payouts";
import { type Bound, prepared1 } from "./prepared";
import { balanceTransactions, payouts } from "./schema";

const p = sql.placeholder;
const po = payouts;
const bt = balanceTransactions;

/** One (merchant, currency) whose available funds an automatic payout may pay out. */
export interface PayoutRun {
  merchantId: string;
  currency: string;
  /** `<currency>:<yyyy-mm-dd>` (domain/payouts.ts `payoutRunKey`). */
  runKey: string;
  arrivalDate: number;
  bankLast4: string;
  created: number;
}

/** What an automatic payout run of one key did. */
export type AutomaticOutcome =
  | { ok: true; payout: PayoutRow }
  | { ok: false; reason: "already_run" | "nothing_to_pay" };

/**
 * In one batch: inserts the automatic payout of `run` (the net sum of the unassigned available
 * balance transactions, when positive), marks exactly those transactions as contained in it, writes
 * its own `payout` balance transaction (contained in itself), books the `payout` movement and
 * records `payout.created`. `already_run` when the run key has a payout (nothing written);
 * `nothing_to_pay` when the sum is not positive (nothing written; the transactions stay unassigned).
 */
export async function createAutomaticPayout(
  db: Db,
  run: PayoutRun,
  origin: EventOrigin | null = null,
): Promise<AutomaticOutcome> {
  const payoutId = newId("po");
  const { merchantId, currency, created } = run;
  const insert = insertPayout(db, "automatic", {
    payoutId,
    merchantId,
    currency,
    arrivalDate: run.arrivalDate,
    description: "EDGEPAY PAYOUT",
    statementDescriptor: null,
    metadata: "{}",
    bankLast4: run.bankLast4,
    runKey: run.runKey,
    idempotencyKey: null,
    created,
  });
  const mark = prepared1(db, "payouts.mark", () =>
    db
      .update(bt)
      .set({ payout: sql`${p("payoutId")}` })
      .where(unassigned()),
  ).bind({ payoutId, merchantId, currency });
  const btId = balanceTransactionOf(payoutId);
  try {
    const [rows] = await db.batch([
      insert,
      mark,
      payoutBt(db, "payout", { btId, payoutId, merchantId, btPayout: payoutId, created }),
      ...payoutMovement(db, merchantId, payoutId, "payout", created),
      payoutEvent(db, { id: payoutId, merchantId }, "payout.created", created, origin),
    ]);
    const row = rows[0];
    if (!row) throw new Error("createAutomaticPayout: the payout was not returned");
    return { ok: true, payout: row };
  } catch (err) {
    if (isUniqueViolation(err, "payouts.run_key")) return { ok: false, reason: "already_run" };
    if (isGuardMiss(err, "payouts.amount")) return { ok: false, reason: "nothing_to_pay" };
    throw err;
  }
}

/** A manual payout as asked for (validated). */
export interface ManualPayoutInput {
  merchantId: string;
  amount: number;
  currency: string;
  description: string | null;
  statementDescriptor: string | null;
  metadata: string;
  bankLast4: string | null;
  arrivalDate: number;
  idempotencyKey: string | null;
  created: number;
}

/** What a manual payout's batch did. */
export type ManualOutcome =
  | { ok: true; payout: PayoutRow }
  | { ok: false; reason: "balance_insufficient" | "idempotency_key_used" };

/**
 * In one batch: inserts the manual payout when the ledger's available balance covers its amount
 * (checked by the insert itself, so concurrent payouts never together exceed the balance), writes
 * its `payout` balance transaction (contained in no payout: the next automatic payout nets it
 * against the funds it paid, so they are never paid twice), books the `payout` movement and records
 * `payout.created`.
 */
export async function createManualPayout(
  db: Db,
  input: ManualPayoutInput,
  origin: EventOrigin | null,
): Promise<ManualOutcome> {
  const payoutId = newId("po");
  const { merchantId, created } = input;
  try {
    const [rows] = await db.batch([
      insertPayout(db, "manual", { ...input, payoutId, runKey: null }),
      payoutBt(db, "payout", { btId: balanceTransactionOf(payoutId), payoutId, merchantId, btPayout: null, created }),
      ...payoutMovement(db, merchantId, payoutId, "payout", created),
      payoutEvent(db, { id: payoutId, merchantId }, "payout.created", created, origin),
    ]);
    const row = rows[0];
    if (!row) throw new Error("createManualPayout: the payout was not returned");
    return { ok: true, payout: row };
  } catch (err) {
    if (isGuardMiss(err, "payouts.amount")) return { ok: false, reason: "balance_insufficient" };
    if (isUniqueViolation(err, "payouts.idempotency_key")) return { ok: false, reason: "idempotency_key_used" };
    throw err;
  }
}

/** A change of a payout's status. */
export type Transition =
  | { to: "in_transit" }
  | { to: "paid" }
  | { to: "failed"; code: PayoutFailureCode; message: string }
  | { to: "canceled" };

/** The update moving a payout from `:from` to `:to` (canceled: manual payouts only), a no-op otherwise. */
function setStatus(db: Db, canceled: boolean, values: Record<string, unknown>): Bound {
  return prepared1(db, `payouts.setStatus:${canceled}`, () =>
    db
      .update(po)
      .set({
        status: sql`${p("to")}`,
        failureCode: sql`${p("failureCode")}`,
        failureMessage: sql`${p("failureMessage")}`,
        failureBalanceTransaction: sql`${p("failureBt")}`,
      })
      .where(
        and(
          eq(po.id, p("payoutId")),
          eq(po.merchantId, p("merchantId")),
          eq(po.status, p("from")),
          canceled ? eq(po.automatic, 0) : undefined,
        ),
      ),
  ).bind(values);
}

/**
 * Moves `payout` from its status (as read) along `t` in one batch guarded by that status (a
 * compare-and-swap): the status, `payout.updated`, and per target the ledger movement, balance
 * transaction and event (`paid`: payout_paid, `payout.paid`; `failed`: payout_failure, a crediting
 * `payout_failure` balance transaction, `payout.failed`; `canceled`: payout_cancel, a crediting
 * `payout_cancel` balance transaction, `payout.canceled`). False when the payout had already moved
 * (nothing written).
 */
export async function movePayout(
  db: Db,
  payout: PayoutRow,
  t: Transition,
  created: number,
  origin: EventOrigin | null = null,
): Promise<boolean> {
  const { id: payoutId, merchantId } = payout;
  const failureBt = t.to === "failed" ? newId("txn") : null;
  const update = setStatus(db, t.to === "canceled", {
    payoutId,
    merchantId,
    from: payout.status,
    to: t.to,
    failureCode: t.to === "failed" ? t.code : null,
    failureMessage: t.to === "failed" ? t.message : null,
    failureBt,
  });
  const updated = payoutEvent(db, payout, "payout.updated", created, origin, {
    previous: { status: payout.status },
    afterChange: true,
  });
  const rest: Bound[] = [];
  switch (t.to) {
    case "in_transit":
      break;
    case "paid":
      rest.push(
        ...postMovement(
          db,
          { merchantId, currency: payout.currency, sourceId: payoutId, created },
          { kind: "payout_paid", amount: payout.amount },
        ),
        payoutEvent(db, payout, "payout.paid", created, origin),
      );
      break;
    case "failed":
      rest.push(
        payoutBt(db, "payout_failure", { btId: failureBt ?? "", payoutId, merchantId, btPayout: null, created }),
        ...payoutMovement(db, merchantId, payoutId, "payout_failure", created),
        payoutEvent(db, payout, "payout.failed", created, origin),
      );
      break;
    case "canceled":
      rest.push(
        payoutBt(db, "payout_cancel", { btId: newId("txn"), payoutId, merchantId, btPayout: null, created }),
        ...payoutMovement(db, merchantId, payoutId, "payout_cancel", created),
        payoutEvent(db, payout, "payout.canceled", created, origin),
      );
      break;
  }
  try {
    await db.batch([update, updated, ...rest]);
    return true;
  } catch (err) {
    if (isGuardMiss(err, "events.snapshot")) return false;
    throw err;
  }
}
