/**
 * Fees and nets through real payments: every capture's balance transaction carries exactly the
 * fee `captureFee` computes (the database computes it in the capture's own batch, from the
 * merchant's terms), in zero-, two- and three-decimal currencies, with half-up rounding and the
 * cap at the amount; refunds keep the fee unless the terms return it, and a failed refund takes
 * back what it returned. The ledger matches the balance transactions after each step.
 */
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { balanceTransactionOf } from "../../src/db/balance-transactions";
import { captureFee, DEFAULT_TERMS, returnedFee, type Terms } from "../../src/domain/fees";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { get, ledgerProblems, pay, post } from "../helpers/payments";
import { Faults } from "../helpers/processors";
import { balanceTransactionsOf, setTerms, settlementProblems } from "../helpers/settlement";

const VISA = "4242424242424242";

const TERMS: Terms = { feeBps: 290, feeFixed: { usd: 30, jpy: 30, kwd: 300 }, refundFees: false, delayDays: 2 };

async function merchantWith(terms: Terms) {
  const m = await newMerchant({ rateLimit: 1000 });
  await setTerms(m.merchantId, {
    fee_bps: terms.feeBps,
    fee_fixed: terms.feeFixed,
    refund_fees: terms.refundFees,
    delay_days: terms.delayDays,
  });
  return m;
}

async function charge(m: TestMerchant, amount: number, currency: string) {
  const res = await pay(m, VISA, { amount, currency });
  expect(res.status).toBe(200);
  expect(res.body.status).toBe("succeeded");
  return res.body as { id: string; latest_charge: string };
}

describe("capture fees", () => {
  it("are exact in two-, zero- and three-decimal currencies, rounded half up and capped at the amount", async () => {
    const m = await merchantWith(TERMS);
    const cases: [number, string][] = [
      // usd: 500 × 2.9 % = 14.5 → 15 (half up); 1000 → 29; 50 → 1.45 → 1; 55 → 1.595 → 2; fixed 30 each.
      [500, "usd"],
      [1000, "usd"],
      [50, "usd"],
      [55, "usd"],
      [99_999_999, "usd"],
      // jpy has no minor unit: 5000 × 2.9 % = 145.
      [50, "jpy"],
      [5000, "jpy"],
      [12_345, "jpy"],
      // kwd has three decimals (amounts are multiples of 10): 1250 × 2.9 % = 36.25 → 36.
      [1250, "kwd"],
      [500, "kwd"],
    ];
    const seen: number[] = [];
    for (const [amount, currency] of cases) {
      const pi = await charge(m, amount, currency);
      const bt = (await get(m, `/v1/balance_transactions/${balanceTransactionOf(pi.latest_charge)}`)).body;
      const fee = captureFee(amount, currency, TERMS);
      seen.push(fee);
      expect(bt).toMatchObject({
        object: "balance_transaction",
        type: "charge",
        reporting_category: "charge",
        source: pi.latest_charge,
        amount,
        currency,
        fee,
        net: amount - fee,
        status: "pending",
      });
      expect(bt.fee_details).toEqual([
        { amount: fee, application: null, currency, description: "edgepay processing fees", type: "stripe_fee" },
      ]);
      const ch = (await get(m, `/v1/charges/${pi.latest_charge}`)).body;
      expect(ch.balance_transaction).toBe(bt.id);
    }
    // The cases are the documented ones (so a change of the rule shows here, not only in the pure test).
    expect(seen).toEqual([45, 59, 31, 32, 2_900_030, 31, 175, 388, 336, 315]);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
    expect(await settlementProblems(m.merchantId)).toEqual([]);
  });

  it("a fee is never more than the amount: the net of a tiny capture is 0, never negative", async () => {
    const terms = { ...TERMS, feeFixed: { usd: 100 } };
    const m = await merchantWith(terms);
    const pi = await charge(m, 60, "usd");
    const bt = (await get(m, `/v1/balance_transactions/${balanceTransactionOf(pi.latest_charge)}`)).body;
    expect(bt).toMatchObject({ amount: 60, fee: 60, net: 0 });
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
    expect(await settlementProblems(m.merchantId)).toEqual([]);
  });

  it("default terms charge no fee: net is the amount", async () => {
    const m = await newMerchant();
    const pi = await charge(m, 1234, "usd");
    const bt = (await get(m, `/v1/balance_transactions/${balanceTransactionOf(pi.latest_charge)}`)).body;
    expect(bt).toMatchObject({ amount: 1234, fee: 0, net: 1234, fee_details: [] });
    expect(DEFAULT_TERMS.feeBps).toBe(0);
    expect(await settlementProblems(m.merchantId)).toEqual([]);
  });

  it("a partial capture's balance transaction is the captured amount; an uncaptured authorization has none", async () => {
    const m = await merchantWith(TERMS);
    const held = (await pay(m, VISA, { amount: 2000, capture_method: "manual" })).body;
    expect((await get(m, `/v1/charges/${held.latest_charge}`)).body.balance_transaction).toBeNull();
    expect(await balanceTransactionsOf(m.merchantId)).toEqual([]);
    await post(m, `/v1/payment_intents/${held.id}/capture`, { amount_to_capture: 1500 });
    const [bt] = await balanceTransactionsOf(m.merchantId);
    expect(bt).toMatchObject({ amount: 1500, fee: captureFee(1500, "usd", TERMS) });
    expect(await settlementProblems(m.merchantId)).toEqual([]);
  });
});

describe("refunds and fees", () => {
  it("a refund keeps the fee by default: its balance transaction debits the whole refund at once", async () => {
    const m = await merchantWith(TERMS);
    const pi = await charge(m, 1000, "usd");
    const re = (await post(m, "/v1/refunds", { payment_intent: pi.id, amount: 400 })).body;
    expect(re.balance_transaction).toBe(balanceTransactionOf(re.id));
    const bt = (await get(m, `/v1/balance_transactions/${re.balance_transaction}`)).body;
    expect(bt).toMatchObject({
      type: "refund",
      reporting_category: "refund",
      source: re.id,
      amount: -400,
      fee: 0,
      net: -400,
      status: "available",
    });
    expect((await get(m, "/v1/balance")).body).toMatchObject({
      pending: [{ amount: 1000 - 59, currency: "usd" }],
      available: [{ amount: -400, currency: "usd" }],
    });
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
    expect(await settlementProblems(m.merchantId)).toEqual([]);
  });

  it("with refund_fees, each refund returns its share of the fee, never more than the fee in total", async () => {
    const terms = { ...TERMS, refundFees: true };
    const m = await merchantWith(terms);
    const pi = await charge(m, 1000, "usd");
    const fee = captureFee(1000, "usd", terms);
    let returned = 0;
    for (const amount of [333, 333, 334]) {
      const re = (await post(m, "/v1/refunds", { payment_intent: pi.id, amount })).body;
      const bt = (await get(m, `/v1/balance_transactions/${re.balance_transaction}`)).body;
      const back = returnedFee({ amount: 1000, fee }, amount, terms);
      expect(bt).toMatchObject({ amount: -amount, fee: -back, net: back - amount });
      returned += back;
    }
    expect(returned).toBeLessThanOrEqual(fee);
    expect(returned).toBe(19 + 19 + 19);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
    expect(await settlementProblems(m.merchantId)).toEqual([]);
  });

  it("a failed refund gives its net back with a refund_failure balance transaction (and takes back a returned fee)", async () => {
    const terms = { ...TERMS, refundFees: true };
    const m = await merchantWith(terms);
    const pi = await charge(m, 1000, "usd");
    const faults = new Faults().set("refund", { kind: "refuse", reason: "declined" });
    const app = createApp({ payments: { processor: faults.factory } });
    const re = (await post(m, "/v1/refunds", { payment_intent: pi.id, amount: 500 }, { app })).body;
    expect(re.status).toBe("failed");
    expect(re.failure_balance_transaction).toMatch(/^txn_/);
    const failure = (await get(m, `/v1/balance_transactions/${re.failure_balance_transaction}`)).body;
    const back = returnedFee({ amount: 1000, fee: 59 }, 500, terms);
    expect(failure).toMatchObject({
      type: "refund_failure",
      source: re.id,
      amount: 500,
      fee: back,
      net: 500 - back,
      status: "available",
    });
    // Nothing is lost or gained: the refund and its failure cancel out.
    expect((await get(m, "/v1/balance")).body.available).toEqual([{ amount: 0, currency: "usd" }]);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
    expect(await settlementProblems(m.merchantId)).toEqual([]);
  });
});
