/** PaymentIntent create, update, retrieve, list and cancel before confirmation (no card needed). */
import { describe, expect, it } from "vitest";
import { call } from "../helpers/http";
import { newMerchant } from "../helpers/merchants";
import { get, post } from "../helpers/payments";

describe("POST /v1/payment_intents", () => {
  it("creates an intent from a form body, with metadata and descriptor", async () => {
    const m = await newMerchant();
    const { status, body } = await post(m, "/v1/payment_intents", {
      amount: "1099",
      currency: "USD",
      capture_method: "manual",
      description: "Order 42",
      "metadata[order]": "42",
      statement_descriptor: "EDGEPAY SHOP",
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      object: "payment_intent",
      amount: 1099,
      currency: "usd",
      status: "requires_payment_method",
      capture_method: "manual",
      amount_capturable: 0,
      amount_received: 0,
      amount_refunded: 0,
      latest_charge: null,
      last_payment_error: null,
      metadata: { order: "42" },
      description: "Order 42",
      statement_descriptor: "EDGEPAY SHOP",
      livemode: false,
    });
    expect(body.id).toMatch(/^pi_[0-9A-Za-z]{24}$/);
  });

  it.each([
    [{ amount: "10.5", currency: "usd" }, 400, "parameter_invalid_integer", "amount"],
    [{ amount: "1e3", currency: "usd" }, 400, "parameter_invalid_integer", "amount"],
    [{ amount: "49", currency: "usd" }, 400, "amount_too_small", "amount"],
    [{ amount: "100000000", currency: "usd" }, 400, "amount_too_large", "amount"],
    [{ amount: "1005", currency: "kwd" }, 400, "parameter_invalid", "amount"],
    [{ amount: "150", currency: "isk" }, 400, "parameter_invalid", "amount"],
    [{ amount: "50", currency: "isk" }, 400, "amount_too_small", "amount"],
    [{ amount: "1000", currency: "iqd" }, 400, "parameter_invalid", "currency"],
    [{ amount: "1000", currency: "xyz" }, 400, "parameter_invalid", "currency"],
    [{ currency: "usd" }, 400, "parameter_missing", "amount"],
    [{ amount: "1000" }, 400, "parameter_missing", "currency"],
    [{ amount: "1000", currency: "usd", capture_method: "later" }, 400, "parameter_invalid", "capture_method"],
    [{ amount: "1000", currency: "usd", confirm: "true" }, 400, "parameter_missing", "payment_method"],
    [{ amount: "1000", currency: "usd", payment_method: "card_123" }, 400, "parameter_invalid", "payment_method"],
    [
      { amount: "1000", currency: "usd", statement_descriptor: "<script>" },
      400,
      "parameter_invalid",
      "statement_descriptor",
    ],
    [{ amount: "1000", currency: "usd", surprise: "1" }, 400, "parameter_unknown", "surprise"],
  ])("rejects %o with %i %s on %s, writing nothing", async (fields, status, code, param) => {
    const m = await newMerchant();
    const res = await post(m, "/v1/payment_intents", fields);
    expect([res.status, res.body.error.code, res.body.error.param]).toEqual([status, code, param]);
    expect((await get(m, "/v1/payment_intents")).body.data).toEqual([]);
  });

  it("accepts zero-decimal and three-decimal currencies at their own minimum", async () => {
    const m = await newMerchant();
    expect((await post(m, "/v1/payment_intents", { amount: 1, currency: "jpy" })).body.amount).toBe(1);
    expect((await post(m, "/v1/payment_intents", { amount: 500, currency: "bhd" })).body.currency).toBe("bhd");
    expect((await post(m, "/v1/payment_intents", { amount: 490, currency: "bhd" })).body.error.code).toBe(
      "amount_too_small",
    );
  });
});

describe("update, retrieve, cancel before confirmation", () => {
  it('updates amount, description and metadata ("" removes a key)', async () => {
    const m = await newMerchant();
    const pi = (
      await post(m, "/v1/payment_intents", { amount: 1000, currency: "eur", "metadata[a]": "1", "metadata[b]": "2" })
    ).body;
    const up = await post(m, `/v1/payment_intents/${pi.id}`, {
      amount: 2000,
      description: "new",
      "metadata[a]": "",
      "metadata[c]": "3",
    });
    expect(up.status).toBe(200);
    expect(up.body).toMatchObject({ amount: 2000, description: "new", metadata: { b: "2", c: "3" } });
    expect((await get(m, `/v1/payment_intents/${pi.id}`)).body).toMatchObject({
      amount: 2000,
      metadata: { b: "2", c: "3" },
    });
    const bad = await post(m, `/v1/payment_intents/${pi.id}`, { amount: 10 });
    expect([bad.status, bad.body.error.code]).toEqual([400, "amount_too_small"]);
  });

  it("cancels with a reason; then every action is payment_intent_unexpected_state", async () => {
    const m = await newMerchant();
    const pi = (await post(m, "/v1/payment_intents", { amount: 1000, currency: "usd" })).body;
    const canceled = await post(m, `/v1/payment_intents/${pi.id}/cancel`, { cancellation_reason: "abandoned" });
    expect(canceled.body).toMatchObject({ status: "canceled", cancellation_reason: "abandoned" });
    expect(canceled.body.canceled_at).toBeGreaterThan(0);
    for (const [path, fields] of [
      [`/v1/payment_intents/${pi.id}/cancel`, {}],
      [`/v1/payment_intents/${pi.id}/capture`, {}],
      [`/v1/payment_intents/${pi.id}/confirm`, { payment_method: "pm_x" }],
      [`/v1/payment_intents/${pi.id}`, { description: "late" }],
    ] as const) {
      const res = await post(m, path, fields);
      expect([res.status, res.body.error.code]).toEqual([400, "payment_intent_unexpected_state"]);
    }
    const bad = await post(m, `/v1/payment_intents/${pi.id}/cancel`, { cancellation_reason: "bored" });
    expect(bad.body.error.param).toBe("cancellation_reason");
  });

  it("confirm without a payment method names the missing parameter", async () => {
    const m = await newMerchant();
    const pi = (await post(m, "/v1/payment_intents", { amount: 1000, currency: "usd" })).body;
    const res = await post(m, `/v1/payment_intents/${pi.id}/confirm`);
    expect([res.status, res.body.error.code, res.body.error.param]).toEqual([
      400,
      "parameter_missing",
      "payment_method",
    ]);
  });
});

describe("tenant isolation and scopes", () => {
  it("another merchant's intent is a 404 on every route, and unchanged", async () => {
    const a = await newMerchant();
    const b = await newMerchant();
    const pi = (await post(a, "/v1/payment_intents", { amount: 1000, currency: "usd" })).body;
    const attempts = [
      () => get(b, `/v1/payment_intents/${pi.id}`),
      () => post(b, `/v1/payment_intents/${pi.id}`, { description: "x" }),
      () => post(b, `/v1/payment_intents/${pi.id}/confirm`, { payment_method: "pm_x" }),
      () => post(b, `/v1/payment_intents/${pi.id}/capture`),
      () => post(b, `/v1/payment_intents/${pi.id}/cancel`),
      () => get(b, `/v1/payment_intents?starting_after=${pi.id}`),
    ];
    for (const attempt of attempts) {
      const res = await attempt();
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("resource_missing");
      expect(JSON.stringify(res.body)).not.toContain(a.merchantId);
    }
    expect((await get(b, "/v1/payment_intents")).body.data).toEqual([]);
    expect((await get(a, `/v1/payment_intents/${pi.id}`)).body).toMatchObject({
      status: "requires_payment_method",
      description: null,
    });
  });

  it("read and write scopes are enforced, and a missing token is 401", async () => {
    const reader = await newMerchant({ scopes: ["payments:read"] });
    const writer = await newMerchant({ scopes: ["payments:write"] });
    const denied = await post(reader, "/v1/payment_intents", { amount: 1000, currency: "usd" });
    expect([denied.status, denied.body.error.code]).toEqual([403, "insufficient_scope"]);
    const pi = (await post(writer, "/v1/payment_intents", { amount: 1000, currency: "usd" })).body;
    for (const path of [`/v1/payment_intents/${pi.id}`, "/v1/payment_intents"]) {
      expect((await get(writer, path)).status).toBe(403);
    }
    for (const action of ["cancel", "capture", "confirm"]) {
      expect((await post(reader, `/v1/payment_intents/${pi.id}/${action}`)).status).toBe(403);
    }
    expect((await call("/v1/payment_intents")).status).toBe(401);
  });
});
