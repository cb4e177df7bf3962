/**
 * Balance transactions API: retrieve and list with filters and expansion (happy path); bad ids,
 * filters and unknown parameters (errors); another merchant's, scopes and keys (security).
 */
import { describe, expect, it } from "vitest";
import { balanceTransactionOf } from "../../src/db/balance-transactions";
import { newKey } from "../helpers/api-keys";
import { newMerchant, tokenFor } from "../helpers/merchants";
import { get, pay, post } from "../helpers/payments";
import { neighbours } from "../helpers/shards";

const VISA = "4242424242424242";

describe("GET /v1/balance_transactions", () => {
  it("lists newest first, filters by type, source and currency, and expands from charges and refunds", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const a = (await pay(m, VISA, { amount: 1000 })).body;
    const b = (await pay(m, VISA, { amount: 3000, currency: "eur" })).body;
    const re = (await post(m, "/v1/refunds", { payment_intent: a.id, amount: 250 })).body;
    const all = (await get(m, "/v1/balance_transactions")).body;
    expect(all).toMatchObject({ object: "list", url: "/v1/balance_transactions", has_more: false });
    expect(all.data.map((t: { type: string }) => t.type).sort()).toEqual(["charge", "charge", "refund"]);
    const refunds = (await get(m, "/v1/balance_transactions?type=refund")).body.data;
    expect(refunds).toEqual([
      expect.objectContaining({ id: balanceTransactionOf(re.id), source: re.id, amount: -250 }),
    ]);
    const ofA = (await get(m, `/v1/balance_transactions?source=${a.latest_charge}`)).body.data;
    expect(ofA.map((t: { amount: number }) => t.amount)).toEqual([1000]);
    const eur = (await get(m, "/v1/balance_transactions?currency=eur")).body.data;
    expect(eur).toEqual([expect.objectContaining({ source: b.latest_charge, amount: 3000, currency: "eur" })]);
    const page = (await get(m, "/v1/balance_transactions?limit=1")).body;
    expect([page.data.length, page.has_more]).toEqual([1, true]);
    const next = (await get(m, `/v1/balance_transactions?limit=2&starting_after=${page.data[0].id}`)).body;
    expect(next.data).toHaveLength(2);
    const charge = (await get(m, `/v1/charges/${a.latest_charge}?expand[]=balance_transaction`)).body;
    expect(charge.balance_transaction).toMatchObject({ object: "balance_transaction", amount: 1000, net: 1000 });
    const refund = (await get(m, `/v1/refunds/${re.id}?expand[]=balance_transaction`)).body;
    expect(refund.balance_transaction).toMatchObject({ object: "balance_transaction", amount: -250 });
    expect(refund.failure_balance_transaction).toBeNull();
    const one = (await get(m, `/v1/balance_transactions/${balanceTransactionOf(b.latest_charge)}`)).body;
    expect(one).toEqual(eur[0]);
  });

  it("refuses bad filters, unknown parameters and ids with a 4xx naming the parameter", async () => {
    const m = await newMerchant();
    for (const [path, status, param] of [
      ["/v1/balance_transactions?type=bogus", 400, "type"],
      ["/v1/balance_transactions?currency=USD", 400, "currency"],
      ["/v1/balance_transactions?limit=0", 400, "limit"],
      ["/v1/balance_transactions?colour=red", 400, "colour"],
      ["/v1/balance_transactions?starting_after=txn_MissingMissingMissing1", 404, "starting_after"],
      ["/v1/balance_transactions/txn_MissingMissingMissing1?expand[]=source", 400, "expand[0]"],
    ] as const) {
      const res = await get(m, path);
      expect([res.status, res.body.error.param], path).toEqual([status, param]);
    }
    const missing = await get(m, "/v1/balance_transactions/txn_MissingMissingMissing1");
    expect([missing.status, missing.body.error.code]).toEqual([404, "resource_missing"]);
  });
});

describe("balance transactions: security", () => {
  it("another merchant's is a 404 and never listed", async () => {
    const [a, b] = await neighbours();
    const pi = (await pay(a, VISA)).body;
    const id = balanceTransactionOf(pi.latest_charge);
    expect((await get(a, `/v1/balance_transactions/${id}`)).status).toBe(200);
    expect((await get(b, `/v1/balance_transactions/${id}`)).status).toBe(404);
    expect((await get(b, "/v1/balance_transactions")).body.data).toEqual([]);
    expect((await get(b, `/v1/balance_transactions?source=${pi.latest_charge}`)).body.data).toEqual([]);
    expect((await get(b, `/v1/charges/${pi.latest_charge}?expand[]=balance_transaction`)).status).toBe(404);
  });

  it("needs balance:read (tokens and restricted keys); publishable keys are refused", async () => {
    const m = await newMerchant();
    const pi = (await pay(m, VISA)).body;
    const id = balanceTransactionOf(pi.latest_charge);
    const token = await tokenFor(m, ["payments:read"]);
    const rk = await newKey(m.merchantId, "restricted", ["payments:read", "refunds:read"]);
    for (const who of [token, rk]) {
      for (const path of [`/v1/balance_transactions/${id}`, "/v1/balance_transactions"]) {
        const res = await get(who, path);
        expect(res.status, path).toBe(403);
        expect(res.body.error).toMatchObject({ code: "insufficient_scope", required_scope: "balance:read" });
      }
      // Expanding into it needs its scope too.
      const expand = await get(who, `/v1/charges/${pi.latest_charge}?expand[]=balance_transaction`);
      expect(expand.status).toBe(403);
    }
    const reader = await newKey(m.merchantId, "restricted", ["balance:read"]);
    expect((await get(reader, `/v1/balance_transactions/${id}`)).status).toBe(200);
    const pk = await newKey(m.merchantId, "publishable");
    const res = await get(pk, "/v1/balance_transactions");
    expect([res.status, res.body.error.code]).toEqual([403, "publishable_key_not_allowed"]);
  });
});
