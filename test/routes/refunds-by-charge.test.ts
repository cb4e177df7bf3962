/**
 * Refunds named by their charge (`charge`, or `charge` with its `payment_intent`): the same money
 * path as by intent; a failed or earlier charge, a charge of another intent, another merchant's
 * charge and bad input are refused with the parameter named, and change nothing.
 */
import { describe, expect, it } from "vitest";
import { newKey } from "../helpers/api-keys";
import { eventProblems } from "../helpers/events";
import { newMerchant, type TestMerchant, tokenFor } from "../helpers/merchants";
import { get, pay, paymentMethod, post, unbalancedTransactions } from "../helpers/payments";

const VISA = "4242424242424242";
const DECLINED = "4000000000000002";

/** An automatic intent of 3000 whose first attempt was declined: its failed and its succeeded charge. */
async function declinedThenPaid(m: TestMerchant) {
  const pi = (await post(m, "/v1/payment_intents", { amount: 3000, currency: "usd" })).body;
  await post(m, `/v1/payment_intents/${pi.id}/confirm`, { payment_method: await paymentMethod(m, DECLINED) });
  const failed = (await get(m, `/v1/payment_intents/${pi.id}`)).body.latest_charge as string;
  await post(m, `/v1/payment_intents/${pi.id}/confirm`, { payment_method: await paymentMethod(m, VISA) });
  const paid = (await get(m, `/v1/payment_intents/${pi.id}`)).body;
  expect(paid.status).toBe("succeeded");
  return { pi: paid.id as string, failed, charge: paid.latest_charge as string };
}

describe("POST /v1/refunds with charge", () => {
  it("refunds by charge, by charge and intent, with and without a key, until charge_already_refunded", async () => {
    const m = await newMerchant();
    const { pi, charge } = await declinedThenPaid(m);
    const r1 = await post(m, "/v1/refunds", { charge, amount: 1000 }, { idempotencyKey: "by-charge-1" });
    expect(r1).toMatchObject({ status: 200, body: { object: "refund", amount: 1000, charge, payment_intent: pi } });
    expect(r1.body.status).toBe("succeeded");
    const replay = await post(m, "/v1/refunds", { charge, amount: 1000 }, { idempotencyKey: "by-charge-1" });
    expect(replay.body.id).toBe(r1.body.id);
    const r2 = await post(m, "/v1/refunds", { charge, payment_intent: pi, amount: 500 });
    expect(r2.body).toMatchObject({ amount: 500, charge, payment_intent: pi, status: "succeeded" });
    const rest = await post(m, "/v1/refunds", { charge });
    expect(rest.body).toMatchObject({ amount: 1500, charge, status: "succeeded" });
    const done = await post(m, "/v1/refunds", { charge, amount: 1 });
    expect([done.status, done.body.error.code]).toEqual([400, "charge_already_refunded"]);
    expect((await get(m, `/v1/charges/${charge}`)).body).toMatchObject({ amount_refunded: 3000, refunded: true });
    expect((await get(m, `/v1/payment_intents/${pi}`)).body.amount_refunded).toBe(3000);
    expect(await unbalancedTransactions(m.merchantId)).toEqual([]);
    expect(await eventProblems(m.merchantId)).toEqual([]);
  });

  it("racing refunds by charge never exceed the captured amount", async () => {
    const m = await newMerchant();
    const charge = (await pay(m, VISA, { amount: 3000 })).body.latest_charge;
    const results = await Promise.all([0, 1, 2].map(() => post(m, "/v1/refunds", { charge, amount: 1200 })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(2);
    expect(results.find((r) => r.status !== 200)?.body.error.code).toBe("amount_too_large");
    expect((await get(m, `/v1/charges/${charge}`)).body.amount_refunded).toBe(2400);
  });

  it("refuses a failed charge, a charge of another intent, an unknown one and bad input, changing nothing", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const { pi, failed, charge } = await declinedThenPaid(m);
    const other = (await pay(m, VISA)).body;
    for (const [fields, status, code, param] of [
      [{ charge: failed }, 400, "parameter_invalid", "charge"],
      [{ charge: failed, payment_intent: pi }, 400, "parameter_invalid", "charge"],
      [{ charge, payment_intent: other.id }, 400, "parameter_invalid", "charge"],
      [{ charge: other.latest_charge, payment_intent: pi }, 400, "parameter_invalid", "charge"],
      [{ charge: "ch_MissingMissingMissing12" }, 404, "resource_missing", "charge"],
      [{ charge: "ch_MissingMissingMissing12", payment_intent: pi }, 404, "resource_missing", "charge"],
      [{ charge: "" }, 400, "parameter_invalid_empty", "charge"],
      [{ amount: 100 }, 400, "parameter_missing", "payment_intent"],
      [{ charge, amount: "1.5" }, 400, "parameter_invalid_integer", "amount"],
      [{ charge, amount: 3001 }, 400, "amount_too_large", "amount"],
      [{ charges: charge }, 400, "parameter_unknown", "charges"],
    ] as const) {
      const r = await post(m, "/v1/refunds", fields);
      expect([r.status, r.body.error?.code, r.body.error?.param], JSON.stringify(fields)).toEqual([
        status,
        code,
        param,
      ]);
    }
    expect((await post(m, "/v1/refunds", { charge: failed })).body.error.message).toContain("failed");
    // With a key, the read that follows a guard miss shares a batch with the key's lookup: same answers.
    const keyedFields: Record<string, string | number>[] = [
      { charge, amount: 3001 },
      { payment_intent: pi, amount: 3001 },
    ];
    for (const fields of keyedFields) {
      const keyed = await post(m, "/v1/refunds", fields, { idempotencyKey: crypto.randomUUID() });
      expect([keyed.status, keyed.body.error.code]).toEqual([400, "amount_too_large"]);
    }
    const keyedFailed = await post(m, "/v1/refunds", { charge: failed }, { idempotencyKey: crypto.randomUUID() });
    expect([keyedFailed.status, keyedFailed.body.error.param]).toEqual([400, "charge"]);
    expect((await get(m, "/v1/refunds")).body.data).toEqual([]);
    expect((await get(m, `/v1/charges/${charge}`)).body.amount_refunded).toBe(0);
  });
});

describe("refunds by charge: isolation and scopes", () => {
  it("another merchant's charge is a 404 naming charge, like a missing one, and nothing moves", async () => {
    const a = await newMerchant();
    const b = await newMerchant();
    const paid = (await pay(a, VISA)).body;
    const foreign = await post(b, "/v1/refunds", { charge: paid.latest_charge });
    const missing = await post(b, "/v1/refunds", { charge: "ch_MissingMissingMissing12" });
    expect([foreign.status, foreign.body.error.code, foreign.body.error.param]).toEqual([
      404,
      "resource_missing",
      "charge",
    ]);
    expect(foreign.body.error.message.replace(paid.latest_charge, "ch_MissingMissingMissing12")).toBe(
      missing.body.error.message,
    );
    // Named with b's own intent, a's charge is still not found.
    const mine = (await pay(b, VISA)).body;
    const mixed = await post(b, "/v1/refunds", { charge: paid.latest_charge, payment_intent: mine.id });
    expect([mixed.status, mixed.body.error.param]).toEqual([404, "charge"]);
    expect((await get(a, `/v1/payment_intents/${paid.id}`)).body.amount_refunded).toBe(0);
    expect((await get(b, `/v1/payment_intents/${mine.id}`)).body.amount_refunded).toBe(0);
  });

  it("needs refunds:write: tokens and restricted keys without it get 403; publishable keys are refused", async () => {
    const m = await newMerchant();
    const charge = (await pay(m, VISA)).body.latest_charge;
    const token = await tokenFor(m, ["refunds:read", "payments:write", "payments:read"]);
    const rk = await newKey(m.merchantId, "restricted", ["payments:read", "payments:write"]);
    for (const who of [token, rk]) {
      const res = await post(who, "/v1/refunds", { charge });
      expect([res.status, res.body.error.code, res.body.error.required_scope]).toEqual([
        403,
        "insufficient_scope",
        "refunds:write",
      ]);
    }
    const pk = await newKey(m.merchantId, "publishable");
    expect((await post(pk, "/v1/refunds", { charge })).body.error.code).toBe("publishable_key_not_allowed");
    const writer = await newKey(m.merchantId, "restricted", ["refunds:write"]);
    expect((await post(writer, "/v1/refunds", { charge, amount: 100 })).status).toBe(200);
    expect((await get(m, `/v1/charges/${charge}`)).body.amount_refunded).toBe(100);
  });
});
