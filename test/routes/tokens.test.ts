/**
 * `/v1/tokens`: happy path, errors and security, and the single-use rule: a token can be claimed
 * by exactly one payment, also when two claims race.
 */
import { describe, expect, it } from "vitest";
import { claimPaymentMethod, detokenize } from "../../src/vault";
import { CARDS, withAuth } from "../helpers/cards";
import { call, type ErrorBody, form, json } from "../helpers/http";
import { newMerchant, type TestMerchant, tokenFor } from "../helpers/merchants";
import { vaultOf } from "../helpers/shards";

interface TokenBody {
  id: string;
  object: "token";
  type: "card";
  card: Record<string, unknown>;
  client_ip: null;
  created: number;
  livemode: boolean;
  used: boolean;
}

const cardFields = (number: string, cvc = "123") => ({
  "card[number]": number,
  "card[exp_month]": "7",
  "card[exp_year]": "2039",
  "card[cvc]": cvc,
});

async function createToken(m: Pick<TestMerchant, "headers">, number: string = CARDS.visa.number, cvc = "123") {
  const res = await call("/v1/tokens", withAuth(form(cardFields(number, cvc)), m));
  expect(res.status).toBe(200);
  return (await res.json()) as TokenBody;
}

describe("POST /v1/tokens", () => {
  it("returns a Stripe-shaped, unused card token", async () => {
    const m = await newMerchant();
    const token = await createToken(m, CARDS.amex.number, CARDS.amex.cvc);
    expect(token).toEqual({
      id: expect.stringMatching(/^tok_[0-9A-Za-z]{24}$/),
      object: "token",
      type: "card",
      card: {
        object: "card",
        brand: "American Express",
        country: "US",
        last4: "0005",
        exp_month: 7,
        exp_year: 2039,
        fingerprint: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/),
        funding: "credit",
      },
      client_ip: null,
      created: expect.any(Number),
      livemode: false,
      used: false,
    });
  });

  it("accepts JSON and every brand", async () => {
    const m = await newMerchant();
    for (const card of Object.values(CARDS)) {
      const res = await call(
        "/v1/tokens",
        withAuth(json({ card: { number: card.number, exp_month: 7, exp_year: 2039, cvc: card.cvc } }), m),
      );
      expect(res.status).toBe(200);
      expect(((await res.json()) as TokenBody).card.last4).toBe(card.number.slice(-4));
    }
  });

  it.each([
    ["4242424242424241", "7", "incorrect_number", "card[number]"],
    ["4242", "7", "invalid_number", "card[number]"],
    [CARDS.visa.number, "13", "invalid_expiry_month", "card[exp_month]"],
  ])("rejects %s / month %s with 402 %s", async (number, month, code, param) => {
    const m = await newMerchant();
    const res = await call("/v1/tokens", withAuth(form({ ...cardFields(number), "card[exp_month]": month }), m));
    expect(res.status).toBe(402);
    const body = (await res.json()) as ErrorBody;
    expect(body.error).toMatchObject({ type: "card_error", code, param });
    expect(JSON.stringify(body)).not.toContain(number.length > 4 ? number : "4242424242424242");
  });

  it("rejects an expired card, a bad CVC, a missing card and unknown parameters", async () => {
    const m = await newMerchant();
    const cases: Array<[Record<string, string>, number, string, string]> = [
      [{ ...cardFields(CARDS.visa.number), "card[exp_year]": "2001" }, 402, "invalid_expiry_year", "card[exp_year]"],
      [cardFields(CARDS.visa.number, "1"), 402, "invalid_cvc", "card[cvc]"],
      [{}, 400, "parameter_missing", "card"],
      [{ ...cardFields(CARDS.visa.number), type: "card" }, 400, "parameter_unknown", "type"],
    ];
    for (const [fields, status, code, param] of cases) {
      const res = await call("/v1/tokens", withAuth(form(fields), m));
      expect(res.status).toBe(status);
      expect(((await res.json()) as ErrorBody).error).toMatchObject({ code, param });
    }
  });
});

describe("single use", () => {
  it("can be claimed once; GET shows it used; the pm_ behind it is not chargeable directly", async () => {
    const m = await newMerchant();
    const token = await createToken(m);
    const claimed = await claimPaymentMethod(await vaultOf(m.merchantId), m.merchantId, token.id);
    expect(claimed.card).toMatchObject({ brand: "visa", last4: "4242", fingerprint: token.card.fingerprint });
    expect((await detokenize(await vaultOf(m.merchantId), m.merchantId, claimed.id)).number).toBe(CARDS.visa.number);
    await expect(claimPaymentMethod(await vaultOf(m.merchantId), m.merchantId, token.id)).rejects.toMatchObject({
      code: "resource_missing",
    });
    await expect(claimPaymentMethod(await vaultOf(m.merchantId), m.merchantId, claimed.id)).rejects.toMatchObject({
      code: "resource_missing",
    });
    const res = await call(`/v1/tokens/${token.id}`, { headers: m.headers });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ...token, used: true });
  });

  it("lets exactly one of two concurrent claims win", async () => {
    const m = await newMerchant();
    for (let round = 0; round < 5; round++) {
      const token = await createToken(m);
      const results = await Promise.allSettled([
        claimPaymentMethod(await vaultOf(m.merchantId), m.merchantId, token.id),
        claimPaymentMethod(await vaultOf(m.merchantId), m.merchantId, token.id),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    }
  });
});

describe("security", () => {
  it("answers 401 without a token and 403 without the scope", async () => {
    expect((await call("/v1/tokens", form(cardFields(CARDS.visa.number)))).status).toBe(401);
    const m = await newMerchant();
    const token = await createToken(m);
    const readOnly = await tokenFor(m, ["payment_methods:read"]);
    const noRead = await tokenFor(m, ["payment_methods:write"]);
    expect((await call("/v1/tokens", withAuth(form(cardFields(CARDS.visa.number)), readOnly))).status).toBe(403);
    expect((await call(`/v1/tokens/${token.id}`, { headers: noRead.headers })).status).toBe(403);
  });

  it("hides one merchant's token from another: GET and claim answer like a missing token", async () => {
    const a = await newMerchant();
    const b = await newMerchant();
    const token = await createToken(a);
    const foreign = await call(`/v1/tokens/${token.id}`, { headers: b.headers });
    const missing = await call("/v1/tokens/tok_missing00000000000000000", { headers: b.headers });
    expect(foreign.status).toBe(404);
    const strip = (e: ErrorBody) => ({ ...e.error, request_id: "" });
    expect(strip((await foreign.json()) as ErrorBody)).toEqual(strip((await missing.json()) as ErrorBody));
    await expect(claimPaymentMethod(await vaultOf(b.merchantId), b.merchantId, token.id)).rejects.toMatchObject({
      code: "resource_missing",
    });
    // B's attempt did not consume it.
    expect((await claimPaymentMethod(await vaultOf(a.merchantId), a.merchantId, token.id)).card.last4).toBe("4242");
  });
});
