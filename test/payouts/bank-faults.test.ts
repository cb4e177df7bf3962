/**
 * The payout lifecycle against a bank that refuses, times out or crashes (injected through the
 * run's `bank` option): a refusal fails the payout at once and restores the balance; a send that
 * throws leaves the payout in transit (its money already left the available balance) and the next
 * run asks the bank, re-sending under the same payout id when the bank never received it.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { payouts } from "../../src/db/schema";
import type { BankFactory } from "../../src/payouts/bank";
import { funded, ledgerBalance, moneyProblems, runPayouts, transactionsOf } from "../helpers/payouts";

const payoutOf = async (db: Awaited<ReturnType<typeof funded>>["db"], merchantId: string) =>
  (await db.select().from(payouts).where(eq(payouts.merchantId, merchantId)).all())[0];

describe("payouts: bank faults", () => {
  it("a bank that refuses the transfer fails the payout at once and restores the balance", async () => {
    const { m, db, asOf } = await funded([1000, 500]);
    const refusing: BankFactory = () => ({
      send: async () => ({ status: "failed", code: "account_frozen", message: "The bank account has been frozen." }),
      status: async () => ({ status: "in_transit" }),
    });
    await runPayouts(db, asOf, { bank: refusing });
    const po = await payoutOf(db, m.merchantId);
    expect(po).toMatchObject({ status: "failed", failureCode: "account_frozen", amount: 1500 });
    const failure = (await transactionsOf(db, m.merchantId)).find((t) => t.type === "payout_failure");
    expect(failure).toMatchObject({ id: po?.failureBalanceTransaction, net: 1500, payout: null });
    expect(await ledgerBalance(db, m.merchantId, "available_balance")).toBe(1500);
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);
  });

  it("a send that throws or times out leaves it in transit; the next run re-sends what the bank never saw", async () => {
    const { m, db, asOf } = await funded([700]);
    const sends: string[] = [];
    const crashing: BankFactory = () => ({
      send: async () => {
        throw new Error("connection reset");
      },
      status: async () => ({ status: "unknown" }),
    });
    const report = await runPayouts(db, asOf, { bank: crashing });
    expect(report.errors).toBeGreaterThanOrEqual(1);
    const po = await payoutOf(db, m.merchantId);
    expect(po?.status).toBe("in_transit");
    expect(await ledgerBalance(db, m.merchantId, "payouts_in_transit")).toBe(700);
    // Due, the bank says it never received it: sent again under the same id, then paid.
    let received = false;
    const recovering: BankFactory = () => ({
      send: async (t) => {
        sends.push(t.id);
        received = true;
        return { status: "in_transit", reference: "bank_ref_1" };
      },
      status: async () => (received ? { status: "paid" } : { status: "unknown" }),
    });
    await runPayouts(db, po?.arrivalDate ?? 0, { bank: recovering });
    expect(sends).toEqual([po?.id]);
    expect((await payoutOf(db, m.merchantId))?.status).toBe("in_transit");
    await runPayouts(db, po?.arrivalDate ?? 0, { bank: recovering });
    expect((await payoutOf(db, m.merchantId))?.status).toBe("paid");
    expect(await ledgerBalance(db, m.merchantId, "paid_out")).toBe(700);
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);
  });

  it("a malformed bank answer changes nothing", async () => {
    const { m, db, asOf } = await funded([300]);
    await runPayouts(db, asOf);
    const po = await payoutOf(db, m.merchantId);
    const lying: BankFactory = () => ({
      send: async () => ({ status: "paid" }),
      status: async () => ({ status: "paid", amount: 1 }),
    });
    const report = await runPayouts(db, po?.arrivalDate ?? 0, { bank: lying });
    expect(report.errors).toBeGreaterThanOrEqual(1);
    expect((await payoutOf(db, m.merchantId))?.status).toBe("in_transit");
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);
  });
});
