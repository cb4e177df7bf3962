/**
 * Alert evaluation over real metrics (no seam for the numbers): real requests answered 5xx by an
 * app the real factory builds (its metrics middleware records them into the rollup objects), then
 * `runAlerts` reads them through `queryMetrics`. Under the default volume guard (50 requests) the
 * rule stays ok; at a test threshold of 10 requests it fires and sends one verified alert. The real
 * minute cron evaluates without failing.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { DEFAULT_THRESHOLDS } from "../../src/domain/alerts";
import worker from "../../src/index";
import { runAlerts } from "../../src/monitoring/alerts";
import { queryMetrics } from "../../src/monitoring/query";
import { WEBHOOK_DISPATCH_CRON } from "../../src/scheduled";
import { configureHook, resetAlerting } from "../helpers/alerting";
import { receiverScope } from "../helpers/deliveries";
import { BASE } from "../helpers/http";

/** An app built by the real factory with one route that crashes (a 500 with the error envelope). */
function crashingApp() {
  const app = createApp();
  app.get("/test/boom", () => {
    throw new Error("boom");
  });
  return app;
}

beforeEach(resetAlerting);

describe("alerts over real metrics", () => {
  it("fires error_rate_5xx from real 5xx answers at a test volume, and not under the default guard", async () => {
    const rx = receiverScope();
    const { secret } = await configureHook(rx.url("ok"));
    const app = crashingApp();
    for (let i = 0; i < 12; i++) expect((await app.request(`${BASE}/test/boom`, {}, env)).status).toBe(500);
    for (let i = 0; i < 3; i++) expect((await app.request(`${BASE}/health`, {}, env)).status).toBe(200);

    // The run one minute ahead, so the current (partial) minute is inside its last 5 full minutes.
    const at = Math.floor(Date.now() / 1000) + 60;
    const report = await queryMetrics(env, { from: at - 600, to: at, interval: 600, merchant: null });
    expect(report.totals.status["5xx"]).toBe(12);
    const requests = report.totals.requests;
    expect(requests).toBeLessThan(DEFAULT_THRESHOLDS.minRequests);

    const guarded = await runAlerts(env, { now: at });
    expect(guarded.find((r) => r.rule === "error_rate_5xx")).toMatchObject({
      state: "ok",
      enough_volume: false,
      delivery: "none",
    });
    expect(await rx.received()).toHaveLength(0);

    const thresholds = { ...DEFAULT_THRESHOLDS, minRequests: 10 };
    const fired = await runAlerts(env, { now: at, thresholds });
    const rule = fired.find((r) => r.rule === "error_rate_5xx");
    expect(rule).toMatchObject({ state: "firing", transition: "alert.firing", delivery: "sent" });
    expect(rule?.value).toBe(Math.round((12 / requests) * 10_000) / 100);

    const got = await rx.received();
    expect(got).toHaveLength(1);
    const r = got[0] as (typeof got)[number];
    const payload = new Webhook(secret).verify(r.body, {
      "webhook-id": r.headers["webhook-id"] as string,
      "webhook-timestamp": r.headers["webhook-timestamp"] as string,
      "webhook-signature": r.headers["webhook-signature"] as string,
    });
    expect(payload).toMatchObject({ type: "alert.firing", rule: "error_rate_5xx", threshold: 2, value: rule?.value });

    // The same metrics a minute later: still firing, nothing more sent.
    await runAlerts(env, { now: at + 60, thresholds });
    expect(await rx.received()).toHaveLength(1);
  });

  it("is evaluated by the real minute cron without failing", async () => {
    const errors = vi.spyOn(console, "error");
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: WEBHOOK_DISPATCH_CRON }), env, ctx);
    await waitOnExecutionContext(ctx);
    const logged = errors.mock.calls.map((c) => String(c[0])).join("\n");
    expect(logged).not.toContain("alert_evaluation_failed");
    expect(logged).not.toContain("webhook_dispatch_cron_failed");
    errors.mockRestore();
  });
});
