/**
 * The ledger against real D1: postings and running balances land together, and the database
 * refuses a double booking or an overdrawn account, with every other statement of the batch.
 */
import { eq } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { balances, isLedgerViolation, type PostingContext, postMovement, postMovements } from "../../src/db/ledger";
import { ledgerBalances, ledgerEntries, refunds } from "../../src/db/schema";
import { applyPostings, type Movement, postingsFor, violations, zeroBalances } from "../../src/domain/ledger";
import { newId } from "../../src/lib/ids";
import { shard } from "../helpers/shards";

const db = shard(0);

function context(sourceId = newId("pi")): PostingContext {
  return { merchantId: newId("mer"), currency: "usd", sourceId, created: 1 };
}

/** Books the movements, one batch each. */
async function book(at: PostingContext, ...movements: Movement[]) {
  for (const m of movements) {
    await db.batch(asBatch(postMovement(db, at, m)));
  }
}

/** The statements as the non-empty tuple `db.batch` takes (postMovement always returns some). */
function asBatch(items: BatchItem<"sqlite">[]): [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]] {
  const [first, ...rest] = items;
  if (!first) throw new Error("empty batch");
  return [first, ...rest];
}

/** A refund row for `at`, as the refund flow inserts it next to its reservation. */
function refundRow(at: PostingContext) {
  return db.insert(refunds).values({
    id: newId("re"),
    merchantId: at.merchantId,
    paymentIntentId: at.sourceId,
    charge: "ch_1",
    amount: 1,
    currency: at.currency,
    status: "pending",
    reason: null,
    metadata: "{}",
    failureReason: null,
    idempotencyKey: null,
    created: at.created,
  });
}

/** The error a batch fails with (fails the test if it lands). */
async function refusal(items: ReturnType<typeof postMovement>): Promise<unknown> {
  return db.batch(asBatch(items)).then(
    () => expect.unreachable("the batch should have been refused"),
    (err: unknown) => err,
  );
}

const entriesOf = (merchantId: string) =>
  db.select().from(ledgerEntries).where(eq(ledgerEntries.merchantId, merchantId)).all();

describe("postMovement", () => {
  it("books the postings as one transaction and keeps a running balance per account", async () => {
    const intent = context();
    await book(intent, { kind: "authorize", amount: 1000 }, { kind: "capture", authorized: 1000, captured: 600 });
    const refund = { ...intent, sourceId: newId("re") };
    await book(refund, { kind: "refund_reserve", amount: 200 }, { kind: "refund", amount: 200 });
    const second = { ...intent, sourceId: newId("re") };
    await book(second, { kind: "refund_reserve", amount: 100 });

    const entries = await entriesOf(intent.merchantId);
    expect(entries).toHaveLength(2 + 4 + 2 + 2 + 2);
    const txns = new Map<string, number>();
    for (const e of entries) txns.set(e.txnId, (txns.get(e.txnId) ?? 0) + e.amount);
    expect([...txns.values()]).toEqual([0, 0, 0, 0, 0]);
    expect(await balances(db, intent.merchantId)).toEqual([
      {
        currency: "usd",
        accounts: {
          authorized_holds: 0,
          authorization_clearing: 0,
          // Captured funds stay pending until settled; refunds are taken from the available balance at once.
          pending_balance: 600,
          available_balance: -300,
          refund_reserve: 100,
          processor: -400,
          gateway_fees: 0,
          payouts_in_transit: 0,
          paid_out: 0,
        },
        refunded: 200,
      },
    ]);
  });

  it("keeps currencies and merchants apart", async () => {
    const usd = context();
    const eur = { ...usd, currency: "eur", sourceId: newId("pi") };
    await book(usd, { kind: "authorize", amount: 5 });
    await book(eur, { kind: "authorize", amount: 7 });
    const rows = await balances(db, usd.merchantId);
    expect(rows.map((r) => [r.currency, r.accounts.authorized_holds])).toEqual([
      ["eur", 7],
      ["usd", 5],
    ]);
    expect(await balances(db, newId("mer"))).toEqual([]);
  });

  it("books several movements in one set of statements exactly as it books them one by one", async () => {
    const apart = context();
    const together = { ...context(), merchantId: newId("mer") };
    const authorize: Movement = { kind: "authorize", amount: 1000 };
    const capture: Movement = { kind: "capture", authorized: 1000, captured: 700 };
    await book(apart, authorize, capture);
    const statements = postMovements(db, together, [
      { movement: authorize, sourceId: together.sourceId },
      { movement: capture, sourceId: together.sourceId },
    ]);
    expect(statements).toHaveLength(3);
    await db.batch(asBatch(statements));
    const shape = (rows: Awaited<ReturnType<typeof entriesOf>>) =>
      rows.map((e) => [e.kind, e.account, e.amount]).sort((a, b) => String(a).localeCompare(String(b)));
    expect(shape(await entriesOf(together.merchantId))).toEqual(shape(await entriesOf(apart.merchantId)));
    expect(new Set((await entriesOf(together.merchantId)).map((e) => e.txnId)).size).toBe(2);
    const accounts = async (merchantId: string) => (await balances(db, merchantId)).map((b) => b.accounts);
    expect(await accounts(together.merchantId)).toEqual(await accounts(apart.merchantId));
    // The booked capture cannot be booked again, even alone.
    const again = await refusal(postMovement(db, together, capture));
    expect(isLedgerViolation(again)).toBe("double_booking");
  });

  it("throws before writing anything on an impossible movement", () => {
    expect(() => postMovement(db, context(), { kind: "capture", authorized: 1, captured: 2 })).toThrow();
  });
});

describe("the database enforces the ledger", () => {
  it("refuses the same movement kind twice for one source, with the rest of its batch", async () => {
    const intent = context();
    await book(intent, { kind: "authorize", amount: 1000 });
    const other = refundRow(intent);
    const err = await refusal([...postMovement(db, intent, { kind: "authorize", amount: 1000 }), other]);
    expect(isLedgerViolation(err)).toBe("double_booking");
    // Nothing of the refused batch landed: no third posting, no second hold, no refund row.
    expect(await entriesOf(intent.merchantId)).toHaveLength(2);
    expect((await balances(db, intent.merchantId))[0]?.accounts.authorized_holds).toBe(1000);
    expect(await db.select().from(refunds).where(eq(refunds.paymentIntentId, intent.sourceId)).all()).toEqual([]);
    // Another kind for the same source, or the same kind for another source, is fine.
    await book(intent, { kind: "release", amount: 1000 });
    await book({ ...intent, sourceId: newId("pi") }, { kind: "authorize", amount: 1000 });
  });

  it("refuses a refund with no reservation, with the rest of its batch", async () => {
    const intent = context();
    await book(intent, { kind: "authorize", amount: 1000 }, { kind: "capture", authorized: 1000, captured: 1000 });
    const refund = { ...intent, sourceId: newId("re") };
    const err = await refusal([refundRow(intent), ...postMovement(db, refund, { kind: "refund", amount: 300 })]);
    expect(isLedgerViolation(err)).toBe("negative_balance");
    expect(await db.select().from(refunds).where(eq(refunds.paymentIntentId, intent.sourceId)).all()).toEqual([]);
    expect(await db.select().from(ledgerEntries).where(eq(ledgerEntries.sourceId, refund.sourceId)).all()).toEqual([]);
    expect((await balances(db, intent.merchantId))[0]).toMatchObject({
      accounts: { pending_balance: 1000, refund_reserve: 0, processor: -1000 },
      refunded: 0,
    });
  });

  it("settles a refund once: paid back or failed, never both", async () => {
    const intent = context();
    await book(intent, { kind: "authorize", amount: 1000 }, { kind: "capture", authorized: 1000, captured: 1000 });
    const refund = { ...intent, sourceId: newId("re") };
    // Two reservations' worth in the reserve, so only the settle-once index can refuse the second.
    await book(refund, { kind: "refund_reserve", amount: 300 });
    await book({ ...intent, sourceId: newId("re") }, { kind: "refund_reserve", amount: 300 });
    await book(refund, { kind: "refund", amount: 300 });
    const err = await refusal(postMovement(db, refund, { kind: "refund_failure", amount: 300 }));
    expect(isLedgerViolation(err)).toBe("double_booking");
    expect((await balances(db, intent.merchantId))[0]).toMatchObject({
      accounts: { pending_balance: 1000, available_balance: -600, refund_reserve: 300 },
      refunded: 300,
    });
  });

  it("lets the available balance go negative, but never a pending balance or the fees", async () => {
    const intent = context();
    await book(intent, { kind: "authorize", amount: 500 }, { kind: "capture", authorized: 500, captured: 500 });
    // A refund before settlement is taken from the available balance, which goes below zero.
    await book({ ...intent, sourceId: newId("re") }, { kind: "refund_reserve", amount: 500 });
    expect((await balances(db, intent.merchantId))[0]?.accounts).toMatchObject({
      pending_balance: 500,
      available_balance: -500,
    });
    const settled = await refusal(
      postMovement(db, { ...intent, sourceId: newId("txn") }, { kind: "settle", amount: 501 }),
    );
    expect(isLedgerViolation(settled)).toBe("negative_balance");
    const fees = await refusal(
      postMovement(db, { ...intent, sourceId: newId("txn") }, { kind: "fee_refund", amount: 1 }),
    );
    expect(isLedgerViolation(fees)).toBe("negative_balance");
  });

  it("refuses an account that does not exist in the chart", async () => {
    const at = context();
    const err = await db
      .insert(ledgerBalances)
      .values({ merchantId: at.merchantId, currency: "usd", account: "refunds", balance: 1 })
      .then(
        () => expect.unreachable("unknown account accepted"),
        (e: unknown) => e,
      );
    expect(isLedgerViolation(err)).toBe("negative_balance");
  });

  it("isLedgerViolation ignores other errors", async () => {
    const at = context();
    const row = refundRow(at);
    await row;
    const err = await row.then(
      () => expect.unreachable("duplicate refund id accepted"),
      (e: unknown) => e,
    );
    expect(isLedgerViolation(err)).toBeNull();
    expect(isLedgerViolation(new Error("CHECK constraint failed: something_else"))).toBeNull();
    expect(isLedgerViolation("UNIQUE constraint failed: ledger_entries.source_id")).toBeNull();
  });
});

/** Any movement (valid or not for the life cycle) on one of a few sources, with small amounts. */
const anyMovement: fc.Arbitrary<{ source: number; movement: Movement }> = fc.record({
  source: fc.integer({ min: 0, max: 2 }),
  movement: fc.oneof(
    ...(["authorize", "release", "refund_reserve", "refund", "refund_failure"] as const).map((kind) =>
      fc.integer({ min: 0, max: 50 }).map((amount) => ({ kind, amount })),
    ),
    fc
      .tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 50 }))
      .map(([a, b]) => ({ kind: "capture" as const, authorized: Math.max(a, b), captured: Math.min(a, b) })),
  ),
});

describe("the database agrees with the domain (property)", () => {
  it("refuses exactly the double bookings and the sign violations the domain predicts", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyMovement, { maxLength: 12 }), async (steps) => {
        const merchantId = newId("mer");
        const sources = [newId("pi"), newId("pi"), newId("re")];
        const booked = new Set<string>();
        let model = zeroBalances();
        for (const { source, movement } of steps) {
          const at = { merchantId, currency: "usd", sourceId: sources[source] ?? "", created: 1 };
          const postings = postingsFor(movement);
          const next = applyPostings(model, postings);
          // A refund settles once: paid back and failed share one booking slot per source.
          const key = `${source}:${movement.kind === "refund_failure" ? "refund" : movement.kind}`;
          const expected = booked.has(key) ? "double_booking" : violations(next).length > 0 ? "negative_balance" : null;
          const got = await db.batch(asBatch(postMovement(db, at, movement))).then(
            () => null,
            (err: unknown) => isLedgerViolation(err) ?? err,
          );
          expect(got).toBe(expected);
          if (got === null) {
            booked.add(key);
            model = next;
          }
        }
        const stored = await balances(db, merchantId);
        expect(stored[0]?.accounts ?? zeroBalances()).toEqual(model);
      }),
      {
        numRuns: 40,
        // A settled refund then its failure (one slot): found once by chance, now always tried.
        examples: [
          [
            [
              { source: 0, movement: { kind: "authorize", amount: 10 } },
              { source: 0, movement: { kind: "capture", authorized: 10, captured: 10 } },
              { source: 0, movement: { kind: "refund_reserve", amount: 5 } },
              { source: 0, movement: { kind: "refund", amount: 5 } },
              { source: 0, movement: { kind: "refund_failure", amount: 5 } },
            ],
          ],
        ],
      },
    );
  });
});
