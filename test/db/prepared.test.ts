/**
 * Statements built once and bound per request (src/db/prepared.ts) against real D1. They lean on
 * drizzle-orm internals (what `db.batch` asks of an item, checked against 0.45.4): these tests
 * fail if those change, before any payment path does.
 */
import { eq, fillPlaceholders, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { draftIntent, type IntentRow } from "../../src/db/payment-intents";
import { type Bound, bindAll, prepared, prepared1, runAlone } from "../../src/db/prepared";
import { paymentIntents, paymentIntentVersions, tokens } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { shard } from "../helpers/shards";

const db = shard(0);
const p = sql.placeholder;

/** A shape of three statements: insert a version row, read the intent, update it returning the row. */
function shape(key: string) {
  return prepared(db, key, () => [
    db
      .insert(paymentIntentVersions)
      .values({ intentId: p("id"), version: p("version"), kind: p("kind"), amount: p("amount"), created: 1 }),
    db
      .select()
      .from(paymentIntents)
      .where(eq(paymentIntents.id, p("id")))
      .limit(1),
    db
      .update(paymentIntents)
      .set({ description: sql`${p("description")}` })
      .where(eq(paymentIntents.id, p("id")))
      .returning(),
  ]);
}

async function stored(): Promise<IntentRow> {
  const row = draftIntent({ merchantId: newId("mer"), amount: 500, currency: "usd" });
  await db.insert(paymentIntents).values(row);
  return row;
}

describe("prepared statements in a batch", () => {
  it("land in one batch and come back through Drizzle's own mappers", async () => {
    const row = await stored();
    const values = { id: row.id, version: 2, kind: "updated", amount: null, description: "bound" };
    const bound = bindAll(shape("test.three"), values) as [Bound<D1Result>, Bound<IntentRow[]>, Bound<IntentRow[]>];
    const [inserted, read, updated] = await db.batch(bound);
    // The same statements built and run by Drizzle the usual way answer alike (rows keyed by field name).
    const expected = await db.select().from(paymentIntents).where(eq(paymentIntents.id, row.id)).limit(1);
    expect(read).toEqual([{ ...expected[0], description: null }]);
    expect(updated).toEqual(expected);
    expect(expected[0]?.description).toBe("bound");
    expect(inserted.meta.changes).toBe(1);
    const versions = await db.select().from(paymentIntentVersions).where(eq(paymentIntentVersions.intentId, row.id));
    expect(versions).toEqual([
      { intentId: row.id, version: 2, kind: "updated", amount: null, created: 1, requestKey: null, answer: null },
    ]);
  });

  it("are built once per key, and a failing statement rolls back the whole batch", async () => {
    let builds = 0;
    const once = () =>
      prepared(db, "test.once", () => {
        builds++;
        return [db.insert(paymentIntentVersions).values({ intentId: p("id"), version: 1, kind: "x", created: 1 })];
      });
    const row = await stored();
    const [a] = once();
    const [b] = once();
    expect(builds).toBe(1);
    expect(a).toBe(b);
    // The second insert repeats the primary key: nothing of the batch lands.
    const err = await db.batch([a.bind({ id: `${row.id}_x` }), a.bind({ id: row.id }), a.bind({ id: row.id })]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(String(err)).toContain("UNIQUE constraint failed");
    const left = await db
      .select()
      .from(paymentIntentVersions)
      .where(eq(paymentIntentVersions.intentId, `${row.id}_x`));
    expect(left).toEqual([]);
  });

  it("fill their params as Drizzle's fillPlaceholders does: constants, placeholders, column encoders", () => {
    const build = () =>
      db
        .insert(tokens)
        .values({ id: p("id"), merchantId: "mer_const", paymentMethodId: sql`${p("pm")}`, used: p("used"), created: 7 })
        .onConflictDoNothing();
    const values = { id: "tok_1", pm: "pm_1", used: true };
    const [statement] = prepared(db, "test.fill", () => [build()]);
    // The batch's view of a bound item (drizzle-orm 0.45.4's SQLiteD1Session.batch reads `_prepare()`).
    const item = statement.bind(values) as unknown as { _prepare(): { getQuery(): { params: unknown[] } } };
    const expected = fillPlaceholders(build().toSQL().params, values);
    expect(item._prepare().getQuery().params).toEqual(expected);
    expect(expected).toEqual(["tok_1", "mer_const", "pm_1", 1, 7]);
  });

  it("refuse a missing or undefined value instead of binding it", () => {
    const [insert] = shape("test.three");
    expect(() => insert.bind({ id: "pi_1", version: 1, kind: "x" })).toThrow(/amount/);
    expect(() => insert.bind({ id: "pi_1", version: 1, kind: "x", amount: undefined })).toThrow(/undefined/);
  });

  it("run on their own in one round trip", async () => {
    const row = await stored();
    const update = prepared1(db, "test.alone", () =>
      db
        .update(paymentIntents)
        .set({ description: sql`${p("d")}` })
        .where(eq(paymentIntents.id, p("id"))),
    );
    const result = await runAlone(update.bind({ id: row.id, d: "alone" }));
    expect(result.meta.changes).toBe(1);
    const after = await db.select().from(paymentIntents).where(eq(paymentIntents.id, row.id)).get();
    expect(after?.description).toBe("alone");
  });
});
