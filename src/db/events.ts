/**
 * Storage of events: the outbox insert that joins a change's batch, and the reads of the Events API
 * and the dispatcher. An event's insert takes its snapshot from the object's row *in the same
 * batch*, after the change's own statements: `(select json_object(…) from <table> where id = …)`.
 * That makes a change without its event, or an event without its change, impossible: both are in
 * one batch, and a snapshot of a row that is not there is NULL in a NOT NULL column, which rolls
 * the whole batch back.
 */
import { getTableColumns, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { type IntentAfter, type IntentChangeKind, intentEvents } from "../domain/intent-events";
import type { EventObjectType } from "../events/render";
import { newId } from "../lib/ids";
import type { Db } from "./client";
import { type Bound, prepared1, type Values } from "./prepared";
import { events, paymentIntents, paymentMethods, refunds } from "./schema";

/** Who caused a change: the request (its `Request-Id` and `Idempotency-Key`), or null for the sweep. */
export interface EventOrigin {
  requestId: string;
  idempotencyKey: string | null;
}

/** One event to record with a change. */
export interface EventSpec {
  id: string;
  merchantId: string;
  type: string;
  objectType: EventObjectType;
  objectId: string;
  created: number;
  /** `data.previous_attributes` (wire names), on `*.updated` events. */
  previous?: Record<string, unknown> | null;
  origin: EventOrigin | null;
  /**
   * Record the event only if the statement right before it in the batch changed a row: otherwise
   * its snapshot is NULL and the whole batch rolls back (`isGuardMiss(err, "events.snapshot")`).
   */
  afterChange?: boolean;
}

/** Columns of payment_methods an event may carry: never the sealed card data. */
const PAYMENT_METHOD_SECRETS = new Set([
  "keyVersion",
  "wrappedKey",
  "panCiphertext",
  "cvcCiphertext",
  "internalFingerprint",
]);

/** `json_object('<field>', <column>, …)` of a table's row, with its TypeScript field names. */
function rowJson(table: SQLiteTable, leaveOut: ReadonlySet<string> = new Set()): SQL {
  const columns = Object.entries(getTableColumns(table) as Record<string, SQLiteColumn>).filter(
    ([field]) => !leaveOut.has(field),
  );
  const pairs = columns.map(([field, column]) => sql`${field}, ${sql.identifier(column.name)}`);
  return sql`json_object(${sql.join(pairs, sql`, `)})`;
}

/** The table an event's snapshot is taken from, and the row's JSON. */
function source(type: EventObjectType): { table: SQLiteTable; json: () => SQL } {
  switch (type) {
    case "payment_intent":
    case "charge":
      return { table: paymentIntents, json: () => rowJson(paymentIntents) };
    case "refund":
      return { table: refunds, json: () => rowJson(refunds) };
    case "payment_method":
      return { table: paymentMethods, json: () => rowJson(paymentMethods, PAYMENT_METHOD_SECRETS) };
  }
}

/** Rows one event insert carries (10 bound values each; D1 binds at most 100 per statement). */
const ROWS_PER_INSERT = 8;

/**
 * The insert of events, to put in the change's batch *after* the statements that write their
 * objects: each snapshot is its object's row as the batch left it (see the module comment). One
 * multi-row statement for up to ROWS_PER_INSERT events, so a change's events cost its batch one
 * statement; none for no events.
 */
export function eventInserts(db: Db, specs: readonly EventSpec[]): Bound[] {
  const out: Bound[] = [];
  for (let i = 0; i < specs.length; i += ROWS_PER_INSERT) out.push(insertRows(db, specs.slice(i, i + ROWS_PER_INSERT)));
  return out;
}

/** `eventInserts` of one event. */
export function eventInsert(db: Db, spec: EventSpec): Bound {
  return insertRows(db, [spec]);
}

function insertRows(db: Db, specs: readonly EventSpec[]): Bound {
  const shape = specs.map((s) => `${s.objectType}${s.afterChange ? "!" : ""}`).join(",");
  const statement = prepared1(db, `events.insert:${shape}`, () => {
    const p = sql.placeholder;
    const id = sql.identifier("id");
    const merchant = sql.identifier("merchant_id");
    return db.insert(events).values(
      specs.map((spec, i) => {
        const { table, json } = source(spec.objectType);
        const guard = spec.afterChange ? sql` and changes() > 0` : sql``;
        return {
          id: p(`id${i}`),
          merchantId: p("merchantId"),
          type: p(`type${i}`),
          objectType: spec.objectType,
          objectId: p(`objectId${i}`),
          snapshot: sql`(select ${json()} from ${table} where ${id} = ${p(`objectId${i}`)} and ${merchant} = ${p("merchantId")}${guard})`,
          previousAttributes: p(`previous${i}`),
          requestId: p(`requestId${i}`),
          requestIdempotencyKey: p(`idempotencyKey${i}`),
          created: p(`created${i}`),
        };
      }),
    );
  });
  const values: Values = { merchantId: specs[0]?.merchantId };
  specs.forEach((spec, i) => {
    if (spec.merchantId !== values.merchantId) throw new Error("eventInserts: one merchant per insert");
    values[`id${i}`] = spec.id;
    values[`type${i}`] = spec.type;
    values[`objectId${i}`] = spec.objectId;
    values[`previous${i}`] = spec.previous ? JSON.stringify(spec.previous) : null;
    values[`requestId${i}`] = spec.origin?.requestId ?? null;
    values[`idempotencyKey${i}`] = spec.origin?.idempotencyKey ?? null;
    values[`created${i}`] = spec.created;
  });
  return statement.bind(values);
}

/** Where an intent's change happened and who caused it, for the events it emits. */
export interface IntentEventContext {
  merchantId: string;
  intentId: string;
  created: number;
  origin: EventOrigin | null;
}

/**
 * The event inserts of changes `kinds` to an intent, recorded in one batch that leaves it `after`
 * (`intentEvents` says which): to append to that batch, after every statement that writes the intent.
 */
export function intentEventInserts(
  db: Db,
  at: IntentEventContext,
  kinds: readonly IntentChangeKind[],
  after: IntentAfter,
): Bound[] {
  return eventInserts(
    db,
    intentEvents(kinds, after).map((e) => ({
      id: newId("evt"),
      merchantId: at.merchantId,
      type: e.type,
      objectType: e.object,
      objectId: at.intentId,
      created: at.created,
      origin: at.origin,
    })),
  );
}
