/**
 * Reports: an automatic payout's reconciliation lists exactly its balance transactions (charges net
 * of fees, refunds; never pending ones, never its own) and their net sums to its amount to the
 * unit; the balance report's lines add up, periods chain, and its ending balance is the ledger's;
 * both are CSV, need reporting:read, and never show another merchant's payout.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { payouts } from "../../src/db/schema";
import { DAY } from "../../src/domain/fees";
import { newKey } from "../helpers/api-keys";
import { call } from "../helpers/http";
import { pay, post } from "../helpers/payments";
import { funded, ledgerBalance, moneyProblems, runPayouts, setTerms, transactionsOf } from "../helpers/payouts";
import { neighbours } from "../helpers/shards";

async function csv(who: { headers: { authorization: string } }, path: string) {
  const res = await call(path, { headers: who.headers });
  const text = await res.text();
  const [header, ...lines] = text.split("\r\n").filter((l) => l !== "");
  return {
    status: res.status,
    type: res.headers.get("content-type"),
    text,
    header,
    rows: lines.map((l) => l.split(",")),
  };
}

describe("GET /v1/reporting/payout_reconciliation", () => {
  it("lists exactly the payout's transactions, whose net sums to its amount to the unit", async () => {
    const feeTerms = { feeBps: 290, feeFixed: JSON.stringify({ usd: 30 }) };
    const { m, db, asOf } = await funded([1000, 2499, 777], feeTerms);
    // A refund (from the available balance at once) and a payment still pending at the cut-off.
    const first = (await transactionsOf(db, m.merchantId)).find((t) => t.amount === 2499);
    expect((await post(m, "/v1/refunds", { charge: first?.source ?? "", amount: 333 })).status).toBe(200);
    await setTerms(db, m.merchantId, { ...feeTerms, delayDays: 30, bankLast4: "6789", bankBehaviour: "succeeds" });
    await pay(m, "4242424242424242", { amount: 5000 });
    await runPayouts(db, asOf);
    const [po] = await db.select().from(payouts).where(eq(payouts.merchantId, m.merchantId)).all();
    if (!po) throw new Error("no payout");

    const report = await csv(m, `/v1/reporting/payout_reconciliation?payout=${po.id}`);
    expect(report.status).toBe(200);
    expect(report.type).toBe("text/csv; charset=utf-8");
    expect(report.header).toBe(
      "automatic_payout_id,automatic_payout_effective_at,balance_transaction_id,created,available_on,currency,gross,fee,net,reporting_category,source_id,description",
    );
    const txns = await transactionsOf(db, m.merchantId);
    const expected = txns.filter((t) => t.status === "available" && t.type !== "payout").map((t) => t.id);
    expect(report.rows.map((r) => r[2]).sort()).toEqual(expected.sort());
    expect(new Set(report.rows.map((r) => r[9]))).toEqual(new Set(["charge", "refund"]));
    expect(report.rows.every((r) => r[0] === po.id && r[5] === "usd")).toBe(true);
    // Amounts are integers in minor units; gross − fee = net on every line; the nets sum to the payout.
    for (const r of report.rows) expect(Number(r[6]) - Number(r[7])).toBe(Number(r[8]));
    const net = report.rows.reduce((s, r) => s + Number(r[8]), 0);
    expect(net).toBe(po.amount);
    expect(po.amount).toBe(1000 + 2499 + 777 - 333 - (59 + 102 + 53));
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);
  });

  it("a manual payout is a 400, another merchant's or a missing one a 404, no payout param a 400", async () => {
    const [ma, mb] = await neighbours();
    const a = await funded([1000], { payoutSchedule: "manual" }, { merchant: ma });
    const b = await funded([1000], { payoutSchedule: "manual" }, { merchant: mb });
    const manual = (await post(a.m, "/v1/payouts", { amount: 100, currency: "usd" })).body.id;
    const r1 = await csv(a.m, `/v1/reporting/payout_reconciliation?payout=${manual}`);
    expect([r1.status, JSON.parse(r1.text).error.param]).toEqual([400, "payout"]);
    const r2 = await csv(b.m, `/v1/reporting/payout_reconciliation?payout=${manual}`);
    expect([r2.status, JSON.parse(r2.text).error.code]).toEqual([404, "resource_missing"]);
    const r3 = await csv(a.m, "/v1/reporting/payout_reconciliation");
    expect([r3.status, JSON.parse(r3.text).error.code]).toEqual([400, "parameter_missing"]);
  });

  it("needs reporting:read; a publishable key is refused", async () => {
    const { m } = await funded([1000]);
    const rk = await newKey(m.merchantId, "restricted", ["payouts:read", "balance:read"]);
    for (const path of ["/v1/reporting/payout_reconciliation?payout=po_x", "/v1/reporting/balance?from=0&to=10"]) {
      const res = await csv(rk, path);
      expect([res.status, JSON.parse(res.text).error.required_scope], path).toEqual([403, "reporting:read"]);
      const pk = await newKey(m.merchantId, "publishable");
      expect(JSON.parse((await csv(pk, path)).text).error.code).toBe("publishable_key_not_allowed");
    }
    const reader = await newKey(m.merchantId, "restricted", ["reporting:read"]);
    expect((await csv(reader, "/v1/reporting/balance?from=0&to=10")).status).toBe(200);
  });
});

describe("GET /v1/reporting/balance", () => {
  it("opening + activity + payouts = closing, periods chain, and the ending balance is the ledger's", async () => {
    const { m, db, asOf } = await funded([1000, 2000]);
    const charge = (await transactionsOf(db, m.merchantId))[0];
    expect((await post(m, "/v1/refunds", { charge: charge?.source ?? "", amount: 400 })).status).toBe(200);
    await runPayouts(db, asOf);
    await setTerms(db, m.merchantId, { delayDays: 0, bankLast4: "6789", bankBehaviour: "no_account" });
    const [po] = await db.select().from(payouts).where(eq(payouts.merchantId, m.merchantId)).all();
    await runPayouts(db, po?.arrivalDate ?? 0);
    expect((await db.select().from(payouts).where(eq(payouts.merchantId, m.merchantId)).all())[0]?.status).toBe(
      "failed",
    );

    const end = asOf + 5 * DAY;
    const whole = await csv(m, `/v1/reporting/balance?from=0&to=${end}`);
    expect(whole.header).toBe("currency,section,reporting_category,count,net");
    const line = (rows: string[][], section: string, category = "") =>
      Number(rows.find((r) => r[1] === section && r[2] === category)?.[4]);
    expect(line(whole.rows, "starting_balance")).toBe(0);
    expect(line(whole.rows, "activity", "charge")).toBe(3000);
    expect(line(whole.rows, "activity", "refund")).toBe(-400);
    expect(line(whole.rows, "payouts", "payout")).toBe(-2600);
    expect(line(whole.rows, "payouts", "payout_reversal")).toBe(2600);
    expect(line(whole.rows, "ending_balance")).toBe(2600);
    expect(line(whole.rows, "ending_balance")).toBe(await ledgerBalance(db, m.merchantId, "available_balance"));

    // Split at the payout's creation: the first period's ending balance is the second's starting one.
    const split = po?.created ?? 0;
    const before = await csv(m, `/v1/reporting/balance?from=0&to=${split}`);
    const after = await csv(m, `/v1/reporting/balance?from=${split}&to=${end}`);
    expect(line(before.rows, "ending_balance")).toBe(line(after.rows, "starting_balance"));
    expect(line(after.rows, "ending_balance")).toBe(2600);
    for (const r of [before, after, whole]) {
      const sum = r.rows.filter((x) => x[1] !== "ending_balance").reduce((s, x) => s + Number(x[4]), 0);
      expect(sum).toBe(line(r.rows, "ending_balance"));
    }
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);
  });

  it("from must be before to; both required integers", async () => {
    const { m } = await funded([]);
    for (const [path, param] of [
      ["/v1/reporting/balance?from=10&to=10", "to"],
      ["/v1/reporting/balance?from=x&to=10", "from"],
      ["/v1/reporting/balance?to=10", "from"],
      ["/v1/reporting/balance?from=0&to=10&currency=usd", "currency"],
    ] as const) {
      const res = await csv(m, path);
      expect([res.status, JSON.parse(res.text).error.param], path).toEqual([400, param]);
    }
  });
});
