/** Migration 0005's backfill: an intent whose last attempt was declined keeps a failed charge, whatever happened to it since. */
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { charges } from "../../src/db/schema";
import { newMerchant } from "../helpers/merchants";
import { get, paymentMethod, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

function backfill(): string {
  const migration = env.TEST_SHARD_MIGRATIONS.find((m) => m.name.endsWith("_charges.sql"));
  return migration?.queries.at(-1) as string;
}

describe("charges backfill", () => {
  it("a declined attempt of an intent canceled afterwards is backfilled as failed, not paid", async () => {
    const m = await newMerchant();
    const pi = (await post(m, "/v1/payment_intents", { amount: 900, currency: "usd" })).body;
    await post(m, `/v1/payment_intents/${pi.id}/confirm`, {
      payment_method: await paymentMethod(m, "4000000000000002"),
    });
    const canceled = await post(m, `/v1/payment_intents/${pi.id}/cancel`, {});
    expect(canceled.body.status).toBe("canceled");
    const chargeId = canceled.body.latest_charge;
    const before = (await get(m, `/v1/charges/${chargeId}`)).body;
    expect(before.status).toBe("failed");
    const db = await dbOf(m.merchantId);
    await db.delete(charges);
    await db.run(sql.raw(backfill()));
    const after = (await get(m, `/v1/charges/${chargeId}`)).body;
    expect({ status: after.status, paid: after.paid }).toEqual({ status: "failed", paid: false });
  });
});
