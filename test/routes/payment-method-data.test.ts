/**
 * `payment_method_data` on PaymentIntent create and confirm: the card becomes a payment method
 * exactly as `POST /v1/payment_methods` makes one, then pays; bad card data names the parameter,
 * is never echoed and creates nothing; it excludes `payment_method`; a retry under the same
 * Idempotency-Key makes no second method.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { paymentIntents, paymentMethods } from "../../src/db/schema";
import { LEASE_MS } from "../../src/domain/idempotency";
import { loseComplete } from "../helpers/gate";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { get, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

const card = (number: string, more: Record<string, string> = {}) => ({
  "payment_method_data[type]": "card",
  "payment_method_data[card][number]": number,
  "payment_method_data[card][exp_month]": "12",
  "payment_method_data[card][exp_year]": "2040",
  "payment_method_data[card][cvc]": "123",
  ...more,
});

const intent = { amount: 1000, currency: "usd" };

async function stored(m: TestMerchant) {
  const db = await dbOf(m.merchantId);
  const [methods, intents] = await Promise.all([
    db.select().from(paymentMethods).where(eq(paymentMethods.merchantId, m.merchantId)).all(),
    db.select().from(paymentIntents).where(eq(paymentIntents.merchantId, m.merchantId)).all(),
  ]);
  return { methods, intents };
}

describe("payment_method_data", () => {
  it("creates the payment method inline (billing details, metadata) and pays with it on create and on confirm", async () => {
    const m = await newMerchant();
    const res = await post(m, "/v1/payment_intents", {
      ...intent,
      confirm: "true",
      ...card("4242424242424242", {
        "payment_method_data[billing_details][name]": "Ada Lovelace",
        "payment_method_data[billing_details][address][country]": "GB",
        "payment_method_data[metadata][order]": "42",
      }),
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("succeeded");
    const pm = await get(m, `/v1/payment_methods/${res.body.payment_method}`);
    expect(pm.body).toMatchObject({
      object: "payment_method",
      card: { brand: "visa", last4: "4242", exp_month: 12, exp_year: 2040 },
      billing_details: { name: "Ada Lovelace", address: { country: "GB" } },
      metadata: { order: "42" },
      customer: null,
    });

    const created = await post(m, "/v1/payment_intents", intent);
    const confirmed = await post(m, `/v1/payment_intents/${created.body.id}/confirm`, card("5555555555554444"));
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.status).toBe("succeeded");
    expect((await get(m, `/v1/payment_methods/${confirmed.body.payment_method}`)).body.card.last4).toBe("4444");
    // Without confirm, the method is set and the intent waits for confirmation.
    const unconfirmed = await post(m, "/v1/payment_intents", { ...intent, ...card("4242424242424242") });
    expect(unconfirmed.body.status).toBe("requires_confirmation");
  });

  it("with a customer and setup_future_usage, saves the new card to the customer", async () => {
    const m = await newMerchant();
    const cus = (await post(m, "/v1/customers", {})).body.id as string;
    const res = await post(m, "/v1/payment_intents", {
      ...intent,
      customer: cus,
      setup_future_usage: "off_session",
      confirm: "true",
      ...card("4242424242424242"),
    });
    expect(res.body.status).toBe("succeeded");
    expect((await get(m, `/v1/payment_methods/${res.body.payment_method}`)).body.customer).toBe(cus);
  });

  it("bad card data is refused naming payment_method_data[…], never echoed, and creates nothing", async () => {
    const m = await newMerchant();
    const cases: [Record<string, string>, number, string][] = [
      [card("4242424242424241"), 402, "payment_method_data[card][number]"],
      [
        card("4242424242424242", { "payment_method_data[card][exp_month]": "13" }),
        402,
        "payment_method_data[card][exp_month]",
      ],
      [card("4242424242424242", { "payment_method_data[card][cvc]": "12" }), 402, "payment_method_data[card][cvc]"],
      [
        {
          "payment_method_data[type]": "card",
          "payment_method_data[card][exp_month]": "12",
          "payment_method_data[card][exp_year]": "2040",
        },
        400,
        "payment_method_data[card][number]",
      ],
      [{ "payment_method_data[type]": "card" }, 400, "payment_method_data[card]"],
      [
        card("4242424242424242", { "payment_method_data[card][pin]": "4242424242424242" }),
        400,
        "payment_method_data[card][pin]",
      ],
      [card("4000000000000002", { payment_method: "pm_card_visa" }), 400, "payment_method_data"],
      [card("4000000000000002", { customer: "cus_000000000000000000000000" }), 404, "customer"],
    ];
    for (const [fields, status, param] of cases) {
      const res = await post(m, "/v1/payment_intents", { ...intent, confirm: "true", ...fields });
      expect(res.status, param).toBe(status);
      expect(res.body.error.param).toBe(param);
      const text = JSON.stringify(res.body);
      expect(text).not.toContain("424242424242");
      expect(text).not.toContain("400000000000");
    }
    const created = await post(m, "/v1/payment_intents", intent);
    const confirm = await post(m, `/v1/payment_intents/${created.body.id}/confirm`, card("4242424242424241"));
    expect(confirm.status).toBe(402);
    expect(confirm.body.error).toMatchObject({ code: "incorrect_number", param: "payment_method_data[card][number]" });
    const both = await post(m, `/v1/payment_intents/${created.body.id}/confirm`, {
      ...card("4242424242424242"),
      payment_method: "pm_card_visa",
    });
    expect(both.status).toBe(400);
    expect(both.body.error.param).toBe("payment_method_data");
    const { methods, intents } = await stored(m);
    expect(methods).toEqual([]);
    expect(intents.map((i) => i.id)).toEqual([created.body.id]);
    expect(intents[0]?.status).toBe("requires_payment_method");
  });

  it("a declined card leaves the intent retryable; a create retried under its Idempotency-Key makes one method", async () => {
    const m = await newMerchant();
    const declined = await post(m, "/v1/payment_intents", { ...intent, confirm: "true", ...card("4000000000000002") });
    expect(declined.status).toBe(402);
    expect(declined.body.error.payment_intent.status).toBe("requires_payment_method");

    const fields = { ...intent, confirm: "true", ...card("4242424242424242") };
    const first = await post(m, "/v1/payment_intents", fields, { idempotencyKey: "pmd-1" });
    const again = await post(m, "/v1/payment_intents", fields, { idempotencyKey: "pmd-1" });
    expect(again.body).toEqual(first.body);
    // The same key on another path is another request: its method is its own.
    const other = await post(
      m,
      "/v1/payment_methods",
      {
        type: "card",
        "card[number]": "5555555555554444",
        "card[exp_month]": "12",
        "card[exp_year]": "2040",
      },
      { idempotencyKey: "pmd-1" },
    );
    expect(other.body.id).not.toBe(first.body.payment_method);
    const { methods } = await stored(m);
    expect(methods).toHaveLength(3);
  });

  it("a create re-run after a lost answer (the key's lease lapsed) reuses its inline method and its intent", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const fields = { ...intent, confirm: "true", ...card("4242424242424242") };
    const first = await post(m, "/v1/payment_intents", fields, { idempotencyKey: "pmd-lost" });
    expect(first.body.status).toBe("succeeded");
    const clock = await loseComplete(m, "/v1/payment_intents", "pmd-lost");
    clock.now += LEASE_MS;
    const rerun = await post(m, "/v1/payment_intents", fields, { idempotencyKey: "pmd-lost" });
    expect(rerun.status).toBe(200);
    expect(rerun.body).toMatchObject({ id: first.body.id, payment_method: first.body.payment_method });
    const { methods, intents } = await stored(m);
    expect([methods.length, intents.length]).toEqual([1, 1]);
  });

  it("a confirm the intent's state refuses makes no payment method", async () => {
    const m = await newMerchant();
    const paid = await post(m, "/v1/payment_intents", { ...intent, confirm: "true", payment_method: "pm_card_visa" });
    expect(paid.body.status).toBe("succeeded");
    const before = (await stored(m)).methods.length;
    for (const fields of [card("5555555555554444"), { payment_method: "pm_card_mastercard" }]) {
      const res = await post(m, `/v1/payment_intents/${paid.body.id}/confirm`, fields);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("payment_intent_unexpected_state");
    }
    expect((await stored(m)).methods.length).toBe(before);
  });
});
