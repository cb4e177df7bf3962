/**
 * Reconciliation against the simulator's real settlement file: payments captured and refunded
 * through the real Worker reconcile clean; a file tampered with through the `ProcessorReports` seam
 * (a line dropped, added, or with another amount) is flagged once, with the right kind, however
 * often the job runs; the file carries no card data.
 */
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { reconciliationItems } from "../../src/db/schema";
import { type ProcessorReports, type SettlementLine, simulatorReports } from "../../src/processor/settlement-file";
import { reconcileShard } from "../../src/settlement/reconcile";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { pay, post } from "../helpers/payments";
import { Faults } from "../helpers/processors";
import { dbOf, shardIndexOf } from "../helpers/shards";

const VISA = "4242424242424242";
const today = () => new Date().toISOString().slice(0, 10);

/** The merchant's settlement file for today, once it holds `n` lines (the simulator records in the background). */
async function fileOf(merchantId: string, n: number): Promise<SettlementLine[]> {
  for (let i = 0; i < 100; i++) {
    const lines = await simulatorReports(env).settlementFile(merchantId, today(), null, 500);
    if (lines.length >= n) return lines;
    await scheduler.wait(20);
  }
  throw new Error(`settlement file of ${merchantId} never reached ${n} lines`);
}

/** The simulator's reports with the first page of `merchantId`'s file passed through `edit`. */
function tampered(merchantId: string, edit: (lines: SettlementLine[]) => SettlementLine[]): ProcessorReports {
  const real = simulatorReports(env);
  return {
    settlementFile: async (m, date, after, limit) => {
      const page = await real.settlementFile(m, date, after, limit);
      return m === merchantId && after === null ? edit(page) : page;
    },
  };
}

/** The mismatches recorded for the merchant, sorted by kind. */
async function itemsOf(merchantId: string) {
  const rows = await (await dbOf(merchantId))
    .select()
    .from(reconciliationItems)
    .where(and(eq(reconciliationItems.merchantId, merchantId)))
    .all();
  return rows.sort((a, b) => a.kind.localeCompare(b.kind));
}

async function reconcile(m: TestMerchant, reports: ProcessorReports = simulatorReports(env)) {
  return reconcileShard(env, await shardIndexOf(m.merchantId), today(), { reports });
}

/** A paid (automatic capture) intent of `amount`; returns the intent. */
async function paid(m: TestMerchant, amount: number) {
  const res = await pay(m, VISA, { amount });
  expect(res.body.status).toBe("succeeded");
  return res.body;
}

afterEach(() => vi.restoreAllMocks());

describe("reconciliation against the simulator's settlement file", () => {
  it("captures (whole and partial) and refunds made through the Worker reconcile clean; a refused refund is not expected", async () => {
    const m = await newMerchant();
    const p1 = await paid(m, 1000);
    const manual = await pay(m, VISA, { amount: 2000, capture_method: "manual" });
    const captured = await post(m, `/v1/payment_intents/${manual.body.id}/capture`, { amount_to_capture: 1500 });
    expect(captured.body.status).toBe("succeeded");
    const refund = await post(m, "/v1/refunds", { payment_intent: p1.id, amount: 300 });
    expect(refund.body.status).toBe("succeeded");
    const faults = new Faults().set("refund", { kind: "refuse", reason: "declined" });
    const app = createApp({ payments: { processor: faults.factory } });
    const refused = await post(m, "/v1/refunds", { payment_intent: p1.id, amount: 200 }, { app });
    expect(refused.body.status).toBe("failed");

    const lines = await fileOf(m.merchantId, 3);
    expect(lines.map((l) => [l.type, l.amount, l.currency]).sort()).toEqual([
      ["capture", 1000, "usd"],
      ["capture", 1500, "usd"],
      ["refund", -300, "usd"],
    ]);
    const report = await reconcile(m);
    expect(report.done).toBe(true);
    expect(report.found).toEqual({ missing: 0, extra: 0, amount_differs: 0 });
    expect(await itemsOf(m.merchantId)).toEqual([]);
  });

  it("flags a dropped line, an added line and a changed amount once each, and a second run records nothing new", async () => {
    const m = await newMerchant();
    const p1 = await paid(m, 1000);
    const p2 = await paid(m, 2000);
    const refund = await post(m, "/v1/refunds", { payment_intent: p1.id, amount: 400 });
    const lines = await fileOf(m.merchantId, 3);
    const extra: SettlementLine = {
      key: "pi_ghost_capture_2",
      date: today(),
      type: "capture",
      reference: "auth_0123456789abcdef01234567_500",
      operation: "capture_0123456789abcdef01234567",
      amount: 500,
      currency: "usd",
      settled: Math.floor(Date.now() / 1000),
    };
    const reports = tampered(m.merchantId, (page) => [
      ...page
        .filter((l) => l.key !== refund.body.id)
        .map((l) => (l.type === "capture" && l.amount === 2000 ? { ...l, amount: 1999 } : l)),
      extra,
    ]);
    const alerts = vi.spyOn(console, "error");

    const first = await reconcile(m, reports);
    expect(first.found).toEqual({ missing: 1, extra: 1, amount_differs: 1 });
    expect(first.recorded).toEqual({ missing: 1, extra: 1, amount_differs: 1 });
    const alert = alerts.mock.calls
      .map((c) => JSON.parse(String(c[0])))
      .find((l) => l.event === "reconciliation_mismatch");
    expect(alert).toMatchObject({ level: "error", missing: 1, extra: 1, amount_differs: 1, date: today() });
    expect(JSON.stringify(alert)).not.toMatch(/4242|pm_|pi_|re_|auth_/);

    const second = await reconcile(m, reports);
    expect(second.found).toEqual({ missing: 1, extra: 1, amount_differs: 1 });
    expect(second.recorded).toEqual({ missing: 0, extra: 0, amount_differs: 0 });

    const items = await itemsOf(m.merchantId);
    expect(items.map((i) => i.kind)).toEqual(["amount_differs", "extra", "missing"]);
    const [differs, added, missing] = items;
    const captureOf2 = lines.find((l) => l.amount === 2000);
    expect(differs).toMatchObject({
      source: p2.latest_charge,
      matchKey: captureOf2?.reference,
      processorKey: captureOf2?.key,
      expectedAmount: 2000,
      reportedAmount: 1999,
      currency: "usd",
      date: today(),
    });
    expect(added).toMatchObject({
      source: null,
      matchKey: extra.reference,
      processorKey: extra.key,
      expectedAmount: null,
      reportedAmount: 500,
    });
    expect(missing).toMatchObject({
      source: refund.body.id,
      matchKey: refund.body.id,
      processorKey: null,
      expectedAmount: -400,
      reportedAmount: null,
    });
    expect(added?.id).toMatch(/^rci_/);
  });

  it("matches a booking dated just past midnight with the line the processor dated the day before", async () => {
    const m = await newMerchant();
    // The gateway's clock reads 00:10 tomorrow; the simulator dates its lines by the real clock (today).
    const tomorrow = new Date(Date.parse(`${today()}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    const at = Date.parse(`${tomorrow}T00:10:00Z`) / 1000;
    const app = createApp({ payments: { now: () => at } });
    const res = await pay(m, VISA, { amount: 700 }, app);
    expect(res.body.status).toBe("succeeded");
    await fileOf(m.merchantId, 1);
    const shard = await shardIndexOf(m.merchantId);
    for (const date of [today(), tomorrow]) {
      const report = await reconcileShard(env, shard, date, { reports: simulatorReports(env) });
      expect(report.found).toEqual({ missing: 0, extra: 0, amount_differs: 0 });
    }
    expect(await itemsOf(m.merchantId)).toEqual([]);
  });

  it("the simulator's file carries no card data: keys, references, amounts and currency only", async () => {
    const m = await newMerchant();
    const p = await paid(m, 1234);
    await post(m, "/v1/refunds", { payment_intent: p.id, amount: 34 });
    const lines = await fileOf(m.merchantId, 2);
    for (const line of lines) {
      expect(Object.keys(line).sort()).toEqual(
        ["amount", "currency", "date", "key", "operation", "reference", "settled", "type"].sort(),
      );
    }
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/4242|fingerprint|cvc|pm_|exp_|last4/i);
  });
});
