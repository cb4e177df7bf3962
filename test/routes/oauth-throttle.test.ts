/**
 * Brute-force throttling of client authentication on POST /v1/oauth/token: per (client id, source
 * IP), per client id and per source IP, such that failures from one source never lock out another.
 */
import { describe, expect, it } from "vitest";
import { clientThrottleName, sourceThrottleName } from "../../src/durable/merchant-gate";
import { newMerchant } from "../helpers/merchants";
import { basic, type OAuthErrorBody, tokenRequest } from "../helpers/oauth";
import { freeze, newIp } from "../helpers/throttle";

const seq = Math.random().toString(36).slice(2, 8);

const grant = { grant_type: "client_credentials" };

/** A token request for `clientId` with `secret`, from `ip`. */
function attempt(clientId: string, secret: string, ip: string): Promise<Response> {
  return tokenRequest(grant, { authorization: basic(clientId, secret), "cf-connecting-ip": ip });
}

describe("failed client authentications", () => {
  it("allow 10 per minute per (client, source), then 429 for that source only; the right secret works elsewhere", async () => {
    const m = await newMerchant();
    const [a, b] = [newIp("198.51"), newIp("198.51")];
    const clock = await freeze(clientThrottleName(m.clientId), sourceThrottleName(a), sourceThrottleName(b));
    for (let i = 0; i < 10; i++) expect((await attempt(m.clientId, `wrong-${i}`, a)).status).toBe(401);
    const blocked = await attempt(m.clientId, "wrong-again", a);
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("Retry-After")).toBe("6");
    expect(((await blocked.json()) as OAuthErrorBody).error).toBe("slow_down");
    // From the guessing source even the right secret is refused, so its guesses learn nothing...
    expect((await attempt(m.clientId, m.clientSecret, a)).status).toBe(429);
    // ...but the owner, from anywhere else, is not locked out.
    expect((await attempt(m.clientId, m.clientSecret, b)).status).toBe(200);
    expect((await attempt(m.clientId, "wrong-from-b", b)).status).toBe(401);

    clock.now += 6_000;
    expect((await attempt(m.clientId, m.clientSecret, a)).status).toBe(200);
  });

  it("do not throttle a client that authenticates successfully", async () => {
    const m = await newMerchant();
    const ip = newIp("198.51");
    await freeze(clientThrottleName(m.clientId), sourceThrottleName(ip));
    for (let i = 0; i < 15; i++) expect((await attempt(m.clientId, m.clientSecret, ip)).status).toBe(200);
  });

  it("are counted per client id: another client is unaffected, even from the same source", async () => {
    const [a, b] = [await newMerchant(), await newMerchant()];
    const ip = newIp("198.51");
    await freeze(clientThrottleName(a.clientId), sourceThrottleName(ip));
    await Promise.all(Array.from({ length: 12 }, (_, i) => attempt(a.clientId, `x${i}`, ip)));
    expect((await attempt(a.clientId, a.clientSecret, ip)).status).toBe(429);
    expect((await attempt(b.clientId, b.clientSecret, ip)).status).toBe(200);
  });

  it("bound parallel guesses from one source exactly", async () => {
    const m = await newMerchant();
    const ip = newIp("198.51");
    await freeze(clientThrottleName(m.clientId), sourceThrottleName(ip));
    const statuses = (await Promise.all(Array.from({ length: 30 }, (_, i) => attempt(m.clientId, `p${i}`, ip)))).map(
      (r) => r.status,
    );
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
  });

  it("over 100 per minute per client id from all sources, answer wrong secrets 429 but still accept the right one", async () => {
    const m = await newMerchant();
    const ips = Array.from({ length: 11 }, () => newIp("198.51"));
    await freeze(clientThrottleName(m.clientId), ...ips.map(sourceThrottleName));
    for (const ip of ips.slice(0, 10)) {
      const statuses = await Promise.all(Array.from({ length: 10 }, (_, i) => attempt(m.clientId, `d${i}`, ip)));
      expect(statuses.map((r) => r.status)).toEqual(Array(10).fill(401));
    }
    const fresh = ips[10] as string;
    const wrong = await attempt(m.clientId, "one-more", fresh);
    expect(wrong.status).toBe(429);
    expect(wrong.headers.get("Retry-After")).toBe("1");
    expect((await attempt(m.clientId, m.clientSecret, fresh)).status).toBe(200);
  });

  it("over 100 per minute per source across client ids, answer that source 429, and only it", async () => {
    const m = await newMerchant();
    const [sprayer, owner] = [newIp("198.51"), newIp("198.51")];
    await freeze(sourceThrottleName(sprayer), sourceThrottleName(owner), clientThrottleName(m.clientId));
    const ids = Array.from({ length: 100 }, (_, i) => `cli_spray${seq}x${i}`);
    const statuses = await Promise.all(ids.map((id) => attempt(id, "guess", sprayer)));
    expect(statuses.map((r) => r.status)).toEqual(Array(100).fill(401));
    const blocked = await attempt(`cli_spray${seq}y`, "guess", sprayer);
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("Retry-After")).toBe("1");
    // Malformed ids count against the source too, though they mint no client objects.
    expect((await attempt("not-a-client-id", "guess", sprayer)).status).toBe(429);
    expect((await attempt(m.clientId, m.clientSecret, sprayer)).status).toBe(429);
    expect((await attempt(m.clientId, m.clientSecret, owner)).status).toBe(200);
  });
});
