/** Brute-force throttling of client authentication on POST /v1/oauth/token, per client id. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clientThrottleName, type MerchantGate } from "../../src/durable/merchant-gate";
import { newMerchant } from "../helpers/merchants";
import { basic, type OAuthErrorBody, tokenRequest } from "../helpers/oauth";

/** Freezes the throttle object's clock for `clientId`; returns a handle to move it. */
async function freeze(clientId: string) {
  const clock = { now: Date.now() };
  await runInDurableObject(env.MERCHANT_GATE.getByName(clientThrottleName(clientId)), (instance: MerchantGate) => {
    instance.clock = () => clock.now;
  });
  return clock;
}

const grant = { grant_type: "client_credentials" };

describe("failed client authentications", () => {
  it("allow 10 per minute per client id, then 429 with Retry-After, even for the right secret", async () => {
    const m = await newMerchant();
    const clock = await freeze(m.clientId);
    for (let i = 0; i < 10; i++) {
      const res = await tokenRequest(grant, { authorization: basic(m.clientId, `wrong-${i}`) });
      expect(res.status).toBe(401);
    }
    const blocked = await tokenRequest(grant, { authorization: basic(m.clientId, "wrong-again") });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("Retry-After")).toBe("6");
    expect(((await blocked.json()) as OAuthErrorBody).error).toBe("slow_down");
    // The right secret is not even checked while the client id is throttled, so guesses learn nothing.
    const right = await tokenRequest(grant, { authorization: basic(m.clientId, m.clientSecret) });
    expect(right.status).toBe(429);

    clock.now += 6_000;
    const later = await tokenRequest(grant, { authorization: basic(m.clientId, m.clientSecret) });
    expect(later.status).toBe(200);
  });

  it("do not throttle a client that authenticates successfully", async () => {
    const m = await newMerchant();
    await freeze(m.clientId);
    for (let i = 0; i < 15; i++) {
      const res = await tokenRequest(grant, { authorization: basic(m.clientId, m.clientSecret) });
      expect(res.status).toBe(200);
    }
  });

  it("are counted per client id: another client is unaffected", async () => {
    const [a, b] = [await newMerchant(), await newMerchant()];
    await freeze(a.clientId);
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => tokenRequest(grant, { authorization: basic(a.clientId, `x${i}`) })),
    );
    expect((await tokenRequest(grant, { authorization: basic(a.clientId, a.clientSecret) })).status).toBe(429);
    expect((await tokenRequest(grant, { authorization: basic(b.clientId, b.clientSecret) })).status).toBe(200);
  });

  it("bound parallel guesses exactly", async () => {
    const m = await newMerchant();
    await freeze(m.clientId);
    const statuses = (
      await Promise.all(
        Array.from({ length: 30 }, (_, i) => tokenRequest(grant, { authorization: basic(m.clientId, `p${i}`) })),
      )
    ).map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
  });
});
