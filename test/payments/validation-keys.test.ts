/**
 * Validation and idempotency: every kind of parameter error saves nothing under the
 * Idempotency-Key, so the corrected request with the same key runs; and nothing is half-written.
 */
import { describe, expect, it } from "vitest";
import { newMerchant } from "../helpers/merchants";
import { get, paymentMethod, post } from "../helpers/payments";

describe("a corrected request under the same key succeeds after a validation error", () => {
  it("on create: unknown currency, amount under the minimum or off the currency's step, confirm without a method", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    const cases: [Record<string, string | number>, string, string][] = [
      [{ amount: 1000, currency: "xyz" }, "parameter_invalid", "currency"],
      [{ amount: 10, currency: "usd" }, "amount_too_small", "amount"],
      [{ amount: 1005, currency: "kwd" }, "parameter_invalid", "amount"],
      [{ amount: 1000, currency: "usd", confirm: "true" }, "parameter_missing", "payment_method"],
    ];
    for (const [i, [bad, code, param]] of cases.entries()) {
      const key = `create-${i}`;
      const refused = await post(m, "/v1/payment_intents", bad, { idempotencyKey: key });
      expect([refused.status, refused.body.error.code, refused.body.error.param]).toEqual([400, code, param]);
      const fixed = await post(
        m,
        "/v1/payment_intents",
        { amount: 1000, currency: "usd", payment_method: pm, confirm: "true" },
        { idempotencyKey: key },
      );
      expect([fixed.status, fixed.body.status]).toEqual([200, "succeeded"]);
    }
    expect((await get(m, "/v1/payment_intents?limit=100")).body.data).toHaveLength(cases.length);
  });

  it("on update: metadata over 50 keys after the merge, and an amount under the currency's minimum", async () => {
    const m = await newMerchant();
    const pi = (await post(m, "/v1/payment_intents", { amount: 1000, currency: "jpy" })).body;
    const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`metadata[k${i}]`, "v"]));
    expect((await post(m, `/v1/payment_intents/${pi.id}`, fifty)).status).toBe(200);
    const over = await post(m, `/v1/payment_intents/${pi.id}`, { "metadata[extra]": "v" }, { idempotencyKey: "u1" });
    expect([over.status, over.body.error.code, over.body.error.param]).toEqual([400, "parameter_invalid", "metadata"]);
    const fixed = await post(
      m,
      `/v1/payment_intents/${pi.id}`,
      { "metadata[k0]": "", "metadata[extra]": "v" },
      { idempotencyKey: "u1" },
    );
    expect(fixed.status).toBe(200);
    expect(Object.keys(fixed.body.metadata)).toHaveLength(50);
    const small = await post(m, `/v1/payment_intents/${pi.id}`, { amount: 0 }, { idempotencyKey: "u2" });
    expect([small.status, small.body.error.code, small.body.error.param]).toEqual([400, "amount_too_small", "amount"]);
    expect((await post(m, `/v1/payment_intents/${pi.id}`, { amount: 700 }, { idempotencyKey: "u2" })).body.amount).toBe(
      700,
    );
  });

  it("on capture and refund: an amount over what remains", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    const pi = (
      await post(m, "/v1/payment_intents", {
        amount: 1000,
        currency: "usd",
        payment_method: pm,
        confirm: "true",
        capture_method: "manual",
      })
    ).body;
    const over = await post(
      m,
      `/v1/payment_intents/${pi.id}/capture`,
      { amount_to_capture: 1001 },
      { idempotencyKey: "c1" },
    );
    expect([over.status, over.body.error.code]).toEqual([400, "amount_too_large"]);
    const fixed = await post(
      m,
      `/v1/payment_intents/${pi.id}/capture`,
      { amount_to_capture: 800 },
      { idempotencyKey: "c1" },
    );
    expect([fixed.status, fixed.body.amount_received]).toEqual([200, 800]);
    const refund = await post(m, "/v1/refunds", { payment_intent: pi.id, amount: 900 }, { idempotencyKey: "r1" });
    expect([refund.status, refund.body.error.code]).toEqual([400, "amount_too_large"]);
    const ok = await post(m, "/v1/refunds", { payment_intent: pi.id, amount: 800 }, { idempotencyKey: "r1" });
    expect([ok.status, ok.body.status]).toEqual([200, "succeeded"]);
  });

  it("a state refusal (not a validation error) is saved and replayed", async () => {
    const m = await newMerchant();
    const pi = (await post(m, "/v1/payment_intents", { amount: 1000, currency: "usd" })).body;
    const first = await post(m, `/v1/payment_intents/${pi.id}/capture`, {}, { idempotencyKey: "s1" });
    expect(first.body.error.code).toBe("payment_intent_unexpected_state");
    const again = await post(m, `/v1/payment_intents/${pi.id}/capture`, {}, { idempotencyKey: "s1" });
    expect([again.status, again.headers.get("idempotent-replayed")]).toEqual([400, "true"]);
  });
});
