/** The operator's per-merchant rate limit reaches the gate through the auth status cache. */
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
});
