/** Helpers for event tests: a merchant's events as rendered, and the invariants events keep with their changes. */
import { and, asc, eq, sql } from "drizzle-orm";
import { charges, events, ledgerEntries, paymentIntents, paymentIntentVersions, refunds } from "../../src/db/schema";
import { eventJson } from "../../src/events/render";
import { dbOf } from "./shards";

/** Every event of the merchant, oldest first, as the API renders it. */
export async function eventsOf(merchantId: string) {
  const rows = await (await dbOf(merchantId))
    .select()
    .from(events)
    .where(eq(events.merchantId, merchantId))
    .orderBy(asc(events.created), sql`rowid`)
    .all();
  return rows.map((r) => ({ ...eventJson(r, false), objectId: r.objectId, snapshot: r.snapshot }));
}

/**
 * The types of the events about one object (intent, refund or payment method), in the order
 * written; an intent's include those about its charges.
 */
export async function typesFor(merchantId: string, objectId: string): Promise<string[]> {
  return (await eventsOf(merchantId)).filter((e) => aboutObject(e, objectId)).map((e) => e.type);
}

/** The event is about `objectId`, or about a charge of that intent. */
export function aboutObject(
  e: { objectId: string; type: string; data: { object: unknown } },
  objectId: string,
): boolean {
  if (e.objectId === objectId) return true;
  return e.type.startsWith("charge.") && (e.data.object as { payment_intent?: string }).payment_intent === objectId;
}

/**
 * Every way the merchant's events disagree with what happened (must always be empty): each intent
 * has one `payment_intent.created`, one `payment_intent.succeeded` exactly when it succeeded, one
 * `payment_intent.canceled` exactly when canceled, a `charge.succeeded` per recorded authorization
 * and a `charge.failed` per decline (each about its own `ch_`, one charges row per attempt); each refund one `refund.created`, and one `charge.refunded`
 * (`refund.failed`) exactly when it succeeded (failed).
 */
export async function eventProblems(merchantId: string): Promise<string[]> {
  const db = await dbOf(merchantId);
  const [all, intents, versions, refundRows, chargeRows] = await Promise.all([
    eventsOf(merchantId),
    db.select().from(paymentIntents).where(eq(paymentIntents.merchantId, merchantId)).all(),
    db
      .select({ intentId: paymentIntentVersions.intentId, kind: paymentIntentVersions.kind })
      .from(paymentIntentVersions)
      .innerJoin(paymentIntents, eq(paymentIntents.id, paymentIntentVersions.intentId))
      .where(eq(paymentIntents.merchantId, merchantId))
      .all(),
    db.select().from(refunds).where(eq(refunds.merchantId, merchantId)).all(),
    db.select().from(charges).where(eq(charges.merchantId, merchantId)).all(),
  ]);
  // A charge event is about the charge (its object id); it counts for the charge's intent.
  const intentOf = (e: (typeof all)[number]) =>
    e.type.startsWith("charge.") ? (e.data.object as { payment_intent?: string }).payment_intent : e.objectId;
  const count = (objectId: string, type: string) =>
    all.filter((e) => (type.startsWith("charge.") ? intentOf(e) : e.objectId) === objectId && e.type === type).length;
  const kinds = (intentId: string, kind: string) =>
    versions.filter((v) => v.intentId === intentId && v.kind === kind).length;
  const problems: string[] = [];
  const expect = (what: string, got: number, want: number) => {
    if (got !== want) problems.push(`${what}: ${got} events, expected ${want}`);
  };
  for (const e of all) {
    const object = e.data.object as { id?: string; object?: string; available?: { currency: string }[] };
    if (object.object === "balance") {
      // A Balance has no id: the event names the currency the settlement run made available.
      if (!object.available?.some((a) => a.currency === e.objectId)) problems.push(`${e.id}: currency ${e.objectId}`);
      continue;
    }
    if (e.objectId !== object.id) problems.push(`${e.id} ${e.type}: object id ${e.objectId}, data.object ${object.id}`);
    if (e.type.startsWith("charge.") && object.object !== "charge") problems.push(`${e.id} ${e.type}: not a charge`);
  }
  for (const pi of intents) {
    expect(
      `${pi.id} charges`,
      chargeRows.filter((c) => c.paymentIntentId === pi.id).length,
      kinds(pi.id, "authorized") + kinds(pi.id, "declined"),
    );
    expect(`${pi.id} payment_intent.created`, count(pi.id, "payment_intent.created"), 1);
    expect(
      `${pi.id} payment_intent.succeeded`,
      count(pi.id, "payment_intent.succeeded"),
      pi.status === "succeeded" ? 1 : 0,
    );
    expect(
      `${pi.id} payment_intent.canceled`,
      count(pi.id, "payment_intent.canceled"),
      pi.status === "canceled" ? 1 : 0,
    );
    expect(`${pi.id} charge.succeeded`, count(pi.id, "charge.succeeded"), kinds(pi.id, "authorized"));
    expect(`${pi.id} charge.failed`, count(pi.id, "charge.failed"), kinds(pi.id, "declined"));
    const succeeded = refundRows.filter((r) => r.paymentIntentId === pi.id && r.status === "succeeded").length;
    expect(`${pi.id} charge.refunded`, count(pi.id, "charge.refunded"), succeeded);
  }
  for (const re of refundRows) {
    expect(`${re.id} refund.created`, count(re.id, "refund.created"), 1);
    expect(`${re.id} refund.failed`, count(re.id, "refund.failed"), re.status === "failed" ? 1 : 0);
    expect(`${re.id} refund.updated`, count(re.id, "refund.updated"), re.status === "pending" ? 0 : 1);
  }
  // One balance.available per settlement run that settled something for the merchant.
  const runs = await db
    .selectDistinct({ source: ledgerEntries.sourceId })
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.merchantId, merchantId), eq(ledgerEntries.kind, "settle")))
    .all();
  expect("balance.available", all.filter((e) => e.type === "balance.available").length, runs.length);
  return problems;
}
