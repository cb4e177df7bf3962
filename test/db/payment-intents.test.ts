/** The compare-and-swap of intent changes against real D1: a stale writer writes nothing at all. */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { changeIntent, getIntent, type IntentRow, insertIntent } from "../../src/db/payment-intents";
import { ledgerEntries, paymentIntentVersions, refunds } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { shard } from "../helpers/shards";

const db = shard(0);

function intent(): IntentRow {
  return {
    id: newId("pi"),
    merchantId: newId("mer"),
    amount: 1000,
    currency: "usd",
    status: "requires_capture",
    captureMethod: "manual",
    paymentMethod: "pm_1",
    description: null,
    metadata: "{}",
    statementDescriptor: null,
    amountCapturable: 1000,
    amountReceived: 0,
    amountRefunded: 0,
    latestCharge: "ch_1",
    processorReference: "auth_1",
    lastPaymentError: null,
    cancellationReason: null,
    canceledAt: null,
    authorizedAt: 1,
    pendingOp: null,
    version: 1,
    idempotencyKey: null,
    created: 1,
    clientSecret: null,
    customer: null,
    setupFutureUsage: null,
    review: null,
    connector: null,
    nextAction: null,
  };
}

describe("changeIntent", () => {
  it("applies the first change from a version and refuses the second, ledger and extras included", async () => {
    const authorized = await insertIntent(db, intent(), null);
    const charge = newId("ch");
    // The hold a capture releases must be on the ledger first, or the capture would overdraw it.
    const from = await changeIntent(
      db,
      authorized,
      {
        kind: "authorized",
        // An authorization brings its charge: its charge.succeeded event is about that row.
        patch: { latestCharge: charge },
        charge: {
          id: charge,
          status: "succeeded",
          amount: 1000,
          paymentMethod: "pm_1",
          failureCode: null,
          failureMessage: null,
          outcomeReason: null,
          cvcSent: false,
          risk: null,
          route: null,
        },
        ledger: { movement: { kind: "authorize", amount: 1000 }, sourceId: authorized.id },
      },
      null,
    );
    if (!from) throw new Error("authorize lost its race");
    const capture = {
      kind: "captured" as const,
      patch: { status: "succeeded", amountCapturable: 0, amountReceived: 1000 },
      ledger: { movement: { kind: "capture", authorized: 1000, captured: 1000 } as const, sourceId: from.id },
    };
    const first = await changeIntent(db, from, capture, null);
    expect(first).toMatchObject({ version: 3, status: "succeeded" });
    const refundRow = {
      id: newId("re"),
      merchantId: from.merchantId,
      paymentIntentId: from.id,
      charge: "ch_1",
      amount: 10,
      currency: "usd",
      status: "pending",
      reason: null,
      metadata: "{}",
      failureReason: null,
      idempotencyKey: null,
      created: 1,
    };
    // A stale writer (still at version 2) loses, and none of its writes land.
    const stale = await changeIntent(db, from, { ...capture, extra: [db.insert(refunds).values(refundRow)] }, null);
    expect(stale).toBeUndefined();
    expect(await db.select().from(refunds).where(eq(refunds.id, refundRow.id)).all()).toEqual([]);
    const postings = await db.select().from(ledgerEntries).where(eq(ledgerEntries.sourceId, from.id)).all();
    expect(postings.map((p) => p.kind).sort()).toEqual([
      "authorize",
      "authorize",
      "capture",
      "capture",
      "capture",
      "capture",
    ]);
    expect(new Set(postings.map((p) => p.txnId)).size).toBe(2);
    expect(postings.reduce((s, p) => s + p.amount, 0)).toBe(0);
    const versions = await db
      .select()
      .from(paymentIntentVersions)
      .where(eq(paymentIntentVersions.intentId, from.id))
      .all();
    expect(versions.map((v) => [v.version, v.kind])).toEqual([
      [1, "created"],
      [2, "authorized"],
      [3, "captured"],
    ]);
    expect(await getIntent(db, from.merchantId, from.id)).toMatchObject({ version: 3, amountReceived: 1000 });
  });

  it("reads another merchant's intent as missing", async () => {
    const row = await insertIntent(db, intent(), null);
    expect(await getIntent(db, "mer_other", row.id)).toBeUndefined();
  });
});
