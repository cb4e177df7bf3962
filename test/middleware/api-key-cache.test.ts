/**
 * API key verification in the steady state: the second request with a key reads nothing from the
 * control database (the status cache answers), and a revocation made elsewhere (D1 changed behind
 * this isolate's back) is honoured within STATUS_CACHE_TTL_MS.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { STATUS_CACHE_TTL_MS } from "../../src/db/access-status";
import { basicKey, newKey } from "../helpers/api-keys";
import { countingDb, type RoundTrip } from "../helpers/d1-count";
import { BASE, call } from "../helpers/http";
import { newMerchant } from "../helpers/merchants";

describe("API key status cache", () => {
  it("costs one control-DB read for a key's first request and none for the next ones within the TTL", async () => {
    const m = await newMerchant();
    const sk = await newKey(m.merchantId, "secret");
    const control: RoundTrip[] = [];
    const watched = { ...env, DB: countingDb(control, env.DB) };
    const app = createApp();
    const get = (headers: Record<string, string>) => app.request(`${BASE}/v1/payment_intents`, { headers }, watched);

    expect((await get(sk.headers)).status).toBe(200);
    expect(control).toHaveLength(1);
    expect(control[0]?.sql[0]).toContain('from "api_keys"');
    control.length = 0;
    expect((await get(sk.headers)).status).toBe(200);
    expect((await get(basicKey(sk.secret))).status).toBe(200);
    expect(control).toEqual([]);
  });

  it("refuses a key within STATUS_CACHE_TTL_MS once another isolate revoked it", async () => {
    const m = await newMerchant();
    const sk = await newKey(m.merchantId, "secret");
    expect((await call("/v1/account", { headers: sk.headers })).status).toBe(200);
    await env.DB.prepare("update api_keys set status = 'revoked' where id = ?").bind(sk.id).run();
    const revokedAt = Date.now();
    let lastAdmittedAt = revokedAt;
    let status = 200;
    while (status === 200 && Date.now() - revokedAt < STATUS_CACHE_TTL_MS + 2_000) {
      await scheduler.wait(250);
      const sentAt = Date.now();
      status = (await call("/v1/account", { headers: sk.headers })).status;
      if (status === 200) lastAdmittedAt = sentAt;
    }
    expect(status).toBe(401);
    expect(lastAdmittedAt - revokedAt).toBeLessThan(STATUS_CACHE_TTL_MS);
  });
});
