/** MerchantGate over real RPC and SQLite storage: buckets, keys, leases, pruning, eviction, auth throttling. */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { LEASE_MS, RETENTION_MS } from "../../src/domain/idempotency";
import { CLIENT_AUTH_FAILURES, clientSourcePolicy } from "../../src/domain/limits";
import type { Policy } from "../../src/domain/token-bucket";
import {
  type AdmitResult,
  type MerchantGate,
  merchantGate,
  primaryHint,
  type SavedResponse,
} from "../../src/durable/merchant-gate";

const policies: Policy[] = [{ name: "default", quota: 5, windowSec: 1 }];
let seq = 0;

/**
 * A fresh gate object whose clock is frozen at `start` (moved through `clock.now`). The start lies a
 * year ahead so alarms it schedules never come due on the real scheduler during the test.
 */
async function frozenGate(start = Date.now() + 365 * 24 * 3600 * 1000) {
  const stub = env.MERCHANT_GATE.getByName(`test-gate-${++seq}`);
  const clock = { now: start };
  await runInDurableObject(stub, (instance: MerchantGate) => {
    instance.clock = () => clock.now;
  });
  return { stub, clock };
}

function saved(text: string, status = 200): SavedResponse {
  return {
    status,
    headers: [["content-type", "application/json"]],
    body: new TextEncoder().encode(text).buffer as ArrayBuffer,
  };
}

const key = (fingerprint = "fp") => ({ scope: "POST /v1/x k1", fingerprint });

/** Begins `k` and returns its lease, failing the test if the key was not begun. */
async function lease(stub: DurableObjectStub<MerchantGate>, k = key()): Promise<string> {
  const begun = await stub.begin(k);
  if (begun.outcome !== "begin") throw new Error(`not begun: ${begun.outcome}`);
  return begun.leaseId;
}

describe("rate limit", () => {
  it("admits exactly the quota at one instant and then says when to retry", async () => {
    const { stub, clock } = await frozenGate();
    const results = await Promise.all(Array.from({ length: 8 }, () => stub.admit({ policies })));
    expect(results.filter((r) => r.outcome === "proceed")).toHaveLength(5);
    const limited = results.filter((r) => r.outcome === "limited");
    expect(limited).toHaveLength(3);
    expect(limited[0]).toMatchObject({ retryAfterSec: 1, limitedBy: "default" });
    clock.now += 200; // one token per 200 ms at 5/s
    expect((await stub.admit({ policies })).outcome).toBe("proceed");
    expect((await stub.admit({ policies })).outcome).toBe("limited");
  });

  it("reports remaining tokens and refunds a token given back", async () => {
    const { stub } = await frozenGate();
    const limitsOf = (r: AdmitResult) => (r.outcome === "frozen" ? [] : r.limits);
    expect(limitsOf(await stub.admit({ policies }))[0]).toMatchObject({ remaining: 4, resetSec: 1 });
    await stub.refund(policies);
    expect(limitsOf(await stub.admit({ policies }))[0]?.remaining).toBe(4);
  });
});

describe("freeze (a merchant move)", () => {
  it("refuses every admission until thawed or past its deadline, and says whether a freeze still held", async () => {
    const { stub, clock } = await frozenGate();
    expect(await stub.freeze(clock.now + 10_000)).toBe(false);
    expect((await stub.admit({ policies })).outcome).toBe("frozen");
    expect(await stub.freeze(clock.now + 20_000)).toBe(true);
    await stub.thaw();
    expect((await stub.admit({ policies })).outcome).toBe("proceed");
    await stub.freeze(clock.now + 1000);
    clock.now += 1001;
    expect((await stub.admit({ policies })).outcome).toBe("proceed");
    expect(await stub.freeze(clock.now + 1000)).toBe(false);
  });

  it("outlives an eviction", async () => {
    const stub = env.MERCHANT_GATE.getByName(`test-gate-${++seq}`);
    await stub.freeze(Date.now() + 60_000);
    await evictDurableObject(stub);
    expect((await stub.admit({ policies })).outcome).toBe("frozen");
    await stub.thaw();
    expect((await stub.admit({ policies })).outcome).toBe("proceed");
  });
});

describe("idempotency keys", () => {
  it("begins, refuses a concurrent holder, saves and replays the exact bytes", async () => {
    const { stub } = await frozenGate();
    const leaseId = await lease(stub);
    expect((await stub.begin(key())).outcome).toBe("in_use");
    const body = '{"id":"pi_1","amount":100}';
    await stub.complete({ ...key(), leaseId, requestId: "req_first", response: saved(body, 402) });
    const again = await stub.begin(key());
    expect(again.outcome).toBe("replay");
    if (again.outcome !== "replay") return;
    expect(again.response.status).toBe(402);
    expect(new TextDecoder().decode(again.response.body)).toBe(body);
    expect(again.requestId).toBe("req_first");
    expect((await stub.begin(key("other"))).outcome).toBe("mismatch");
  });

  it("releases a key completed without a response, so it can be used again", async () => {
    const { stub } = await frozenGate();
    const leaseId = await lease(stub);
    await stub.complete({ ...key(), leaseId, requestId: "req_1", response: null });
    expect((await stub.begin(key("fixed body"))).outcome).toBe("begin");
  });

  it("never deletes a saved response when released, nor another attempt's lease", async () => {
    const { stub } = await frozenGate();
    const leaseId = await lease(stub);
    await stub.complete({ ...key(), leaseId, requestId: "req_1", response: saved("kept") });
    await stub.complete({ ...key(), leaseId, requestId: "req_1", response: null });
    expect((await stub.begin(key())).outcome).toBe("replay");
    const other = { scope: "POST /v1/x k-other", fingerprint: "fp" };
    await lease(stub, other);
    await stub.complete({ ...other, leaseId: "not-the-lease", requestId: "req_2", response: null });
    expect((await stub.begin(other)).outcome).toBe("in_use");
  });

  it("lets another attempt take over a lapsed lease, and ignores the stale attempt's completion", async () => {
    const { stub, clock } = await frozenGate();
    const first = await lease(stub);
    clock.now += LEASE_MS - 1;
    expect((await stub.begin(key())).outcome).toBe("in_use");
    clock.now += 1;
    const second = await lease(stub);
    await stub.complete({ ...key(), leaseId: first, requestId: "req_old", response: saved("old") });
    expect((await stub.begin(key())).outcome).toBe("in_use");
    await stub.complete({ ...key(), leaseId: second, requestId: "req_new", response: saved("new") });
    const replay = await stub.begin(key());
    if (replay.outcome !== "replay") throw new Error(replay.outcome);
    expect(new TextDecoder().decode(replay.response.body)).toBe("new");
  });

  it("a begin racing the complete, each through its own stub, is in_use or replay, never begin (20 rounds)", async () => {
    const name = `test-gate-race-${++seq}`;
    const outcomes = { in_use: 0, replay: 0 };
    for (let round = 0; round < 20; round++) {
      const k = { scope: `POST /v1/x race-${round}`, fingerprint: "fp" };
      const leaseId = await lease(env.MERCHANT_GATE.getByName(name), k);
      const fresh = () => env.MERCHANT_GATE.getByName(name);
      const before = Array.from({ length: 5 }, () => fresh().begin(k));
      const completed = fresh().complete({ ...k, leaseId, requestId: `req_${round}`, response: saved("one") });
      const after = Array.from({ length: 5 }, () => fresh().begin(k));
      const results = await Promise.all([...before, ...after]);
      await completed;
      for (const r of results) {
        expect(r.outcome === "in_use" || r.outcome === "replay").toBe(true);
        if (r.outcome === "in_use" || r.outcome === "replay") outcomes[r.outcome]++;
      }
      expect((await fresh().begin(k)).outcome).toBe("replay");
    }
    expect(outcomes.in_use).toBeGreaterThan(0);
    expect(outcomes.replay).toBeGreaterThan(0);
  });

  it("prunes keys after 24 h with the alarm, and a pruned key acts as new", async () => {
    const { stub, clock } = await frozenGate();
    const first = await lease(stub);
    await stub.complete({ ...key(), leaseId: first, requestId: "req_1", response: saved("x") });
    clock.now += RETENTION_MS / 2;
    const later = { scope: "POST /v1/x k2", fingerprint: "fp" };
    const second = await lease(stub, later);
    await stub.complete({ ...later, leaseId: second, requestId: "req_2", response: saved("y") });

    clock.now += RETENTION_MS / 2;
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const count = () =>
      runInDurableObject(
        stub,
        (_i: MerchantGate, state) =>
          state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM idempotency_keys").one().n,
      );
    expect(await count()).toBe(1);
    // The alarm re-armed itself for the second key.
    expect(await runInDurableObject(stub, (_i: MerchantGate, state) => state.storage.getAlarm())).toBe(
      clock.now + RETENTION_MS / 2,
    );
    expect((await stub.begin(key("a different body"))).outcome).toBe("begin");
    expect((await stub.begin(later)).outcome).toBe("replay");
    clock.now += RETENTION_MS / 2;
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await count()).toBe(1); // only the key begun after the first pruning is left
  });

  it("keeps saved responses across eviction", async () => {
    const stub = env.MERCHANT_GATE.getByName(`test-gate-evict-${++seq}`);
    const leaseId = await lease(stub);
    await stub.complete({ ...key(), leaseId, requestId: "req_1", response: saved("kept") });
    await evictDurableObject(stub);
    const replay = await stub.begin(key());
    if (replay.outcome !== "replay") throw new Error(replay.outcome);
    expect(new TextDecoder().decode(replay.response.body)).toBe("kept");
    expect(replay.response.headers).toEqual([["content-type", "application/json"]]);
  });
});

describe("client authentication throttle", () => {
  const pair = clientSourcePolicy("192.0.2.1");
  const budgets = [pair, CLIENT_AUTH_FAILURES];

  it("takes budgets in order, stopping at the first empty one; a refund gives the taken ones back", async () => {
    const { stub, clock } = await frozenGate();
    for (let i = 0; i < 3; i++) {
      expect(await stub.authAttempt(budgets)).toEqual({ taken: 2, retryAfterSec: 0 });
      await stub.refund(budgets);
    }
    const attempts = await Promise.all(Array.from({ length: 12 }, () => stub.authAttempt(budgets)));
    expect(attempts.filter((a) => a.taken === 2)).toHaveLength(10);
    expect(attempts.filter((a) => a.taken === 0)[0]).toEqual({ taken: 0, retryAfterSec: 6 });
    clock.now += 5_999;
    expect((await stub.authAttempt(budgets)).taken).toBe(0);
    clock.now += 1;
    expect(await stub.authAttempt(budgets)).toEqual({ taken: 2, retryAfterSec: 0 });
    // Another source has its own pair bucket, and shares the client id's 100 (89 left).
    const other = [clientSourcePolicy("192.0.2.2"), CLIENT_AUTH_FAILURES];
    expect(await stub.authAttempt(other)).toEqual({ taken: 2, retryAfterSec: 0 });
  });

  it("stops at the client id's budget after the pair's is taken", async () => {
    const { stub } = await frozenGate();
    for (let i = 0; i < 10; i++) {
      const sources = Array.from({ length: 10 }, (_, j) => [
        clientSourcePolicy(`10.0.${i}.${j}`),
        CLIENT_AUTH_FAILURES,
      ]);
      await Promise.all(sources.map((p) => stub.authAttempt(p)));
    }
    expect(await stub.authAttempt(budgets)).toEqual({ taken: 1, retryAfterSec: 1 });
  });
});

describe("placement near the D1 primary", () => {
  it("reads D1_PRIMARY_HINT: empty is no hint, a Cloudflare location hint is used, anything else is refused", () => {
    expect(primaryHint("")).toBeUndefined();
    expect(primaryHint(undefined)).toBeUndefined();
    expect(primaryHint("weur")).toBe("weur");
    expect(primaryHint("apac-ne")).toBe("apac-ne");
    for (const bad of ["WEUR", "eu", "us-east-1", " weur"]) expect(() => primaryHint(bad)).toThrow(/D1_PRIMARY_HINT/);
  });

  it("creates and reaches merchant gate objects with and without a hint", async () => {
    const name = `test-gate-hint-${++seq}`;
    const hinted = merchantGate({ MERCHANT_GATE: env.MERCHANT_GATE, D1_PRIMARY_HINT: "enam" }, name);
    expect(await hinted.ping()).toBe("pong");
    expect(await merchantGate(env, name).ping()).toBe("pong");
    expect(hinted.id.equals(env.MERCHANT_GATE.idFromName(name))).toBe(true);
  });
});
