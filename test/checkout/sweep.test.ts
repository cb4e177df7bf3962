/**
 * The checkout sweep: open sessions past `expires_at` are expired (their intents canceled through
 * the cancel path, one `checkout.session.expired` each), younger and finished ones are left alone,
 * and a paid session whose completion was never recorded is completed instead of expired.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { sweepCheckout } from "../../src/checkout";
import { checkoutSessions } from "../../src/db/schema";
import { newSession, pageCard, payPage, randomIp } from "../helpers/checkout";
import { typesFor } from "../helpers/events";
import { newMerchant } from "../helpers/merchants";
import { deps, get, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

describe("checkout sweep", () => {
  it("expires open sessions past expires_at and cancels their intents; leaves the rest", async () => {
    const m = await newMerchant();
    const now = Math.floor(Date.now() / 1000);
    const soon = await newSession(m, { expires_at: now + 1800 });
    const later = await newSession(m);
    const paid = await newSession(m, { expires_at: now + 1800 });
    expect((await payPage(paid.id, { card: pageCard("4242424242424242") }, { ip: randomIp() })).status).toBe(200);
    const db = await dbOf(m.merchantId);
    const report = await sweepCheckout(deps(db, { at: now + 1801 }));
    expect(report.expired).toBeGreaterThanOrEqual(1);
    expect((await get(m, `/v1/checkout/sessions/${soon.id}`)).body).toMatchObject({ status: "expired", url: null });
    expect((await get(m, `/v1/payment_intents/${soon.payment_intent}`)).body).toMatchObject({
      status: "canceled",
      cancellation_reason: "abandoned",
    });
    expect(await typesFor(m.merchantId, soon.id)).toEqual(["checkout.session.expired"]);
    expect((await get(m, `/v1/checkout/sessions/${later.id}`)).body.status).toBe("open");
    expect((await get(m, `/v1/checkout/sessions/${paid.id}`)).body.status).toBe("complete");
    // A second run finds nothing more to do and records no second event.
    await sweepCheckout(deps(db, { at: now + 1802 }));
    expect(await typesFor(m.merchantId, soon.id)).toEqual(["checkout.session.expired"]);
  });

  it("completes, not expires, a session whose intent was paid but whose completion was lost", async () => {
    const m = await newMerchant();
    const now = Math.floor(Date.now() / 1000);
    const cs = await newSession(m, { expires_at: now + 1800 });
    // The intent is paid outside the page (as if the page request died before completing the session).
    const pm = (
      await post(m, "/v1/payment_methods", {
        type: "card",
        "card[number]": "4242424242424242",
        "card[exp_month]": "12",
        "card[exp_year]": "2040",
        "card[cvc]": "123",
      })
    ).body.id;
    expect(
      (await post(m, `/v1/payment_intents/${cs.payment_intent}/confirm`, { payment_method: pm })).body.status,
    ).toBe("succeeded");
    const db = await dbOf(m.merchantId);
    const report = await sweepCheckout(deps(db, { at: now + 1801 }));
    expect(report.completed).toBeGreaterThanOrEqual(1);
    const row = await db.select().from(checkoutSessions).where(eq(checkoutSessions.id, cs.id)).get();
    expect([row?.status, row?.paymentStatus]).toEqual(["complete", "paid"]);
    expect(await typesFor(m.merchantId, cs.id)).toEqual(["checkout.session.completed"]);
    expect((await get(m, `/v1/payment_intents/${cs.payment_intent}`)).body.status).toBe("succeeded");
  });
});
