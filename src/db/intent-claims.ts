/**
 * The claim batches that decide in SQL and read nothing beforehand: `insertClaimed` creates an
 * intent already claimed to charge a card, `claimWhere` claims an operation on an existing intent
 * under a guard (intent-guards.ts). A guard that does not hold writes NULL into a NOT NULL key,
 * which rolls the whole batch back. Built once per shape, bound per request (prepared.ts).
 */
import { and, asc, eq, gt, isNotNull, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "./client";
import { claimKey, isGuardMiss, isUniqueViolation, RequestAlreadyRan } from "./errors";
import { type EventOrigin, intentEventInserts } from "./events";
import {
  afterOf,
  type IntentChange,
  type IntentRow,
  rowPlaceholders,
  versionsShape,
  versionValues,
} from "./payment-intents";
import { type Bound, bindAll, prepared, type Values } from "./prepared";
import { customers, paymentIntents, paymentIntentVersions } from "./schema";
import { cardClaim, type PaymentMethodRow, spendTokenShape } from "./vault";

/** The card a claim batch charges: the pm_ or tok_ id, and who spends a tok_ when. */
export interface CardClaim {
  ref: string;
  usedBy: string;
  now: number;
}

/**
 * Inserts `draft` already claimed by `next` (its versions 1 and 2) to charge `card`, in one batch
 * that reads nothing beforehand: the intent's id is `(select id where <card usable> and <customer
 * the merchant's>)`, so an unusable card (or one saved to another customer) or an unknown customer makes it NULL and D1 rolls the whole batch back (undefined: nothing written). The
 * same batch reads the sealed card, clears its stored CVC and spends a token (`cardClaim` and
 * `spendTokenShape` in vault.ts), and records the events of both changes (caused by `origin`).
 * Throws the batch's error otherwise (an idempotency-key conflict, a token spent by another batch).
 */
export async function insertClaimed(
  db: Db,
  draft: IntentRow,
  next: IntentChange,
  card: CardClaim,
  origin: EventOrigin | null,
): Promise<{ row: IntentRow; card: PaymentMethodRow } | undefined> {
  if (next.ledger || next.charge) throw new Error("insertClaimed: a first change moves no money");
  const row = { ...draft, ...next.patch, version: draft.version + 1 };
  const isToken = card.ref.startsWith("tok_");
  const statements = prepared(db, `intents.insertClaimed:${isToken ? "tok" : "pm"}`, () => {
    const c = cardClaim(db, isToken);
    const cols = rowPlaceholders();
    const k = customers;
    // The intent's customer, if any, is the merchant's (no read beforehand: a miss makes the id NULL too).
    const customerOk = sql`(${cols.customer} is null or exists (select 1 from ${k} where ${k.id} = ${cols.customer} and ${k.merchantId} = ${cols.merchantId}))`;
    return [
      db
        .insert(paymentIntents)
        .values({ ...cols, id: sql`(select ${cols.id} where ${c.usable} and ${customerOk})`, paymentMethod: c.id }),
      versionsShape(db, 2),
      c.read,
      c.clear,
      ...(isToken ? spendTokenShape(db) : []),
    ];
  });
  const versions = versionValues(row.id, row.created, [
    { version: draft.version, kind: "created", amount: draft.amount },
    { version: row.version, kind: next.kind, amount: next.amount ?? null },
  ]);
  const values = { ...row, ...versions, cardRef: card.ref, tokenId: card.ref, usedBy: card.usedBy, now: card.now };
  const events = intentEventInserts(
    db,
    { merchantId: row.merchantId, intentId: row.id, chargeId: row.latestCharge, created: row.created, origin },
    ["created", next.kind],
    afterOf(row),
  );
  try {
    const [, , read] = await db.batch([...bindAll(statements, values), ...(next.extra ?? []), ...events] as [
      Bound,
      ...BatchItem<"sqlite">[],
    ]);
    const sealed = (read as PaymentMethodRow[])[0];
    if (!sealed) throw new Error("insertClaimed: the claimed card was not read");
    return { row: { ...row, paymentMethod: sealed.id }, card: sealed };
  } catch (err) {
    if (isGuardMiss(err, "payment_intents.id")) return undefined;
    throw err;
  }
}

/**
 * How a claim (`claimWhere`) decides and what it writes, as SQL over the intent row and
 * placeholders, built once per `key` (which must name all of it): the version row `kind` records
 * `amount`; the claim holds when `guard` does (the SQL mirror of the decision, see
 * intent-guards.ts); with `pending`, the intent moves to `processing` with that operation; `patch`
 * sets more columns. Its kind is one that emits no intent event (domain/intent-events.ts), so a
 * claim decided in SQL needs none; a refund's own event comes with the refund (`extra`).
 */
export interface ClaimShape {
  key: string;
  kind: "capture_started" | "void_started" | "refund_started";
  amount: SQL;
  guard: SQL;
  pending?: "capture" | "void";
  patch?: Partial<Record<keyof IntentChange["patch"], SQL>>;
  /** The claimed intent's id as SQL (e.g. a charge's intent); default the placeholder `intentId`. */
  intent?: SQL;
}

/**
 * Claims a processor operation on the merchant's intent `id` in one batch that reads nothing
 * beforehand: the next version row takes its number from `(select version + 1 … where <guard>)`,
 * so when the shape's guard does not hold the batch rolls back and the result is undefined (read
 * the row and decide). Otherwise the version row records the shape's amount (SQL over the row as
 * it was); a `pending` operation gets the key `<id>_<pending>_<version>` (the same as `claim`
 * makes). `values` binds the shape's placeholders (the guard's); `extra` lands in between (it sees
 * the row as it was), and the claimed row is returned with the extra statements' results. The
 * claim records `requestKey` (as `claimKey`); a second such claim on this intent throws `RequestAlreadyRan`.
 */
export async function claimWhere(
  db: Db,
  target: { merchantId: string; id: string },
  shape: ClaimShape,
  created: number,
  values: Values = {},
  extra: Bound[] = [],
  requestKey: string | null = null,
): Promise<{ row: IntentRow; extra: unknown[] } | undefined> {
  const [log, update] = prepared(db, `intents.claim:${shape.key}`, () => {
    const t = paymentIntents;
    const p = sql.placeholder;
    const intentId = shape.intent ?? p("intentId");
    const mine = and(eq(t.id, intentId), eq(t.merchantId, p("merchantId")));
    const key = sql`${t.id} || ${`_${shape.pending}_`} || (${t.version} + 1)`;
    return [
      db.insert(paymentIntentVersions).values({
        // An intent named by SQL that finds none must fail the guard (the version), not this column.
        intentId: shape.intent ? sql`coalesce(${intentId}, '')` : intentId,
        version: sql`(select ${t.version} + 1 from ${t} where ${mine} and ${shape.guard})`,
        kind: shape.kind,
        amount: sql`(select ${shape.amount} from ${t} where ${mine})`,
        created: p("created"),
        requestKey: p("requestKey"),
      }),
      db
        .update(t)
        .set({
          ...shape.patch,
          ...(shape.pending
            ? {
                status: "processing",
                pendingOp: sql`json_object('kind', ${shape.pending}, 'key', ${key}, 'amount', ${shape.amount})`,
              }
            : {}),
          version: sql`${t.version} + 1`,
        })
        .where(mine)
        .returning(),
    ];
  });
  const recordedKey = requestKey === null ? null : claimKey(shape.kind, requestKey);
  const claim = { ...values, intentId: target.id, merchantId: target.merchantId, created, requestKey: recordedKey };
  try {
    const [, ...results] = await db.batch([log.bind(claim), ...extra, update.bind(claim)]);
    const rows = results.pop() as IntentRow[];
    const row = rows[0];
    if (!row) throw new Error("claimWhere: the claimed intent was not returned");
    return { row, extra: results };
  } catch (err) {
    if (isGuardMiss(err, "payment_intent_versions.version")) return undefined;
    if (recordedKey && isUniqueViolation(err, "payment_intent_versions.request_key")) {
      throw new RequestAlreadyRan(recordedKey);
    }
    throw err;
  }
}

/**
 * What the operation that request `requestKey` claimed on the intent answered: `found` when such a
 * claim exists; `answer` (JSON of an OutcomeAnswer) once its outcome is recorded, else null (the
 * operation is still pending). The first outcome after the claim is its own: an intent has one
 * pending operation at a time, and changes without an operation record no answer.
 */
export async function recordedAnswer(
  db: Db,
  intentId: string,
  requestKey: string,
): Promise<{ found: boolean; answer: string | null }> {
  const v = paymentIntentVersions;
  const claimed = db
    .select({ version: v.version })
    .from(v)
    .where(and(eq(v.intentId, intentId), eq(v.requestKey, requestKey)));
  const [rows, answers] = await db.batch([
    claimed,
    db
      .select({ answer: v.answer })
      .from(v)
      .where(and(eq(v.intentId, intentId), gt(v.version, sql`(${claimed})`), isNotNull(v.answer)))
      .orderBy(asc(v.version))
      .limit(1),
  ]);
  return { found: rows.length > 0, answer: answers[0]?.answer ?? null };
}
