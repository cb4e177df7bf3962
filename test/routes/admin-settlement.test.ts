/**
 * Operator settlement API: a merchant's terms (defaults, update, validation, audit), and the run
 * "as of" a time (happy path, errors, and security: operator token only).
 */
import { env } from "cloudflare:workers";
import { desc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/client";
import { auditLog } from "../../src/db/schema";
import { call, json } from "../helpers/http";
import { newMerchant, operatorHeaders } from "../helpers/merchants";

const path = (id: string) => `/admin/v1/merchants/${id}/settlement`;

async function asOperator(p: string, body?: unknown) {
  const init = body === undefined ? { method: "GET" } : json(body);
  const res = await call(p, { ...init, headers: { ...init.headers, ...operatorHeaders() } });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields.
  return { status: res.status, body: (await res.json()) as any };
}

describe("settlement terms", () => {
  it("are the defaults until set, then what the operator set; the bank account keeps only its last 4", async () => {
    const m = await newMerchant();
    expect((await asOperator(path(m.merchantId))).body).toEqual({
      object: "settlement_terms",
      merchant: m.merchantId,
      fee_bps: 0,
      fee_fixed: {},
      refund_fees: false,
      delay_days: 2,
      payout_schedule: { interval: "daily", weekly_anchor: "monday" },
      bank_account: null,
      updated: expect.any(Number),
    });
    const set = await asOperator(path(m.merchantId), {
      fee_bps: 290,
      fee_fixed: { usd: 30, jpy: 30 },
      refund_fees: true,
      delay_days: 7,
      payout_schedule: { interval: "weekly", weekly_anchor: "friday" },
      bank_account: { account_number: "000123456789" },
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      fee_bps: 290,
      fee_fixed: { usd: 30, jpy: 30 },
      refund_fees: true,
      delay_days: 7,
      payout_schedule: { interval: "weekly", weekly_anchor: "friday" },
      bank_account: { last4: "6789" },
    });
    expect(JSON.stringify(set.body)).not.toContain("000123456789");
    // A partial update changes only what it names.
    const again = await asOperator(path(m.merchantId), { delay_days: 1 });
    expect(again.body).toMatchObject({ fee_bps: 290, delay_days: 1, bank_account: { last4: "6789" } });
    const [audit] = await controlDb(env)
      .select()
      .from(auditLog)
      .where(eq(auditLog.targetId, m.merchantId))
      .orderBy(desc(auditLog.created))
      .limit(1)
      .all();
    expect(audit?.action).toBe("merchant.settlement.updated");
    expect(JSON.stringify(audit)).not.toContain("000123456789");
  });

  it("refuses bad terms with a 400 naming the parameter, changing nothing", async () => {
    const m = await newMerchant();
    for (const [body, param] of [
      [{ fee_bps: 10_001 }, "fee_bps"],
      [{ fee_bps: 2.5 }, "fee_bps"],
      [{ fee_bps: -1 }, "fee_bps"],
      [{ delay_days: 31 }, "delay_days"],
      [{ fee_fixed: { usd: -1 } }, "fee_fixed[usd]"],
      [{ fee_fixed: { xyz: 1 } }, "fee_fixed"],
      [{ payout_schedule: { interval: "hourly" } }, "payout_schedule[interval]"],
      [{ bank_account: { account_number: "12ab" } }, "bank_account[account_number]"],
      [{ colour: "red" }, "colour"],
    ] as const) {
      const res = await asOperator(path(m.merchantId), body);
      expect([res.status, res.body.error?.param], JSON.stringify(body)).toEqual([400, param]);
    }
    expect((await asOperator(path(m.merchantId))).body).toMatchObject({ fee_bps: 0, delay_days: 2 });
    const missing = await asOperator(path("mer_MissingMissingMissing12"), { fee_bps: 1 });
    expect([missing.status, missing.body.error.code]).toEqual([404, "resource_missing"]);
  });

  it("are the operator's only: no token or a merchant's token is a 401", async () => {
    const m = await newMerchant();
    for (const headers of [{}, m.headers]) {
      const read = await call(path(m.merchantId), { headers });
      const write = await call(path(m.merchantId), {
        ...json({ fee_bps: 1 }),
        headers: { ...json({}).headers, ...headers },
      });
      const run = await call("/admin/v1/settlement/runs", {
        ...json({}),
        headers: { ...json({}).headers, ...headers },
      });
      expect([read.status, write.status, run.status]).toEqual([401, 401, 401]);
    }
    expect((await asOperator(path(m.merchantId))).body.fee_bps).toBe(0);
  });
});

describe("POST /admin/v1/settlement/runs", () => {
  it("runs as of a time and says what it did; bad input is a 400 naming as_of", async () => {
    const run = await asOperator("/admin/v1/settlement/runs", { as_of: 1_800_000_000 });
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ object: "settlement_run", as_of: 1_800_000_000, cutoff: 1_799_971_200 });
    for (const as_of of [-1, "soon", 1.5]) {
      const bad = await asOperator("/admin/v1/settlement/runs", { as_of });
      expect([bad.status, bad.body.error.param]).toEqual([400, "as_of"]);
    }
  });
});
