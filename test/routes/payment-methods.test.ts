/** `/v1/payment_methods`: happy paths and every validation error, over form and JSON bodies. */
import { describe, expect, it } from "vitest";
import { CARDS, type PaymentMethodBody, pmForm, withAuth } from "../helpers/cards";
import { call, type ErrorBody, form, json } from "../helpers/http";
import { newMerchant } from "../helpers/merchants";

const post = (headers: { authorization: string }, init: RequestInit) =>
  call("/v1/payment_methods", withAuth(init, { headers }));

describe("POST /v1/payment_methods", () => {
  it("tokenizes a card from a form body into a Stripe-shaped payment method", async () => {
    const m = await newMerchant();
    const res = await post(
      m.headers,
      form(
        pmForm(CARDS.visa.number, CARDS.visa.cvc, {
          "billing_details[name]": "Jenny Rosen",
          "billing_details[address][country]": "US",
          "metadata[order]": "42",
          "metadata[drop]": "",
        }),
      ),
    );
    expect(res.status).toBe(200);
    const pm = (await res.json()) as PaymentMethodBody;
    expect(pm).toEqual({
      id: expect.stringMatching(/^pm_[0-9A-Za-z]{24}$/),
      object: "payment_method",
      type: "card",
      billing_details: {
        address: { city: null, country: "US", line1: null, line2: null, postal_code: null, state: null },
        email: null,
        name: "Jenny Rosen",
        phone: null,
      },
      card: {
        brand: "visa",
        country: "US",
        last4: "4242",
        exp_month: 12,
        exp_year: 2040,
        fingerprint: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/),
        funding: "credit",
      },
      created: expect.any(Number),
      customer: null,
      livemode: false,
      metadata: { order: "42" },
    });
    expect(Math.abs(pm.created - Date.now() / 1000)).toBeLessThan(60);
  });

  it("accepts the same card as JSON, with numbers, and gives it the same fingerprint", async () => {
    const m = await newMerchant();
    const a = (await (await post(m.headers, form(pmForm(CARDS.visa.number)))).json()) as PaymentMethodBody;
    const res = await post(
      m.headers,
      json({ type: "card", card: { number: "4242 4242 4242 4242", exp_month: 1, exp_year: 41, cvc: 123 } }),
    );
    expect(res.status).toBe(200);
    const b = (await res.json()) as PaymentMethodBody;
    expect(b.card).toMatchObject({ last4: "4242", exp_month: 1, exp_year: 2041, fingerprint: a.card.fingerprint });
    expect(b.id).not.toBe(a.id);
  });

  for (const [name, card] of Object.entries(CARDS)) {
    it(`tokenizes a ${name} card`, async () => {
      const m = await newMerchant();
      const res = await post(m.headers, form(pmForm(card.number, card.cvc)));
      expect(res.status).toBe(200);
      const pm = (await res.json()) as PaymentMethodBody;
      expect(pm.card.brand).toBe(name === "mastercard2" ? "mastercard" : name);
      expect(pm.card.last4).toBe(card.number.slice(-4));
    });
  }

  const cardErrors: Array<[string, Record<string, string>, string, string]> = [
    ["Luhn failure", { "card[number]": "4242424242424241" }, "incorrect_number", "card[number]"],
    ["unknown network", { "card[number]": "9999999999999995" }, "invalid_number", "card[number]"],
    ["wrong length for the brand", { "card[number]": "37828224631000" }, "invalid_number", "card[number]"],
    ["letters in the number", { "card[number]": "4242x" }, "invalid_number", "card[number]"],
    ["month 13", { "card[exp_month]": "13" }, "invalid_expiry_month", "card[exp_month]"],
    ["month 0", { "card[exp_month]": "0" }, "invalid_expiry_month", "card[exp_month]"],
    ["past year", { "card[exp_year]": "2020" }, "invalid_expiry_year", "card[exp_year]"],
    ["year not a number", { "card[exp_year]": "soon" }, "invalid_expiry_year", "card[exp_year]"],
    ["two-digit CVC", { "card[cvc]": "12" }, "invalid_cvc", "card[cvc]"],
    ["three-digit amex CVC", { "card[number]": CARDS.amex.number, "card[cvc]": "123" }, "invalid_cvc", "card[cvc]"],
  ];
  for (const [name, fields, code, param] of cardErrors) {
    it(`${name} → 402 card_error ${code}`, async () => {
      const m = await newMerchant();
      const res = await post(m.headers, form({ ...pmForm(CARDS.visa.number, "123"), ...fields }));
      expect(res.status).toBe(402);
      const body = (await res.json()) as ErrorBody;
      expect(body.error).toMatchObject({ type: "card_error", code, param });
      const number = fields["card[number]"] ?? CARDS.visa.number;
      expect(JSON.stringify(body)).not.toContain(number);
    });
  }

  const requestErrors: Array<[string, unknown, string, string]> = [
    ["missing card", { type: "card" }, "parameter_missing", "card"],
    ["missing number", { type: "card", card: { exp_month: 1, exp_year: 2040 } }, "parameter_missing", "card[number]"],
    [
      "missing type",
      { card: { number: CARDS.visa.number, exp_month: 1, exp_year: 2040 } },
      "parameter_missing",
      "type",
    ],
    ["wrong type", { type: "sepa_debit", card: {} }, "parameter_invalid", "type"],
    [
      "unknown card field",
      { type: "card", card: { number: CARDS.visa.number, exp_month: 1, exp_year: 2040, cvv: "123" } },
      "parameter_unknown",
      "card[cvv]",
    ],
    [
      "number sent as a JSON number",
      { type: "card", card: { number: 4242424242424242, exp_month: 1, exp_year: 2040 } },
      "parameter_invalid",
      "card[number]",
    ],
    [
      "bad email",
      {
        type: "card",
        card: { number: CARDS.visa.number, exp_month: 1, exp_year: 2040 },
        billing_details: { email: "x" },
      },
      "parameter_invalid",
      "billing_details[email]",
    ],
    [
      "metadata key with brackets",
      { type: "card", card: { number: CARDS.visa.number, exp_month: 1, exp_year: 2040 }, metadata: { "a[b]": "1" } },
      "parameter_invalid",
      "metadata[a[b]]",
    ],
  ];
  for (const [name, body, code, param] of requestErrors) {
    it(`${name} → 400 ${code} on ${param}`, async () => {
      const m = await newMerchant();
      const res = await post(m.headers, json(body));
      expect(res.status).toBe(400);
      const err = (await res.json()) as ErrorBody;
      expect(err.error).toMatchObject({ type: "invalid_request_error", code, param });
      expect(JSON.stringify(err)).not.toContain("4242424242424242");
    });
  }
});

describe("GET /v1/payment_methods/:id", () => {
  it("returns the payment method as created", async () => {
    const m = await newMerchant();
    const created = await (await post(m.headers, form(pmForm(CARDS.amex.number, CARDS.amex.cvc)))).json();
    const res = await call(`/v1/payment_methods/${(created as PaymentMethodBody).id}`, { headers: m.headers });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(created);
  });

  it("answers 404 resource_missing for an unknown id", async () => {
    const m = await newMerchant();
    const res = await call("/v1/payment_methods/pm_unknown000000000000000000", { headers: m.headers });
    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({ code: "resource_missing", param: "id" });
  });
});

describe("POST /v1/payment_methods/:id/detach", () => {
  it("detaches: the object comes back, stays readable, and repeating it is harmless", async () => {
    const m = await newMerchant();
    const pm = (await (await post(m.headers, form(pmForm(CARDS.visa.number)))).json()) as PaymentMethodBody;
    const res = await call(`/v1/payment_methods/${pm.id}/detach`, { method: "POST", headers: m.headers });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(pm);
    const again = await call(`/v1/payment_methods/${pm.id}/detach`, { method: "POST", headers: m.headers });
    expect(again.status).toBe(200);
    expect((await call(`/v1/payment_methods/${pm.id}`, { headers: m.headers })).status).toBe(200);
  });

  it("answers 404 for an unknown id and 405 for GET", async () => {
    const m = await newMerchant();
    const res = await call("/v1/payment_methods/pm_nope/detach", { method: "POST", headers: m.headers });
    expect(res.status).toBe(404);
    const wrong = await call("/v1/payment_methods/pm_nope/detach", { headers: m.headers });
    expect(wrong.status).toBe(405);
  });
});

describe("OpenAPI document", () => {
  it("describes the vault routes and their schemas", async () => {
    const doc = (await (await call("/openapi.json")).json()) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    for (const path of [
      "/v1/payment_methods",
      "/v1/payment_methods/{id}",
      "/v1/payment_methods/{id}/detach",
      "/v1/tokens",
      "/v1/tokens/{id}",
      "/admin/v1/vault/rotate",
    ]) {
      expect(doc.paths[path]).toBeDefined();
    }
    for (const name of ["PaymentMethod", "Token", "CardParams", "VaultRotation"]) {
      expect(doc.components.schemas[name]).toBeDefined();
    }
  });
});
