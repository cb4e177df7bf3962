/**
 * `expand[]`, security: another merchant's object is never expanded (its id stays a plain id), a
 * restricted key or token cannot expand into objects its scopes cannot read (403 naming the
 * path's `expand[<i>]`, before anything runs), and a publishable key may expand nothing.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { charges, paymentIntents, refunds } from "../../src/db/schema";
import { newKey } from "../helpers/api-keys";
import { call } from "../helpers/http";
import { newMerchant, tokenFor } from "../helpers/merchants";
import { get, pay, paymentMethod, post } from "../helpers/payments";
import { dbOf, neighbours } from "../helpers/shards";

describe("expand across merchants", () => {
  it("ids of another merchant's objects stay plain ids, at every level", async () => {
    const [a, b] = await neighbours();
    const theirCustomer = (await post(b, "/v1/customers", { email: "b@example.com" })).body.id as string;
    const theirPm = await paymentMethod(b, "4242424242424242");
    const theirIntent = (await pay(b, "4242424242424242")).body;
    const mine = (await pay(a, "4242424242424242")).body;
    const refund = (await post(a, "/v1/refunds", { payment_intent: mine.id, amount: 100 })).body;
    // Point a's objects at b's (as forged rows would), then ask a's answers to expand them.
    const db = await dbOf(a.merchantId);
    await db
      .update(paymentIntents)
      .set({ customer: theirCustomer, paymentMethod: theirPm })
      .where(eq(paymentIntents.id, mine.id))
      .run();
    await db.update(charges).set({ customer: theirCustomer }).where(eq(charges.id, mine.latest_charge)).run();
    await db
      .update(refunds)
      .set({ charge: theirIntent.latest_charge, paymentIntentId: theirIntent.id })
      .where(eq(refunds.id, refund.id))
      .run();
    const res = await get(a, `/v1/payment_intents/${mine.id}?expand[]=customer&expand[]=payment_method`);
    expect(res.status).toBe(200);
    expect(res.body.customer).toBe(theirCustomer);
    expect(res.body.payment_method).toBe(theirPm);
    expect(JSON.stringify(res.body)).not.toContain("b@example.com");
    const list = await get(a, "/v1/payment_intents?expand[]=data.customer&expand[]=data.latest_charge.customer");
    expect(list.body.data[0].customer).toBe(theirCustomer);
    expect(list.body.data[0].latest_charge.customer).toBe(theirCustomer);
    const refunded = await get(a, `/v1/refunds/${refund.id}?expand[]=charge&expand[]=payment_intent`);
    expect(refunded.status).toBe(200);
    expect(refunded.body.charge).toBe(theirIntent.latest_charge);
    expect(refunded.body.payment_intent).toBe(theirIntent.id);
  });
});

describe("expand and scopes", () => {
  it("a restricted key expands only into objects its scopes read: otherwise 403 naming expand[<i>]", async () => {
    const m = await newMerchant();
    const pi = (await pay(m, "4242424242424242")).body;
    const rk = await newKey(m.merchantId, "restricted", ["payments:read", "payments:write"]);
    const ok = await get(rk, `/v1/payment_intents/${pi.id}?expand[]=latest_charge.payment_intent`);
    expect(ok.status).toBe(200);
    expect(ok.body.latest_charge.payment_intent.id).toBe(pi.id);
    const denied = await get(rk, `/v1/payment_intents/${pi.id}?expand[0]=latest_charge&expand[1]=payment_method`);
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({
      type: "permission_error",
      code: "insufficient_scope",
      param: "expand[1]",
      required_scope: "payment_methods:read",
    });
    const nested = await get(rk, `/v1/payment_intents/${pi.id}?expand[]=latest_charge.customer`);
    expect(nested.status).toBe(403);
    expect(nested.body.error).toMatchObject({ param: "expand[0]", required_scope: "customers:read" });
    // A write refused for its expand changes nothing.
    const write = await post(rk, "/v1/payment_intents", { amount: 100, currency: "usd", "expand[]": "customer" });
    expect(write.status).toBe(403);
    expect((await get(rk, "/v1/payment_intents?limit=100")).body.data).toHaveLength(1);
  });

  it("a token's scopes are checked the same way (refunds:read cannot expand the intent)", async () => {
    const m = await newMerchant();
    const pi = (await pay(m, "4242424242424242")).body;
    const refund = (await post(m, "/v1/refunds", { payment_intent: pi.id })).body;
    const reader = await tokenFor(m, ["refunds:read"]);
    const denied = await get(reader, `/v1/refunds/${refund.id}?expand[]=payment_intent`);
    expect(denied.status).toBe(403);
    expect(denied.body.error).toMatchObject({ code: "insufficient_scope", param: "expand[0]" });
    expect((await get(reader, `/v1/refunds/${refund.id}`)).body.payment_intent).toBe(pi.id);
  });

  it("a publishable key may not expand, even with the intent's client secret", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    const pi = (await post(m, "/v1/payment_intents", { amount: 900, currency: "usd", payment_method: pm })).body;
    const pk = await newKey(m.merchantId, "publishable");
    const secret = encodeURIComponent(pi.client_secret);
    expect((await get(pk, `/v1/payment_intents/${pi.id}?client_secret=${secret}`)).status).toBe(200);
    const res = await get(pk, `/v1/payment_intents/${pi.id}?client_secret=${secret}&expand[]=payment_method`);
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: "publishable_key_not_allowed", param: "expand[0]" });
    const confirm = await call(`/v1/payment_intents/${pi.id}/confirm`, {
      method: "POST",
      headers: { ...pk.headers, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ client_secret: pi.client_secret, "expand[0]": "latest_charge" }).toString(),
    });
    expect(confirm.status).toBe(403);
    expect((await get(m, `/v1/payment_intents/${pi.id}`)).body.status).toBe("requires_confirmation");
  });
});
