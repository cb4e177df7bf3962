/**
 * Checkout Sessions (merchant API): create with its PaymentIntent, retrieve, list with filters,
 * line items, expire (its intent canceled, one event); every invalid field named by `param`;
 * another merchant's session is a 404; publishable keys and keys without the checkout scopes are refused.
 */
import { describe, expect, it } from "vitest";
import { newKey } from "../helpers/api-keys";
import { newSession, sessionForm } from "../helpers/checkout";
import { typesFor } from "../helpers/events";
import { newMerchant } from "../helpers/merchants";
import { get, post } from "../helpers/payments";
import { neighbours } from "../helpers/shards";

describe("checkout sessions: happy path", () => {
  it("creates a session with its intent, retrieves, lists, shows line items and expires it", async () => {
    const m = await newMerchant();
    const cs = await newSession(m);
    expect(cs.id).toMatch(/^cs_test_[0-9A-Za-z]{48}$/);
    expect(cs).toMatchObject({
      object: "checkout.session",
      amount_total: 3500,
      amount_subtotal: 3500,
      currency: "usd",
      mode: "payment",
      status: "open",
      payment_status: "unpaid",
      metadata: { order: "42" },
      success_url: "https://shop.example/thanks",
      cancel_url: "https://shop.example/cart",
      url: `http://127.0.0.1:8787/checkout/${cs.id}`,
      livemode: false,
    });
    const now = Math.floor(Date.now() / 1000);
    expect(Math.abs(cs.expires_at - (now + 86400))).toBeLessThan(5);
    const pi = await get(m, `/v1/payment_intents/${cs.payment_intent}`);
    expect(pi.body).toMatchObject({
      amount: 3500,
      currency: "usd",
      status: "requires_payment_method",
      capture_method: "automatic",
      metadata: { order: "42" },
    });

    expect((await get(m, `/v1/checkout/sessions/${cs.id}`)).body).toEqual(cs);
    const expandedOne = await get(m, `/v1/checkout/sessions/${cs.id}?expand[]=payment_intent`);
    expect(expandedOne.body.payment_intent.id).toBe(cs.payment_intent);

    const items = await get(m, `/v1/checkout/sessions/${cs.id}/line_items`);
    expect(items.body.object).toBe("list");
    expect(
      items.body.data.map((i: { description: string; quantity: number; amount_total: number }) => [
        i.description,
        i.quantity,
        i.amount_total,
      ]),
    ).toEqual([
      ["T-shirt", 2, 3000],
      ["Socks", 1, 500],
    ]);

    const manual = await newSession(m, { "payment_intent_data[capture_method]": "manual", expires_at: now + 3600 });
    expect(manual.expires_at).toBe(now + 3600);
    expect((await get(m, `/v1/payment_intents/${manual.payment_intent}`)).body.capture_method).toBe("manual");
    const first = await get(m, "/v1/checkout/sessions?limit=1");
    expect(first.body.has_more).toBe(true);
    const rest = await get(m, `/v1/checkout/sessions?limit=1&starting_after=${first.body.data[0].id}`);
    expect(rest.body.has_more).toBe(false);
    expect([first.body.data[0].id, rest.body.data[0].id].sort()).toEqual([cs.id, manual.id].sort());
    const byIntent = await get(m, `/v1/checkout/sessions?payment_intent=${cs.payment_intent}`);
    expect(byIntent.body.data.map((s: { id: string }) => s.id)).toEqual([cs.id]);

    const expired = await post(m, `/v1/checkout/sessions/${cs.id}/expire`);
    expect(expired.status).toBe(200);
    expect(expired.body).toMatchObject({ status: "expired", url: null, payment_status: "unpaid" });
    expect((await get(m, `/v1/payment_intents/${cs.payment_intent}`)).body.status).toBe("canceled");
    expect(await typesFor(m.merchantId, cs.id)).toEqual(["checkout.session.expired"]);
    const again = await post(m, `/v1/checkout/sessions/${cs.id}/expire`);
    expect([again.status, again.body.error.code]).toEqual([400, "checkout_session_unexpected_state"]);
    const open = await get(m, "/v1/checkout/sessions?status=open");
    expect(open.body.data.map((s: { id: string }) => s.id)).toEqual([manual.id]);
  });

  it("takes a single amount instead of line items, and a customer", async () => {
    const m = await newMerchant();
    const customer = (await post(m, "/v1/customers", { email: "a@example.com" })).body.id;
    const res = await post(m, "/v1/checkout/sessions", {
      currency: "jpy",
      amount: 500,
      success_url: "http://localhost:3000/ok",
      customer,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ amount_total: 500, currency: "jpy", customer, cancel_url: null });
    expect((await get(m, `/v1/payment_intents/${res.body.payment_intent}`)).body.customer).toBe(customer);
    const list = await get(m, `/v1/checkout/sessions?customer=${customer}`);
    expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([res.body.id]);
  });
});

describe("checkout sessions: errors", () => {
  it("names the parameter of every invalid field, and creates nothing", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const now = Math.floor(Date.now() / 1000);
    const noItems = sessionForm();
    for (const k of Object.keys(noItems)) if (k.startsWith("line_items")) delete noItems[k];
    const cases: [Record<string, string | number>, string, string][] = [
      [noItems, "line_items", "parameter_missing"],
      [sessionForm({ amount: 1000 }), "line_items", "parameter_invalid"],
      [sessionForm({ currency: "xxx" }), "currency", "parameter_invalid"],
      [sessionForm({ success_url: "ftp://shop.example/x" }), "success_url", "parameter_invalid"],
      [sessionForm({ success_url: "http://shop.example/x" }), "success_url", "url_invalid"],
      [sessionForm({ cancel_url: `https://shop.example/${"x".repeat(2048)}` }), "cancel_url", "parameter_invalid"],
      [
        sessionForm({ "line_items[0][price_data][product_data][name]": "x".repeat(251) }),
        "line_items[0][price_data][product_data][name]",
        "parameter_invalid",
      ],
      [
        sessionForm({ "line_items[0][price_data][unit_amount]": -1 }),
        "line_items[0][price_data][unit_amount]",
        "parameter_invalid",
      ],
      [
        sessionForm({ "line_items[0][price_data][unit_amount]": "1.5" }),
        "line_items[0][price_data][unit_amount]",
        "parameter_invalid_integer",
      ],
      [sessionForm({ "line_items[0][quantity]": 0 }), "line_items[0][quantity]", "parameter_invalid"],
      [sessionForm({ "line_items[0][quantity]": 1000 }), "line_items[0][quantity]", "parameter_invalid"],
      [
        sessionForm({ "line_items[0][price_data][currency]": "eur" }),
        "line_items[0][price_data][currency]",
        "parameter_invalid",
      ],
      [sessionForm({ "line_items[0][price_data][unit_amount]": 99_999_999 }), "line_items", "amount_too_large"],
      [
        sessionForm({
          "line_items[0][price_data][unit_amount]": 10,
          "line_items[1][price_data][unit_amount]": 0,
          "line_items[0][quantity]": 1,
        }),
        "line_items",
        "amount_too_small",
      ],
      [sessionForm({ expires_at: now + 60 }), "expires_at", "parameter_invalid"],
      [sessionForm({ expires_at: now + 90_000 }), "expires_at", "parameter_invalid"],
      [sessionForm({ mode: "subscription" }), "mode", "parameter_invalid"],
      [
        sessionForm({ "payment_intent_data[capture_method]": "later" }),
        "payment_intent_data[capture_method]",
        "parameter_invalid",
      ],
      [sessionForm({ customer: "cus_nope" }), "customer", "resource_missing"],
      [sessionForm({ "metadata[order]": "v".repeat(501) }), "metadata[order]", "parameter_invalid"],
      [sessionForm({ customer_email: "not-an-email" }), "customer_email", "parameter_invalid"],
    ];
    for (const [form, param, code] of cases) {
      const res = await post(m, "/v1/checkout/sessions", form);
      expect([res.status, res.body.error?.param, res.body.error?.code], param).toEqual([
        code === "resource_missing" ? 404 : 400,
        param,
        code,
      ]);
    }
    const many: Record<string, string | number> = sessionForm();
    for (let i = 0; i < 101; i++) {
      many[`line_items[${i}][price_data][product_data][name]`] = "x";
      many[`line_items[${i}][price_data][unit_amount]`] = 100;
      many[`line_items[${i}][quantity]`] = 1;
    }
    expect((await post(m, "/v1/checkout/sessions", many)).body.error.param).toBe("line_items");
    expect((await get(m, "/v1/checkout/sessions")).body.data).toEqual([]);
    expect((await get(m, "/v1/payment_intents")).body.data).toEqual([]);
  });
});

describe("checkout sessions: security", () => {
  it("another merchant's session is a 404 like an unknown one, for every route and the filters", async () => {
    // Two merchants on one shard: only the merchant condition keeps them apart.
    const [a, b] = await neighbours();
    const cs = await newSession(a);
    const missing = `cs_test_${"M".repeat(48)}`;
    for (const path of ["", "/line_items"]) {
      const foreign = await get(b, `/v1/checkout/sessions/${cs.id}${path}`);
      const unknown = await get(b, `/v1/checkout/sessions/${missing}${path}`);
      expect([foreign.status, unknown.status]).toEqual([404, 404]);
      expect(foreign.body.error.message.replace(cs.id, missing)).toBe(unknown.body.error.message);
    }
    expect((await post(b, `/v1/checkout/sessions/${cs.id}/expire`)).status).toBe(404);
    expect((await get(b, `/v1/checkout/sessions?payment_intent=${cs.payment_intent}`)).body.data).toEqual([]);
    expect((await get(a, `/v1/checkout/sessions/${cs.id}`)).body.status).toBe("open");
  });

  it("refuses publishable keys, and restricted keys without the checkout scope", async () => {
    const m = await newMerchant();
    const cs = await newSession(m);
    const pk = await newKey(m.merchantId, "publishable");
    const res = await post(pk, "/v1/checkout/sessions", sessionForm());
    expect([res.status, res.body.error.code]).toEqual([403, "publishable_key_not_allowed"]);
    expect((await get(pk, `/v1/checkout/sessions/${cs.id}`)).status).toBe(403);
    const readOnly = await newKey(m.merchantId, "restricted", ["checkout:read"]);
    expect((await get(readOnly, `/v1/checkout/sessions/${cs.id}`)).status).toBe(200);
    const denied = await post(readOnly, "/v1/checkout/sessions", sessionForm());
    expect([denied.status, denied.body.error.code]).toEqual([403, "insufficient_scope"]);
    expect((await post(readOnly, `/v1/checkout/sessions/${cs.id}/expire`)).status).toBe(403);
    const payments = await newKey(m.merchantId, "restricted", ["payments:read", "payments:write"]);
    expect((await get(payments, `/v1/checkout/sessions/${cs.id}`)).status).toBe(403);
    const writer = await newKey(m.merchantId, "restricted", ["checkout:write", "checkout:read"]);
    expect((await post(writer, "/v1/checkout/sessions", sessionForm())).status).toBe(200);
    // expand needs the read scope of what it expands.
    const noPi = await get(readOnly, `/v1/checkout/sessions/${cs.id}?expand[]=payment_intent`);
    expect(noPi.status).toBe(403);
  });
});
