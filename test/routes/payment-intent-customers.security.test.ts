/**
 * Customers on PaymentIntents, security: another merchant's customer is a 404 exactly like a
 * missing one, on every route that takes `customer`, and changes nothing; its saved card cannot
 * be charged; the list filter never shows another merchant's intents; restricted keys need the
 * payments scopes; publishable keys may not create, update or list (only confirm with the secret).
 */
import { describe, expect, it } from "vitest";
import { newKey } from "../helpers/api-keys";
import { call } from "../helpers/http";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { get, paymentMethod, post } from "../helpers/payments";

async function customer(m: TestMerchant) {
  const res = await post(m, "/v1/customers", { name: "Ada" });
  expect(res.status).toBe(200);
  return res.body.id as string;
}

const intent = { amount: 1000, currency: "usd" };

describe("tenant isolation", () => {
  it("another merchant's customer is a 404 naming customer on create, create-and-confirm and update", async () => {
    const [a, b] = [await newMerchant(), await newMerchant()];
    const theirs = await customer(b);
    const pm = await paymentMethod(a, "4242424242424242");
    const cases: Record<string, string>[] = [
      { customer: theirs },
      { customer: theirs, payment_method: pm, confirm: "true" },
      { customer: theirs, setup_future_usage: "off_session", payment_method: pm, confirm: "true" },
      {
        customer: theirs,
        "payment_method_data[type]": "card",
        "payment_method_data[card][number]": "4242424242424242",
        "payment_method_data[card][exp_month]": "12",
        "payment_method_data[card][exp_year]": "2040",
      },
    ];
    const unknown = await post(a, "/v1/payment_intents", { ...intent, customer: "cus_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2" });
    for (const fields of cases) {
      const res = await post(a, "/v1/payment_intents", { ...intent, ...fields });
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: "resource_missing", param: "customer" });
      expect(res.body.error.message).toBe(unknown.body.error.message.replace("cus_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2", theirs));
    }
    const mine = await post(a, "/v1/payment_intents", intent);
    const update = await post(a, `/v1/payment_intents/${mine.body.id}`, { customer: theirs });
    expect(update.status).toBe(404);
    expect(update.body.error.param).toBe("customer");
    // Nothing was created or changed: one intent, no customer; the card saved nowhere.
    const list = await get(a, "/v1/payment_intents");
    expect(list.body.data.map((x: { id: string; customer: null }) => [x.id, x.customer])).toEqual([
      [mine.body.id, null],
    ]);
    expect((await get(a, `/v1/payment_methods/${pm}`)).body.customer).toBeNull();
    expect((await get(b, `/v1/customers/${theirs}/payment_methods`)).body.data).toEqual([]);
  });

  it("another merchant's saved card is a 404, and its intents never show in a customer list", async () => {
    const [a, b] = [await newMerchant(), await newMerchant()];
    const theirs = await customer(b);
    const saved = await post(b, "/v1/payment_intents", {
      ...intent,
      customer: theirs,
      setup_future_usage: "off_session",
      payment_method: await paymentMethod(b, "4242424242424242"),
      confirm: "true",
    });
    expect(saved.body.status).toBe("succeeded");
    const charge = await post(a, "/v1/payment_intents", {
      ...intent,
      payment_method: saved.body.payment_method,
      off_session: "true",
      confirm: "true",
    });
    expect(charge.status).toBe(404);
    expect(charge.body.error).toMatchObject({ code: "resource_missing", param: "payment_method" });
    const list = await get(a, `/v1/payment_intents?customer=${theirs}`);
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([]);
  });
});

describe("keys", () => {
  it("a restricted key needs payments:write to create with a customer and payments:read to list by customer", async () => {
    const m = await newMerchant();
    const cus = await customer(m);
    const reader = await newKey(m.merchantId, "restricted", ["payments:read", "customers:write"]);
    const create = await post({ headers: reader.headers }, "/v1/payment_intents", { ...intent, customer: cus });
    expect(create.status).toBe(403);
    expect(create.body.error.code).toBe("insufficient_scope");
    const writer = await newKey(m.merchantId, "restricted", ["payments:write"]);
    const list = await get({ headers: writer.headers }, `/v1/payment_intents?customer=${cus}`);
    expect(list.status).toBe(403);
    const made = await post({ headers: writer.headers }, "/v1/payment_intents", {
      ...intent,
      customer: cus,
      setup_future_usage: "off_session",
      "payment_method_data[type]": "card",
      "payment_method_data[card][number]": "4242424242424242",
      "payment_method_data[card][exp_month]": "12",
      "payment_method_data[card][exp_year]": "2040",
      confirm: "true",
    });
    expect(made.status).toBe(200);
    expect((await get({ headers: reader.headers }, `/v1/payment_intents?customer=${cus}`)).body.data).toHaveLength(1);
  });

  it("a publishable key may not create, update or list; it confirms with the client secret only", async () => {
    const m = await newMerchant();
    const cus = await customer(m);
    const pk = await newKey(m.merchantId, "publishable");
    const created = await post(m, "/v1/payment_intents", { ...intent, customer: cus });
    const refusals = [
      await post({ headers: pk.headers }, "/v1/payment_intents", { ...intent, customer: cus }),
      await post({ headers: pk.headers }, `/v1/payment_intents/${created.body.id}`, { customer: cus }),
      await get({ headers: pk.headers }, `/v1/payment_intents?customer=${cus}`),
    ];
    for (const res of refusals) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("publishable_key_not_allowed");
    }
    const data = {
      "payment_method_data[type]": "card",
      "payment_method_data[card][number]": "4242424242424242",
      "payment_method_data[card][exp_month]": "12",
      "payment_method_data[card][exp_year]": "2040",
      setup_future_usage: "off_session",
    };
    const noSecret = await post({ headers: pk.headers }, `/v1/payment_intents/${created.body.id}/confirm`, data);
    expect(noSecret.status).toBe(404);
    const confirmed = await post({ headers: pk.headers }, `/v1/payment_intents/${created.body.id}/confirm`, {
      ...data,
      client_secret: created.body.client_secret,
    });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toMatchObject({ status: "succeeded", customer: cus });
    // The refused confirm created no payment method: the customer has exactly the one just saved.
    const saved = await get(m, `/v1/customers/${cus}/payment_methods`);
    expect(saved.body.data.map((x: { id: string }) => x.id)).toEqual([confirmed.body.payment_method]);
    const raw = await call(`/v1/payment_intents?customer=${cus}`, { headers: pk.headers });
    expect(raw.status).toBe(403);
  });
});
