/** The gate end to end through the Worker's fetch: real tokens, real D1 merchants, real MerchantGate objects. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { bucketShardName, type MerchantGate } from "../../src/durable/merchant-gate";
import { call, type ErrorBody } from "../helpers/http";
import { newMerchant } from "../helpers/merchants";

/** Freezes the clock of a merchant's (only) gate shard so a burst is one instant. */
async function freeze(merchantId: string) {
  const now = Date.now();
  await runInDurableObject(env.MERCHANT_GATE.getByName(bucketShardName(merchantId, 0)), (instance: MerchantGate) => {
    instance.clock = () => now;
  });
}

/** A merchant whose operator-set limit is `rateLimit` req/s. */
function merchantWithLimit(rateLimit: number) {
  return newMerchant({ rateLimit });
}

describe("rate limits on merchant routes", () => {
  it("carry the IETF headers with the deployment default quota", async () => {
    const m = await newMerchant();
    const res = await call("/v1/account", { headers: m.headers });
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit-Policy")).toBe(`"default";q=${env.RATE_LIMIT_DEFAULT};w=1`);
    expect(res.headers.get("RateLimit")).toMatch(new RegExp(`^"default";r=${Number(env.RATE_LIMIT_DEFAULT) - 1};t=1$`));
  });

  it("admit exactly the merchant's own quota, then 429 with Retry-After", async () => {
    const m = await merchantWithLimit(4);
    await freeze(m.merchantId);
    const responses = [];
    for (let i = 0; i < 6; i++) responses.push(await call("/v1/account", { headers: m.headers }));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 429, 429]);
    expect(responses[0]?.headers.get("RateLimit-Policy")).toBe('"default";q=4;w=1');
    expect(responses.map((r) => r.headers.get("RateLimit"))).toEqual([
      '"default";r=3;t=1',
      '"default";r=2;t=1',
      '"default";r=1;t=1',
      '"default";r=0;t=1',
      '"default";r=0;t=1',
      '"default";r=0;t=1',
    ]);
    const limited = responses[4] as Response;
    expect(limited.headers.get("Retry-After")).toBe("1");
    const err = ((await limited.json()) as ErrorBody).error;
    expect(err).toMatchObject({ type: "rate_limit_error", code: "rate_limit" });
    expect(err.request_id).toBe(limited.headers.get("Request-Id"));
  });

  it("do not count 401s, and unauthenticated answers carry no merchant counts", async () => {
    const m = await merchantWithLimit(2);
    await freeze(m.merchantId);
    const forged = `${m.token.slice(0, -4)}AAAA`;
    for (let i = 0; i < 5; i++) {
      const res = await call("/v1/account", { headers: { authorization: `Bearer ${forged}` } });
      expect(res.status).toBe(401);
      expect(res.headers.get("RateLimit")).toBeNull();
    }
    const ok = [await call("/v1/account", { headers: m.headers }), await call("/v1/account", { headers: m.headers })];
    expect(ok.map((r) => r.status)).toEqual([200, 200]);
  });

  it("keep merchants independent", async () => {
    const [a, b] = [await merchantWithLimit(1), await merchantWithLimit(1)];
    await freeze(a.merchantId);
    await freeze(b.merchantId);
    expect((await call("/v1/account", { headers: a.headers })).status).toBe(200);
    expect((await call("/v1/account", { headers: a.headers })).status).toBe(429);
    expect((await call("/v1/account", { headers: b.headers })).status).toBe(200);
  });

  it("count authenticated requests to unknown /v1 paths, which save nothing under a key", async () => {
    const m = await newMerchant();
    const res = await call("/v1/nothing_here", { method: "POST", headers: { ...m.headers, "Idempotency-Key": "k" } });
    expect(res.status).toBe(404);
    expect(res.headers.get("RateLimit")).toMatch(/^"default";r=\d+;t=1$/);
    const again = await call("/v1/nothing_here", { method: "POST", headers: { ...m.headers, "Idempotency-Key": "k" } });
    expect(again.headers.get("Idempotent-Replayed")).toBeNull();
  });

  it("leave the token endpoint and operations routes alone", async () => {
    const health = await call("/health");
    expect(health.headers.get("RateLimit")).toBeNull();
  });
});
