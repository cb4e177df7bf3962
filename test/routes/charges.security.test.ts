/**
 * Charges, security: another merchant's charge is a 404 exactly like a missing one and never
 * listed; reads need `payments:read` (tokens and restricted keys alike); publishable keys are refused.
 */
import { describe, expect, it } from "vitest";
import { newKey } from "../helpers/api-keys";
import { newMerchant, tokenFor } from "../helpers/merchants";
import { get, pay } from "../helpers/payments";
import { neighbours } from "../helpers/shards";

describe("charges: tenant isolation", () => {
  it("another merchant's charge is a 404 like a missing one, and never in a list or cursor", async () => {
    const [a, b] = await neighbours();
    const pi = (await pay(a, "4242424242424242")).body;
    const charge = pi.latest_charge as string;
    const missing = "ch_MissingMissingMissing12";
    const foreign = await get(b, `/v1/charges/${charge}`);
    const unknown = await get(b, `/v1/charges/${missing}`);
    expect(foreign.status).toBe(404);
    const { request_id: _f, message: fm, ...fRest } = foreign.body.error;
    const { request_id: _u, message: um, ...uRest } = unknown.body.error;
    expect(fRest).toEqual(uRest);
    expect(fm.replace(charge, missing)).toBe(um);
    expect((await get(b, "/v1/charges")).body.data).toEqual([]);
    expect((await get(b, `/v1/charges?payment_intent=${pi.id}`)).body.data).toEqual([]);
    const cursor = await get(b, `/v1/charges?starting_after=${charge}`);
    expect([cursor.status, cursor.body.error.param]).toEqual([404, "starting_after"]);
    expect((await get(a, `/v1/charges/${charge}`)).status).toBe(200);
  });
});

describe("charges: scopes and keys", () => {
  it("needs payments:read: a token or restricted key without it is a 403 naming it; with it, 200", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const charge = (await pay(m, "4242424242424242")).body.latest_charge;
    const token = await tokenFor(m, ["refunds:read", "refunds:write", "customers:read"]);
    const rk = await newKey(m.merchantId, "restricted", ["refunds:read", "payment_methods:read"]);
    for (const who of [token, rk]) {
      for (const path of [`/v1/charges/${charge}`, "/v1/charges"]) {
        const res = await get(who, path);
        expect(res.status, path).toBe(403);
        expect(res.body.error).toMatchObject({ code: "insufficient_scope", required_scope: "payments:read" });
      }
    }
    const reader = await newKey(m.merchantId, "restricted", ["payments:read"]);
    expect((await get(reader, `/v1/charges/${charge}`)).status).toBe(200);
    expect((await get(reader, "/v1/charges")).body.data).toHaveLength(1);
    const sk = await newKey(m.merchantId, "secret");
    expect((await get(sk, `/v1/charges/${charge}`)).status).toBe(200);
  });

  it("a publishable key is refused", async () => {
    const m = await newMerchant();
    const charge = (await pay(m, "4242424242424242")).body.latest_charge;
    const pk = await newKey(m.merchantId, "publishable");
    for (const path of [`/v1/charges/${charge}`, "/v1/charges"]) {
      const res = await get(pk, path);
      expect([res.status, res.body.error.code], path).toEqual([403, "publishable_key_not_allowed"]);
    }
  });

  it("without credentials: 401", async () => {
    const res = await get({ headers: { authorization: "" } }, "/v1/charges");
    expect(res.status).toBe(401);
  });
});
