/**
 * MetricsRollup: concurrent records lose nothing, the series per minute are bounded (the rest folded
 * into `_other` with exact counts), rows past the retention are deleted, and a query re-keys by interval.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { bucketOf, type Point, type Series, seriesOf } from "../../src/domain/metrics";
import {
  MAX_SERIES_PER_MERCHANT_MINUTE,
  MAX_SERIES_PER_MINUTE,
  type MetricsRollup,
  OVERFLOW,
  RETENTION_SECONDS,
} from "../../src/durable/metrics-rollup";

let n = 0;
/** A fresh object, so each test sees only its own rows. */
function rollup() {
  return env.METRICS_ROLLUP.getByName(`test-rollup-${Date.now()}-${n++}`);
}

const nowMinute = () => Math.floor(Date.now() / 60_000) * 60;

function series(over: Partial<Point> = {}): Series {
  return seriesOf({
    at: nowMinute() * 1000,
    merchant: "mer_a",
    route: "GET /v1/balance",
    status: 200,
    latencyMs: 12,
    processorMs: null,
    authorization: null,
    ...over,
  });
}

const window = (merchant: string | null = null) => ({
  from: nowMinute() - 600,
  to: nowMinute() + 60,
  interval: 660,
  merchant,
});

describe("MetricsRollup", () => {
  it("loses no update under 40 concurrent records", async () => {
    const stub = rollup();
    await Promise.all(Array.from({ length: 40 }, () => stub.record([series(), series({ status: 404 })])));
    const answer = await stub.query(window("mer_a"));
    const counts = Object.fromEntries(answer.series.map((s) => [s.status, s.count]));
    expect(counts).toEqual({ "2xx": 40, "4xx": 40 });
    expect(answer.series.find((s) => s.status === "2xx")?.latency).toEqual({ [bucketOf(12)]: 40 });
  });

  it("keeps at most MAX_SERIES_PER_MINUTE series a minute and folds the rest with exact counts", async () => {
    const stub = rollup();
    const total = MAX_SERIES_PER_MINUTE + 25;
    const batch = Array.from({ length: total }, (_, i) => series({ merchant: `mer_${i}` }));
    await stub.record(batch.slice(0, 1000));
    await stub.record(batch.slice(1000));
    const rows = await runInDurableObject(
      stub,
      (_: MetricsRollup, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM series").one().n,
    );
    expect(rows).toBe(MAX_SERIES_PER_MINUTE + 1);
    const answer = await stub.query(window());
    expect(answer.series.reduce((sum, s) => sum + s.count, 0)).toBe(total);
    expect(answer.merchants.find((m) => m.merchant === OVERFLOW)?.requests).toBe(25);
  });

  it("keeps at most MAX_SERIES_PER_MERCHANT_MINUTE series of one merchant, so it cannot crowd out another", async () => {
    const stub = rollup();
    const noisy = Array.from({ length: MAX_SERIES_PER_MERCHANT_MINUTE + 50 }, (_, i) =>
      series({ merchant: "mer_noisy", route: `GET /v1/r${i}` }),
    );
    await stub.record(noisy);
    await stub.record([series({ merchant: "mer_quiet", route: "GET /v1/quiet" })]);
    const noisyView = await stub.query(window("mer_noisy"));
    expect(noisyView.series.reduce((sum, s) => sum + s.count, 0)).toBe(MAX_SERIES_PER_MERCHANT_MINUTE + 50);
    const rows = await runInDurableObject(stub, (_: MetricsRollup, state) =>
      state.storage.sql.exec<{ merchant: string; route: string }>("SELECT merchant, route FROM series").toArray(),
    );
    expect(rows.filter((r) => r.merchant === "mer_noisy")).toHaveLength(MAX_SERIES_PER_MERCHANT_MINUTE + 1);
    expect(rows.filter((r) => r.merchant === "mer_noisy" && r.route === OVERFLOW)).toHaveLength(1);
    expect(rows).toContainEqual({ merchant: "mer_quiet", route: "GET /v1/quiet" });
  });

  it("deletes rows older than the retention on the first write of a minute", async () => {
    const stub = rollup();
    const old = series({ at: (nowMinute() - RETENTION_SECONDS - 120) * 1000 });
    await stub.record([old]);
    const count = () =>
      runInDurableObject(
        stub,
        (_: MetricsRollup, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM series").one().n,
      );
    expect(await count()).toBe(1);
    // The next minute's first write prunes: make this object believe its last prune was long ago.
    await runInDurableObject(stub, (instance: MetricsRollup) => {
      (instance as unknown as { prunedMinute: number }).prunedMinute = 0;
    });
    await stub.record([series()]);
    expect(await count()).toBe(1);
    const answer = await stub.query({ ...window(), from: nowMinute() - RETENTION_SECONDS - 600 });
    expect(answer.series.reduce((sum, s) => sum + s.count, 0)).toBe(1);
  });

  it("answers series keyed by interval start, folded across merchants unless one is asked", async () => {
    const stub = rollup();
    await stub.record([series({ merchant: "mer_a" }), series({ merchant: "mer_b" }), series({ merchant: "mer_b" })]);
    const all = await stub.query(window());
    expect(all.series).toHaveLength(1);
    expect(all.series[0]).toMatchObject({ minute: nowMinute() - 600, merchant: "", count: 3 });
    expect(all.merchants.sort((a, b) => a.merchant.localeCompare(b.merchant))).toEqual([
      { merchant: "mer_a", requests: 1, errors_4xx: 0, errors_5xx: 0 },
      { merchant: "mer_b", requests: 2, errors_4xx: 0, errors_5xx: 0 },
    ]);
    const one = await stub.query(window("mer_b"));
    expect(one.series).toEqual([expect.objectContaining({ merchant: "mer_b", count: 2 })]);
    expect(one.merchants).toEqual([]);
  });
});
