/**
 * PCI DSS 3.3 in the payment flow: the CVC is discarded after the first authorization attempt,
 * whether the outcome is recorded (in the same batch), unknown, or recorded first by another request.
 */
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getIntent } from "../../src/db/payment-intents";
import { paymentIntentVersions, paymentMethods } from "../../src/db/schema";
import { runPending } from "../../src/payments/intents";
import { EDGEPAY_CARDS } from "../../src/processor/test-cards";
import { newMerchant } from "../helpers/merchants";
import { deps, paymentMethod, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

const heldCvc = async (m: { merchantId: string }, pm: string) =>
  (await (await dbOf(m.merchantId)).select().from(paymentMethods).where(eq(paymentMethods.id, pm)).get())
    ?.cvcCiphertext ?? null;

describe("the CVC does not outlive the first authorization attempt", () => {
  it("is gone once an approval or a decline is recorded", async () => {
    const m = await newMerchant();
    for (const number of ["4242424242424242", "4000000000009995"]) {
      const pm = await paymentMethod(m, number);
      expect(await heldCvc(m, pm)).not.toBeNull();
      await post(m, "/v1/payment_intents", { amount: 1000, currency: "usd", payment_method: pm, confirm: "true" });
      expect(await heldCvc(m, pm)).toBeNull();
    }
  });

  it("is gone when the outcome is unknown, and when another request records the outcome first", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, EDGEPAY_CARDS.timeoutBeforeProcessing);
    const sealed = await (await dbOf(m.merchantId))
      .select()
      .from(paymentMethods)
      .where(eq(paymentMethods.id, pm))
      .get();
    const first = await post(m, "/v1/payment_intents", {
      amount: 1000,
      currency: "usd",
      capture_method: "manual",
      payment_method: pm,
      confirm: "true",
    });
    expect(first.body.status).toBe("processing");
    expect(await heldCvc(m, pm)).toBeNull();

    // Put the CVC back and let a racer take the next version: this attempt's outcome batch must lose.
    const db = await dbOf(m.merchantId);
    await db
      .update(paymentMethods)
      .set({ cvcCiphertext: sealed?.cvcCiphertext, cvcExpiresAt: sealed?.cvcExpiresAt })
      .where(eq(paymentMethods.id, pm));
    expect(await heldCvc(m, pm)).not.toBeNull();
    const row = await getIntent(db, m.merchantId, first.body.id);
    if (!row) throw new Error("intent not found");
    await db
      .insert(paymentIntentVersions)
      .values({ intentId: row.id, version: row.version + 1, kind: "racer", amount: null, created: row.created });

    // The outcome cannot be recorded (the version is taken): the request is told to retry, the
    // intent stays processing with its key for the retry or the sweep, and the CVC is gone anyway.
    await expect(runPending(deps(db), row)).rejects.toMatchObject({ code: "lock_timeout", status: 429 });
    expect(await getIntent(db, m.merchantId, row.id)).toMatchObject({ status: "processing", version: row.version });
    expect(await heldCvc(m, pm)).toBeNull();
    const versions = await db
      .select()
      .from(paymentIntentVersions)
      .where(and(eq(paymentIntentVersions.intentId, row.id), eq(paymentIntentVersions.version, row.version + 1)))
      .all();
    expect(versions.map((v) => v.kind)).toEqual(["racer"]);
  });
});
