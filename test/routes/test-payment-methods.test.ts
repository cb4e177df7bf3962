/** Stripe's test ids (`pm_card_visa`, `tok_visa`, …) on PaymentIntent create and confirm, test mode only. */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { paymentMethods } from "../../src/db/schema";
import { BASE, type Target } from "../helpers/http";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

const pay = (m: Pick<TestMerchant, "headers">, pm: string, app?: Target) =>
  post(m, "/v1/payment_intents", { amount: 2000, currency: "usd", confirm: "true", payment_method: pm }, { app });

/** The merchant's payment methods with their card fields (never a PAN). */
async function methodsOf(merchantId: string) {
  return (await dbOf(merchantId))
    .select({ id: paymentMethods.id, singleUse: paymentMethods.singleUse, last4: paymentMethods.last4 })
    .from(paymentMethods)
    .where(eq(paymentMethods.merchantId, merchantId))
    .all();
}

describe("Stripe test payment method ids", () => {
  it.each([
    ["pm_card_visa", "4242"],
    ["pm_card_visa_debit", "5556"],
    ["pm_card_mastercard", "4444"],
    ["pm_card_amex", "0005"],
    ["pm_card_discover", "1117"],
    ["pm_card_jcb", "0505"],
    ["pm_card_unionpay", "0005"],
    ["tok_visa", "4242"],
    ["tok_mastercard", "4444"],
    ["tok_amex", "0005"],
  ])("%s charges a card ending %s", async (id, last4) => {
    const m = await newMerchant();
    const { status, body } = await pay(m, id);
    expect(status).toBe(200);
    expect(body.status).toBe("succeeded");
    expect(body.payment_method).toMatch(/^pm_[0-9A-Za-z]+$/);
    expect(body.payment_method).not.toBe(id);
    const [method] = (await methodsOf(m.merchantId)).filter((r) => r.id === body.payment_method);
    expect(method?.last4).toBe(last4);
    expect(method?.singleUse).toBe(id.startsWith("tok_"));
  });

  it.each([
    ["pm_card_visa_chargeDeclined", "card_declined", "generic_decline"],
    ["pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"],
    ["pm_card_visa_chargeDeclinedLostCard", "card_declined", "lost_card"],
    ["pm_card_visa_chargeDeclinedStolenCard", "card_declined", "stolen_card"],
    ["pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"],
    ["pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc"],
    ["pm_card_chargeDeclinedProcessingError", "processing_error", "processing_error"],
    ["pm_card_radarBlock", "card_declined", "fraudulent"],
    ["tok_chargeDeclined", "card_declined", "generic_decline"],
    ["tok_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"],
  ])("%s declines with %s / %s", async (id, code, declineCode) => {
    const m = await newMerchant();
    const { status, body } = await pay(m, id);
    expect(status).toBe(402);
    expect(body.error).toMatchObject({ type: "card_error", code, decline_code: declineCode });
  });

  it("a pm_card_* is one payment method per merchant, reused; a tok_* is a fresh single-use one each time", async () => {
    const m = await newMerchant();
    const first = await pay(m, "pm_card_visa");
    const second = await pay(m, "pm_card_visa");
    expect(second.body.payment_method).toBe(first.body.payment_method);
    const t1 = await pay(m, "tok_visa");
    const t2 = await pay(m, "tok_visa");
    expect(t1.status).toBe(200);
    expect(t2.status).toBe(200);
    expect(t1.body.payment_method).not.toBe(t2.body.payment_method);
    const other = await newMerchant();
    expect((await pay(other, "pm_card_visa")).body.payment_method).not.toBe(first.body.payment_method);
  });

  it("works on confirm and on create without confirm", async () => {
    const m = await newMerchant();
    const created = await post(m, "/v1/payment_intents", { amount: 1000, currency: "usd" });
    const confirmed = await post(m, `/v1/payment_intents/${created.body.id}/confirm`, { payment_method: "tok_visa" });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.status).toBe("succeeded");
    const attached = await post(m, "/v1/payment_intents", {
      amount: 1000,
      currency: "usd",
      payment_method: "pm_card_amex",
    });
    expect(attached.body.status).toBe("requires_confirmation");
    expect((await post(m, `/v1/payment_intents/${attached.body.id}/confirm`)).body.status).toBe("succeeded");
  });

  it("20 parallel first uses of pm_card_visa make one payment method", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const results = await Promise.all(Array.from({ length: 20 }, () => pay(m, "pm_card_visa")));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(new Set(results.map((r) => r.body.payment_method)).size).toBe(1);
    expect((await methodsOf(m.merchantId)).length).toBe(1);
  });

  it("an unknown test-looking id is the 404 of any unknown payment method", async () => {
    const m = await newMerchant();
    const { status, body } = await pay(m, "pm_card_nope");
    expect(status).toBe(404);
    expect(body.error).toMatchObject({ code: "resource_missing", param: "payment_method" });
    expect(await methodsOf(m.merchantId)).toEqual([]);
  });

  it("live mode refuses every test id with that same 404 and creates nothing", async () => {
    const app = createApp();
    const live = { ...env, EDGEPAY_MODE: "live" } as Env;
    const target: Target = {
      request: (input, init) => app.request(input.startsWith("http") ? input : `${BASE}${input}`, init, live),
    };
    const m = await newMerchant();
    for (const id of ["pm_card_visa", "tok_visa", "pm_card_chargeDeclined"]) {
      const fields = { amount: 2000, currency: "usd", payment_method: id };
      const { status, body } = await post(m, "/v1/payment_intents", fields, { app: target });
      expect(status, id).toBe(404);
      expect(body.error).toMatchObject({ code: "resource_missing", param: "payment_method" });
      // A confirm is refused first by the live-mode guard (no live connector; docs/connectors.md).
      const confirmed = await pay(m, id, target);
      expect(confirmed.status, id).toBe(400);
      expect(confirmed.body.error).toMatchObject({ code: "connector_unavailable" });
    }
    expect(await methodsOf(m.merchantId)).toEqual([]);
  });
});
