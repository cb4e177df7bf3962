/**
 * Alert evaluation against the real receiver (test/receiver/server.ts), with the metrics given
 * through the `metrics` seam: a transition sends exactly one alert, signed so that the
 * `standardwebhooks` library verifies it; an unchanged state sends nothing; recovery sends one
 * `alert.resolved`; a failed delivery keeps the state and is retried by the next run under the
 * same `webhook-id`, never twice after it succeeded; overlapping runs send once; no hook (or a
 * disabled one) changes state silently; logs never carry the URL or the secret.
 */
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { MetricsWindow, WindowStats } from "../../src/domain/metrics-report";
import { alertWindows, type MetricsSource, runAlerts } from "../../src/monitoring/alerts";
import { alerting, configureHook, resetAlerting } from "../helpers/alerting";
import { type Received, receiverScope } from "../helpers/deliveries";
import { report, stats } from "../helpers/metrics";

/** A source answering `current` for the 5-minute window and `baseline` for the hour, recording what it was asked. */
function source(current: WindowStats, baseline: WindowStats = stats(), asked: MetricsWindow[] = []): MetricsSource {
  return async (_env, window) => {
    asked.push(window);
    return report(window, window.interval === 300 ? current : baseline);
  };
}

const failing = stats({ requests: 100, s5xx: 10 });
const healthy = stats({ requests: 100, s5xx: 1 });
const now = () => Math.floor(Date.now() / 1000);
const outcome = async (run: ReturnType<typeof runAlerts>, rule = "error_rate_5xx") =>
  (await run).find((r) => r.rule === rule);

/** Verifies one received alert with the standardwebhooks library and returns its payload. */
function verified(secret: string, r: Received) {
  return new Webhook(secret).verify(r.body, {
    "webhook-id": r.headers["webhook-id"] as string,
    "webhook-timestamp": r.headers["webhook-timestamp"] as string,
    "webhook-signature": r.headers["webhook-signature"] as string,
  }) as Record<string, unknown>;
}

beforeEach(resetAlerting);
afterEach(() => vi.restoreAllMocks());

describe("runAlerts", () => {
  it("asks for the last 5 full minutes and the hour before them", async () => {
    const asked: MetricsWindow[] = [];
    const t = 1_800_000_037;
    await runAlerts(env, { now: t, metrics: source(stats(), stats(), asked) });
    const { current, baseline } = alertWindows(t);
    expect(current).toEqual({ from: 1_800_000_000 - 300, to: 1_800_000_000, interval: 300, merchant: null });
    expect(baseline).toEqual({ from: current.from - 3600, to: current.from, interval: 3600, merchant: null });
    expect(asked.sort((a, b) => a.interval - b.interval)).toEqual([current, baseline]);
  });

  it("sends exactly one signed alert.firing on ok → firing, which standardwebhooks verifies", async () => {
    const rx = receiverScope();
    const { secret } = await configureHook(rx.url("ok"));
    const t = now();
    const result = await outcome(runAlerts(env, { now: t, metrics: source(failing) }));
    expect(result).toMatchObject({ state: "firing", transition: "alert.firing", delivery: "sent", value: 10 });

    const got = await rx.received();
    expect(got).toHaveLength(1);
    const [alert] = got as [Received];
    const window = alertWindows(t).current;
    expect(verified(secret, alert)).toEqual({
      type: "alert.firing",
      rule: "error_rate_5xx",
      value: 10,
      threshold: 2,
      window: { from: window.from, to: window.to },
      fired_at: t,
    });
    expect(alert.headers["webhook-id"]).toMatch(/^msg_alert_error_rate_5xx_\d+_firing$/);
    expect(alert.headers["webhook-timestamp"]).toBe(String(t));
    expect(alert.headers["content-type"]).toBe("application/json");
    // A wrong secret does not verify.
    expect(() => verified(`whsec_${btoa("x".repeat(32))}`, alert)).toThrow();

    const state = (await alerting()).body.rules.find((r: { rule: string }) => r.rule === "error_rate_5xx");
    expect(state).toMatchObject({ state: "firing", since: t, last_notified: t });
  });

  it("sends nothing while the state is unchanged, then one alert.resolved after recovery", async () => {
    const rx = receiverScope();
    const { secret } = await configureHook(rx.url("ok"));
    const t = now();
    await runAlerts(env, { now: t, metrics: source(failing) });
    expect(await outcome(runAlerts(env, { now: t + 60, metrics: source(failing) }))).toMatchObject({
      state: "firing",
      transition: null,
      delivery: "none",
    });
    expect(await rx.received()).toHaveLength(1);

    expect(await outcome(runAlerts(env, { now: t + 120, metrics: source(healthy) }))).toMatchObject({
      state: "ok",
      transition: "alert.resolved",
      delivery: "sent",
    });
    await runAlerts(env, { now: t + 180, metrics: source(healthy) });
    const got = await rx.received();
    expect(got).toHaveLength(2);
    expect(verified(secret, got[1] as Received)).toMatchObject({
      type: "alert.resolved",
      rule: "error_rate_5xx",
      value: 1,
    });
    // The quiet rules never sent anything.
    expect(got.every((r) => JSON.parse(r.body).rule === "error_rate_5xx")).toBe(true);
  });

  it("keeps the state when delivery fails and retries next run under the same webhook-id, once", async () => {
    const rx = receiverScope();
    const { secret } = await configureHook(rx.url("fail-1"));
    const errors = vi.spyOn(console, "error");
    const t = now();
    expect(await outcome(runAlerts(env, { now: t, metrics: source(failing) }))).toMatchObject({
      delivery: "failed",
      transition: "alert.firing",
    });
    const after = (await alerting()).body.rules.find((r: { rule: string }) => r.rule === "error_rate_5xx");
    expect(after).toMatchObject({ state: "ok", last_notified: null });

    expect(await outcome(runAlerts(env, { now: t + 60, metrics: source(failing) }))).toMatchObject({
      delivery: "sent",
    });
    await runAlerts(env, { now: t + 120, metrics: source(failing) });
    const got = await rx.received();
    expect(got).toHaveLength(2);
    expect(got[0]?.headers["webhook-id"]).toBe(got[1]?.headers["webhook-id"]);
    expect(verified(secret, got[1] as Received)).toMatchObject({ type: "alert.firing", fired_at: t + 60 });

    const logged = errors.mock.calls.map((c) => String(c[0])).join("\n");
    expect(logged).toContain("alert_delivery_failed");
    for (const leak of [rx.prefix, "127.0.0.1", secret, secret.slice(6)]) expect(logged).not.toContain(leak);
  });

  it("fails a delivery at its timeout, state unchanged", async () => {
    const rx = receiverScope();
    await configureHook(rx.url("slow-2000"));
    const result = await outcome(runAlerts(env, { now: now(), metrics: source(failing), timeoutMs: 200 }));
    expect(result).toMatchObject({ delivery: "failed" });
    expect((await alerting()).body.rules[1]).toMatchObject({ rule: "error_rate_5xx", state: "ok" });
  });

  it("sends once when two runs overlap", async () => {
    const rx = receiverScope();
    await configureHook(rx.url("slow-300"));
    const t = now();
    const runs = await Promise.all([
      outcome(runAlerts(env, { now: t, metrics: source(failing) })),
      outcome(runAlerts(env, { now: t, metrics: source(failing) })),
    ]);
    expect(runs.map((r) => r?.delivery).sort()).toEqual(["held", "sent"]);
    expect(await rx.received()).toHaveLength(1);
  });

  it("changes state silently without a hook, or with a disabled one", async () => {
    const t = now();
    expect(await outcome(runAlerts(env, { now: t, metrics: source(failing) }))).toMatchObject({
      state: "firing",
      delivery: "silent",
    });
    const rx = receiverScope();
    await configureHook(rx.url("ok"));
    await alerting({ enabled: false });
    expect(await outcome(runAlerts(env, { now: t + 60, metrics: source(healthy) }))).toMatchObject({
      transition: "alert.resolved",
      delivery: "silent",
    });
    expect((await alerting()).body.rules[1]).toMatchObject({ state: "ok", since: t + 60, last_notified: null });
    expect(await rx.received()).toHaveLength(0);
  });

  it("fires each rule on its own metrics: an authorization drop and a slow p99", async () => {
    const rx = receiverScope();
    await configureHook(rx.url("ok"));
    const current = stats({ requests: 100, succeeded: 10, declined: 30, p99: 2500 });
    const baseline = stats({ requests: 1000, succeeded: 900, declined: 100 });
    const results = await runAlerts(env, { now: now(), metrics: source(current, baseline) });
    expect(results.map((r) => [r.rule, r.state, r.delivery])).toEqual([
      ["authorization_rate_drop", "firing", "sent"],
      ["error_rate_5xx", "ok", "none"],
      ["latency_p99", "firing", "sent"],
    ]);
    const bodies = (await rx.received()).map((r) => JSON.parse(r.body)).sort((a, b) => a.rule.localeCompare(b.rule));
    expect(bodies.map((b) => [b.rule, b.value, b.threshold])).toEqual([
      ["authorization_rate_drop", 65, 20],
      ["latency_p99", 2500, 2000],
    ]);
  });
});
