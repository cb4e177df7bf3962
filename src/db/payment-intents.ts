/**
 * Storage of PaymentIntents. Every change goes through `changeIntent`: one D1 batch that inserts
 * the next row of payment_intent_versions (the compare-and-swap: its primary key refuses a second
 * writer from the same version), updates the intent, and writes the ledger postings (built by
 * ledger.ts) and any other rows of the same change. Either all of it lands or none does; D1 has no
 * interactive transactions. The guarded claims that decide in SQL are in intent-claims.ts. The
 * statements of the money paths are built once per shape and bound per request (prepared.ts).
 */
import { and, asc, eq, getTableColumns, lt, type Placeholder, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { IntentChangeKind } from "../domain/intent-events";
import type { IntentStatus } from "../domain/payment-state";
import { newId, randomBase62 } from "../lib/ids";
import type { PageRequest } from "../lib/pagination";
import { chargeBalanceStatements } from "./balance-transactions";
import { chargeInsert, type NewCharge } from "./charges";
import type { Db } from "./client";
import { isUniqueViolation, RequestAlreadyRan } from "./errors";
import { type EventOrigin, intentEventInserts } from "./events";
import { type Booking, postMovements } from "./ledger";
import { listPage, notOf } from "./pagination";
import { prepared, type Values } from "./prepared";
import { paymentIntents, paymentIntentVersions } from "./schema";

/** A payment_intents row. */
export type IntentRow = typeof paymentIntents.$inferSelect;

/** Current time in unix seconds. */
export const nowSeconds = () => Math.floor(Date.now() / 1000);

export { isUniqueViolation } from "./errors";

/** The fields a new intent is created from; everything else starts empty at version 1. */
export type IntentDraftFields = Pick<IntentRow, "merchantId" | "amount" | "currency"> & Partial<IntentRow>;

/** Random characters after `_secret_` in a client secret (24 base62, about 142 bits). */
export const CLIENT_SECRET_CHARS = 24;

/** A new intent row in `requires_payment_method`, with a fresh `pi_` id and no money moved yet. */
export function draftIntent(fields: IntentDraftFields): IntentRow {
  const id = fields.id ?? newId("pi");
  return {
    id,
    clientSecret: `${id}_secret_${randomBase62(CLIENT_SECRET_CHARS)}`,
    status: "requires_payment_method",
    captureMethod: "automatic",
    paymentMethod: null,
    description: null,
    metadata: "{}",
    statementDescriptor: null,
    amountCapturable: 0,
    amountReceived: 0,
    amountRefunded: 0,
    latestCharge: null,
    customer: null,
    setupFutureUsage: null,
    review: null,
    nextAction: null,
    processorReference: null,
    connector: null,
    lastPaymentError: null,
    cancellationReason: null,
    canceledAt: null,
    authorizedAt: null,
    pendingOp: null,
    version: 1,
    idempotencyKey: null,
    created: nowSeconds(),
    ...fields,
  };
}

/** Every column of an intent row as a placeholder of the same name. */
export function rowPlaceholders() {
  return Object.fromEntries(
    Object.keys(getTableColumns(paymentIntents)).map((k) => [k, sql.placeholder(k)]),
  ) as unknown as Record<keyof IntentRow, Placeholder>;
}

/**
 * The insert of `n` version rows of one intent over placeholders: `intentId`, `created`, and per
 * row `version<i>`, `kind<i>`, `amount<i>`, `requestKey<i>`, `answer<i>` (`versionValues` gives them).
 */
export function versionsShape(db: Db, n: number) {
  const p = sql.placeholder;
  return db.insert(paymentIntentVersions).values(
    Array.from({ length: n }, (_, i) => ({
      intentId: p("intentId"),
      version: p(`version${i}`),
      kind: p(`kind${i}`),
      amount: p(`amount${i}`),
      created: p("created"),
      requestKey: p(`requestKey${i}`),
      answer: p(`answer${i}`),
    })),
  );
}

/**
 * A version row of one intent: its number, what changed and the amount it records; on a claim the
 * Idempotency-Key of its request, on an operation's outcome the answer its request got.
 */
export type VersionRow = {
  version: number;
  kind: IntentChangeKind;
  amount: number | null;
  requestKey?: string | null;
  answer?: string | null;
};

/** The values of `versionsShape` for these rows. */
export function versionValues(intentId: string, created: number, rows: VersionRow[]) {
  const values: Values = { intentId, created };
  rows.forEach((r, i) => {
    values[`version${i}`] = r.version;
    values[`kind${i}`] = r.kind;
    values[`amount${i}`] = r.amount;
    values[`requestKey${i}`] = r.requestKey ?? null;
    values[`answer${i}`] = r.answer ?? null;
  });
  return values;
}

/**
 * Inserts a new intent and its first version; with `next`, that first change too (its version and
 * patch), in the same batch, with the events they emit (caused by `origin`); `also` are more rows of
 * the same batch (a checkout session created with its intent). On an idempotency-key
 * conflict (a retry of the same create after a crash) returns the row that exists instead of
 * creating a second one.
 */
export async function insertIntent(
  db: Db,
  draft: IntentRow,
  origin: EventOrigin | null,
  next?: IntentChange,
  also: readonly BatchItem<"sqlite">[] = [],
): Promise<IntentRow> {
  if (next?.ledger || next?.charge) throw new Error("insertIntent: a first change moves no money");
  const row = next ? { ...draft, ...next.patch, version: draft.version + 1 } : draft;
  const versions: VersionRow[] = [{ version: draft.version, kind: "created", amount: draft.amount }];
  if (next) versions.push({ version: row.version, kind: next.kind, amount: next.amount ?? null });
  const [insert, log] = prepared(db, `intents.insert:${versions.length}`, () => [
    db.insert(paymentIntents).values(rowPlaceholders()),
    versionsShape(db, versions.length),
  ]);
  const events = intentEventInserts(
    db,
    { merchantId: row.merchantId, intentId: row.id, chargeId: row.latestCharge, created: row.created, origin },
    versions.map((v) => v.kind),
    afterOf(row),
  );
  try {
    await db.batch([
      insert.bind(row),
      log.bind(versionValues(row.id, row.created, versions)),
      ...(next?.extra ?? []),
      ...also,
      ...events,
    ]);
    return row;
  } catch (err) {
    if (row.idempotencyKey === null || !isUniqueViolation(err, "payment_intents")) throw err;
    const existing = await intentByIdempotencyKey(db, row.merchantId, row.idempotencyKey);
    if (!existing) throw err;
    return existing;
  }
}

/** The merchant's intent created with this idempotency key, or undefined. */
export function intentByIdempotencyKey(db: Db, merchantId: string, key: string): Promise<IntentRow | undefined> {
  return db
    .select()
    .from(paymentIntents)
    .where(and(eq(paymentIntents.merchantId, merchantId), eq(paymentIntents.idempotencyKey, key)))
    .get();
}

/** The merchant's intent with this id, or undefined (another merchant's id is simply not found). */
export function getIntent(db: Db, merchantId: string, id: string): Promise<IntentRow | undefined> {
  return intentQuery(db, merchantId, id).get();
}

/** `getIntent` as a query (at most one row), to share a batch with other reads. */
export function intentQuery(db: Db, merchantId: string, id: string) {
  return db
    .select()
    .from(paymentIntents)
    .where(and(eq(paymentIntents.id, id), eq(paymentIntents.merchantId, merchantId)))
    .limit(1);
}

/** A change to apply to an intent read at `from.version`. */
export interface IntentChange {
  kind: IntentChangeKind;
  amount?: number;
  patch: Partial<Omit<IntentRow, "id" | "merchantId" | "version" | "created">>;
  /** A claim's request Idempotency-Key: a second claim under it on this intent is refused (`RequestAlreadyRan`). */
  requestKey?: string | null;
  /** An outcome's answer to the request that ran the operation (JSON), kept for a re-run of that request. */
  answer?: string;
  /** The money movement this change records, if any, and the object it belongs to (intent or refund). */
  ledger?: Booking;
  /** The charge an authorization attempt's outcome makes (its id is the patch's `latestCharge`). */
  charge?: NewCharge;
  /** Further writes that must land together with the change (e.g. a refund row), after its charge. */
  extra?: BatchItem<"sqlite">[];
  /** A second change recorded at the next version in the same batch (an automatic capture after its authorization). */
  next?: IntentChange;
}

/** What the events of a change depend on, of the intent the change leaves. */
export function afterOf(row: Pick<IntentRow, "status" | "captureMethod">) {
  return { status: row.status as IntentStatus, captureMethod: row.captureMethod as "automatic" | "manual" };
}

/**
 * Applies `change` to the intent if it is still at `from.version`, with the events it emits
 * (caused by `origin`; null for the sweep) in the same batch. Returns the new row, or undefined
 * when another writer got there first (nothing was written; re-read and decide again).
 */
export async function changeIntent(
  db: Db,
  from: IntentRow,
  change: IntentChange,
  origin: EventOrigin | null,
  created = nowSeconds(),
): Promise<IntentRow | undefined> {
  const changes = change.next ? [change, change.next] : [change];
  if (change.next?.next) throw new Error("changeIntent: at most two changes in one batch");
  const version = from.version + changes.length;
  const patch = Object.assign({}, ...changes.map((c) => c.patch)) as IntentChange["patch"];
  const at = { merchantId: from.merchantId, currency: from.currency, created };
  const bookings = changes.flatMap((c) => (c.ledger ? [c.ledger] : []));
  const after = { ...from, ...patch };
  // A charge first: it reads the card's CVC, which an extra statement may forget.
  const charged = changes.flatMap((c) => (c.charge ? [chargeInsert(db, { ...at, intentId: from.id }, c.charge)] : []));
  // A capture's balance transaction (with the merchant's fee) is the latest charge's.
  const settled = bookings.flatMap(({ movement }) =>
    movement.kind === "capture" && movement.captured > 0 && after.latestCharge
      ? chargeBalanceStatements(db, at, after.latestCharge, movement.captured)
      : [],
  );
  const writes = [
    ...charged,
    ...(bookings.length > 0 ? postMovements(db, at, bookings) : []),
    ...settled,
    ...changes.flatMap((c) => c.extra ?? []),
  ];
  // The shape is the set of columns the change sets (undefined ones are left as they are).
  const columns = (Object.keys(patch) as (keyof typeof patch)[]).filter((k) => patch[k] !== undefined).sort();
  const [log, update] = prepared(db, `intents.change:${changes.length}:${columns.join(",")}`, () => {
    const p = sql.placeholder;
    const set = Object.fromEntries(columns.map((k) => [k, sql`${p(k)}`]));
    return [
      versionsShape(db, changes.length),
      db
        .update(paymentIntents)
        .set({ ...set, version: sql`${p("version")}` })
        .where(and(eq(paymentIntents.id, p("intentId")), eq(paymentIntents.version, p("fromVersion")))),
    ];
  });
  const versions = changes.map((c, i) => ({
    version: from.version + 1 + i,
    kind: c.kind,
    amount: c.amount ?? null,
    requestKey: c.requestKey,
    answer: c.answer,
  }));
  const events = intentEventInserts(
    db,
    { merchantId: from.merchantId, intentId: from.id, chargeId: after.latestCharge, created, origin },
    changes.map((c) => c.kind),
    afterOf(after),
  );
  try {
    await db.batch([
      log.bind(versionValues(from.id, created, versions)),
      update.bind({ ...patch, version, intentId: from.id, fromVersion: from.version }),
      ...writes,
      ...events,
    ]);
  } catch (err) {
    const claimed = changes[0]?.requestKey;
    if (claimed && isUniqueViolation(err, "payment_intent_versions.request_key")) throw new RequestAlreadyRan(claimed);
    if (isUniqueViolation(err, "payment_intent_versions")) return undefined;
    throw err;
  }
  return { ...from, ...patch, version };
}

/** Uncaptured intents authorized before `before` (unix seconds), oldest first, across merchants. */
export function intentsAuthorizedBefore(
  db: Db,
  before: number,
  limit: number,
  exceptMerchants: readonly string[] = [],
): Promise<IntentRow[]> {
  return db
    .select()
    .from(paymentIntents)
    .where(
      and(
        eq(paymentIntents.status, "requires_capture"),
        lt(paymentIntents.authorizedAt, before),
        notOf(paymentIntents.merchantId, exceptMerchants),
      ),
    )
    .orderBy(asc(paymentIntents.authorizedAt))
    .limit(limit)
    .all();
}

/** Intents left `processing` whose pending operation was claimed before `before`, oldest first: for the sweep. */
export async function intentsProcessing(
  db: Db,
  before: number,
  limit: number,
  exceptMerchants: readonly string[] = [],
): Promise<IntentRow[]> {
  // The intent's current version is the claim of its pending operation: idle since then.
  const rows = await db
    .select({ intent: paymentIntents })
    .from(paymentIntents)
    .innerJoin(
      paymentIntentVersions,
      and(
        eq(paymentIntentVersions.intentId, paymentIntents.id),
        eq(paymentIntentVersions.version, paymentIntents.version),
      ),
    )
    .where(
      and(
        eq(paymentIntents.status, "processing"),
        lt(paymentIntentVersions.created, before),
        notOf(paymentIntents.merchantId, exceptMerchants),
      ),
    )
    .orderBy(asc(paymentIntentVersions.created))
    .limit(limit)
    .all();
  return rows.map((r) => r.intent);
}

/** A page of the merchant's intents, newest first (within the page's `created` range), optionally only one customer's. */
export function listIntents(db: Db, merchantId: string, page: PageRequest, filter: { customer?: string } = {}) {
  const t = paymentIntents;
  const mine = eq(t.merchantId, merchantId);
  const scope = filter.customer === undefined ? mine : and(mine, eq(t.customer, filter.customer));
  return listPage(db, { table: t, id: t.id, created: t.created, scope, cursorScope: mine }, page);
}
