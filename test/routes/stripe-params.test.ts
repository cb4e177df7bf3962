/** Stripe parameters accepted for compatibility on PaymentIntents, and `created` filters on every list. */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { paymentIntents, webhookEndpoints } from "../../src/db/schema";
import { newMerchant } from "../helpers/merchants";
import { get, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

const base = { amount: 1000, currency: "usd" };

describe("PaymentIntent compatibility parameters", () => {
  it.each([
    [{ "payment_method_types[0]": "card" }],
    [{ "automatic_payment_methods[enabled]": "true" }],
    [{ "automatic_payment_methods[enabled]": "false" }],
    [{ "automatic_payment_methods[enabled]": "true", "automatic_payment_methods[allow_redirects]": "never" }],
    [{ receipt_email: "jenny@example.com" }],
    [{ return_url: "https://shop.example/return?order=42" }],
  ])("create accepts %o", async (fields) => {
    const m = await newMerchant();
    const { status, body } = await post(m, "/v1/payment_intents", { ...base, ...fields });
    expect(status).toBe(200);
    expect(body.payment_method_types).toEqual(["card"]);
    expect(body).not.toHaveProperty("receipt_email");
  });

  it("confirm accepts them with pm_card_visa", async () => {
    const m = await newMerchant();
    const created = await post(m, "/v1/payment_intents", base);
    const { status, body } = await post(m, `/v1/payment_intents/${created.body.id}/confirm`, {
      payment_method: "pm_card_visa",
      "payment_method_types[0]": "card",
      receipt_email: "jenny@example.com",
      return_url: "https://shop.example/return",
    });
    expect(status).toBe(200);
    expect(body.status).toBe("succeeded");
  });

  it.each([
    [{ "payment_method_types[0]": "sepa_debit" }, "payment_method_types[0]"],
    [{ "payment_method_types[0]": "card", "payment_method_types[1]": "ideal" }, "payment_method_types[1]"],
    [{ "automatic_payment_methods[enabled]": "maybe" }, "automatic_payment_methods[enabled]"],
    [
      { "automatic_payment_methods[enabled]": "true", "automatic_payment_methods[allow_redirects]": "sometimes" },
      "automatic_payment_methods[allow_redirects]",
    ],
    [
      { "automatic_payment_methods[enabled]": "true", "automatic_payment_methods[x]": "1" },
      "automatic_payment_methods[x]",
    ],
    [{ receipt_email: "not-an-email" }, "receipt_email"],
    [{ return_url: "javascript:alert(1)" }, "return_url"],
    [{ return_url: "not a url" }, "return_url"],
    [{ off_the_wall: "1" }, "off_the_wall"],
  ])("create refuses %o naming %s", async (fields, param) => {
    const m = await newMerchant();
    const { status, body } = await post(m, "/v1/payment_intents", { ...base, ...fields });
    expect(status).toBe(400);
    expect(body.error.param).toBe(param);
    const created = await post(m, "/v1/payment_intents", base);
    const confirm = await post(m, `/v1/payment_intents/${created.body.id}/confirm`, fields);
    expect(confirm.status).toBe(400);
    expect(confirm.body.error.param).toBe(param);
  });
});

describe("created filters on lists", () => {
  it("payment intents: created, created[gt|gte|lt|lte]", async () => {
    const m = await newMerchant();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await post(m, "/v1/payment_intents", base)).body.id);
    const db = await dbOf(m.merchantId);
    // Spread the four intents over created = 1000, 1001, 1002, 1003.
    for (const [i, id] of ids.entries()) {
      await db
        .update(paymentIntents)
        .set({ created: 1000 + i })
        .where(eq(paymentIntents.id, id));
    }
    const by = async (q: string) =>
      ((await get(m, `/v1/payment_intents?${q}`)).body.data as { id: string }[]).map((r) => ids.indexOf(r.id));
    expect(await by("created=1001")).toEqual([1]);
    expect(await by("created[gt]=1001")).toEqual([3, 2]);
    expect(await by("created[gte]=1001")).toEqual([3, 2, 1]);
    expect(await by("created[lt]=1001")).toEqual([0]);
    expect(await by("created[lte]=1001")).toEqual([1, 0]);
    expect(await by("created[gt]=1000&created[lt]=1003")).toEqual([2, 1]);
    // A cursor outside the range still places the page.
    expect(await by(`created[lte]=1002&starting_after=${ids[3]}&limit=1`)).toEqual([2]);
  });

  it("every list takes them, e.g. webhook endpoints and refunds", async () => {
    const m = await newMerchant();
    const a = await post(m, "/v1/webhook_endpoints", { url: "https://hooks.example/a", "enabled_events[0]": "*" });
    const b = await post(m, "/v1/webhook_endpoints", { url: "https://hooks.example/b", "enabled_events[0]": "*" });
    expect(a.status).toBe(200);
    const db = await dbOf(m.merchantId);
    await db.update(webhookEndpoints).set({ created: 500 }).where(eq(webhookEndpoints.id, a.body.id));
    const later = await get(m, "/v1/webhook_endpoints?created[gt]=500");
    expect(later.body.data.map((e: { id: string }) => e.id)).toEqual([b.body.id]);
    const exact = await get(m, "/v1/webhook_endpoints?created=500");
    expect(exact.body.data.map((e: { id: string }) => e.id)).toEqual([a.body.id]);
    const none = await get(m, "/v1/refunds?created[lt]=1");
    expect(none).toMatchObject({ status: 200, body: { data: [] } });
  });

  it.each([
    ["created[gt]=x", "created[gt]"],
    ["created[lt]=-1", "created[lt]"],
    ["created=1.5", "created"],
    ["created[after]=1", "created[after]"],
  ])("%s is a 400 naming %s", async (q, param) => {
    const m = await newMerchant();
    for (const path of ["/v1/payment_intents", "/v1/refunds", "/v1/webhook_endpoints", "/v1/api_keys"]) {
      const { status, body } = await get(m, `${path}?${q}`);
      expect(status, path).toBe(400);
      expect(body.error.param, path).toBe(param);
    }
  });
});
