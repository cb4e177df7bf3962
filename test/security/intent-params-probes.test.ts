/** Tampered PaymentIntent parameters are 4xx naming the parameter; a confirm never charges a card saved to another customer. */
import { describe, expect, it } from "vitest";
import { call } from "../helpers/http";
import { newMerchant } from "../helpers/merchants";
import { get, paymentMethod, post } from "../helpers/payments";

describe("probes", () => {
  it("confirm without payment_method refuses a card attached to another customer after the intent was made", async () => {
    const m = await newMerchant();
    const a = (await post(m, "/v1/customers", {})).body.id as string;
    const b = (await post(m, "/v1/customers", {})).body.id as string;
    const pm = await paymentMethod(m, "4242424242424242");
    const pi = await post(m, "/v1/payment_intents", { amount: 1000, currency: "usd", customer: a, payment_method: pm });
    expect(pi.status).toBe(200);
    const att = await post(m, `/v1/payment_methods/${pm}/attach`, { customer: b });
    expect(att.status).toBe(200);
    const res = await post(m, `/v1/payment_intents/${pi.body.id}/confirm`, {});
    // Naming the method explicitly is refused (checkCardOwner); confirming the stored one must be too.
    const named = await post(m, "/v1/payment_intents", {
      amount: 1000,
      currency: "usd",
      customer: a,
      payment_method: pm,
      confirm: "true",
    });
    expect(named.status).toBe(400);
    expect(res.status).toBe(400);
  });

  it("probes", async () => {
    const m = await newMerchant();
    const paths = [
      "/v1/charges?expand[0][x]=a",
      "/v1/charges?expand[]=data.customer&expand[0]=data.payment_intent&expand[1]=data.payment_intent.latest_charge.payment_intent.customer",
      "/v1/charges?expand[99999999999999999999999]=data.customer",
      "/v1/charges?expand[-1]=data.customer",
      "/v1/charges?expand=data.customer",
      "/v1/charges?created[gt]=abc",
      "/v1/charges?created=1&created[gt]=2",
      "/v1/charges?customer[]=a&customer[]=b",
      `/v1/charges?payment_intent=${"x".repeat(5000)}`,
      `/v1/charges/${"x".repeat(5000)}`,
      "/v1/charges?starting_after=ch_nope",
      "/v1/payment_intents?expand[]=data.latest_charge&expand[]=data.latest_charge",
      `/v1/payment_intents?expand[]=${"data.latest_charge".repeat(20)}`,
      "/v1/refunds?expand[]=data.charge.payment_intent.latest_charge.payment_intent",
      "/v1/customers?expand[]=data.invoice_settings.default_payment_method.customer",
    ];
    for (const p of paths) {
      const r = await get(m, p);
      expect(r.status).toBeLessThan(500);
    }
    const bodies: [string, unknown][] = [
      ["/v1/payment_intents", { amount: 100, currency: "usd", expand: "latest_charge" }],
      ["/v1/payment_intents", { amount: 100, currency: "usd", expand: [1, 2] }],
      ["/v1/payment_intents", { amount: 100, currency: "usd", expand: [{}] }],
      ["/v1/payment_intents", { amount: 100, currency: "usd", expand: Array(5000).fill("customer") }],
      [
        "/v1/payment_intents",
        {
          amount: 100,
          currency: "usd",
          payment_method_data: { type: "card", card: { number: 4242424242424242, exp_month: 12, exp_year: 2040 } },
        },
      ],
      [
        "/v1/payment_intents",
        {
          amount: 100,
          currency: "usd",
          payment_method_data: {
            type: "card",
            card: { number: "4242424242424242", exp_month: 12, exp_year: 2040, cvc: "1234567890" },
          },
        },
      ],
      [
        "/v1/payment_intents",
        {
          amount: 100,
          currency: "usd",
          payment_method_data: { type: "card", card: { number: "4242424242424242", exp_month: 1e30, exp_year: 2040 } },
        },
      ],
      [
        "/v1/payment_intents",
        {
          amount: 100,
          currency: "usd",
          payment_method_data: {
            type: "card",
            card: { number: "4242424242424242", exp_month: "12", exp_year: "2040", "4242424242424242": 1 },
          },
        },
      ],
      [
        "/v1/payment_intents",
        {
          amount: 100,
          currency: "usd",
          payment_method_data: {
            type: "card",
            card: { number: "4242424242424241", exp_month: "12", exp_year: "2040" },
          },
        },
      ],
      [
        "/v1/payment_intents",
        {
          amount: 100,
          currency: "usd",
          payment_method_data: {
            type: "card",
            card: { number: "4242424242424242", exp_month: "12", exp_year: "2040" },
            billing_details: { email: "4242424242424242" },
          },
        },
      ],
      [
        "/v1/payment_intents",
        {
          amount: 100,
          currency: "usd",
          payment_method_data: {
            type: "card",
            card: { number: "4242424242424242", exp_month: "12", exp_year: "2040" },
            metadata: { a: { b: 1 } },
          },
        },
      ],
      [
        "/v1/payment_intents",
        {
          amount: 100,
          currency: "usd",
          payment_method_data: {
            type: "card",
            card: { number: "4242424242424242", exp_month: "12", exp_year: "2040" },
            metadata: "x",
          },
        },
      ],
      [
        "/v1/payment_intents",
        {
          amount: 100,
          currency: "usd",
          payment_method_data: {
            type: "card",
            card: { number: "4242424242424242", exp_month: "13", exp_year: "2040" },
          },
        },
      ],
      ["/v1/payment_intents", { amount: 100, currency: "usd", payment_method_data: null }],
      ["/v1/payment_intents", { amount: 100, currency: "usd", customer: ["a"] }],
      [
        "/v1/payment_intents",
        {
          amount: 100,
          currency: "usd",
          customer: "cus_x",
          payment_method_data: {
            type: "card",
            card: { number: "4242424242424242", exp_month: "12", exp_year: "2040" },
          },
        },
      ],
      [
        "/v1/payment_intents",
        { amount: 100, currency: "usd", off_session: "maybe", confirm: true, payment_method: "pm_card_visa" },
      ],
      ["/v1/refunds", { charge: ["ch_x"] }],
      ["/v1/refunds", { charge: "ch_x", amount: 1e300 }],
      ["/v1/refunds", { charge: "ch_x", payment_intent: "pi_y", amount: "9007199254740993" }],
    ];
    for (const [p, b] of bodies) {
      const r = await call(p, {
        method: "POST",
        headers: { ...m.headers, "content-type": "application/json" },
        body: JSON.stringify(b),
      });
      const text = await r.text();
      expect(r.status).toBeLessThan(500);
      expect(text).not.toContain("4242424242424242");
      expect(text).not.toContain("4242424242424241");
      expect(text).not.toContain("1234567890");
    }
  });
});
