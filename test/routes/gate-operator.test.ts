/**
 * The operator's per-merchant rate limit reaches the gate through the auth status cache, and
 * changing it (and with it the number of bucket shards) never moves a saved idempotent response.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call } from "../helpers/http";
import { newMerchant, operatorHeaders } from "../helpers/merchants";

function setLimit(merchantId: string, rateLimit: string) {
  return call(`/admin/v1/merchants/${merchantId}`, {
    method: "POST",
    headers: { ...operatorHeaders(), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ rate_limit: rateLimit }).toString(),
  });
}

describe("operator-set rate limits", () => {
  it("apply to the merchant's next request, and '' restores the default", async () => {
    const m = await newMerchant();
    const before = await call("/v1/account", { headers: m.headers });
    expect(before.headers.get("RateLimit-Policy")).toMatch(/^"default";q=\d+;w=1$/);
    expect((await setLimit(m.merchantId, "7")).status).toBe(200);
    const after = await call("/v1/account", { headers: m.headers });
    expect(after.headers.get("RateLimit-Policy")).toBe('"default";q=7;w=1');
    expect((await setLimit(m.merchantId, "")).status).toBe(200);
    const restored = await call("/v1/account", { headers: m.headers });
    expect(restored.headers.get("RateLimit-Policy")).toBe(before.headers.get("RateLimit-Policy"));
  });

  it("never lose a saved response: keys replay across changes of the limit from 50 to 250 and back", async () => {
    const m = await newMerchant({ rateLimit: 50 });
    // Several keys, so that any placement depending on the quota (1 shard at 50, 3 at 250) moves some.
    const keys = Array.from({ length: 6 }, (_, i) => `moves-${i}`);
    const create = (key: string) =>
      call("/v1/payment_intents", {
        method: "POST",
        headers: { ...m.headers, "content-type": "application/x-www-form-urlencoded", "Idempotency-Key": key },
        body: new URLSearchParams({ amount: "1234", currency: "usd" }).toString(),
      });
    const firsts = await Promise.all(keys.map(create));
    expect(firsts.map((r) => r.status)).toEqual(keys.map(() => 200));
    const texts = await Promise.all(firsts.map((r) => r.text()));
    for (const limit of ["250", "50", "250", ""]) {
      expect((await setLimit(m.merchantId, limit)).status).toBe(200);
      for (const [i, key] of keys.entries()) {
        const again = await create(key);
        expect(again.headers.get("RateLimit-Policy")).toBe(`"default";q=${limit || env.RATE_LIMIT_DEFAULT};w=1`);
        expect(again.headers.get("Idempotent-Replayed")).toBe("true");
        expect(again.headers.get("Original-Request")).toBe(firsts[i]?.headers.get("Request-Id"));
        expect(await again.text()).toBe(texts[i]);
      }
    }
  });
});
