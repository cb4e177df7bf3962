/**
 * API key security: restricted keys and scopes, publishable keys on every route of the OpenAPI
 * document (so a new route is covered without touching this file), tenant isolation, suspension,
 * no escalation through /v1/api_keys, one rate limit per merchant, and keys never logged.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type ApiKeyBody, bearer, newKey } from "../helpers/api-keys";
import { CARDS, pmForm, withAuth } from "../helpers/cards";
import { call, type ErrorBody, form, json } from "../helpers/http";
import { newMerchant, operator, type TestMerchant, tokenFor } from "../helpers/merchants";

function post(path: string, body: unknown, headers: Record<string, string>) {
  const init = json(body);
  return call(path, { ...init, headers: { ...init.headers, ...headers } });
}

interface Operation {
  method: string;
  path: string;
  publishable: boolean;
}

/** Every merchant operation of the served OpenAPI document, and whether it lists the publishableKey scheme. */
async function merchantOperations(): Promise<Operation[]> {
  const doc = (await (await call("/openapi.json")).json()) as {
    paths: Record<string, Record<string, { security?: Record<string, unknown>[] }>>;
  };
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith("/v1/") && path !== "/v1/oauth/token")
    .flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => ["get", "post", "delete"].includes(method))
        .map(([method, op]) => ({
          method: method.toUpperCase(),
          path,
          publishable: (op.security ?? []).some((s) => "publishableKey" in s),
        })),
    );
}

let m: TestMerchant;
beforeAll(async () => {
  m = await newMerchant({ rateLimit: 1000 });
});

describe("restricted keys", () => {
  it("answer 403 insufficient_scope on a route outside their scopes, and work inside them", async () => {
    const rk = await newKey(m.merchantId, "restricted", ["payments:read"]);
    expect((await call("/v1/payment_intents", { headers: rk.headers })).status).toBe(200);
    const res = await call("/v1/payment_intents", withAuth(form({ amount: "100", currency: "usd" }), rk));
    expect(res.status).toBe(403);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({
      type: "permission_error",
      code: "insufficient_scope",
      required_scope: "payments:write",
    });
    expect((await call("/v1/api_keys", { headers: rk.headers })).status).toBe(403);
  });

  it("can never mint, roll or revoke a key broader than themselves", async () => {
    const rk = await newKey(m.merchantId, "restricted", ["payments:read", "api_keys:write", "api_keys:read"]);
    for (const body of [
      { type: "secret" },
      { type: "publishable" },
      { type: "restricted", scopes: ["payments:read", "payments:write"] },
    ]) {
      const res = await post("/v1/api_keys", body, rk.headers);
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect(((await res.json()) as ErrorBody).error.code).toBe("insufficient_scope");
    }
    const sk = await newKey(m.merchantId, "secret");
    for (const action of ["roll", "revoke"]) {
      expect((await post(`/v1/api_keys/${sk.id}/${action}`, {}, rk.headers)).status).toBe(403);
    }
    expect((await call("/v1/account", { headers: sk.headers })).status).toBe(200);
    // Within its own scopes it may.
    const narrower = await post("/v1/api_keys", { type: "restricted", scopes: "payments:read" }, rk.headers);
    expect(narrower.status).toBe(200);
    const keys = (await (await call("/v1/api_keys?limit=100", { headers: rk.headers })).json()) as {
      data: ApiKeyBody[];
    };
    expect(keys.data.some((k) => k.type === "secret")).toBe(true);
  });

  it("an access token holds to the same rule: api_keys:write alone mints no secret key", async () => {
    const { headers } = await tokenFor(m, ["api_keys:write"]);
    expect((await post("/v1/api_keys", { type: "secret" }, headers)).status).toBe(403);
    expect((await post("/v1/api_keys", { type: "restricted", scopes: ["api_keys:write"] }, headers)).status).toBe(200);
  });
});

describe("publishable keys", () => {
  it("tokenize a card, by payment method or token", async () => {
    const pk = await newKey(m.merchantId, "publishable");
    const pm = await call("/v1/payment_methods", withAuth(form(pmForm(CARDS.visa.number, "123")), pk));
    expect(pm.status).toBe(200);
    const tok = await call(
      "/v1/tokens",
      withAuth(form({ "card[number]": CARDS.visa.number, "card[exp_month]": "12", "card[exp_year]": "2040" }), pk),
    );
    expect(tok.status).toBe(200);
  });

  it("answer 403 on every other route of the OpenAPI document, and only the four marked ones admit them", async () => {
    const pk = await newKey(m.merchantId, "publishable");
    const operations = await merchantOperations();
    expect(operations.length).toBeGreaterThan(12);
    // Retrieve and confirm of an intent admit them with its client_secret (client-secret.test.ts).
    expect(
      operations
        .filter((op) => op.publishable)
        .map((op) => `${op.method} ${op.path}`)
        .sort(),
    ).toEqual([
      "GET /v1/payment_intents/{id}",
      "POST /v1/payment_intents/{id}/confirm",
      "POST /v1/payment_methods",
      "POST /v1/tokens",
    ]);
    for (const op of operations.filter((o) => !o.publishable)) {
      const path = op.path.replace(/\{[^}]+\}/g, "x_123");
      const init: RequestInit =
        op.method === "GET"
          ? { headers: pk.headers }
          : { ...json({}), headers: { ...json({}).headers, ...pk.headers } };
      const res = await call(path, { ...init, method: op.method });
      const where = `${op.method} ${op.path}`;
      expect(res.status, where).toBe(403);
      const body = (await res.json()) as ErrorBody;
      expect(body.error, where).toMatchObject({ type: "permission_error", code: "publishable_key_not_allowed" });
      expect(body.error.request_id).toMatch(/^req_/);
    }
    // Unknown paths too: a publishable key learns nothing about which routes exist.
    expect((await call("/v1/no_such_thing", { headers: pk.headers })).status).toBe(403);
  });
});

describe("tenant isolation and suspension", () => {
  it("another merchant's key id is 404 everywhere, and the key keeps working", async () => {
    const other = await newMerchant();
    const theirs = await newKey(other.merchantId, "secret");
    for (const [path, method] of [
      [`/v1/api_keys/${theirs.id}`, "GET"],
      [`/v1/api_keys/${theirs.id}/roll`, "POST"],
      [`/v1/api_keys/${theirs.id}/revoke`, "POST"],
    ] as const) {
      const res = method === "GET" ? await call(path, { headers: m.headers }) : await post(path, {}, m.headers);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as ErrorBody).error.code).toBe("resource_missing");
    }
    expect((await call("/v1/account", { headers: theirs.headers })).status).toBe(200);
    const mine = (await (await call("/v1/api_keys?limit=100", { headers: m.headers })).json()) as {
      data: ApiKeyBody[];
    };
    expect(mine.data.map((k) => k.id)).not.toContain(theirs.id);
  });

  it("a suspended merchant's keys are refused until it is reactivated", async () => {
    const s = await newMerchant();
    const sk = await newKey(s.merchantId, "secret");
    const pk = await newKey(s.merchantId, "publishable");
    expect((await call("/v1/account", { headers: sk.headers })).status).toBe(200);
    await operator(`/admin/v1/merchants/${s.merchantId}/suspend`, {});
    expect((await call("/v1/account", { headers: sk.headers })).status).toBe(401);
    expect((await call("/v1/payment_methods", withAuth(form(pmForm(CARDS.visa.number)), pk))).status).toBe(401);
    await operator(`/admin/v1/merchants/${s.merchantId}/reactivate`, {});
    expect((await call("/v1/account", { headers: sk.headers })).status).toBe(200);
  });
});

describe("rate limits", () => {
  it("keys and tokens of one merchant share its one quota", async () => {
    const limited = await newMerchant({ rateLimit: 3 });
    const sk = await newKey(limited.merchantId, "secret");
    const statuses: number[] = [];
    for (const headers of [sk.headers, limited.headers, sk.headers, limited.headers]) {
      statuses.push((await call("/v1/account", { headers })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});

describe("keys never leak", () => {
  const lines: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("appear in no log line, no error and no list, whatever happens to them", async () => {
    for (const level of ["debug", "info", "log", "warn", "error"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      });
    }
    const sk = await newKey(m.merchantId, "secret");
    const made = (await (
      await post("/v1/api_keys", { type: "restricted", scopes: "payments:read" }, sk.headers)
    ).json()) as ApiKeyBody;
    const secrets = [sk.secret, made.secret ?? ""];
    const answers: string[] = [];
    for (const key of secrets) {
      answers.push(await (await call("/v1/account", { headers: bearer(key) })).text());
      answers.push(await (await call("/v1/account", { headers: bearer(`${key.slice(0, -1)}x`) })).text());
      answers.push(await (await call("/v1/nope", { headers: bearer(key.replace("_test_", "_live_")) })).text());
    }
    answers.push(await (await call("/v1/api_keys?limit=100", { headers: sk.headers })).text());
    answers.push(await (await post(`/v1/api_keys/${made.id}/revoke`, {}, sk.headers)).text());
    answers.push(await (await call("/v1/account", { headers: bearer(made.secret ?? "") })).text());
    // A key offered to the operator API is refused and logged (operator_auth_failed), without the key.
    answers.push(await (await call("/admin/v1/merchants", { headers: sk.headers })).text());
    expect(lines.length).toBeGreaterThan(0);
    const list = await operator(`/admin/v1/merchants/${m.merchantId}/api_keys?limit=100`);
    answers.push(JSON.stringify(list));
    for (const key of secrets) {
      const core = key.slice(8, -4);
      for (const text of [...answers, ...lines]) expect(text).not.toContain(core);
    }
  });
});
