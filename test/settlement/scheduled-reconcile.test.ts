/** The cron's reconciliation: yesterday, once a day (the first sweep of RECONCILE_HOUR_UTC), on every shard. */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RECONCILE_HOUR_UTC, scheduledReconcile } from "../../src/scheduled";

afterEach(() => vi.restoreAllMocks());

/** The dates of the `reconciliation_run` log lines written while `work` runs. */
async function runsDuring(work: () => Promise<void>): Promise<string[]> {
  const info = vi.spyOn(console, "info");
  await work();
  const calls = [...info.mock.calls];
  info.mockRestore();
  return calls
    .map((c) => JSON.parse(String(c[0])))
    .filter((l) => l.event === "reconciliation_run")
    .map((l) => `${l.shard}:${l.date}`);
}

describe("scheduledReconcile", () => {
  it("reconciles yesterday on every shard in the first quarter hour of its hour, and does nothing otherwise", async () => {
    const at = (hhmm: string) => Date.parse(`2026-11-30T${hhmm}:00Z`);
    const hour = String(RECONCILE_HOUR_UTC).padStart(2, "0");
    expect(await runsDuring(() => scheduledReconcile(env, at(`${hour}:05`)))).toEqual(["0:2026-11-29", "1:2026-11-29"]);
    expect(await runsDuring(() => scheduledReconcile(env, at(`${hour}:15`)))).toEqual([]);
    expect(await runsDuring(() => scheduledReconcile(env, at("12:00")))).toEqual([]);
  });
});
