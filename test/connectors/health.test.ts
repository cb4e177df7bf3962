/** The payment flow's view of connector health: reports trip a connector, the per-isolate cache, the end of a cool-down, fail-open. */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { connectorHealthy, forgetHealth, reportHealth } from "../../src/connectors/health";
import { MIN_SAMPLES } from "../../src/domain/connector-health";
import { newId } from "../../src/lib/ids";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("connectorHealthy and reportHealth", () => {
  it("skips a connector tripped by reported errors until its cool-down ends", async () => {
    const id = newId("mca");
    await Promise.all(Array.from({ length: MIN_SAMPLES }, () => reportHealth(env, id, false)));
    expect(await connectorHealthy(env, id)).toBe(false);
    const { coolUntil } = await env.CONNECTOR_HEALTH.getByName(id).status();
    // The cached cool-down is not trusted past its end: the object is asked again.
    expect(await connectorHealthy(env, id, (coolUntil as number) - 1)).toBe(false);
    expect(await connectorHealthy(env, id, coolUntil as number)).toBe(true);
  });

  it("answers from the isolate's cache for up to 5 s", async () => {
    const id = newId("mca");
    expect(await connectorHealthy(env, id)).toBe(true);
    // Tripped behind the cache's back: this isolate still tries it until the entry expires or is forgotten.
    await Promise.all(Array.from({ length: MIN_SAMPLES }, () => env.CONNECTOR_HEALTH.getByName(id).record(false)));
    expect(await connectorHealthy(env, id)).toBe(true);
    forgetHealth(id);
    expect(await connectorHealthy(env, id)).toBe(false);
  });

  it("fails open on a connector it cannot ask, and logs it without echoing the id", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const broken = "4242424242424242";
    expect(await connectorHealthy(env, broken)).toBe(true);
    await expect(reportHealth(env, broken, false)).resolves.toBeUndefined();
    const lines = warn.mock.calls.map((c) => String(c[0]));
    expect(lines.map((l) => JSON.parse(l).event)).toEqual([
      "connector_health_unavailable",
      "connector_health_report_failed",
    ]);
    expect(lines.join("\n")).not.toContain(broken);
    // Not cached: the next call tries again (and fails open again).
    expect(await connectorHealthy(env, broken)).toBe(true);
    expect(warn).toHaveBeenCalledTimes(3);
  });
});
