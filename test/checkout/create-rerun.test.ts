/**
 * A session create re-run under the same Idempotency-Key after its saved answer was lost finds the
 * first session (through its intent's unique key) instead of making a second session and intent.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createSession, type SessionInput } from "../../src/checkout";
import { checkoutSessions, paymentIntents } from "../../src/db/schema";
import { newMerchant } from "../helpers/merchants";
import { deps, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

describe("checkout session create: re-runs", () => {
  it("a second run under the same key answers the first session, and makes nothing more", async () => {
    const m = await newMerchant();
    const db = await dbOf(m.merchantId);
    const input: SessionInput = {
      lineItems: [{ name: "Book", unit_amount: 1200, quantity: 1 }],
      currency: "usd",
      successUrl: "https://shop.example/ok",
      cancelUrl: null,
      customer: null,
      customerEmail: null,
      metadata: {},
      captureMethod: "automatic",
      description: null,
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
    };
    const first = await createSession(deps(db), m.merchantId, input, false, "https://gw.example", "key-1");
    const again = await createSession(deps(db), m.merchantId, input, false, "https://gw.example", "key-1");
    expect(again.id).toBe(first.id);
    const other = await createSession(deps(db), m.merchantId, input, false, "https://gw.example", "key-2");
    expect(other.id).not.toBe(first.id);
    const sessions = await db
      .select()
      .from(checkoutSessions)
      .where(eq(checkoutSessions.merchantId, m.merchantId))
      .all();
    const intents = await db.select().from(paymentIntents).where(eq(paymentIntents.merchantId, m.merchantId)).all();
    expect([sessions.length, intents.length]).toEqual([2, 2]);
    // A PaymentIntent create with the same Idempotency-Key is not confused with the session's.
    const pi = await post(m, "/v1/payment_intents", { amount: 1000, currency: "usd" }, { idempotencyKey: "key-1" });
    expect(pi.status).toBe(200);
    expect(pi.body.id).not.toBe(first.paymentIntent);
  });
});
