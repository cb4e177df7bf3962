/**
 * Storage of payouts: the batches that create one (automatic, from the merchant's available balance
 * transactions not yet paid out; manual, guarded by the available balance) and move it through its
 * life (pending → in_transit → paid | failed, or pending → canceled). Each is one D1 batch that
 * reads nothing first: the amount is SQL over the rows as the batch sees them, and a guard that
 * does not hold makes a NOT NULL column NULL, which rolls the whole batch back (db/errors.ts).
 * Automatic payouts are keyed by run (`payouts_run_idx`), so a run repeated, concurrent or resumed
 * after a crash creates nothing twice; each movement is booked once per payout by the ledger's
 * (source, kind, account) index. See docs/payouts.md.
 */
import { type AnyColumn, and, eq, inArray, isNull, lte, notInArray, or, type SQL, sql } from "drizzle-orm";
import type { MovementKind } from "../domain/ledger";
import type { PayoutFailureCode } from "../domain/payouts";
import { newId } from "../lib/ids";
import type { PageRequest } from "../lib/pagination";
import { balanceTransactionOf } from "./balance-transactions";
import type { Db } from "./client";
import { isGuardMiss, isUniqueViolation } from "./errors";
import { type EventOrigin, eventInsert } from "./events";
import { postMovement, postMovementOf } from "./ledger";
import { listPage, notOf } from "./pagination";
import { type Bound, prepared1 } from "./prepared";
import { balanceTransactions, ledgerBalances, payouts } from "./schema";

/** A payouts row. */
export type PayoutRow = typeof payouts.$inferSelect;

/** A payout's status. */
export type PayoutStatus = PayoutRow["status"];

const p = sql.placeholder;
const po = payouts;
const bt = balanceTransactions;

/** The merchant's available balance transactions in the currency that no payout contains yet. */
const unassigned = () =>
  and(
    eq(bt.merchantId, p("merchantId")),
    eq(bt.currency, p("currency")),
    eq(bt.status, "available"),
    isNull(bt.payout),
  );

/** A column of payout `:payoutId` as SQL, for the statements after its insert. */
const ofPayout = (col: AnyColumn) => sql`(select ${col} from ${po} where ${po.id} = ${p("payoutId")})`;

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
function insertPayout(db: Db, kind: "automatic" | "manual", values: Record<string, unknown>): Bound<PayoutRow[]> {
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
type PayoutBtKind = "payout" | "payout_failure" | "payout_cancel";

/**
 * The insert of balance transaction `btId` of payout `:payoutId` (written earlier in the batch):
 * `payout` debits the payout's amount, `payout_failure` and `payout_cancel` credit it back (with no
 * payout, so the next automatic payout pays it out again). Available at once.
 */
function payoutBt(
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
function payoutMovement(
  db: Db,
  merchantId: string,
  payoutId: string,
  kind: MovementKind & `payout${string}`,
  created: number,
) {
  return postMovementOf(db, { merchantId, sourceId: payoutId, created }, kind as Exclude<MovementKind, "capture">, {
    key: "payout",
    amount: ofPayout(po.amount),
    currency: ofPayout(po.currency),
    values: { payoutId },
  });
}

/** A payout event, recorded in the batch of the change (after it). */
function payoutEvent(
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
    description: "STRIPE PAYOUT",
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

/** The merchant's payout with this id, or undefined. */
export function getPayout(db: Db, merchantId: string, id: string): Promise<PayoutRow | undefined> {
  return db
    .select()
    .from(po)
    .where(and(eq(po.id, id), eq(po.merchantId, merchantId)))
    .get();
}

/** The merchant's payout created with this Idempotency-Key, or undefined. */
export function payoutByIdempotencyKey(db: Db, merchantId: string, key: string): Promise<PayoutRow | undefined> {
  return db
    .select()
    .from(po)
    .where(and(eq(po.merchantId, merchantId), eq(po.idempotencyKey, key)))
    .get();
}

/** A page of the merchant's payouts, newest first, optionally in one status, within a `created` range. */
export function listPayouts(db: Db, merchantId: string, filter: { status?: PayoutStatus }, page: PageRequest) {
  const scope = and(
    eq(po.merchantId, merchantId),
    filter.status === undefined ? undefined : eq(po.status, filter.status),
  );
  return listPage(
    db,
    { table: po, id: po.id, created: po.created, scope, cursorScope: eq(po.merchantId, merchantId) },
    page,
  );
}

/**
 * Up to `limit` payouts on this shard the lifecycle run must look at: every `pending` one (to send)
 * and every `in_transit` one due by `now` (to ask the bank), oldest arrival first, leaving out the
 * merchants in `skip`.
 */
export function openPayouts(
  db: Db,
  now: number,
  limit: number,
  skip: readonly string[] = [],
  seen: readonly string[] = [],
): Promise<PayoutRow[]> {
  return db
    .select()
    .from(po)
    .where(
      and(
        or(eq(po.status, "pending"), and(eq(po.status, "in_transit"), lte(po.arrivalDate, now))),
        notOf(po.merchantId, skip),
        notOf(po.id, seen),
      ),
    )
    .orderBy(po.arrivalDate, po.id)
    .limit(limit)
    .all();
}

/**
 * Up to `limit` (merchant, currency) pairs on this shard with available balance transactions no
 * payout contains, leaving out the merchants in `skip` and the pairs in `tried` (`<merchant>/<currency>`:
 * a merchant on a manual schedule stays a candidate, and must not hide the ones behind it).
 */
export function payoutCandidates(
  db: Db,
  limit: number,
  skip: readonly string[] = [],
  tried: readonly string[] = [],
): Promise<{ merchantId: string; currency: string }[]> {
  return db
    .selectDistinct({ merchantId: bt.merchantId, currency: bt.currency })
    .from(bt)
    .where(
      and(
        eq(bt.status, "available"),
        isNull(bt.payout),
        notOf(bt.merchantId, skip),
        tried.length > 0
          ? sql`${bt.merchantId} || '/' || ${bt.currency} not in (select value from json_each(${JSON.stringify(tried)}))`
          : undefined,
      ),
    )
    .limit(limit)
    .all();
}

/** The balance transactions contained in the merchant's payouts `ids` (their own included). */
export function containedIn(db: Db, merchantId: string, ids: readonly string[]) {
  return db
    .select()
    .from(bt)
    .where(and(eq(bt.merchantId, merchantId), inArray(bt.payout, [...ids])))
    .orderBy(bt.created, bt.id)
    .all();
}
