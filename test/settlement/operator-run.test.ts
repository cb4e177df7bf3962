/**
 * The operator's as-of run behaves as the cron does: a merchant being moved between shards is left
 * alone (its stale or partial copy must never be settled or paid out), and its terms cannot be
 * changed mid-move. A live deployment refuses a run "as of" the future.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { controlDb } from "../../src/db/client";
import { claimMove, recordMove, releaseMove } from "../../src/db/merchant-move";
import { call, json } from "../helpers/http";
import { newMerchant, operatorHeaders } from "../helpers/merchants";
import { get, pay } from "../helpers/payments";
import { balanceTransactionsOf, setTerms, settleAsOf, settlementProblems } from "../helpers/settlement";
import { shardIndexOf } from "../helpers/shards";

describe("the operator's settlement run", () => {
  it("leaves a merchant being moved alone, and settles and pays it out once the move lets go", async () => {
    const m = await newMerchant();
    await setTerms(m.merchantId, { bank_account: { account_number: "000123456789" } });
    const pi = (await pay(m, "4242424242424242", { amount: 1000 })).body;
    expect(pi.status).toBe("succeeded");
    const [bt] = await balanceTransactionsOf(m.merchantId);
    const from = await shardIndexOf(m.merchantId);
    const control = controlDb(env);
    const now = Date.now();
    await recordMove(
      control,
      { merchantId: m.merchantId, fromShard: from, toShard: 1 - from, step: "copying", created: now, updated: now },
      now,
    );
    const until = now + 60_000;
    expect(await claimMove(control, m.merchantId, until, now)).toBe(true);
    // A call holds the move: the run must not touch the merchant's rows on its source.
    await settleAsOf((bt?.availableOn ?? 0) + 1);
    expect((await get(m, "/v1/payouts")).body.data ?? []).toEqual([]);
    expect((await balanceTransactionsOf(m.merchantId)).map((t) => t.status)).toEqual(["pending"]);
    // Nor can its terms change under the copy.
    const terms = await call(`/admin/v1/merchants/${m.merchantId}/settlement`, {
      ...json({ fee_bps: 100 }),
      headers: { ...json({}).headers, ...operatorHeaders() },
    });
    expect(terms.status).toBe(429);
    await releaseMove(control, m.merchantId, until);
    await settleAsOf((bt?.availableOn ?? 0) + 2);
    expect((await balanceTransactionsOf(m.merchantId)).find((t) => t.type === "charge")?.status).toBe("available");
    expect(await settlementProblems(m.merchantId)).toEqual([]);
  });

  it("refuses a run as of the future in a live deployment (400 naming as_of), not in test mode", async () => {
    const future = Math.floor(Date.now() / 1000) + 5 * 86_400;
    const live = createApp();
    const liveEnv = { ...env, EDGEPAY_MODE: "live" } as Env;
    const init = { ...json({ as_of: future }), headers: { ...json({}).headers, ...operatorHeaders() } };
    const refused = await live.request("http://127.0.0.1/admin/v1/settlement/runs", init, liveEnv);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { param: string } }).error.param).toBe("as_of");
    const past = await live.request(
      "http://127.0.0.1/admin/v1/settlement/runs",
      { ...init, body: JSON.stringify({ as_of: future - 10 * 86_400, payouts: false }) },
      liveEnv,
    );
    expect(past.status).toBe(200);
    expect((await settleAsOf(future)).cutoff).toBeLessThanOrEqual(future);
  });
});
