/**
 * The SQL guards of the claim batches agree with the pure decisions they mirror: on generated
 * intent states (every status, currencies of every amount step, unaligned and zero amounts, a
 * pending operation or none, an open review or none) and requested amounts, D1 evaluates `captureGuard` true exactly when
 * `decideCapture` answers a new capture, `refundGuard` exactly when `decideRefund` allows the
 * refund, and the amount SQL says the amount the decision takes.
 */
import { eq, type SQL, sql } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { captureAmount, captureGuard, guardValues, refundAmount, refundGuard } from "../../src/db/intent-guards";
import { draftIntent, type IntentRow } from "../../src/db/payment-intents";
import { paymentIntents } from "../../src/db/schema";
import { type Currency, isCurrency } from "../../src/domain/currencies";
import { decideCapture, decideRefund, INTENT_STATUSES, type IntentStatus } from "../../src/domain/payment-state";
import { stateOf } from "../../src/payments/intents";
import { shard } from "../helpers/shards";

const STATUSES: readonly IntentStatus[] = INTENT_STATUSES;
const CURRENCIES = ["usd", "jpy", "kwd", "isk"].filter(isCurrency) as Currency[];
const small = fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.constantFrom(0, 1, 10, 100, 1000, 2000));

const states = fc.record({
  status: fc.constantFrom(...STATUSES),
  currency: fc.constantFrom(...CURRENCIES),
  amount: fc.integer({ min: 1, max: 3000 }),
  amountCapturable: small,
  amountReceived: small,
  amountRefunded: small,
  pending: fc.option(fc.constantFrom("authorize", "capture", "void"), { nil: null }),
  manual: fc.boolean(),
  review: fc.option(fc.constant("prv_guard"), { nil: null }),
});
const requested = fc.option(fc.oneof(fc.integer({ min: -5, max: 3200 }), fc.constantFrom(0, 1, 10, 100, 1000)), {
  nil: undefined,
});

type GeneratedState = typeof states extends fc.Arbitrary<infer T> ? T : never;

let n = 0;
function rowOf(s: GeneratedState): IntentRow {
  const id = `pi_guard${n++}_${crypto.randomUUID().slice(0, 8)}`;
  const pendingOp = s.pending && JSON.stringify({ kind: s.pending, key: `${id}_${s.pending}_2`, amount: s.amount });
  return draftIntent({
    id,
    merchantId: "mer_guards",
    amount: s.amount,
    currency: s.currency,
    status: s.status,
    captureMethod: s.manual ? "manual" : "automatic",
    amountCapturable: s.amountCapturable,
    amountReceived: s.amountReceived,
    amountRefunded: s.amountRefunded,
    pendingOp,
    review: s.review,
  });
}

/** What D1 says of a guard and its amount on the stored row, for a request of `requested`. */
async function evaluate(row: IntentRow, guard: SQL, amount: SQL, requested: number | undefined) {
  const db = shard(0);
  const got = await db
    .select({ holds: sql<number>`${guard}`, amount: sql<number>`${amount}` })
    .from(paymentIntents)
    .where(eq(paymentIntents.id, row.id))
    .prepare()
    .get(guardValues(requested));
  if (!got) throw new Error("row not stored");
  return { holds: Number(got.holds) === 1, amount: Number(got.amount) };
}

describe("the claim guards agree with the pure decisions", () => {
  it("captureGuard ⇔ decideCapture answers a new capture, of the same amount", async () => {
    await fc.assert(
      fc.asyncProperty(states, requested, async (s, amt) => {
        const row = rowOf(s);
        await shard(0).insert(paymentIntents).values(row);
        const d = decideCapture(stateOf(row), amt);
        const sqlSays = await evaluate(row, captureGuard, captureAmount, amt);
        const decided = d.ok && d.mode === "capture";
        expect(sqlSays.holds).toBe(decided);
        if (d.ok && d.mode === "capture") expect(sqlSays.amount).toBe(d.amount);
      }),
      { numRuns: 300 },
    );
  });

  it("refundGuard ⇔ decideRefund allows the refund, of the same amount", async () => {
    await fc.assert(
      fc.asyncProperty(states, requested, async (s, amt) => {
        const row = rowOf(s);
        await shard(0).insert(paymentIntents).values(row);
        const d = decideRefund(stateOf(row), amt);
        const sqlSays = await evaluate(row, refundGuard, refundAmount, amt);
        expect(sqlSays.holds).toBe(d.ok);
        if (d.ok) expect(sqlSays.amount).toBe(d.amount);
      }),
      { numRuns: 300 },
    );
  });
});
