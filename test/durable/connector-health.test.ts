/** ConnectorHealth through its real binding: concurrent errors trip it, the cool-down ends on time, reset, retention, names. */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { COOL_DOWN_MS, type HealthState, MIN_SAMPLES, WINDOW_SECONDS } from "../../src/domain/connector-health";
import { newId } from "../../src/lib/ids";

const connector = () => newId("mca");
const stored = (stub: DurableObjectStub<import("../../src/durable/connector-health").ConnectorHealth>) =>
  runInDurableObject(stub, (_, ctx) => ctx.storage.kv.get<HealthState>("state") ?? null);

describe("ConnectorHealth", () => {
  it("trips on MIN_SAMPLES concurrent errors, and the cool-down ends after exactly COOL_DOWN_MS", async () => {
    const id = connector();
    const before = Date.now();
    // Each call through its own stub, all at once: none of the 20 updates is lost.
    await Promise.all(Array.from({ length: MIN_SAMPLES }, () => env.CONNECTOR_HEALTH.getByName(id).record(false)));
    const stub = env.CONNECTOR_HEALTH.getByName(id);
    const status = await stub.status();
    expect(status).toMatchObject({ healthy: false, successes: 0, errors: MIN_SAMPLES, errorRate: 1, trips: 1 });
    const until = status.coolUntil as number;
    expect(until).toBeGreaterThanOrEqual(before + COOL_DOWN_MS);
    expect(until).toBeLessThanOrEqual(Date.now() + COOL_DOWN_MS);
    expect((await stub.status(until - 1)).healthy).toBe(false);
    expect(await stub.status(until)).toEqual({
      healthy: true,
      coolUntil: null,
      successes: 0,
      errors: 0,
      errorRate: 0,
      trips: 1,
    });
  });

  it("is half-open after the cool-down: it trips again only after MIN_SAMPLES new calls", async () => {
    const stub = env.CONNECTOR_HEALTH.getByName(connector());
    const t = Date.now();
    await Promise.all(Array.from({ length: MIN_SAMPLES }, () => stub.record(false, t)));
    const after = t + COOL_DOWN_MS;
    for (let i = 0; i < MIN_SAMPLES - 1; i++) await stub.record(false, after);
    expect(await stub.status(after)).toMatchObject({ healthy: true, errors: MIN_SAMPLES - 1, trips: 1 });
    await stub.record(false, after);
    expect(await stub.status(after)).toMatchObject({ healthy: false, coolUntil: after + COOL_DOWN_MS, trips: 2 });
  });

  it("counts successes (an issuer's decline is one) and does not trip on them", async () => {
    const stub = env.CONNECTOR_HEALTH.getByName(connector());
    await Promise.all(Array.from({ length: 30 }, (_, i) => stub.record(i % 3 !== 0)));
    expect(await stub.status()).toMatchObject({ healthy: true, successes: 20, errors: 10 });
  });

  it("reset forgets the cool-down, the window and the trip count", async () => {
    const stub = env.CONNECTOR_HEALTH.getByName(connector());
    await Promise.all(Array.from({ length: MIN_SAMPLES }, () => stub.record(false)));
    expect((await stub.status()).healthy).toBe(false);
    await stub.reset();
    expect(await stub.status()).toMatchObject({ healthy: true, errors: 0, trips: 0 });
    expect(await stored(stub)).toBeNull();
  });

  it("keeps its storage bounded: the alarm drops what left the window, and keeps only the trip count", async () => {
    const stub = env.CONNECTOR_HEALTH.getByName(connector());
    await stub.record(true);
    // The alarm is armed for when the newest bucket leaves the window; run now, it keeps the live bucket.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stored(stub))?.buckets).toHaveLength(1);
    // A state whose buckets and cool-down are all in the past is forgotten by the alarm.
    const old = Date.now() - 2 * WINDOW_SECONDS * 1000;
    await runInDurableObject(stub, async (instance, ctx) => {
      ctx.storage.kv.put<HealthState>("state", {
        buckets: [{ start: old - (old % 10_000), successes: 3, errors: 1 }],
        coolUntil: null,
        trips: 0,
      });
      await instance.alarm();
    });
    expect(await stored(stub)).toBeNull();
    await runInDurableObject(stub, async (instance, ctx) => {
      ctx.storage.kv.put<HealthState>("state", {
        buckets: [{ start: old - (old % 10_000), successes: 0, errors: 20 }],
        coolUntil: old,
        trips: 4,
      });
      await instance.alarm();
    });
    expect(await stored(stub)).toEqual({ buckets: [], coolUntil: null, trips: 4 });
  });

  it("refuses a name that is not a connector id", async () => {
    // Called inside the object: a rejecting RPC through a stub leaks an unhandled rejection under
    // vitest-pool-workers (cloudflare/workers-sdk#14736), whatever the test does with it.
    for (const name of ["", "pm_123", "mca_a b", "builtin2"]) {
      const stub = env.CONNECTOR_HEALTH.getByName(name);
      await runInDurableObject(stub, async (instance) => {
        await expect(instance.status()).rejects.toThrow("not a connector id");
        await expect(instance.record(false)).rejects.toThrow("not a connector id");
        await expect(instance.reset()).rejects.toThrow("not a connector id");
      });
    }
    expect((await env.CONNECTOR_HEALTH.getByName("builtin").status()).healthy).toBe(true);
  });
});
