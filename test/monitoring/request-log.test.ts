/**
 * The per-request log line (src/monitoring/request-log.ts): one JSON line per request with the
 * fields operators filter on, and never a card number, CVC, token, secret or raw path.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { newKey } from "../helpers/api-keys";
import { call } from "../helpers/http";
import { newMerchant, operatorHeaders } from "../helpers/merchants";
import { post } from "../helpers/payments";

type Line = Record<string, unknown>;

/** Spies on every console method; returns all output and the `request` lines. */
function capture() {
  const spies = (["debug", "info", "warn", "error", "log"] as const).map((m) => vi.spyOn(console, m));
  const all = () => spies.flatMap((s) => s.mock.calls.map((args) => args.map(String).join(" "))).join("\n");
  const requests = (): Line[] =>
    spies
      .flatMap((s) => s.mock.calls.map((args) => String(args[0])))
      .filter((text) => text.includes('"event":"request"'))
      .map((text) => JSON.parse(text) as Line);
  return { all, requests };
}

const PAN = "4000000000009995";

afterEach(() => vi.restoreAllMocks());

describe("the request log line", () => {
  it("carries the request's ids, route pattern, codes, latency and call counts", async () => {
    const m = await newMerchant();
    const out = capture();
    const pm = await post(m, "/v1/payment_methods", {
      type: "card",
      "card[number]": PAN,
      "card[exp_month]": "12",
      "card[exp_year]": "2040",
      "card[cvc]": "987",
    });
    const declined = await post(m, "/v1/payment_intents", {
      amount: 1234,
      currency: "usd",
      payment_method: pm.body.id,
      confirm: "true",
    });
    expect(declined.status).toBe(402);
    const lines = out.requests();
    expect(lines).toHaveLength(2);
    const [first, second] = lines as [Line, Line];
    expect(first).toMatchObject({
      level: "info",
      event: "request",
      request_id: pm.headers.get("request-id"),
      merchant: m.merchantId,
      credential: m.clientId,
      credential_kind: "access_token",
      method: "POST",
      route: "POST /v1/payment_methods",
      status: 200,
      error_code: null,
      decline_code: null,
      processor_ms: null,
    });
    expect(second).toMatchObject({
      request_id: declined.headers.get("request-id"),
      route: "POST /v1/payment_intents",
      status: 402,
      error_code: "card_declined",
      outcome: "declined",
      decline_code: "insufficient_funds",
    });
    for (const line of lines) {
      expect(typeof line.latency_ms).toBe("number");
      expect(line.d1_calls as number).toBeGreaterThanOrEqual(1);
      expect(line.do_calls as number).toBeGreaterThanOrEqual(1);
    }
    // The authorization called the processor: its wait is measured.
    expect(typeof second.processor_ms).toBe("number");
    const text = out.all();
    for (const secret of [PAN, "987", m.token, m.clientSecret]) {
      expect(text).not.toContain(secret);
    }
  });

  it("names an API key by its id and an operator by its actor, never their secrets", async () => {
    const m = await newMerchant();
    const key = await newKey(m.merchantId, "secret");
    const out = capture();
    const res = await call("/v1/payment_intents?limit=1", { headers: key.headers });
    expect(res.status).toBe(200);
    const admin = await call("/admin/v1/merchants?limit=1", { headers: operatorHeaders() });
    expect(admin.status).toBe(200);
    const [merchantLine, operatorLine] = out.requests() as [Line, Line];
    expect(merchantLine).toMatchObject({
      credential: key.id,
      credential_kind: "secret_key",
      route: "GET /v1/payment_intents",
    });
    expect(operatorLine).toMatchObject({ operator: "root", merchant: null, route: "GET /admin/v1/merchants" });
    const text = out.all();
    expect(text).not.toContain(key.secret);
    expect(text).not.toContain(env.OPERATOR_TOKEN);
  });

  it("logs the route pattern, never the raw path or query (which could carry anything)", async () => {
    const m = await newMerchant();
    const out = capture();
    await call(`/v1/payment_intents/pi_${PAN}?card=${PAN}`, { headers: m.headers });
    await call(`/v1/cards/${PAN}`, { headers: m.headers });
    await call("/v1/payment_intents", { method: "POST", headers: { authorization: `Bearer ${PAN}` } });
    const [known, unknown, unauthenticated] = out.requests() as [Line, Line, Line];
    expect(known).toMatchObject({ route: "GET /v1/payment_intents/:id", status: 400, error_code: "parameter_unknown" });
    expect(unknown).toMatchObject({ route: "unmatched", status: 404, error_code: "route_not_found" });
    expect(unauthenticated).toMatchObject({ route: "POST /v1/payment_intents", status: 401, merchant: null });
    expect(out.all()).not.toContain(PAN);
  });
});
