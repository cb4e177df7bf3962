/**
 * The gate middleware on a test app built by the real factory, with a stand-in for merchant auth
 * (a test middleware that sets c.var.auth from test headers) and real MerchantGate objects.
 * End-to-end tests through the Worker's own fetch live in test/routes/.
 */
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createRoute, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { requestFingerprint } from "../../src/crypto/fingerprint";
import { canonicalRequest, LEASE_MS } from "../../src/domain/idempotency";
import { hashToShard, keyShardOf } from "../../src/domain/limits";
import { bucketShardName, keyShardName, type MerchantGate } from "../../src/durable/merchant-gate";
import { ApiError, invalidParam } from "../../src/errors";
import { formOrJsonBody } from "../../src/lib/openapi";
import { intParam } from "../../src/lib/params";
import { gate } from "../../src/middleware/gate";
import { flushMetrics } from "../../src/monitoring/flush";
import type { AppEnv } from "../../src/types";
import { BASE, type ErrorBody, form, json } from "../helpers/http";

/** Effects the test handlers performed, by merchant: the stand-in for rows a real handler writes. */
const effects = new Map<string, string[]>();

const standInAuth = createMiddleware<AppEnv>(async (c, next) => {
  const merchantId = c.req.header("x-test-merchant");
  if (!merchantId) throw new ApiError("authentication_required", "No merchant.");
  const limit = c.req.header("x-test-rate-limit");
  c.set("auth", {
    merchantId,
    clientId: "cli_test",
    scopes: new Set((c.req.header("x-test-scopes") ?? "write").split(" ")),
    tokenId: "tok_test",
    credential: "access_token",
    rateLimit: limit ? Number(limit) : null,
    routeReadAt: Date.now(),
  });
  return next();
});

const requireWrite = createMiddleware<AppEnv>(async (c, next) => {
  if (!c.var.auth.scopes.has("write")) throw new ApiError("insufficient_scope", "Missing scope write.");
  return next();
});

function testApp() {
  const app = createApp();
  app.use("/t/v1/*", standInAuth, gate);
  const Charge = z.strictObject({ amount: intParam().pipe(z.int().min(1)), currency: z.string().length(3) });
  app.openapi(
    createRoute({
      method: "post",
      path: "/t/v1/charges",
      middleware: [requireWrite] as const,
      request: { body: formOrJsonBody(Charge) },
      responses: { 200: { description: "charge" } },
    }),
    async (c) => {
      const { amount, currency } = c.req.valid("json");
      await scheduler.wait(20); // long enough for concurrent duplicates to find the key in flight
      const id = `ch_${crypto.randomUUID()}`;
      const list = effects.get(c.var.auth.merchantId) ?? [];
      list.push(id);
      effects.set(c.var.auth.merchantId, list);
      if (amount === 402) return c.json({ error: { type: "card_error", code: "card_declined", id } }, 402);
      if (amount === 500) throw new Error("processor exploded");
      // A handler's own parameter check, which changes nothing: never saved.
      if (amount === 400) throw invalidParam("parameter_invalid", "Amount 400 is refused.", "amount");
      // A handler 400 after looking at stored state (no noEffect): saved like a decline.
      if (amount === 4000) throw new ApiError("payment_intent_unexpected_state", "Wrong state.");
      if (amount === 429) throw new ApiError("lock_timeout", "Object busy. Retry.", { noEffect: true });
      c.header("X-Handler", "charges");
      return c.json({ id, amount, currency, key: c.var.idempotencyKey ?? null, at: Date.now() });
    },
  );
  app.get("/t/v1/things", (c) => c.json({ ok: true }));
  return (path: string, init: RequestInit & { headers?: Record<string, string> } = {}, ctx?: ExecutionContext) =>
    app.request(`${BASE}${path}`, init, env, ctx);
}

let seq = 0;
function merchant(rateLimit = 1000) {
  const id = `mer_gate${++seq}`;
  return { id, headers: { "x-test-merchant": id, "x-test-rate-limit": String(rateLimit) } };
}

function post(m: ReturnType<typeof merchant>, body: unknown, key?: string, extra: Record<string, string> = {}) {
  const init = json(body);
  return {
    ...init,
    headers: {
      ...(init.headers as Record<string, string>),
      ...m.headers,
      ...(key ? { "Idempotency-Key": key } : {}),
      ...extra,
    },
  };
}

/** Freezes the clock of a merchant's gate shard, so bucket arithmetic is exact in the test. */
async function freeze(merchantId: string, shard = 0) {
  const stub = env.MERCHANT_GATE.getByName(bucketShardName(merchantId, shard));
  const now = Date.now();
  await runInDurableObject(stub, (instance: MerchantGate) => {
    instance.clock = () => now;
  });
}

describe("idempotency through the gate", () => {
  it("replays the first response byte for byte, with Idempotent-Replayed and the original request id", async () => {
    const req = testApp();
    const m = merchant();
    const first = await req("/t/v1/charges", post(m, { amount: 100, currency: "usd" }, "k-replay"));
    expect(first.status).toBe(200);
    expect(first.headers.get("Idempotent-Replayed")).toBeNull();
    const text = await first.text();
    expect(JSON.parse(text)).toMatchObject({ amount: 100, key: "k-replay" });

    const again = await req("/t/v1/charges", post(m, { amount: 100, currency: "usd" }, "k-replay"));
    expect(again.status).toBe(200);
    expect(await again.text()).toBe(text);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.headers.get("Original-Request")).toBe(first.headers.get("Request-Id"));
    expect(again.headers.get("Request-Id")).not.toBe(first.headers.get("Request-Id"));
    expect(again.headers.get("X-Handler")).toBe("charges");
    expect(again.headers.get("content-type")).toBe(first.headers.get("content-type"));
    expect(again.headers.get("Idempotency-Key")).toBe("k-replay");
    expect(effects.get(m.id)).toHaveLength(1);
  });

  it("treats a form body and the equivalent JSON body as the same request", async () => {
    const req = testApp();
    const m = merchant();
    await req("/t/v1/charges", post(m, { amount: 250, currency: "eur" }, "k-form"));
    const viaForm = form({ amount: "250", currency: "eur" });
    const res = await req("/t/v1/charges", {
      ...viaForm,
      headers: { ...(viaForm.headers as Record<string, string>), ...m.headers, "Idempotency-Key": "k-form" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("Idempotent-Replayed")).toBe("true");
    expect(effects.get(m.id)).toHaveLength(1);
  });

  it("answers the same key with different parameters with 400 idempotency_error, and runs nothing", async () => {
    const req = testApp();
    const m = merchant();
    await req("/t/v1/charges", post(m, { amount: 100, currency: "usd" }, "k-mismatch"));
    const res = await req("/t/v1/charges", post(m, { amount: 101, currency: "usd" }, "k-mismatch"));
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({
      type: "idempotency_error",
      code: "idempotency_error",
    });
    expect(res.headers.get("RateLimit")).toMatch(/^"default";r=\d+;t=1$/);
    expect(res.headers.get("Idempotency-Key")).toBe("k-mismatch");
    expect(effects.get(m.id)).toHaveLength(1);
  });

  it("does not replay to a caller with other scopes", async () => {
    const req = testApp();
    const m = merchant();
    await req(
      "/t/v1/charges",
      post(m, { amount: 100, currency: "usd" }, "k-scopes", { "x-test-scopes": "write admin" }),
    );
    const narrower = await req("/t/v1/charges", post(m, { amount: 100, currency: "usd" }, "k-scopes"));
    expect(narrower.status).toBe(400);
    expect(((await narrower.json()) as ErrorBody).error.type).toBe("idempotency_error");
  });

  it("scopes keys to the merchant and the path", async () => {
    const req = testApp();
    const [a, b] = [merchant(), merchant()];
    await req("/t/v1/charges", post(a, { amount: 100, currency: "usd" }, "shared"));
    const other = await req("/t/v1/charges", post(b, { amount: 999, currency: "usd" }, "shared"));
    expect(other.status).toBe(200);
    expect(other.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await other.json()).toMatchObject({ amount: 999 });
  });

  it("saves nothing for a validation failure, so the fixed body can use the same key", async () => {
    const req = testApp();
    const m = merchant();
    const bad = await req("/t/v1/charges", post(m, { amount: "ten", currency: "usd" }, "k-fix"));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).error.param).toBe("amount");
    const fixed = await req("/t/v1/charges", post(m, { amount: 10, currency: "usd" }, "k-fix"));
    expect(fixed.status).toBe(200);
    expect(fixed.headers.get("Idempotent-Replayed")).toBeNull();
    expect(effects.get(m.id)).toHaveLength(1);
  });

  it("saves declines and a handler's 400 without noEffect, and replays them unchanged", async () => {
    const req = testApp();
    const m = merchant();
    for (const amount of [402, 4000]) {
      const first = await req("/t/v1/charges", post(m, { amount, currency: "usd" }, `k-${amount}`));
      expect(first.status).toBe(amount === 402 ? 402 : 400);
      const text = await first.text();
      const again = await req("/t/v1/charges", post(m, { amount, currency: "usd" }, `k-${amount}`));
      expect(again.status).toBe(first.status);
      expect(again.headers.get("Idempotent-Replayed")).toBe("true");
      expect(await again.text()).toBe(text);
      expect([first.headers.get("Stripe-Should-Retry"), again.headers.get("Stripe-Should-Retry")]).toEqual([
        null,
        null,
      ]);
    }
    expect(effects.get(m.id)).toHaveLength(2);
  });

  it("never saves a 5xx: the retry with the same key runs the handler again, and is told to retry", async () => {
    const req = testApp();
    const m = merchant();
    for (let attempt = 1; attempt <= 2; attempt++) {
      const res = await req("/t/v1/charges", post(m, { amount: 500, currency: "usd" }, "k-500"));
      expect(res.status).toBe(500);
      expect(res.headers.get("Idempotent-Replayed")).toBeNull();
      expect(res.headers.get("Stripe-Should-Retry")).toBe("true");
      expect(res.headers.get("Idempotency-Key")).toBe("k-500");
      expect(effects.get(m.id)).toHaveLength(attempt);
    }
    // The key was released, not saved: the same key may carry a corrected request.
    const fixed = await req("/t/v1/charges", post(m, { amount: 5, currency: "usd" }, "k-500"));
    expect(fixed.status).toBe(200);
    expect(fixed.headers.get("Idempotent-Replayed")).toBeNull();
    // Without a key the gate cannot vouch for a retry, so it says nothing.
    const keyless = await req("/t/v1/charges", post(m, { amount: 500, currency: "usd" }));
    expect(keyless.status).toBe(500);
    expect(keyless.headers.get("Stripe-Should-Retry")).toBeNull();
  });

  it("never saves a handler's noEffect 400: a corrected body under the same key runs", async () => {
    const req = testApp();
    const m = merchant();
    const bad = await req("/t/v1/charges", post(m, { amount: 400, currency: "usd" }, "k-invalid"));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).error).toMatchObject({ code: "parameter_invalid", param: "amount" });
    const fixed = await req("/t/v1/charges", post(m, { amount: 40, currency: "usd" }, "k-invalid"));
    expect(fixed.status).toBe(200);
    expect(fixed.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await fixed.json()).toMatchObject({ amount: 40, key: "k-invalid" });
    const replay = await req("/t/v1/charges", post(m, { amount: 40, currency: "usd" }, "k-invalid"));
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
  });

  it("never saves a lock_timeout, and always tells the client to retry it", async () => {
    const req = testApp();
    const m = merchant();
    for (const key of ["k-lock", "k-lock", undefined]) {
      const res = await req("/t/v1/charges", post(m, { amount: 429, currency: "usd" }, key));
      expect(res.status).toBe(429);
      expect(((await res.json()) as ErrorBody).error.code).toBe("lock_timeout");
      expect(res.headers.get("Idempotent-Replayed")).toBeNull();
      expect(res.headers.get("Stripe-Should-Retry")).toBe("true");
    }
    expect(effects.get(m.id)).toHaveLength(3);
  });

  it("runs 50 concurrent identical requests once; every answer is the saved response or a 409", async () => {
    const req = testApp();
    const m = merchant(1000);
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => req("/t/v1/charges", post(m, { amount: 700, currency: "usd" }, "k-50"))),
    );
    expect(effects.get(m.id)).toHaveLength(1);
    const bodies = await Promise.all(responses.map((r) => r.text()));
    const ok = responses
      .map((r, i) => ({ status: r.status, body: bodies[i] as string }))
      .filter((r) => r.status === 200);
    const conflicts = responses.filter((r) => r.status === 409);
    expect(ok.length + conflicts.length).toBe(50);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(new Set(ok.map((r) => r.body)).size).toBe(1);
    for (const [i, r] of responses.entries()) {
      if (r.status !== 409) continue;
      expect(JSON.parse(bodies[i] as string).error.code).toBe("idempotency_key_in_use");
      expect(r.headers.get("RateLimit-Policy")).toBe('"default";q=1000;w=1');
    }
    // Once the first finished, a retry is a replay of the one saved response.
    const later = await req("/t/v1/charges", post(m, { amount: 700, currency: "usd" }, "k-50"));
    expect(await later.text()).toBe(ok[0]?.body);
  });

  it("refuses keys over 255 characters and ignores keys on GET", async () => {
    const req = testApp();
    const m = merchant();
    const long = await req("/t/v1/charges", post(m, { amount: 1, currency: "usd" }, "k".repeat(256)));
    expect(long.status).toBe(400);
    expect(((await long.json()) as ErrorBody).error.code).toBe("idempotency_key_invalid");
    const ok = await req("/t/v1/charges", post(m, { amount: 1, currency: "usd" }, "k".repeat(255)));
    expect(ok.status).toBe(200);
    const get = await req("/t/v1/things", { headers: { ...m.headers, "Idempotency-Key": "x" } });
    expect(get.status).toBe(200);
    expect(get.headers.get("Idempotency-Key")).toBeNull();
  });
});

describe("the deferred complete (waitUntil)", () => {
  /** A real execution context that also records whether each promise handed to waitUntil has settled. */
  function watchedContext() {
    const ctx = createExecutionContext();
    const deferred: { settled: boolean }[] = [];
    const waitUntil = ctx.waitUntil.bind(ctx);
    ctx.waitUntil = (promise) => {
      const entry = { settled: false };
      deferred.push(entry);
      waitUntil(promise.finally(() => (entry.settled = true)));
    };
    return { ctx, deferred };
  }

  it("answers before complete lands, and the key is saved once it has", async () => {
    const req = testApp();
    const m = merchant();
    const { ctx, deferred } = watchedContext();
    // With this isolate's metrics buffer empty, the request defers exactly two things: the gate's
    // complete and the metrics flush it opens (src/monitoring/flush.ts).
    await flushMetrics(env);
    const first = await req("/t/v1/charges", post(m, { amount: 100, currency: "usd" }, "k-defer"), ctx);
    // Checked with no I/O in between: the complete RPC cannot have come back yet.
    expect(deferred.map((d) => d.settled)).toEqual([false, false]);
    expect(first.status).toBe(200);
    expect(first.headers.get("Idempotency-Key")).toBe("k-defer");
    await waitOnExecutionContext(ctx);
    expect(deferred.map((d) => d.settled)).toEqual([true, true]);
    const again = await req("/t/v1/charges", post(m, { amount: 100, currency: "usd" }, "k-defer"));
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await again.text()).toBe(await first.text());
    expect(effects.get(m.id)).toHaveLength(1);
  });

  it("retries racing an attempt and its deferred complete get 409 or the replay, never a second effect (30 rounds)", async () => {
    const req = testApp();
    const m = merchant(1000);
    const seen = { fresh: 0, replay: 0, in_use: 0 };
    for (let round = 0; round < 30; round++) {
      const key = `k-race-${round}`;
      const send = (ctx?: ExecutionContext) =>
        req("/t/v1/charges", post(m, { amount: 1 + round, currency: "usd" }, key), ctx);
      const contexts = [createExecutionContext(), createExecutionContext(), createExecutionContext()];
      let answered = false;
      const first = Promise.resolve(send(contexts[0])).finally(() => {
        answered = true;
      });
      // Two retry loops run until the first answer is out, then twice more each, none waiting for
      // the deferred work: they hit the key before the handler, during it, and as its complete lands.
      const loop = async (ctx: ExecutionContext) => {
        const out: Response[] = [];
        for (let after = 0; after < 2; after += answered ? 1 : 0) out.push(await send(ctx));
        return out;
      };
      const [one, two, three] = await Promise.all([
        first,
        loop(contexts[1] as ExecutionContext),
        loop(contexts[2] as ExecutionContext),
      ]);
      const all = [one, ...two, ...three];
      const bodies = await Promise.all(all.map((r) => r.text()));
      const saved = new Set<string>();
      for (const [i, r] of all.entries()) {
        if (r.status === 409) {
          expect(JSON.parse(bodies[i] as string).error.code).toBe("idempotency_key_in_use");
          seen.in_use++;
          continue;
        }
        expect(r.status).toBe(200);
        saved.add(bodies[i] as string);
        if (r.headers.get("Idempotent-Replayed") === "true") seen.replay++;
        else seen.fresh++;
      }
      expect(saved.size).toBe(1);
      await Promise.all(contexts.map((ctx) => waitOnExecutionContext(ctx)));
      expect(await (await send()).text()).toBe([...saved][0]);
      expect(effects.get(m.id)).toHaveLength(round + 1);
    }
    expect(seen.fresh).toBe(30);
  });

  it("a complete that never lands (the isolate died) blocks the key for LEASE_MS, then a retry takes over", async () => {
    const req = testApp();
    const m = merchant();
    const key = "k-lost";
    const body = { amount: 100, currency: "usd" };
    const stub = env.MERCHANT_GATE.getByName(keyShardName(m.id, keyShardOf(key)));
    const clock = { now: Date.now() };
    await runInDurableObject(stub, (instance: MerchantGate) => {
      instance.clock = () => clock.now;
    });
    // What the gate would have begun for this request, with no complete ever following.
    const fingerprint = await requestFingerprint(
      env.FINGERPRINT_KEY,
      canonicalRequest("POST", "/t/v1/charges", body, ["write"]),
    );
    const lost = await stub.begin({ scope: JSON.stringify(["POST", "/t/v1/charges", key]), fingerprint });
    expect(lost.outcome).toBe("begin");

    clock.now += LEASE_MS - 1;
    const blocked = await req("/t/v1/charges", post(m, body, key));
    expect(blocked.status).toBe(409);
    expect(((await blocked.json()) as ErrorBody).error.code).toBe("idempotency_key_in_use");
    expect(effects.get(m.id)).toBeUndefined();

    clock.now += 1;
    const takeover = await req("/t/v1/charges", post(m, body, key));
    expect(takeover.status).toBe(200);
    expect(takeover.headers.get("Idempotent-Replayed")).toBeNull();
    expect(effects.get(m.id)).toHaveLength(1);
  });
});

describe("rate limiting through the gate", () => {
  it("admits exactly the quota in one window, with correct headers and a sane Retry-After", async () => {
    const req = testApp();
    const m = merchant(3);
    await freeze(m.id);
    const statuses: number[] = [];
    const limits: (string | null)[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await req("/t/v1/things", { headers: m.headers });
      statuses.push(res.status);
      limits.push(res.headers.get("RateLimit"));
      expect(res.headers.get("RateLimit-Policy")).toBe('"default";q=3;w=1');
      if (res.status === 429) {
        expect(res.headers.get("Retry-After")).toBe("1");
        const err = ((await res.json()) as ErrorBody).error;
        expect(err).toMatchObject({ type: "rate_limit_error", code: "rate_limit" });
      }
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(limits).toEqual([
      '"default";r=2;t=1',
      '"default";r=1;t=1',
      '"default";r=0;t=1',
      '"default";r=0;t=1',
      '"default";r=0;t=1',
    ]);
  });

  it("uses RATE_LIMIT_DEFAULT when the merchant has no limit of its own", async () => {
    const req = testApp();
    const id = `mer_default${++seq}`;
    const res = await req("/t/v1/things", { headers: { "x-test-merchant": id } });
    expect(res.headers.get("RateLimit-Policy")).toBe(`"default";q=${env.RATE_LIMIT_DEFAULT};w=1`);
  });

  it("does not count 401 or 403 answers", async () => {
    const req = testApp();
    const m = merchant(2);
    await freeze(m.id);
    for (let i = 0; i < 4; i++) {
      const denied = await req(
        "/t/v1/charges",
        post(m, { amount: 1, currency: "usd" }, `k403-${i}`, { "x-test-scopes": "read" }),
      );
      expect(denied.status).toBe(403);
      expect(denied.headers.get("RateLimit")).toBe('"default";r=2;t=0');
    }
    const unauth = await req("/t/v1/things", {});
    expect(unauth.status).toBe(401);
    expect(unauth.headers.get("RateLimit")).toBeNull();
    const ok = [await req("/t/v1/things", { headers: m.headers }), await req("/t/v1/things", { headers: m.headers })];
    expect(ok.map((r) => r.status)).toEqual([200, 200]);
    expect((await req("/t/v1/things", { headers: m.headers })).status).toBe(429);
    // The 403's key was released, not saved: the same key now runs.
    const withScope = await req(
      "/t/v1/charges",
      post({ ...m, headers: { ...m.headers, "x-test-rate-limit": "5" } }, { amount: 1, currency: "usd" }, "k403-0"),
    );
    expect(withScope.headers.get("Idempotent-Replayed")).toBeNull();
  });

  it("keeps merchants independent", async () => {
    const req = testApp();
    const [a, b] = [merchant(1), merchant(1)];
    await freeze(a.id);
    await freeze(b.id);
    expect((await req("/t/v1/things", { headers: a.headers })).status).toBe(200);
    expect((await req("/t/v1/things", { headers: a.headers })).status).toBe(429);
    expect((await req("/t/v1/things", { headers: b.headers })).status).toBe(200);
  });

  it("splits a sharded merchant's quota exactly: shards add up to the quota and never exceed their share", async () => {
    const req = testApp();
    const m = merchant(101); // two shards holding 51 and 50 tokens
    await freeze(m.id, 0);
    await freeze(m.id, 1);
    const keys = Array.from({ length: 130 }, (_, i) => `split-${i}`);
    const perShard = [0, 0];
    for (const k of keys) perShard[hashToShard(k, 2)] = (perShard[hashToShard(k, 2)] ?? 0) + 1;
    const statuses = await Promise.all(
      keys.map(async (k) => (await req("/t/v1/charges", post(m, { amount: 1, currency: "usd" }, k))).status),
    );
    const expected = Math.min(51, perShard[0] ?? 0) + Math.min(50, perShard[1] ?? 0);
    expect(statuses.filter((s) => s === 200)).toHaveLength(expected);
    expect(statuses.filter((s) => s === 429)).toHaveLength(130 - expected);
    expect(expected).toBeLessThanOrEqual(101);
  });

  it("rate-limits before idempotency: a limited request saves nothing", async () => {
    const req = testApp();
    const m = merchant(1);
    await freeze(m.id);
    expect((await req("/t/v1/things", { headers: m.headers })).status).toBe(200);
    const limited = await req("/t/v1/charges", post(m, { amount: 5, currency: "usd" }, "k-limited"));
    expect(limited.status).toBe(429);
    expect(effects.get(m.id)).toBeUndefined();
    // The key shard had begun the key in parallel; the 429 released it, so once a token is back the
    // same key runs at once instead of answering 409 for the rest of the lease.
    await runInDurableObject(env.MERCHANT_GATE.getByName(bucketShardName(m.id, 0)), (instance: MerchantGate) => {
      const later = instance.clock() + 1_000;
      instance.clock = () => later;
    });
    const retry = await req("/t/v1/charges", post(m, { amount: 5, currency: "usd" }, "k-limited"));
    expect(retry.status).toBe(200);
    expect(retry.headers.get("Idempotent-Replayed")).toBeNull();
    expect(effects.get(m.id)).toHaveLength(1);
  });
});
