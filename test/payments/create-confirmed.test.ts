/**
 * Create with confirm=true (createConfirmed): a pm_ intent is inserted already claimed for
 * authorization in one batch, with the same versions, 404s and retry behaviour as create-then-confirm.
 */
import { env } from "cloudflare:workers";
import { asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { draftIntent, getIntent, type IntentRow, insertIntent } from "../../src/db/payment-intents";
import { paymentIntentVersions } from "../../src/db/schema";
import { createConfirmed } from "../../src/payments/actions";
import { detachPaymentMethod } from "../../src/vault";
import { newMerchant } from "../helpers/merchants";
import { deps, paymentMethod, processorOps } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

function draft(merchantId: string, id: string, idempotencyKey: string): IntentRow {
  return draftIntent({ id, merchantId, amount: 1500, currency: "usd", captureMethod: "manual", idempotencyKey });
}

const versionsOf = async (merchantId: string, id: string) =>
  (
    await (
      await dbOf(merchantId)
    )
      .select()
      .from(paymentIntentVersions)
      .where(eq(paymentIntentVersions.intentId, id))
      .orderBy(asc(paymentIntentVersions.version))
      .all()
  ).map((v) => `${v.version}:${v.kind}`);

/** Authorizations the simulator approved for intents of this file (`deps()` notes them). */
const authorizations = async () => (await processorOps("pi_cc_")).filter((op) => op === "authorize").length;

describe("createConfirmed", () => {
  it("records created and authorize_started as versions 1 and 2, and a retry authorizes nothing more", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    const before = await authorizations();
    const done = await createConfirmed(deps(await dbOf(m.merchantId)), draft(m.merchantId, "pi_cc_one", "cc-1"), pm);
    expect(done).toMatchObject({ id: "pi_cc_one", status: "requires_capture", paymentMethod: pm, version: 3 });
    expect(await versionsOf(m.merchantId, "pi_cc_one")).toEqual(["1:created", "2:authorize_started", "3:authorized"]);
    const retry = await createConfirmed(deps(await dbOf(m.merchantId)), draft(m.merchantId, "pi_cc_two", "cc-1"), pm);
    expect(retry).toMatchObject({ id: "pi_cc_one", status: "requires_capture", version: 3 });
    expect(await getIntent(await dbOf(m.merchantId), m.merchantId, "pi_cc_two")).toBeUndefined();
    expect((await authorizations()) - before).toBe(1);
  });

  it("an unusable payment method is a 404 that creates nothing", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    await detachPaymentMethod({ env, db: await dbOf(m.merchantId) }, m.merchantId, pm);
    const err = await createConfirmed(
      deps(await dbOf(m.merchantId)),
      draft(m.merchantId, "pi_cc_gone", "cc-2"),
      pm,
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "resource_missing", status: 404 });
    expect(await getIntent(await dbOf(m.merchantId), m.merchantId, "pi_cc_gone")).toBeUndefined();
  });

  it("a retry of a create that stopped after the insert resumes and confirms it", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    await insertIntent(await dbOf(m.merchantId), draft(m.merchantId, "pi_cc_half", "cc-3"), null);
    const done = await createConfirmed(deps(await dbOf(m.merchantId)), draft(m.merchantId, "pi_cc_new", "cc-3"), pm);
    expect(done).toMatchObject({ id: "pi_cc_half", status: "requires_capture", version: 3 });
    expect(await versionsOf(m.merchantId, "pi_cc_half")).toEqual(["1:created", "2:authorize_started", "3:authorized"]);
  });
});
