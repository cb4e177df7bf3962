/**
 * The Stripe connector's mapping, against canned HTTP answers (a processor's answer, not a
 * binding): the requests it sends (form encoding, headers, Idempotency-Key; an authorization is a
 * PaymentIntent create, then its confirm), how each answer of each step maps
 * onto the gateway's outcome through `callProcessor`, and that card data and the secret key reach
 * neither a log line nor an error message.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CardUnavailable, callProcessor } from "../../src/processor/connector";
import { type CardReader, StripeConnector, type StripeConnectorOptions } from "../../src/processor/stripe";
import { formEncode } from "../../src/processor/stripe-wire";

const SECRET = "sk_test_51SecretKeyForTests0123";
const NUMBER = "4000000000009995";
const CVC = "737";
const BASE = "https://api.stripe.test";

/** A canned answer: a status and a JSON body (or raw text), or a connection failure. */
type Canned = { status: number; json?: unknown; text?: string } | "connection_error";

/** A fetch that answers from `answers` in order and keeps every request it was sent. */
function cannedFetch(answers: Canned[]) {
  const sent: { method: string; url: string; headers: Headers; body: string }[] = [];
  const fetch = async (req: Request): Promise<Response> => {
    sent.push({
      method: req.method,
      url: req.url,
      headers: req.headers,
      body: new TextDecoder().decode(await req.arrayBuffer()),
    });
    const next = answers.shift();
    if (next === undefined) throw new Error("no canned answer left");
    if (next === "connection_error") throw new TypeError(`connect failed for card ${NUMBER}`);
    const body = next.text ?? JSON.stringify(next.json);
    return new Response(body, { status: next.status, headers: { "content-type": "application/json" } });
  };
  return { fetch, sent };
}

const card: CardReader = async () => ({ number: NUMBER, exp_month: 12, exp_year: 2040, cvc: CVC });

function connector(answers: Canned[], options: Partial<StripeConnectorOptions> = {}) {
  const { fetch, sent } = cannedFetch(answers);
  return { c: new StripeConnector({ baseUrl: BASE, secretKey: SECRET, fetch, readCard: card, ...options }), sent };
}

const AUTH = {
  key: "pi_1_authorize_2",
  merchantId: "mer_1",
  paymentMethod: "pm_1",
  amount: 1000,
  currency: "usd",
  statementDescriptor: "EDGEPAY SHOP",
};
const FU = { key: "pi_1_capture_3", reference: "pi_up1", amount: 600, merchantId: "mer_1", currency: "usd" };

const pi = (status: string, extra: Record<string, unknown> = {}) => ({
  id: "pi_up1",
  object: "payment_intent",
  status,
  amount: 1000,
  amount_capturable: status === "requires_capture" ? 1000 : 0,
  amount_received: status === "succeeded" ? 600 : 0,
  latest_charge: "ch_up1",
  some_new_field: { added: "by stripe" },
  ...extra,
});
const error = (status: number, type: string, code?: string, decline_code?: string, message = "msg") => ({
  status,
  json: { error: { type, code, decline_code, message } },
});

/** The answer to step 1 (the PaymentIntent create): a fresh intent. */
const CREATED: Canned = { status: 200, json: pi("requires_payment_method", { last_payment_error: null }) };
/** Authorizes with `answers` to step 2 (the confirm) and after, step 1 having created the intent. */
const authorize = (answers: Canned[]) =>
  callProcessor("authorize", 1000, () => connector([CREATED, ...answers]).c.authorize(AUTH));
const follow = (op: "capture" | "void" | "refund", answers: Canned[], amount = 600) => {
  const { c, sent } = connector(answers);
  return {
    sent,
    outcome: callProcessor(op, amount, () => c[op]({ ...FU, amount })),
  };
};

describe("requests", () => {
  it("encodes nested fields with brackets, leaving out null and undefined", () => {
    const body = formEncode({ a: 1, b: { c: "x y", d: { e: true }, f: null, g: undefined }, "h&": "=&" });
    expect(body).toBe("a=1&b%5Bc%5D=x+y&b%5Bd%5D%5Be%5D=true&h%26=%3D%26");
    expect([...new URLSearchParams(body)]).toEqual([
      ["a", "1"],
      ["b[c]", "x y"],
      ["b[d][e]", "true"],
      ["h&", "=&"],
    ]);
  });

  it("authorizes in two steps: a create without card data under the key, then a confirm with the card under key_confirm", async () => {
    const { c, sent } = connector([CREATED, { status: 200, json: pi("requires_capture") }], {
      stripeVersion: "2025-01-27",
    });
    await c.authorize(AUTH);
    expect(sent.map((r) => [r.method, r.url, r.headers.get("idempotency-key")])).toEqual([
      ["POST", `${BASE}/v1/payment_intents`, AUTH.key],
      ["POST", `${BASE}/v1/payment_intents/pi_up1/confirm`, `${AUTH.key}_confirm`],
    ]);
    for (const req of sent) {
      expect(req.headers.get("authorization")).toBe(`Bearer ${SECRET}`);
      expect(req.headers.get("content-type")).toBe("application/x-www-form-urlencoded");
      expect(req.headers.get("stripe-version")).toBe("2025-01-27");
    }
    expect(Object.fromEntries(new URLSearchParams(sent[0]?.body))).toEqual({
      amount: "1000",
      currency: "usd",
      capture_method: "manual",
      "payment_method_types[0]": "card",
      "metadata[edgepay_key]": AUTH.key,
    });
    expect(Object.fromEntries(new URLSearchParams(sent[1]?.body))).toEqual({
      "payment_method_data[type]": "card",
      "payment_method_data[card][number]": NUMBER,
      "payment_method_data[card][exp_month]": "12",
      "payment_method_data[card][exp_year]": "2040",
      "payment_method_data[card][cvc]": CVC,
    });
  });

  it("sends no cvc when the vault holds none, and no Stripe-Version unless pinned", async () => {
    const readCard: CardReader = async () => ({ number: NUMBER, exp_month: 1, exp_year: 2031, cvc: null });
    const { c, sent } = connector([CREATED, { status: 200, json: pi("requires_capture") }], { readCard });
    await c.authorize(AUTH);
    const fields = new URLSearchParams(sent[1]?.body);
    expect(fields.has("payment_method_data[card][cvc]")).toBe(false);
    expect(fields.get("payment_method_data[card][exp_month]")).toBe("1");
    expect(sent.some((r) => r.headers.has("stripe-version"))).toBe(false);
  });

  it.each([
    ["capture", "/v1/payment_intents/pi_up1/capture", { amount_to_capture: "600" }, pi("succeeded")],
    ["void", "/v1/payment_intents/pi_up1/cancel", {}, pi("canceled")],
    [
      "refund",
      "/v1/refunds",
      { payment_intent: "pi_up1", amount: "600", "metadata[edgepay_key]": FU.key },
      { id: "re_1", object: "refund", status: "succeeded", amount: 600 },
    ],
  ] as const)("%s posts to %s with the key as Idempotency-Key", async (op, path, fields, answer) => {
    const { sent, outcome } = follow(op, [{ status: 200, json: answer }]);
    expect((await outcome).kind).toBe("approved");
    expect(sent.map((r) => [r.method, r.url, r.headers.get("idempotency-key")])).toEqual([
      ["POST", `${BASE}${path}`, FU.key],
    ]);
    expect(Object.fromEntries(new URLSearchParams(sent[0]?.body))).toEqual(fields);
  });

  it("checks its options when built, without echoing the key", () => {
    const build = (o: Partial<StripeConnectorOptions>) => () => connector([], o);
    expect(build({ baseUrl: "http://api.stripe.com" })).toThrow(/https origin/);
    expect(build({ baseUrl: "https://api.stripe.com/v1" })).toThrow(/https origin/);
    expect(build({ secretKey: "pk_test_abcdefghij" })).toThrow(/secret or restricted key/);
    expect(build({ secretKey: "pk_test_abcdefghij" })).not.toThrow(/abcdefghij/);
    expect(build({ baseUrl: "https://api.stripe.com" })).not.toThrow();
  });
});

describe("authorization answers", () => {
  it("approves requires_capture with the PaymentIntent id and amount_capturable", async () => {
    expect(await authorize([{ status: 200, json: pi("requires_capture") }])).toEqual({
      kind: "approved",
      reference: "pi_up1",
    });
  });

  it("retrieves an intent answered as processing, and decides from it", async () => {
    expect(
      await authorize([
        { status: 200, json: pi("processing") },
        { status: 200, json: pi("requires_capture") },
      ]),
    ).toEqual({ kind: "approved", reference: "pi_up1" });
    expect(
      await authorize([
        { status: 200, json: pi("processing") },
        { status: 200, json: pi("processing") },
      ]),
    ).toEqual({
      kind: "unknown",
    });
  });

  it.each([
    ["card_declined", "insufficient_funds", "card_declined", "insufficient_funds"],
    ["card_declined", undefined, "card_declined", "card_declined"],
    ["expired_card", undefined, "expired_card", "expired_card"],
    ["incorrect_cvc", "incorrect_cvc", "incorrect_cvc", "incorrect_cvc"],
    ["processing_error", undefined, "processing_error", "processing_error"],
    ["incorrect_number", undefined, "incorrect_number", "incorrect_number"],
    ["card_velocity_exceeded", "card_velocity_exceeded", "card_declined", "card_velocity_exceeded"],
    ["authentication_required", undefined, "card_declined", "authentication_required"],
    ["card_declined", "Do-Not-Honor!", "card_declined", "generic_decline"],
    ["card_declined", "a".repeat(41), "card_declined", "generic_decline"],
    [undefined, undefined, "card_declined", "generic_decline"],
  ])("maps a 402 card_error %s / %s to %s / %s", async (code, declineCode, want, wantDecline) => {
    expect(await authorize([error(402, "card_error", code, declineCode)])).toEqual({
      kind: "declined",
      code: want,
      declineCode: wantDecline,
    });
  });

  it("makes a confirm's 400 invalid_request_error ConnectorUnreachable (refused before authorizing), logged", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    expect(await authorize([error(400, "invalid_request_error", "parameter_unknown")])).toEqual({
      kind: "unknown",
      retryable: true,
    });
    expect(errors.mock.calls.map((call) => String(call[0]))).toEqual([
      expect.stringContaining("stripe_authorize_refused"),
    ]);
    expect(String(errors.mock.calls[0]?.[0])).toContain("parameter_unknown");
    errors.mockRestore();
  });

  it.each([
    ["a connection error", "connection_error"],
    ["a 500", { status: 500, json: { error: { type: "api_error" } } }],
    ["a 502", { status: 502, text: "bad gateway" }],
    ["a 503", { status: 503, text: "" }],
    ["a 504", { status: 504, json: {} }],
    ["a 429", error(429, "rate_limit_error", "rate_limit")],
    ["a 401", error(401, "authentication_error")],
    ["a 403", error(403, "invalid_request_error", "secret_key_required")],
    ["a 404", error(404, "invalid_request_error", "resource_missing")],
    ["a 402 that is not a card_error", error(402, "invalid_request_error")],
    ["a body that is not JSON", { status: 200, text: "<html>oops" }],
    ["a PaymentIntent without its fields", { status: 200, json: { id: "pi_up1", status: "requires_capture" } }],
    ["an error that is not Stripe's envelope", { status: 400, json: { message: "no" } }],
  ] as [string, Canned][])(
    "leaves %s to the confirm unknown, not retryable (it may have authorized)",
    async (_n, answer) => {
      expect(await authorize([answer])).toEqual({ kind: "unknown" });
    },
  );

  const retrieved = (status: string, extra: Record<string, unknown> = {}): Canned => ({
    status: 200,
    json: pi(status, extra),
  });
  it.each([
    ["requires_capture", retrieved("requires_capture"), { kind: "approved", reference: "pi_up1" }],
    [
      "requires_payment_method with its decline",
      retrieved("requires_payment_method", { last_payment_error: { type: "card_error", code: "expired_card" } }),
      { kind: "declined", code: "expired_card", declineCode: "expired_card" },
    ],
    ["requires_payment_method, never confirmed", retrieved("requires_payment_method"), { kind: "unknown" }],
    [
      "requires_action",
      retrieved("requires_action"),
      { kind: "declined", code: "card_declined", declineCode: "authentication_required" },
    ],
    ["canceled", retrieved("canceled"), { kind: "refused", reason: "authorization_gone" }],
    ["processing", retrieved("processing"), { kind: "unknown" }],
    ["succeeded", retrieved("succeeded"), { kind: "unknown" }],
    ["a retrieve that fails to connect", "connection_error", { kind: "unknown" }],
    ["a retrieve answered 502", { status: 502, text: "" }, { kind: "unknown" }],
    ["a retrieve answered 404", error(404, "invalid_request_error", "resource_missing"), { kind: "unknown" }],
  ] as [string, Canned, unknown][])(
    "a confirm whose key was used with other parameters (idempotency_error): retrieves the intent by id; %s",
    async (_n, answer, want) => {
      const { c, sent } = connector([CREATED, error(400, "idempotency_error"), answer]);
      expect(await callProcessor("authorize", 1000, () => c.authorize(AUTH))).toEqual(want);
      expect(sent.map((r) => [r.method, r.url])).toEqual([
        ["POST", `${BASE}/v1/payment_intents`],
        ["POST", `${BASE}/v1/payment_intents/pi_up1/confirm`],
        ["GET", `${BASE}/v1/payment_intents/pi_up1`],
      ]);
    },
  );

  it.each([
    ["a 409 idempotency_key_in_use", error(409, "invalid_request_error", "idempotency_key_in_use")],
    ["a 400 payment_intent_unexpected_state", error(400, "invalid_request_error", "payment_intent_unexpected_state")],
  ] as [string, Canned][])("a confirm answered %s is decided by the retrieved intent too", async (_n, answer) => {
    expect(await authorize([answer, retrieved("requires_capture")])).toEqual({ kind: "approved", reference: "pi_up1" });
    expect(await authorize([answer, retrieved("requires_payment_method")])).toEqual({ kind: "unknown" });
  });

  it.each([
    ["a connection error", "connection_error"],
    ["a 500", { status: 500, json: { error: { type: "api_error" } } }],
    ["a 502", { status: 502, text: "bad gateway" }],
    ["a 503", { status: 503, text: "" }],
    ["a 504", { status: 504, json: {} }],
    ["a 429", error(429, "rate_limit_error", "rate_limit")],
    ["a 401", error(401, "authentication_error")],
    ["a 403", error(403, "invalid_request_error", "secret_key_required")],
    ["a 400 invalid_request_error", error(400, "invalid_request_error", "parameter_unknown")],
    ["a 404", error(404, "invalid_request_error", "resource_missing")],
    ["a body that is not JSON", { status: 200, text: "<html>oops" }],
    ["a PaymentIntent without its fields", { status: 200, json: { id: "pi_up1" } }],
    ["an error that is not Stripe's envelope", { status: 400, json: { message: "no" } }],
  ] as [string, Canned][])(
    "makes %s to the create ConnectorUnreachable (no card sent), never confirming",
    async (_n, answer) => {
      const { c, sent } = connector([answer]);
      expect(await callProcessor("authorize", 1000, () => c.authorize(AUTH))).toEqual({
        kind: "unknown",
        retryable: true,
      });
      expect(sent.map((r) => r.url)).toEqual([`${BASE}/v1/payment_intents`]);
    },
  );

  it.each([
    ["a 409 idempotency_key_in_use", error(409, "invalid_request_error", "idempotency_key_in_use")],
    ["a 400 idempotency_error", error(400, "idempotency_error")],
  ] as [string, Canned][])(
    "leaves %s to the create unknown, not retryable (an earlier attempt under the key exists)",
    async (_n, answer) => {
      const { c, sent } = connector([answer]);
      expect(await callProcessor("authorize", 1000, () => c.authorize(AUTH))).toEqual({ kind: "unknown" });
      expect(sent).toHaveLength(1);
    },
  );

  it("refuses a card the vault can no longer read, sending nothing", async () => {
    const { c, sent } = connector([], {
      readCard: async () => {
        throw new CardUnavailable();
      },
    });
    expect(await callProcessor("authorize", 1000, () => c.authorize(AUTH))).toEqual({
      kind: "refused",
      reason: "payment_method_unavailable",
    });
    expect(sent).toEqual([]);
  });
});

describe("capture, void and refund answers", () => {
  it("approves a capture with the charge and the amount received", async () => {
    expect(await follow("capture", [{ status: 200, json: pi("succeeded") }]).outcome).toEqual({
      kind: "approved",
      reference: "ch_up1",
    });
    const expanded = pi("succeeded", { latest_charge: { id: "ch_exp", object: "charge" } });
    expect(await follow("capture", [{ status: 200, json: expanded }]).outcome).toMatchObject({ reference: "ch_exp" });
    const noCharge = pi("succeeded", { latest_charge: null });
    expect(await follow("capture", [{ status: 200, json: noCharge }]).outcome).toMatchObject({ reference: "pi_up1" });
    // Another amount received than asked for does not validate: unknown, never a refusal (money moved).
    expect(await follow("capture", [{ status: 200, json: pi("succeeded") }], 500).outcome).toEqual({ kind: "unknown" });
  });

  it("turns a decline of a follow-up into a refusal", async () => {
    expect(await follow("capture", [error(402, "card_error", "card_declined", "do_not_honor")]).outcome).toEqual({
      kind: "refused",
      reason: "declined",
    });
  });

  it.each(["capture", "void", "refund"] as const)(
    "%s: a PaymentIntent unknown upstream (404 resource_missing) is authorization_gone",
    async (op) => {
      expect(await follow(op, [error(404, "invalid_request_error", "resource_missing")]).outcome).toEqual({
        kind: "refused",
        reason: "authorization_gone",
      });
    },
  );

  it.each(["capture", "void", "refund"] as const)(
    "%s: a reference that is no PaymentIntent is gone, unsent",
    async (op) => {
      const { c, sent } = connector([]);
      const outcome = await callProcessor(op, 600, () => c[op]({ ...FU, reference: "auth_123_600" }));
      expect(outcome).toEqual({ kind: "refused", reason: "authorization_gone" });
      expect(sent).toEqual([]);
    },
  );

  const unexpected = error(400, "invalid_request_error", "payment_intent_unexpected_state");
  it.each([
    [
      "succeeded for this amount (an earlier attempt captured)",
      pi("succeeded"),
      { kind: "approved", reference: "ch_up1" },
    ],
    [
      "succeeded for another amount",
      pi("succeeded", { amount_received: 1000 }),
      { kind: "refused", reason: "declined" },
    ],
    ["canceled", pi("canceled"), { kind: "refused", reason: "authorization_gone" }],
    ["requires_capture", pi("requires_capture"), { kind: "refused", reason: "declined" }],
  ])("capture in an unexpected state: retrieves, %s", async (_name, retrieved, want) => {
    const { sent, outcome } = follow("capture", [unexpected, { status: 200, json: retrieved }]);
    expect(await outcome).toEqual(want);
    expect(sent.map((r) => [r.method, r.url, r.headers.get("idempotency-key")])).toEqual([
      ["POST", `${BASE}/v1/payment_intents/pi_up1/capture`, FU.key],
      ["GET", `${BASE}/v1/payment_intents/pi_up1`, null],
    ]);
  });

  it.each([[error(409, "invalid_request_error", "idempotency_key_in_use")], [error(400, "idempotency_error")]])(
    "capture whose key is in use or mismatched: retrieves; captured is approved, capturable unknown",
    async (first) => {
      expect(await follow("capture", [first, { status: 200, json: pi("succeeded") }]).outcome).toMatchObject({
        kind: "approved",
      });
      expect(await follow("capture", [first, { status: 200, json: pi("requires_capture") }]).outcome).toEqual({
        kind: "unknown",
      });
    },
  );

  it("capture of an expired authorization is authorization_gone", async () => {
    const expired = error(400, "invalid_request_error", "charge_expired_for_capture");
    expect(await follow("capture", [expired]).outcome).toEqual({ kind: "refused", reason: "authorization_gone" });
  });

  it("void: canceled is approved for the amount held; an unexpected state is retrieved", async () => {
    expect(await follow("void", [{ status: 200, json: pi("canceled") }], 1000).outcome).toEqual({
      kind: "approved",
      reference: "pi_up1",
    });
    expect(await follow("void", [unexpected, { status: 200, json: pi("canceled") }], 1000).outcome).toMatchObject({
      kind: "approved",
    });
    expect(await follow("void", [unexpected, { status: 200, json: pi("succeeded") }], 1000).outcome).toEqual({
      kind: "refused",
      reason: "declined",
    });
  });

  it.each([
    ["succeeded", { kind: "approved", reference: "re_1" }],
    ["pending", { kind: "approved", reference: "re_1" }],
    ["failed", { kind: "refused", reason: "declined" }],
    ["canceled", { kind: "refused", reason: "declined" }],
    ["requires_action", { kind: "unknown" }],
  ])("refund answered %s", async (status, want) => {
    const refund = { id: "re_1", object: "refund", status, amount: 600 };
    expect(await follow("refund", [{ status: 200, json: refund }]).outcome).toEqual(want);
  });

  it("refund over what remains is refused; a key in use is unknown (nothing to retrieve)", async () => {
    const over = error(400, "invalid_request_error", "charge_already_refunded");
    expect(await follow("refund", [over]).outcome).toEqual({ kind: "refused", reason: "declined" });
    const inUse = error(409, "invalid_request_error", "idempotency_key_in_use");
    expect(await follow("refund", [inUse]).outcome).toEqual({ kind: "unknown" });
  });

  it("a 500 on a follow-up is unknown; a 503 unknown and retryable", async () => {
    expect(await follow("capture", [{ status: 500, text: "" }]).outcome).toEqual({ kind: "unknown" });
    expect(await follow("void", [{ status: 503, text: "" }]).outcome).toEqual({ kind: "unknown", retryable: true });
  });
});

describe("secrets", () => {
  const lines: string[] = [];
  beforeEach(() => {
    lines.length = 0;
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      });
    }
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  // Upstream bodies that echo the card, and answers of every kind the connector logs or throws on.
  const echo = `Your card ${NUMBER} (cvc ${CVC}) was declined`;
  const cases: Canned[][] = [
    [error(402, "card_error", "card_declined", "insufficient_funds", echo)],
    [error(400, "invalid_request_error", "parameter_invalid", undefined, echo)],
    [error(401, "authentication_error", undefined, undefined, `Invalid API Key provided: ${SECRET}`)],
    [{ status: 500, text: echo }],
    [{ status: 503, text: echo }],
    [{ status: 200, text: `not json ${echo}` }],
    [{ status: 200, json: { id: NUMBER, status: "requires_capture" } }],
    ["connection_error"],
  ];

  it("never puts card data, the secret key or an upstream body in a log line or an error message", async () => {
    const messages: string[] = [];
    for (const answers of [...cases, ...cases.map((a) => [CREATED, ...a])]) {
      const { c } = connector([...answers]);
      await c
        .authorize(AUTH)
        .catch((err: unknown) => messages.push(err instanceof Error ? `${err.name} ${err.message}` : ""));
      await callProcessor("authorize", 1000, () => connector([...answers]).c.authorize(AUTH));
    }
    expect(lines.length).toBeGreaterThan(cases.length);
    expect(messages.length).toBeGreaterThan(3);
    for (const text of [...lines, ...messages]) {
      for (const secret of [NUMBER, CVC, SECRET, "declined was", "not json", "Invalid API Key"]) {
        expect(text).not.toContain(secret);
      }
    }
  });
});
