/** Tampered query strings on every list are 4xx, never a 500. */
import { describe, expect, it } from "vitest";
import { newMerchant } from "../helpers/merchants";
import { get, post } from "../helpers/payments";

describe("probes 2", () => {
  it("GET queries never 500", async () => {
    const m = await newMerchant();
    const pi = await post(m, "/v1/payment_intents", {
      amount: 1000,
      currency: "usd",
      confirm: "true",
      payment_method: "pm_card_visa",
    });
    const ch = pi.body.latest_charge;
    const many = Array.from({ length: 21 }, (_, i) => `expand[${i}]=latest_charge`).join("&");
    const paths = [
      `/v1/charges?limit=1&limit=2`,
      `/v1/charges?created[gt]=1&created[gt]=2`,
      `/v1/charges?payment_intent=a&payment_intent=b`,
      `/v1/charges/${ch}?expand[]=payment_intent&expand[]=payment_intent.latest_charge.payment_intent.latest_charge`,
      `/v1/charges/${ch}?expand[]=payment_intent.latest_charge.payment_intent.latest_charge.payment_intent`,
      `/v1/payment_intents/${pi.body.id}?${many}`,
      `/v1/payment_intents/${pi.body.id}?expand[]=latest_charge&expand[0]=customer&expand[0]=payment_method`,
      `/v1/payment_intents/${pi.body.id}?expand[]=latest_charge.balance_transaction`,
      `/v1/payment_intents/${pi.body.id}?expand[]=latest_charge.`,
      `/v1/payment_intents/${pi.body.id}?expand[]=.`,
      `/v1/payment_intents/${pi.body.id}?expand[]=__proto__`,
      `/v1/payment_intents/${pi.body.id}?expand[]=latest_charge.__proto__`,
      `/v1/payment_intents/${pi.body.id}?expand[]=constructor`,
      `/v1/payment_intents/${pi.body.id}?client_secret=a&client_secret=b`,
      `/v1/payment_intents?customer=a&customer=b`,
      `/v1/payment_intents?expand[]=data.latest_charge.payment_intent&limit=100`,
      `/v1/refunds?payment_intent[]=x`,
      `/v1/events?expand[]=data.object`,
      `/v1/balance?expand[]=x`,
      `/v1/customers?email[]=a`,
      `/v1/payment_methods?customer=cus_x&type=card&expand[]=data.customer`,
      `/v1/payment_methods?type=card`,
    ];
    for (const p of paths) {
      const r = await get(m, p);
      expect(r.status).toBeLessThan(500);
    }
    // form: expand as scalar and nested
    for (const body of [
      { expand: "latest_charge" },
      { "expand[0][a]": "x" },
      { "expand[]": "latest_charge", "expand[0]": "customer" },
    ]) {
      const r = await post(m, `/v1/payment_intents/${pi.body.id}`, body as unknown as Record<string, string>);
      expect(r.status).toBeLessThan(500);
    }
    const rf = await post(m, "/v1/refunds", { charge: ch, amount: 100, "expand[]": "charge.payment_intent.customer" });
    expect(rf.status).toBeLessThan(500);
  });
});
