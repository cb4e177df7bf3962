/**
 * Storage of PaymentIntents. Every change goes through `changeIntent`: one D1 batch that inserts
 * the next row of payment_intent_versions (the compare-and-swap: its primary key refuses a second
 * writer from the same version), updates the intent, and writes the ledger postings (built by
 * ledger.ts) and any other rows of the same change. Either all of it lands or none does; D1 has no
 * interactive transactions.
 */
import { and, asc, eq, lt, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Movement } from "../domain/ledger";
import { newId } from "../lib/ids";
import type { PageRequest } from "../lib/pagination";
import type { Db } from "./client";
import { isGuardMiss, isUniqueViolation } from "./errors";
import { postMovement } from "./ledger";
import { createdRange, listPage } from "./pagination";
import { paymentIntents, paymentIntentVersions } from "./schema";
import type { PaymentMethodRow } from "./vault";

/** A payment_intents row. */
export type IntentRow = typeof paymentIntents.$inferSelect;

/** Current time in unix seconds. */
export const nowSeconds = () => Math.floor(Date.now() / 1000);

export { isUniqueViolation } from "./errors";

/** The fields a new intent is created from; everything else starts empty at version 1. */
export type IntentDraftFields = Pick<IntentRow, "merchantId" | "amount" | "currency"> & Partial<IntentRow>;

/** A new intent row in `requires_payment_method`, with a fresh `pi_` id and no money moved yet. */
export function draftIntent(fields: IntentDraftFields): IntentRow {
  return {
    id: newId("pi"),
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
    processorReference: null,
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

/**
 * Inserts a new intent and its first version; with `next`, that first change too (its version and
 * patch), in the same batch. On an idempotency-key conflict (a retry of the same create after a
 * crash) returns the row that exists instead of creating a second one.
 */
export async function insertIntent(db: Db, draft: IntentRow, next?: IntentChange): Promise<IntentRow> {
  if (next?.ledger) throw new Error("insertIntent: a first change moves no money");
  const row = next ? { ...draft, ...next.patch, version: draft.version + 1 } : draft;
  const created = {
    intentId: row.id,
    version: draft.version,
    kind: "created",
    amount: draft.amount,
    created: row.created,
  };
  const versions: (typeof paymentIntentVersions.$inferInsert)[] = [created];
  if (next) versions.push({ ...created, version: row.version, kind: next.kind, amount: next.amount ?? null });
  try {
    await db.batch([
      db.insert(paymentIntents).values(row),
      db.insert(paymentIntentVersions).values(versions),
      ...(next?.extra ?? []),
    ]);
    return row;
  } catch (err) {
    if (row.idempotencyKey === null || !isUniqueViolation(err, "payment_intents")) throw err;
    const existing = await intentByIdempotencyKey(db, row.merchantId, row.idempotencyKey);
    if (!existing) throw err;
    return existing;
  }
}

/** The statements of a claim batch that charge a card (see `claimStatements` in the vault). */
export interface CardStatements {
  usable: SQL;
  id: SQL;
  read: BatchItem<"sqlite">;
  clear: BatchItem<"sqlite">;
  spend: BatchItem<"sqlite">[];
}

/**
 * Inserts `draft` already claimed by `next` (its versions 1 and 2) to charge `card`, in one batch
 * that reads nothing beforehand: the intent's id is `(select id where <card usable>)`, so an
 * unusable card makes it NULL and D1 rolls the whole batch back (undefined: nothing written). The
 * same batch reads the sealed card, clears its stored CVC and spends a token. Throws the batch's
 * error otherwise (an idempotency-key conflict, a token spent by another batch).
 */
export async function insertClaimed(
  db: Db,
  draft: IntentRow,
  next: IntentChange,
  card: CardStatements,
): Promise<{ row: IntentRow; card: PaymentMethodRow } | undefined> {
  if (next.ledger) throw new Error("insertClaimed: a first change moves no money");
  const row = { ...draft, ...next.patch, version: draft.version + 1 };
  const created = {
    intentId: row.id,
    version: draft.version,
    kind: "created",
    amount: draft.amount,
    created: row.created,
  };
  try {
    const [, , read] = await db.batch([
      db
        .insert(paymentIntents)
        .values({ ...row, id: sql`(select ${row.id} where ${card.usable})`, paymentMethod: card.id }),
      db
        .insert(paymentIntentVersions)
        .values([created, { ...created, version: row.version, kind: next.kind, amount: next.amount ?? null }]),
      card.read,
      card.clear,
      ...card.spend,
      ...(next.extra ?? []),
    ]);
    const sealed = (read as PaymentMethodRow[])[0];
    if (!sealed) throw new Error("insertClaimed: the claimed card was not read");
    return { row: { ...row, paymentMethod: sealed.id }, card: sealed };
  } catch (err) {
    if (isGuardMiss(err, "payment_intents.id")) return undefined;
    throw err;
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
  kind: string;
  amount?: number;
  patch: Partial<Omit<IntentRow, "id" | "merchantId" | "version" | "created">>;
  /** The money movement this change records, if any, and the object it belongs to (intent or refund). */
  ledger?: { movement: Movement; sourceId: string };
  /** Further writes that must land together with the change (e.g. a refund row). */
  extra?: BatchItem<"sqlite">[];
  /** A second change recorded at the next version in the same batch (an automatic capture after its authorization). */
  next?: IntentChange;
}

/**
 * Applies `change` to the intent if it is still at `from.version`. Returns the new row, or
 * undefined when another writer got there first (nothing was written; re-read and decide again).
 */
export async function changeIntent(
  db: Db,
  from: IntentRow,
  change: IntentChange,
  created = nowSeconds(),
): Promise<IntentRow | undefined> {
  const changes = change.next ? [change, change.next] : [change];
  if (change.next?.next) throw new Error("changeIntent: at most two changes in one batch");
  const version = from.version + changes.length;
  const patch = Object.assign({}, ...changes.map((c) => c.patch)) as IntentChange["patch"];
  const at = { merchantId: from.merchantId, currency: from.currency, created };
  const writes = changes.flatMap((c) => [
    ...(c.ledger ? postMovement(db, { ...at, sourceId: c.ledger.sourceId }, c.ledger.movement) : []),
    ...(c.extra ?? []),
  ]);
  try {
    await db.batch([
      db.insert(paymentIntentVersions).values(
        changes.map((c, i) => ({
          intentId: from.id,
          version: from.version + 1 + i,
          kind: c.kind,
          amount: c.amount ?? null,
          created,
        })),
      ),
      db
        .update(paymentIntents)
        .set({ ...patch, version })
        .where(and(eq(paymentIntents.id, from.id), eq(paymentIntents.version, from.version))),
      ...writes,
    ]);
  } catch (err) {
    if (isUniqueViolation(err, "payment_intent_versions")) return undefined;
    throw err;
  }
  return { ...from, ...patch, version };
}

/**
 * Claims a processor operation on the merchant's intent `id` in one batch that reads nothing
 * beforehand: the next version row takes its number from `(select version + 1 … where <guard>)`,
 * so when `guard` (the SQL mirror of the decision, see intent-guards.ts) does not hold the batch
 * rolls back and the result is undefined (read the row and decide). Otherwise the version row
 * `kind` records `amount` (SQL over the row as it was); with `pending`, the intent moves to
 * `processing` with that operation (key `<id>_<pending>_<version>`, the same as `claim` makes);
 * `extra` lands in between (it sees the row as it was), and the claimed row is returned with the
 * extra statements' results.
 */
export async function claimWhere(
  db: Db,
  target: { merchantId: string; id: string },
  op: { kind: string; amount: SQL; created: number; pending?: "capture" | "void" },
  guard: SQL,
  extra: BatchItem<"sqlite">[] = [],
  patch: Partial<Record<keyof IntentChange["patch"], SQL>> = {},
): Promise<{ row: IntentRow; extra: unknown[] } | undefined> {
  const t = paymentIntents;
  const mine = and(eq(t.id, target.id), eq(t.merchantId, target.merchantId));
  const key = sql`${t.id} || ${`_${op.pending}_`} || (${t.version} + 1)`;
  try {
    const [, ...results] = await db.batch([
      db.insert(paymentIntentVersions).values({
        intentId: target.id,
        version: sql`(select ${t.version} + 1 from ${t} where ${mine} and ${guard})`,
        kind: op.kind,
        amount: sql`(select ${op.amount} from ${t} where ${mine})`,
        created: op.created,
      }),
      ...extra,
      db
        .update(t)
        .set({
          ...patch,
          ...(op.pending
            ? {
                status: "processing",
                pendingOp: sql`json_object('kind', ${op.pending}, 'key', ${key}, 'amount', ${op.amount})`,
              }
            : {}),
          version: sql`${t.version} + 1`,
        })
        .where(mine)
        .returning(),
    ]);
    const rows = results.pop() as IntentRow[];
    const row = rows[0];
    if (!row) throw new Error("claimWhere: the claimed intent was not returned");
    return { row, extra: results };
  } catch (err) {
    if (isGuardMiss(err, "payment_intent_versions.version")) return undefined;
    throw err;
  }
}

/** Uncaptured intents authorized before `before` (unix seconds), oldest first, across merchants. */
export function intentsAuthorizedBefore(db: Db, before: number, limit: number): Promise<IntentRow[]> {
  return db
    .select()
    .from(paymentIntents)
    .where(and(eq(paymentIntents.status, "requires_capture"), lt(paymentIntents.authorizedAt, before)))
    .orderBy(asc(paymentIntents.authorizedAt))
    .limit(limit)
    .all();
}

/** Intents left `processing` whose pending operation was claimed before `before`, oldest first: for the sweep. */
export async function intentsProcessing(db: Db, before: number, limit: number): Promise<IntentRow[]> {
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
    .where(and(eq(paymentIntents.status, "processing"), lt(paymentIntentVersions.created, before)))
    .orderBy(asc(paymentIntentVersions.created))
    .limit(limit)
    .all();
  return rows.map((r) => r.intent);
}

/** A page of the merchant's intents, newest first, within an optional `created` range. */
export function listIntents(
  db: Db,
  merchantId: string,
  range: { "created[gte]"?: number; "created[lte]"?: number },
  page: PageRequest,
) {
  const t = paymentIntents;
  const scope = and(eq(t.merchantId, merchantId), createdRange(t.created, range));
  return listPage(db, { table: t, id: t.id, created: t.created, scope }, page);
}
