/**
 * Migration 0005's backfill: for intents made before charges had rows, it writes each intent's
 * latest charge as the API derived it then (failed when its last attempt was declined), with the
 * card details of its payment method (`cvc_check` unknown: null).
 */
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { charges } from "../../src/db/schema";
import { newMerchant } from "../helpers/merchants";
import { get, paymentMethod, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

/** The hand-written backfill: the last statement of the charges migration. */
function backfill(): string {
  const migration = env.TEST_SHARD_MIGRATIONS.find((m) => m.name.endsWith("_charges.sql"));
  const statement = migration?.queries.at(-1);
  if (!statement?.includes("INSERT INTO `charges`")) throw new Error("the charges backfill is not where it was");
  return statement;
}

describe("the charges backfill", () => {
  it("recreates each intent's latest charge, succeeded or failed, as the API showed it", async () => {
    const m = await newMerchant();
    const paid = (await post(m, "/v1/payment_intents", { amount: 1800, currency: "usd", "metadata[a]": "b" })).body;
    await post(m, `/v1/payment_intents/${paid.id}/confirm`, {
      payment_method: await paymentMethod(m, "4000000000000002"),
    });
    await post(m, `/v1/payment_intents/${paid.id}/confirm`, {
      payment_method: await paymentMethod(m, "4242424242424242"),
    });
    await post(m, "/v1/refunds", { payment_intent: paid.id, amount: 300 });
    const declined = (await post(m, "/v1/payment_intents", { amount: 900, currency: "usd" })).body;
    await post(m, `/v1/payment_intents/${declined.id}/confirm`, {
      payment_method: await paymentMethod(m, "4000000000009995"),
    });
    const latest = async () =>
      Promise.all(
        [paid.id, declined.id].map(async (id) => {
          const charge = (await get(m, `/v1/payment_intents/${id}`)).body.latest_charge;
          return (await get(m, `/v1/charges/${charge}`)).body;
        }),
      );
    const before = await latest();
    expect(before.map((c) => c.status)).toEqual(["succeeded", "failed"]);

    const db = await dbOf(m.merchantId);
    await db.delete(charges); // this test file's databases are its own
    await db.run(sql.raw(backfill()));

    const after = await latest();
    // What no intent kept, the backfill cannot know: the CVC check, the fraud screen's verdict, the
    // card's country (the columns came later, migration 0006) and the routing (migration 0011). Nor
    // when a decline was recorded: a failed charge is dated by its intent's creation, which may be a
    // second before the confirm that declined it.
    const unchecked = (c: (typeof before)[number]) => ({
      ...c,
      created: c.status === "failed" ? declined.created : c.created,
      routing: null,
      outcome: { ...c.outcome, risk_level: null, risk_score: null, rule: null },
      payment_method_details: {
        ...c.payment_method_details,
        card: {
          ...c.payment_method_details.card,
          checks: { ...c.payment_method_details.card.checks, cvc_check: null },
          country: null,
        },
      },
    });
    expect(after).toEqual(before.map(unchecked));
    // Only the latest attempts come back: the earlier decline of `paid` left nothing to copy.
    expect((await get(m, `/v1/charges?payment_intent=${paid.id}`)).body.data).toHaveLength(1);
  });
});
