/**
 * Storage of events: the outbox insert that joins a change's batch, and the reads of the Events API
 * and the dispatcher. An event's insert takes its snapshot from the object's row *in the same
 * batch*, after the change's own statements: `(select json_object(…) from <table> where id = …)`.
 * That makes a change without its event, or an event without its change, impossible: both are in
 * one batch, and a snapshot of a row that is not there is NULL in a NOT NULL column, which rolls
 * the whole batch back.
 *
 * Reads: one event and a filtered page for the Events API (the last EVENT_RETENTION_SECONDS only),
 * and the cron's bounded prune of events and delivery attempts past that.
 */
import { and, eq, getTableColumns, gt, gte, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { type IntentAfter, type IntentChangeKind, intentEvents } from "../domain/intent-events";
import type { EventObjectType, EventRow } from "../events/render";
import { newId } from "../lib/ids";
import type { PageRequest } from "../lib/pagination";
import type { Db } from "./client";
import { listPage, notOf, type PageResult } from "./pagination";
import { type Bound, prepared1, type Values } from "./prepared";
import {
  charges,
  checkoutSessions,
  customers,
  events,
  ledgerBalances,
  paymentIntents,
  paymentMethods,
  payouts,
  refunds,
  reviews,
  webhookAttempts,
  webhookEndpoints,
} from "./schema";

/** Who caused a change: the request (its `Request-Id` and `Idempotency-Key`), or null for the sweep. */
export interface EventOrigin {
  requestId: string;
  idempotencyKey: string | null;
  /**
   * Set when the request builds an event insert (whether or not its batch then lands): the
   * webhook dispatcher runs after a request only then (middleware/dispatch.ts).
   */
  wroteEvents?: boolean;
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
  "bin",
]);

/** Columns of webhook_endpoints an event may carry: never the sealed signing secrets. */
const WEBHOOK_ENDPOINT_SECRETS = new Set(["secretSealed", "previousSecretSealed"]);

/** A string constant of the schema (a field name, an object type) as an SQL literal, not a bound value. */
function literal(value: string): SQL {
  if (!/^[A-Za-z0-9_.]+$/.test(value)) throw new Error(`events: not a schema name: ${value}`);
  return sql.raw(`'${value}'`);
}

/**
 * `json_object('<field>', <column>, …)` of a table's row, with its TypeScript field names. The
 * names are SQL literals: bound, they would spend D1's 100 bound values per statement on constants.
 */
function rowJson(table: SQLiteTable, leaveOut: ReadonlySet<string> = new Set()): SQL {
  const columns = Object.entries(getTableColumns(table) as Record<string, SQLiteColumn>).filter(
    ([field]) => !leaveOut.has(field),
  );
  const pairs = columns.map(([field, column]) => sql`${literal(field)}, ${sql.identifier(column.name)}`);
  return sql`json_object(${sql.join(pairs, sql`, `)})`;
}

/** The table an event's snapshot is taken from, and the row's JSON. */
function source(type: Exclude<EventObjectType, "balance">): { table: SQLiteTable; json: () => SQL } {
  switch (type) {
    case "payment_intent":
      return { table: paymentIntents, json: () => rowJson(paymentIntents) };
    case "charge":
      // The charge row, and under `intent` its intent's row as the batch left it (the money columns).
      return {
        table: charges,
        json: () =>
          sql`json_set(${rowJson(charges)}, '$.intent', json((select ${rowJson(paymentIntents)} from ${paymentIntents} where ${paymentIntents.id} = ${charges.paymentIntentId})))`,
      };
    case "refund":
      return { table: refunds, json: () => rowJson(refunds) };
    case "review":
      return { table: reviews, json: () => rowJson(reviews) };
    case "payment_method":
      return { table: paymentMethods, json: () => rowJson(paymentMethods, PAYMENT_METHOD_SECRETS) };
    case "customer":
      return { table: customers, json: () => rowJson(customers) };
    case "webhook_endpoint":
      return { table: webhookEndpoints, json: () => rowJson(webhookEndpoints, WEBHOOK_ENDPOINT_SECRETS) };
    case "payout":
      return { table: payouts, json: () => rowJson(payouts) };
    case "checkout_session":
      return { table: checkoutSessions, json: () => rowJson(checkoutSessions) };
  }
}

/** Bound values one event insert may use (D1 binds at most 100 per statement). */
const MAX_BOUND = 100;

/** Bound values one event row takes: 12, and a charge's 2 more for its snapshot's fallback (`snapshotOf`). */
const boundOf = (spec: EventSpec) => (spec.objectType === "charge" ? 14 : 12);

/**
 * The insert of events, to put in the change's batch *after* the statements that write their
 * objects: each snapshot is its object's row as the batch left it (see the module comment). One
 * multi-row statement for as many events as D1's bound values allow (8 rows, 7 with charges), so a
 * change's events cost its batch one statement; none for no events.
 */
export function eventInserts(db: Db, specs: readonly EventSpec[]): Bound[] {
  const out: Bound[] = [];
  let chunk: EventSpec[] = [];
  let bound = 0;
  for (const spec of specs) {
    if (chunk.length > 0 && bound + boundOf(spec) > MAX_BOUND) {
      out.push(insertRows(db, chunk));
      chunk = [];
      bound = 0;
    }
    chunk.push(spec);
    bound += boundOf(spec);
  }
  if (chunk.length > 0) out.push(insertRows(db, chunk));
  return out;
}

/** `eventInserts` of one event. */
export function eventInsert(db: Db, spec: EventSpec): Bound {
  return insertRows(db, [spec]);
}

/**
 * The insert of one event that is recorded only when the statement right before it in the batch
 * changed a row, and is otherwise nothing at all: the batch goes on (unlike `afterChange`, whose
 * miss rolls the batch back). For a change that may already have been made, inside a batch that
 * must land anyway (an outcome's batch saving its card to a customer).
 */
export function eventInsertIfChanged(
  db: Db,
  spec: Omit<EventSpec, "afterChange" | "objectType"> & { objectType: Exclude<EventObjectType, "balance"> },
): Bound {
  const statement = prepared1(db, `events.insertIfChanged:${spec.objectType}`, () => {
    const p = sql.placeholder;
    const { table, json } = source(spec.objectType);
    const given: Record<string, SQL> = {
      id: sql`${p("id0")}`,
      merchantId: sql`${p("merchantId")}`,
      type: sql`${p("type0")}`,
      objectType: literal(spec.objectType),
      objectId: sql`${p("objectId0")}`,
      snapshot: json(),
      previousAttributes: sql`${p("previous0")}`,
      requestId: sql`${p("requestId0")}`,
      requestIdempotencyKey: sql`${p("idempotencyKey0")}`,
      created: sql`${p("created0")}`,
    };
    // INSERT … SELECT names every column in the table's order; the others take their defaults.
    const columns = Object.entries(getTableColumns(events) as Record<string, SQLiteColumn>).map(
      ([field, column]) => given[field] ?? (column.default == null ? sql`null` : sql`${column.default}`),
    );
    const id = sql.identifier("id");
    const merchant = sql.identifier("merchant_id");
    return db
      .insert(events)
      .select(
        sql`select ${sql.join(columns, sql`, `)} from ${table} where ${id} = ${p("objectId0")} and ${merchant} = ${p("merchantId")} and changes() > 0`,
      );
  });
  return statement.bind(eventValues([spec]));
}

/**
 * The snapshot column of event `i`: its object's row. A charge authorized before charges had rows
 * of their own (between migration 0005 and the code that writes them) has none; its event takes
 * the intent's row instead (as events did then, rendered by `chargeOfIntent`), so the batch of a
 * later capture or refund of it never fails for want of the charge row.
 */
function snapshotOf(type: Exclude<EventObjectType, "balance">, row: SQL, i: number): SQL {
  if (type !== "charge") return row;
  const pi = paymentIntents;
  const p = sql.placeholder;
  return sql`coalesce(${row}, (select ${rowJson(pi)} from ${pi} where ${pi.latestCharge} = ${p(`objectId${i}`)} and ${pi.merchantId} = ${p("merchantId")}))`;
}

/**
 * The snapshot of a `balance` event: the merchant's available and pending balance per currency, from
 * the ledger's running balances as the batch left them (rendered as Stripe's Balance).
 */
function balanceSnapshot(): SQL {
  const b = ledgerBalances;
  const of = (account: string) =>
    sql`coalesce(sum(case when ${b.account} = ${literal(account)} then ${b.balance} end), 0)`;
  const perCurrency = sql`select ${b.currency} as currency, ${of("available_balance")} as available, ${of("pending_balance")} as pending from ${b} where ${b.merchantId} = ${sql.placeholder("merchantId")} group by ${b.currency} order by ${b.currency}`;
  return sql`(select json_group_array(json_object('currency', currency, 'available', available, 'pending', pending)) from (${perCurrency}))`;
}

function insertRows(db: Db, specs: readonly EventSpec[]): Bound {
  const shape = specs.map((s) => `${s.objectType}${s.afterChange ? "!" : ""}`).join(",");
  const statement = prepared1(db, `events.insert:${shape}`, () => {
    const p = sql.placeholder;
    const id = sql.identifier("id");
    const merchant = sql.identifier("merchant_id");
    return db.insert(events).values(
      specs.map((spec, i) => {
        const guard = spec.afterChange ? sql` and changes() > 0` : sql``;
        const row = (type: Exclude<EventObjectType, "balance">) => {
          const { table, json } = source(type);
          return sql`(select ${json()} from ${table} where ${id} = ${p(`objectId${i}`)} and ${merchant} = ${p("merchantId")}${guard})`;
        };
        const type = spec.objectType;
        return {
          id: p(`id${i}`),
          merchantId: p("merchantId"),
          type: p(`type${i}`),
          objectType: literal(spec.objectType),
          objectId: p(`objectId${i}`),
          snapshot: type === "balance" ? balanceSnapshot() : snapshotOf(type, row(type), i),
          previousAttributes: p(`previous${i}`),
          requestId: p(`requestId${i}`),
          requestIdempotencyKey: p(`idempotencyKey${i}`),
          created: p(`created${i}`),
        };
      }),
    );
  });
  return statement.bind(eventValues(specs));
}

/** The values of an event insert's placeholders (`<name><i>` per event); marks each origin as having written events. */
function eventValues(specs: readonly Omit<EventSpec, "afterChange">[]): Values {
  const values: Values = { merchantId: specs[0]?.merchantId };
  specs.forEach((spec, i) => {
    if (spec.merchantId !== values.merchantId) throw new Error("eventInserts: one merchant per insert");
    values[`id${i}`] = spec.id;
    values[`type${i}`] = spec.type;
    values[`objectId${i}`] = spec.objectId;
    values[`previous${i}`] = spec.previous ? JSON.stringify(spec.previous) : null;
    if (spec.origin) spec.origin.wroteEvents = true;
    values[`requestId${i}`] = spec.origin?.requestId ?? null;
    values[`idempotencyKey${i}`] = spec.origin?.idempotencyKey ?? null;
    values[`created${i}`] = spec.created;
  });
  return values;
}

/** Where an intent's change happened and who caused it, for the events it emits. */
export interface IntentEventContext {
  merchantId: string;
  intentId: string;
  /** The intent's latest charge as the batch leaves it: the object of its `charge.*` events. */
  chargeId: string | null;
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
      objectId: e.object === "charge" ? chargeOf(at) : at.intentId,
      created: at.created,
      origin: at.origin,
    })),
  );
}

/** The charge a `charge.*` event of an intent's change is about; an event without one is a bug. */
function chargeOf(at: IntentEventContext): string {
  if (at.chargeId === null) throw new Error(`events: a charge event of ${at.intentId} without a charge`);
  return at.chargeId;
}

/** How long events stay readable (and stored): 30 days, as Stripe's Events API. */
export const EVENT_RETENTION_SECONDS = 30 * 24 * 60 * 60;

/** The merchant's event with this id, if it was created at or after `since`. */
export function getEvent(db: Db, merchantId: string, id: string, since: number): Promise<EventRow | undefined> {
  return db
    .select()
    .from(events)
    .where(and(eq(events.id, id), eq(events.merchantId, merchantId), gte(events.created, since)))
    .get();
}

/** The Events API's filters (validated): one type or a GLOB pattern, or a set of types; a `created` range; delivery. */
export interface EventFilter {
  /** An exact type, or a pattern where `*` matches any run of characters (SQLite GLOB; only `[a-z_.*]`). */
  type?: string;
  types?: readonly string[];
  /**
   * true: dispatched and acknowledged by every endpoint it went to (pending_webhooks = 0); false:
   * still pending (not yet dispatched, or some endpoint has not acknowledged it: retrying or failed).
   */
  deliverySuccess?: boolean;
}

/** A page of the merchant's events created at or after `since`, newest first, filtered. */
export function listEvents(
  db: Db,
  merchantId: string,
  since: number,
  filter: EventFilter,
  page: PageRequest,
): Promise<PageResult<EventRow>> {
  const t = events;
  const { type, types, deliverySuccess } = filter;
  const scope = and(
    eq(t.merchantId, merchantId),
    gte(t.created, since),
    type === undefined ? undefined : type.includes("*") ? sql`${t.type} glob ${type}` : eq(t.type, type),
    types === undefined ? undefined : sql`${t.type} in (select value from json_each(${JSON.stringify(types)}))`,
    deliverySuccess === undefined
      ? undefined
      : deliverySuccess
        ? and(eq(t.dispatched, 1), eq(t.pendingWebhooks, 0))
        : or(eq(t.dispatched, 0), gt(t.pendingWebhooks, 0)),
  );
  const cursorScope = and(eq(t.merchantId, merchantId), gte(t.created, since));
  return listPage(db, { table: t, id: t.id, created: t.created, scope, cursorScope }, page);
}

/** Most rows one prune statement deletes. */
export const PRUNE_BATCH = 500;
/** Most prune statements of each kind (events, attempts) one prune runs; the next cron run goes on. */
export const PRUNE_ROUNDS = 4;

/**
 * Deletes events and webhook attempts created before `before`, in at most PRUNE_ROUNDS batches of
 * PRUNE_BATCH of each (a cron run does bounded work; the next one goes on), leaving the merchants
 * in `skip` alone (a move compares their row counts). Answers how many of each went.
 */
export async function pruneEvents(
  db: Db,
  before: number,
  skip: readonly string[] = [],
  limit = PRUNE_BATCH,
): Promise<{ events: number; attempts: number }> {
  const total = { events: 0, attempts: 0 };
  for (let round = 0; round < PRUNE_ROUNDS; round++) {
    const oldEvents = db
      .select({ id: events.id })
      .from(events)
      .where(and(lt(events.created, before), notOf(events.merchantId, skip)))
      .limit(limit);
    const oldAttempts = db
      .select({ id: webhookAttempts.id })
      .from(webhookAttempts)
      .where(and(lt(webhookAttempts.created, before), notOf(webhookAttempts.merchantId, skip)))
      .limit(limit);
    const [gone, goneAttempts] = await db.batch([
      db.delete(events).where(inArray(events.id, oldEvents)).returning({ id: events.id }),
      db.delete(webhookAttempts).where(inArray(webhookAttempts.id, oldAttempts)).returning({ id: webhookAttempts.id }),
    ]);
    total.events += gone.length;
    total.attempts += goneAttempts.length;
    if (gone.length < limit && goneAttempts.length < limit) break;
  }
  return total;
}
