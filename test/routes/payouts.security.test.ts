/**
 * Payouts, security: another merchant's payout is a 404 exactly like a missing one (retrieve and
 * cancel) and never listed; reads need payouts:read and writes payouts:write (tokens and restricted
 * keys alike); publishable keys are refused; tampered amounts and currencies are 400s naming the
 * parameter, with nothing written.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { payouts } from "../../src/db/schema";
import { newKey } from "../helpers/api-keys";
import { tokenFor } from "../helpers/merchants";
import { get, post } from "../helpers/payments";
import { funded, moneyProblems } from "../helpers/payouts";
import { neighbours } from "../helpers/shards";

const manual = { payoutSchedule: "manual" } as const;

describe("payouts: tenant isolation", () => {
  it("another merchant's payout is a 404 like a missing one, for retrieve, cancel, list and cursors", async () => {
    // Two merchants on one shard: only the merchant condition keeps them apart.
    const [ma, mb] = await neighbours();
    const a = await funded([1000], manual, { merchant: ma });
    const b = await funded([1000], manual, { merchant: mb });
    const po = (await post(a.m, "/v1/payouts", { amount: 500, currency: "usd" })).body.id as string;
    const missing = "po_MissingMissingMissing12";
    const pairs = [
      [await get(b.m, `/v1/payouts/${po}`), await get(b.m, `/v1/payouts/${missing}`)],
      [await post(b.m, `/v1/payouts/${po}/cancel`), await post(b.m, `/v1/payouts/${missing}/cancel`)],
    ] as const;
    for (const [foreign, unknown] of pairs) {
      expect(foreign.status).toBe(404);
      const { request_id: _f, message: fm, ...fRest } = foreign.body.error;
      const { request_id: _u, message: um, ...uRest } = unknown.body.error;
      expect(fRest).toEqual(uRest);
      expect(fm.replace(po, missing)).toBe(um);
    }
    expect((await get(b.m, "/v1/payouts")).body.data).toEqual([]);
    const cursor = await get(b.m, `/v1/payouts?starting_after=${po}`);
    expect([cursor.status, cursor.body.error.param]).toEqual([404, "starting_after"]);
    expect((await get(a.m, `/v1/payouts/${po}`)).body.status).toBe("pending");
  });
});

describe("payouts: scopes and keys", () => {
  it("reads need payouts:read and writes payouts:write: without them, 403 naming the scope", async () => {
    const { m, db } = await funded([1000], manual);
    const po = (await post(m, "/v1/payouts", { amount: 100, currency: "usd" })).body.id;
    const token = await tokenFor(m, ["balance:read", "payments:read", "payments:write"]);
    const rk = await newKey(m.merchantId, "restricted", ["balance:read", "refunds:write"]);
    for (const who of [token, rk]) {
      for (const path of [`/v1/payouts/${po}`, "/v1/payouts"]) {
        const res = await get(who, path);
        expect(res.status, path).toBe(403);
        expect(res.body.error).toMatchObject({ code: "insufficient_scope", required_scope: "payouts:read" });
      }
      for (const path of ["/v1/payouts", `/v1/payouts/${po}/cancel`]) {
        const res = await post(who, path, path === "/v1/payouts" ? { amount: 100, currency: "usd" } : {});
        expect(res.status, path).toBe(403);
        expect(res.body.error).toMatchObject({ code: "insufficient_scope", required_scope: "payouts:write" });
      }
    }
    const reader = await newKey(m.merchantId, "restricted", ["payouts:read"]);
    expect((await get(reader, `/v1/payouts/${po}`)).status).toBe(200);
    expect((await post(reader, "/v1/payouts", { amount: 100, currency: "usd" })).body.error.required_scope).toBe(
      "payouts:write",
    );
    const writer = await newKey(m.merchantId, "restricted", ["payouts:write"]);
    expect((await post(writer, "/v1/payouts", { amount: 100, currency: "usd" })).status).toBe(200);
    expect(await db.select().from(payouts).where(eq(payouts.merchantId, m.merchantId)).all()).toHaveLength(2);
  });

  it("a publishable key is refused", async () => {
    const { m } = await funded([1000], manual);
    const po = (await post(m, "/v1/payouts", { amount: 100, currency: "usd" })).body.id;
    const pk = await newKey(m.merchantId, "publishable");
    for (const res of [
      await get(pk, `/v1/payouts/${po}`),
      await get(pk, "/v1/payouts"),
      await post(pk, "/v1/payouts", { amount: 100, currency: "usd" }),
      await post(pk, `/v1/payouts/${po}/cancel`),
    ]) {
      expect([res.status, res.body.error.code]).toEqual([403, "publishable_key_not_allowed"]);
    }
  });
});

describe("payouts: tampered input", () => {
  it("negative, zero, float, string, huge amounts and bad currencies are 400s naming the param; nothing written", async () => {
    const { m, db } = await funded([1000], manual);
    const cases: [Record<string, string | number>, string, string][] = [
      [{ amount: -100, currency: "usd" }, "amount", "parameter_invalid"],
      [{ amount: 0, currency: "usd" }, "amount", "parameter_invalid"],
      [{ amount: "10.5", currency: "usd" }, "amount", "parameter_invalid_integer"],
      [{ amount: "1e3", currency: "usd" }, "amount", "parameter_invalid_integer"],
      [{ amount: "lots", currency: "usd" }, "amount", "parameter_invalid_integer"],
      [{ amount: 100_000_000, currency: "usd" }, "amount", "amount_too_large"],
      [{ amount: 105, currency: "kwd" }, "amount", "parameter_invalid"],
      [{ amount: 100, currency: "usdx" }, "currency", "parameter_invalid"],
      [{ amount: 100, currency: "" }, "currency", "parameter_invalid_empty"],
      [{ amount: 100 }, "currency", "parameter_missing"],
      [{ currency: "usd" }, "amount", "parameter_missing"],
      [{ amount: 100, currency: "usd", destination: "ba_123" }, "destination", "parameter_unknown"],
    ];
    for (const [fields, param, code] of cases) {
      const res = await post(m, "/v1/payouts", fields);
      expect([res.status, res.body.error.param, res.body.error.code], JSON.stringify(fields)).toEqual([
        400,
        param,
        code,
      ]);
    }
    expect(await db.select().from(payouts).where(eq(payouts.merchantId, m.merchantId)).all()).toEqual([]);
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);
  });
});
