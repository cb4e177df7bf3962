/**
 * `/v1/payment_methods` security: authentication, scopes, tenant isolation (a foreign id answers
 * exactly like a missing one), tampered ids, and responses that expose nothing beyond last4.
 */

import { describe, expect, it } from "vitest";
import { claimPaymentMethod } from "../../src/vault";
import { CARDS, type PaymentMethodBody, pmForm, withAuth } from "../helpers/cards";
import { call, type ErrorBody, form } from "../helpers/http";
import { newMerchant, type TestMerchant, tokenFor } from "../helpers/merchants";
import { vaultOf } from "../helpers/shards";

async function createPm(m: Pick<TestMerchant, "headers">, number: string = CARDS.visa.number) {
  const res = await call("/v1/payment_methods", withAuth(form(pmForm(number, "123")), m));
  expect(res.status).toBe(200);
  return (await res.json()) as PaymentMethodBody;
}

/** The error envelope without its request id, to compare two answers. */
async function errorShape(res: Response) {
  const body = (await res.json()) as ErrorBody;
  const { request_id: _ignored, ...rest } = body.error;
  return { status: res.status, error: rest };
}

describe("authentication and scopes", () => {
  it("answers 401 without a token on every endpoint", async () => {
    for (const [path, init] of [
      ["/v1/payment_methods", form(pmForm(CARDS.visa.number))],
      ["/v1/payment_methods/pm_x", {}],
      ["/v1/payment_methods/pm_x/detach", { method: "POST" }],
    ] as const) {
      const res = await call(path, init);
      expect(res.status).toBe(401);
      expect(((await res.json()) as ErrorBody).error.code).toBe("authentication_required");
    }
  });

  it("needs payment_methods:write to create and detach, payment_methods:read to retrieve", async () => {
    const m = await newMerchant();
    const pm = await createPm(m);
    const readOnly = await tokenFor(m, ["payment_methods:read"]);
    const writeOnly = await tokenFor(m, ["payment_methods:write"]);
    const other = await tokenFor(m, ["payments:write"]);

    const created = await call("/v1/payment_methods", withAuth(form(pmForm(CARDS.visa.number)), readOnly));
    expect(created.status).toBe(403);
    expect(((await created.json()) as ErrorBody).error).toMatchObject({
      code: "insufficient_scope",
      required_scope: "payment_methods:write",
    });
    const detached = await call(`/v1/payment_methods/${pm.id}/detach`, { method: "POST", headers: readOnly.headers });
    expect(detached.status).toBe(403);
    expect((await call(`/v1/payment_methods/${pm.id}`, { headers: writeOnly.headers })).status).toBe(403);
    expect((await call(`/v1/payment_methods/${pm.id}`, { headers: other.headers })).status).toBe(403);
    expect((await call(`/v1/payment_methods/${pm.id}`, { headers: readOnly.headers })).status).toBe(200);
    // The 403 detach changed nothing.
    expect((await claimPaymentMethod(await vaultOf(m.merchantId), m.merchantId, pm.id)).id).toBe(pm.id);
  });

  it("checks the scope before the card, so a caller without it learns nothing about card validity", async () => {
    const m = await newMerchant({ scopes: ["payment_methods:read"] });
    const res = await call("/v1/payment_methods", withAuth(form(pmForm("4242424242424241")), m));
    expect(res.status).toBe(403);
  });
});

describe("tenant isolation", () => {
  it("gives merchant B the same 404 for A's payment method as for a missing one (GET and detach)", async () => {
    const a = await newMerchant();
    const b = await newMerchant();
    const pm = await createPm(a);
    const missing = `${pm.id.slice(0, -4)}zzzz`;
    for (const suffix of ["", "/detach"]) {
      const init = suffix ? { method: "POST", headers: b.headers } : { headers: b.headers };
      const foreign = await errorShape(await call(`/v1/payment_methods/${pm.id}${suffix}`, init));
      const unknown = await errorShape(await call(`/v1/payment_methods/${missing}${suffix}`, init));
      expect(foreign).toEqual(unknown);
      expect(foreign).toMatchObject({ status: 404, error: { code: "resource_missing" } });
    }
    // B's detach attempt did not touch A's card, and B cannot charge it either.
    expect((await claimPaymentMethod(await vaultOf(a.merchantId), a.merchantId, pm.id)).id).toBe(pm.id);
    await expect(claimPaymentMethod(await vaultOf(b.merchantId), b.merchantId, pm.id)).rejects.toMatchObject({
      code: "resource_missing",
    });
  });

  it("scopes fingerprints to the merchant: the same card has different fingerprints at A and B", async () => {
    const a = await newMerchant();
    const b = await newMerchant();
    const [a1, a2, b1] = [await createPm(a), await createPm(a), await createPm(b)];
    expect(a1.card.fingerprint).toBe(a2.card.fingerprint);
    expect(b1.card.fingerprint).not.toBe(a1.card.fingerprint);
  });
});

describe("tampering and exposure", () => {
  it("answers odd or oversized ids with a 4xx, never a 500, and never echoes them", async () => {
    const m = await newMerchant();
    for (const id of ["pm_' OR '1'='1", "4242424242424242", "pm_%00", "..%2F..%2Fadmin", `pm_${"a".repeat(300)}`]) {
      const res = await call(`/v1/payment_methods/${encodeURIComponent(id)}`, { headers: m.headers });
      expect([400, 404]).toContain(res.status);
      expect(await res.text()).not.toContain("4242424242424242");
    }
  });

  it("detach makes the payment method unchargeable", async () => {
    const m = await newMerchant();
    const pm = await createPm(m);
    await call(`/v1/payment_methods/${pm.id}/detach`, { method: "POST", headers: m.headers });
    await expect(claimPaymentMethod(await vaultOf(m.merchantId), m.merchantId, pm.id)).rejects.toMatchObject({
      code: "resource_missing",
      status: 404,
    });
  });

  it("returns no card data beyond last4 and no internal field", async () => {
    const m = await newMerchant();
    const res = await call("/v1/payment_methods", withAuth(form(pmForm(CARDS.visa.number, "987")), m));
    const text = await res.text();
    expect(text).not.toContain(CARDS.visa.number);
    expect(text).not.toMatch(/"987"|cvc|ciphertext|wrapped|internal|key_version/);
    expect(Object.keys((JSON.parse(text) as PaymentMethodBody).card).sort()).toEqual([
      "brand",
      "country",
      "exp_month",
      "exp_year",
      "fingerprint",
      "funding",
      "last4",
    ]);
  });
});
