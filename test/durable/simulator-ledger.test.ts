/** SimulatorLedger: a merchant's settled operations, one line per key (the first kept), read a day at a time in key order. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { SettlementLine } from "../../src/durable/simulator-ledger";
import { randomBase62 } from "../../src/lib/ids";

const line = (key: string, date: string, amount: number): SettlementLine => ({
  key,
  date,
  type: "capture",
  reference: `auth_${"a".repeat(24)}_${amount}`,
  operation: `capture_${"b".repeat(24)}`,
  amount,
  currency: "usd",
  settled: Math.floor(Date.parse(`${date}T12:00:00Z`) / 1000),
});

describe("SimulatorLedger", () => {
  it("keeps a key's first line whatever day it is repeated on, and pages a day's file in key order", async () => {
    const ledger = env.SIMULATOR_LEDGER.getByName(`mer_${randomBase62(12)}`);
    await ledger.record(line("k_b", "2026-11-30", 200));
    await ledger.record(line("k_a", "2026-11-30", 100));
    await ledger.record(line("k_c", "2026-11-30", 300));
    // A retry of k_a the next day (an unknown outcome reconciled later) settles nothing twice.
    await ledger.record(line("k_a", "2026-12-01", 999));
    await ledger.record(line("k_d", "2026-12-01", 400));
    const first = await ledger.file("2026-11-30", null, 2);
    expect(first.map((l) => [l.key, l.amount])).toEqual([
      ["k_a", 100],
      ["k_b", 200],
    ]);
    expect((await ledger.file("2026-11-30", "k_b", 2)).map((l) => l.key)).toEqual(["k_c"]);
    expect((await ledger.file("2026-12-01", null, 10)).map((l) => l.key)).toEqual(["k_d"]);
    expect(first[0]).toEqual(line("k_a", "2026-11-30", 100));
  });
});
