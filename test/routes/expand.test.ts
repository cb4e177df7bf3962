/**
 * `expand[]`: PaymentIntents (retrieve, list, create, confirm), refunds, customers and payment
 * methods answer with the fields asked for as objects, nested up to 4 levels, in a query (`expand[]`,
 * `expand[0]`) or a body; unknown and too deep paths are 400s naming `expand[<i>]`.
 */
import { describe, expect, it } from "vitest";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { get, pay, paymentMethod, post } from "../helpers/payments";

/** A customer of `m` with `pm` attached as its default payment method. */
async function customerWithCard(m: TestMerchant) {
  const cus = (await post(m, "/v1/customers", { email: "a@example.com" })).body.id as string;
  const pm = await paymentMethod(m, "4242424242424242");
  expect((await post(m, `/v1/payment_methods/${pm}/attach`, { customer: cus })).status).toBe(200);
  expect((await post(m, `/v1/customers/${cus}`, { "invoice_settings[default_payment_method]": pm })).status).toBe(200);
  return { cus, pm };
}

/** A succeeded intent of `m` belonging to customer `cus`, paid with a fresh card. */
async function paidIntentOf(m: TestMerchant, cus: string) {
  const pm = await paymentMethod(m, "4242424242424242");
  const pi = await post(m, "/v1/payment_intents", {
    amount: "1000",
    currency: "usd",
    customer: cus,
    payment_method: pm,
    confirm: "true",
  });
  expect(pi.status).toBe(200);
  return pi.body as { id: string; latest_charge: string; payment_method: string };
}

describe("expand on PaymentIntents", () => {
  it("retrieve expands latest_charge, payment_method and customer (query forms expand[] and expand[0])", async () => {
    const m = await newMerchant();
    const { cus } = await customerWithCard(m);
    const pi = await paidIntentOf(m, cus);
    const plain = await get(m, `/v1/payment_intents/${pi.id}`);
    expect(plain.body.latest_charge).toBe(pi.latest_charge);

    const res = await get(
      m,
      `/v1/payment_intents/${pi.id}?expand[]=latest_charge&expand[]=payment_method&expand[]=customer`,
    );
    expect(res.status).toBe(200);
    expect(res.body.latest_charge).toMatchObject({
      id: pi.latest_charge,
      object: "charge",
      payment_intent: pi.id,
      balance_transaction: `txn_${pi.latest_charge.slice(3)}`,
      customer: cus,
      captured: true,
    });
    expect(res.body.payment_method).toMatchObject({ id: pi.payment_method, object: "payment_method" });
    expect(res.body.payment_method.card).toMatchObject({ last4: "4242" });
    expect(res.body.customer).toMatchObject({ id: cus, object: "customer", email: "a@example.com" });

    const indexed = await get(m, `/v1/payment_intents/${pi.id}?expand[0]=customer&expand[1]=latest_charge`);
    expect(indexed.status).toBe(200);
    expect(indexed.body.customer.id).toBe(cus);
    expect(indexed.body.latest_charge.id).toBe(pi.latest_charge);
    expect(indexed.body.payment_method).toBe(pi.payment_method);
  });

  it("nested: latest_charge.payment_intent.customer and customer.invoice_settings.default_payment_method", async () => {
    const m = await newMerchant();
    const { cus, pm } = await customerWithCard(m);
    const pi = await paidIntentOf(m, cus);
    const res = await get(
      m,
      `/v1/payment_intents/${pi.id}?expand[0]=latest_charge.payment_intent.customer&expand[1]=customer.invoice_settings.default_payment_method`,
    );
    expect(res.status).toBe(200);
    const charge = res.body.latest_charge;
    expect(charge.payment_intent).toMatchObject({ id: pi.id, object: "payment_intent" });
    expect(charge.payment_intent.customer).toMatchObject({ id: cus, object: "customer" });
    // Only the paths asked for are expanded.
    expect(charge.customer).toBe(cus);
    expect(charge.payment_intent.latest_charge).toBe(pi.latest_charge);
    expect(res.body.customer.invoice_settings.default_payment_method).toMatchObject({ id: pm, customer: cus });
    expect(res.body.customer.invoice_settings.default_payment_method.object).toBe("payment_method");
  });

  it("four levels are allowed, a fifth is a 400 naming expand[<i>]", async () => {
    const m = await newMerchant();
    const pi = (await pay(m, "4242424242424242")).body;
    const four = await get(
      m,
      `/v1/payment_intents/${pi.id}?expand[]=latest_charge.payment_intent.latest_charge.payment_intent`,
    );
    expect(four.status).toBe(200);
    expect(four.body.latest_charge.payment_intent.latest_charge.payment_intent.id).toBe(pi.id);
    const five = await get(
      m,
      `/v1/payment_intents/${pi.id}?expand[0]=customer&expand[1]=latest_charge.payment_intent.latest_charge.payment_intent.customer`,
    );
    expect(five.status).toBe(400);
    expect(five.body.error).toMatchObject({ code: "parameter_invalid", param: "expand[1]" });
    expect(five.body.error.message).toMatch(/more than 4 levels/);
  });

  it("list expands data.<field> for every object", async () => {
    const m = await newMerchant();
    const a = (await pay(m, "4242424242424242")).body;
    const b = (await pay(m, "5555555555554444")).body;
    const open = (await post(m, "/v1/payment_intents", { amount: 500, currency: "usd" })).body;
    const res = await get(m, "/v1/payment_intents?limit=3&expand[]=data.latest_charge&expand[]=data.payment_method");
    expect(res.status).toBe(200);
    const byId = new Map(res.body.data.map((pi: { id: string }) => [pi.id, pi]));
    // biome-ignore lint/suspicious/noExplicitAny: reading the answer.
    const shown = (id: string) => byId.get(id) as any;
    expect(shown(a.id).latest_charge).toMatchObject({ id: a.latest_charge, object: "charge" });
    expect(shown(b.id).latest_charge).toMatchObject({ id: b.latest_charge, object: "charge" });
    expect(shown(b.id).payment_method.card.last4).toBe("4444");
    expect(shown(open.id).latest_charge).toBeNull();
    const bare = await get(m, "/v1/payment_intents?expand[]=latest_charge");
    expect(bare.status).toBe(400);
    expect(bare.body.error).toMatchObject({
      param: "expand[0]",
      message: "This property cannot be expanded (latest_charge).",
    });
  });

  it("create and confirm expand from the form body (expand[0]=… and expand[]=…)", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    const created = await post(m, "/v1/payment_intents", {
      amount: 1200,
      currency: "usd",
      payment_method: pm,
      confirm: "true",
      "expand[0]": "latest_charge",
    });
    expect(created.status).toBe(200);
    expect(created.body.latest_charge).toMatchObject({
      object: "charge",
      amount: 1200,
      payment_intent: created.body.id,
    });

    const open = await post(m, "/v1/payment_intents", { amount: 700, currency: "usd", payment_method: pm });
    expect(open.body.latest_charge).toBeNull();
    const confirmed = await post(m, `/v1/payment_intents/${open.body.id}/confirm`, {
      "expand[]": "latest_charge",
    });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.latest_charge).toMatchObject({ object: "charge", amount: 700, paid: true });
    expect(confirmed.body.payment_method).toBe(pm);
  });

  it("an unknown path is a 400 before anything is created", async () => {
    const m = await newMerchant();
    const res = await post(m, "/v1/payment_intents", { amount: 1200, currency: "usd", "expand[0]": "foo" });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      type: "invalid_request_error",
      code: "parameter_invalid",
      param: "expand[0]",
      message: "This property cannot be expanded (foo).",
    });
    expect((await get(m, "/v1/payment_intents")).body.data).toEqual([]);
    const field = await get(m, "/v1/payment_intents?expand[0]=data.latest_charge&expand[1]=data.amount");
    expect(field.body.error).toMatchObject({ code: "parameter_invalid", param: "expand[1]" });
    const nested = await get(m, "/v1/payment_intents/pi_x?expand[]=latest_charge.refunds");
    expect(nested.body.error).toMatchObject({ code: "parameter_invalid", param: "expand[0]" });
  });

  it("a request refused for its expand saves nothing under its Idempotency-Key: the corrected one runs", async () => {
    const m = await newMerchant();
    const fields = { amount: 1300, currency: "usd" };
    const bad = await post(
      m,
      "/v1/payment_intents",
      { ...fields, "expand[0]": "latest_chargee" },
      { idempotencyKey: "k-expand" },
    );
    expect(bad.status).toBe(400);
    const good = await post(
      m,
      "/v1/payment_intents",
      { ...fields, "expand[0]": "latest_charge" },
      { idempotencyKey: "k-expand" },
    );
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ amount: 1300, latest_charge: null });
  });

  it("tampered expand input: not an array, a non-string entry, an empty path, too many paths", async () => {
    const m = await newMerchant();
    const json = (body: unknown) => ({
      method: "POST",
      headers: { ...m.headers, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const { call } = await import("../helpers/http");
    const notArray = await call("/v1/payment_intents", json({ amount: 100, currency: "usd", expand: "latest_charge" }));
    expect(notArray.status).toBe(400);
    expect(((await notArray.json()) as { error: { param: string } }).error.param).toBe("expand");
    const notString = await call(
      "/v1/payment_intents",
      json({ amount: 100, currency: "usd", expand: ["customer", 5] }),
    );
    expect(notString.status).toBe(400);
    expect(((await notString.json()) as { error: { param: string } }).error.param).toBe("expand[1]");
    const empty = await get(m, "/v1/payment_intents?expand[0]=");
    expect(empty.status).toBe(400);
    expect(empty.body.error.param).toBe("expand[0]");
    const many = Array.from({ length: 21 }, () => "expand[]=data.customer").join("&");
    const tooMany = await get(m, `/v1/payment_intents?${many}`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.param).toBe("expand");
    expect((await get(m, "/v1/payment_intents")).body.data).toEqual([]);
  });
});

describe("expand on refunds, customers and payment methods", () => {
  it("a refund expands charge and payment_intent (create, retrieve, list)", async () => {
    const m = await newMerchant();
    const pi = (await pay(m, "4242424242424242")).body;
    const created = await post(m, "/v1/refunds", {
      payment_intent: pi.id,
      amount: 300,
      "expand[0]": "charge",
      "expand[1]": "payment_intent",
    });
    expect(created.status).toBe(200);
    expect(created.body.charge).toMatchObject({ id: pi.latest_charge, object: "charge", amount_refunded: 300 });
    expect(created.body.payment_intent).toMatchObject({ id: pi.id, object: "payment_intent" });
    const one = await get(m, `/v1/refunds/${created.body.id}?expand[]=charge.payment_intent`);
    expect(one.body.charge.payment_intent.id).toBe(pi.id);
    const list = await get(m, `/v1/refunds?payment_intent=${pi.id}&expand[]=data.payment_intent`);
    expect(list.body.data[0].payment_intent.object).toBe("payment_intent");
    expect(list.body.data[0].charge).toBe(pi.latest_charge);
  });

  it("a customer expands its default payment method; a payment method its customer", async () => {
    const m = await newMerchant();
    const { cus, pm } = await customerWithCard(m);
    const customer = await get(m, `/v1/customers/${cus}?expand[]=invoice_settings.default_payment_method`);
    expect(customer.body.invoice_settings.default_payment_method).toMatchObject({ id: pm, object: "payment_method" });
    const list = await get(m, "/v1/customers?expand[]=data.invoice_settings.default_payment_method.customer");
    expect(list.body.data[0].invoice_settings.default_payment_method.customer.id).toBe(cus);
    const method = await get(m, `/v1/payment_methods/${pm}?expand[]=customer`);
    expect(method.body.customer).toMatchObject({ id: cus, object: "customer" });
    const saved = await get(m, `/v1/customers/${cus}/payment_methods?expand[]=data.customer`);
    expect(saved.body.data[0].customer.id).toBe(cus);
    const attached = await post(m, `/v1/payment_methods/${pm}/attach`, { customer: cus, "expand[]": "customer" });
    expect(attached.body.customer.id).toBe(cus);
    const updated = await post(m, `/v1/customers/${cus}`, {
      name: "Ada",
      "expand[]": "invoice_settings.default_payment_method",
    });
    expect(updated.body).toMatchObject({ name: "Ada", invoice_settings: { default_payment_method: { id: pm } } });
  });
});
