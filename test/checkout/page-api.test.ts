/**
 * The checkout page endpoints: a session id is the only capability, and it reaches only its own
 * session and intent. Paying completes the session (its event in the batch that completes it); a
 * decline is a 402 inline and the session stays open; the caps lock a session after 5 failures,
 * a card after 5 and a source after 20; ten simultaneous payments authorize once; no card number
 * appears in any response or log line.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from "vitest";
import { checkoutSessions, events } from "../../src/db/schema";
import { CHECKOUT_SESSION_FAILURES } from "../../src/domain/limits";
import { newKey } from "../helpers/api-keys";
import { newSession, pageCard, payPage, randomIp, viewPage } from "../helpers/checkout";
import { newMerchant } from "../helpers/merchants";
import { get, ledgerProblems, post, processorOps, recordedApp, unfinished } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

const GOOD = "4242424242424242";
const DECLINED = "4000000000000002";
const METHODS = ["log", "info", "warn", "error", "debug"] as const;
const logLines: string[] = [];
const bodies: string[] = [];
let spies: MockInstance[] = [];

beforeAll(() => {
  spies = METHODS.map((m) =>
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      logLines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    }),
  );
});
afterAll(() => {
  for (const s of spies) s.mockRestore();
});

/** `payPage`, keeping the response body for the leak scan. */
async function pay(id: string, body: unknown, opts: Parameters<typeof payPage>[2] = {}) {
  const res = await payPage(id, body, opts);
  bodies.push(JSON.stringify(res.body));
  return res;
}

async function sessionRow(merchantId: string, id: string) {
  return (await dbOf(merchantId)).select().from(checkoutSessions).where(eq(checkoutSessions.id, id)).get();
}

describe("checkout page: paying", () => {
  it("shows an open session, pays it with 4242…, completes it with its event, and shows where to go", async () => {
    const m = await newMerchant({ name: "Corner Shop" });
    const cs = await newSession(m);
    const view = await viewPage(cs.id);
    expect(view.body).toEqual({
      id: cs.id,
      object: "checkout.session",
      status: "open",
      merchant: { name: "Corner Shop" },
      amount_total: 3500,
      currency: "usd",
      currency_exponent: 2,
      line_items: [
        { name: "T-shirt", quantity: 2, amount: 3000 },
        { name: "Socks", quantity: 1, amount: 500 },
      ],
      success_url: null,
      cancel_url: "https://shop.example/cart",
    });
    const res = await pay(cs.id, { card: pageCard(GOOD), name: "Ada", email: "ada@example.com" }, { ip: randomIp() });
    const redirect = `https://shop.example/thanks?session_id=${cs.id}`;
    expect([res.status, res.body]).toEqual([200, { status: "complete", redirect }]);
    expect((await get(m, `/v1/payment_intents/${cs.payment_intent}`)).body.status).toBe("succeeded");
    const after = await get(m, `/v1/checkout/sessions/${cs.id}`);
    expect(after.body).toMatchObject({ status: "complete", payment_status: "paid", url: null });
    expect((await viewPage(cs.id)).body).toMatchObject({ status: "complete", success_url: redirect });
    // The event's snapshot was taken in the batch that completed the session.
    const db = await dbOf(m.merchantId);
    const evs = await db.select().from(events).where(eq(events.objectId, cs.id)).all();
    expect(evs.map((e) => e.type)).toEqual(["checkout.session.completed"]);
    expect(JSON.parse(evs[0]?.snapshot ?? "{}")).toMatchObject({ status: "complete", paymentStatus: "paid" });
    const again = await pay(cs.id, { card: pageCard(GOOD) }, { ip: randomIp() });
    expect([again.status, again.body.error.code]).toEqual([400, "checkout_session_unexpected_state"]);
  });

  it("answers a decline inline (402), keeps the session open, then takes another card", async () => {
    const m = await newMerchant();
    const cs = await newSession(m);
    const ip = randomIp();
    const declined = await pay(cs.id, { card: pageCard(DECLINED) }, { ip });
    expect(declined.status).toBe(402);
    expect(declined.body.error).toMatchObject({
      type: "card_error",
      code: "card_declined",
      decline_code: "generic_decline",
    });
    expect(declined.body.error.payment_intent).toBeUndefined();
    expect((await viewPage(cs.id)).body.status).toBe("open");
    expect((await sessionRow(m.merchantId, cs.id))?.failedAttempts).toBe(1);
    const paid = await pay(cs.id, { card: pageCard(GOOD) }, { ip });
    expect([paid.status, paid.body.status]).toEqual([200, "complete"]);
    expect((await get(m, `/v1/payment_intents/${cs.payment_intent}`)).body.status).toBe("succeeded");
  });

  it("a manual-capture session completes once authorized", async () => {
    const m = await newMerchant();
    const cs = await newSession(m, { "payment_intent_data[capture_method]": "manual" });
    expect((await pay(cs.id, { card: pageCard(GOOD) }, { ip: randomIp() })).status).toBe(200);
    expect((await get(m, `/v1/payment_intents/${cs.payment_intent}`)).body.status).toBe("requires_capture");
    expect((await get(m, `/v1/checkout/sessions/${cs.id}`)).body.payment_status).toBe("paid");
  });

  it("refuses a card that breaks the card rules with a 400 naming the field, never its value", async () => {
    const m = await newMerchant();
    const cs = await newSession(m);
    const bad = await pay(cs.id, { card: pageCard("4242424242424241") }, { ip: randomIp() });
    expect([bad.status, bad.body.error.param]).toEqual([400, "card[number]"]);
    const month = await pay(cs.id, { card: { ...pageCard(GOOD), exp_month: 13 } }, { ip: randomIp() });
    expect([month.status, month.body.error.param]).toEqual([400, "card[exp_month]"]);
    const extra = await pay(cs.id, { card: pageCard(GOOD), payment_intent: "pi_x" }, { ip: randomIp() });
    expect([extra.status, extra.body.error.code]).toEqual([400, "parameter_unknown"]);
    expect((await sessionRow(m.merchantId, cs.id))?.failedAttempts).toBe(0);
  });
});

describe("checkout page: the session id is the only capability", () => {
  it("reaches no intent, no other merchant's object, and takes no merchant credential instead", async () => {
    const m = await newMerchant();
    const cs = await newSession(m);
    const other = await post(m, "/v1/payment_intents", { amount: 1000, currency: "usd" });
    const sk = await newKey(m.merchantId, "secret");
    for (const id of [other.body.id, cs.payment_intent, `cs_test_${"A".repeat(48)}`, "cs_test_x", "../v1/balance"]) {
      expect((await viewPage(id, sk.headers)).status, id).toBe(404);
      const res = await pay(id, { card: pageCard(GOOD) }, { headers: sk.headers, ip: randomIp() });
      expect(res.status, id).toBe(404);
    }
    expect((await get(m, `/v1/payment_intents/${other.body.id}`)).body.status).toBe("requires_payment_method");
    expect((await get(m, `/v1/payment_intents/${cs.payment_intent}`)).body.status).toBe("requires_payment_method");
    // A merchant key does not open the page either: the view is the same with or without it.
    expect((await viewPage(cs.id, sk.headers)).body).toEqual((await viewPage(cs.id)).body);
  });

  it("an expired session is not found, by view or pay, and its intent stays canceled", async () => {
    const m = await newMerchant();
    const cs = await newSession(m);
    expect((await post(m, `/v1/checkout/sessions/${cs.id}/expire`)).status).toBe(200);
    expect((await viewPage(cs.id)).status).toBe(404);
    expect((await pay(cs.id, { card: pageCard(GOOD) }, { ip: randomIp() })).status).toBe(404);
    expect((await get(m, `/v1/payment_intents/${cs.payment_intent}`)).body.status).toBe("canceled");
  });
});

describe("checkout page: card-testing caps", () => {
  it("locks a session after 5 failed attempts, even for a good card; the session can still expire", async () => {
    const m = await newMerchant();
    const cs = await newSession(m);
    for (let i = 0; i < CHECKOUT_SESSION_FAILURES; i++) {
      // A new card number each time (so the per-card cap is not what stops it) from new addresses.
      const res = await pay(cs.id, { card: pageCard(i % 2 ? "4000000000009995" : DECLINED) }, { ip: randomIp() });
      expect(res.status).toBe(402);
    }
    const row = await sessionRow(m.merchantId, cs.id);
    expect(row?.lockedAt).not.toBeNull();
    const locked = await pay(cs.id, { card: pageCard(GOOD) }, { ip: randomIp() });
    expect([locked.status, locked.body.error.code]).toEqual([400, "checkout_session_locked"]);
    expect((await get(m, `/v1/payment_intents/${cs.payment_intent}`)).body.status).toBe("requires_payment_method");
    expect((await post(m, `/v1/checkout/sessions/${cs.id}/expire`)).body.status).toBe("expired");
  });

  it("refuses a card after 5 failures in an hour, and a source after 20, across sessions", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const ip = randomIp().replace("203.0.113", "198.51.100");
    const statuses: number[] = [];
    let session = await newSession(m);
    for (let i = 0; i < 21; i++) {
      if (i % 4 === 0) session = await newSession(m);
      // Cards cycle through four declining numbers, so each fails 5 times by the 20th attempt.
      const number =
        ["4000000000000002", "4000000000009995", "4000000000009987", "4000000000009979"][i % 4] ?? DECLINED;
      statuses.push((await pay(session.id, { card: pageCard(number) }, { ip })).status);
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(402));
    expect(statuses[20]).toBe(429);
    // The source is spent: even a good card from it is refused; from elsewhere it pays.
    const fresh = await newSession(m);
    const refused = await pay(fresh.id, { card: pageCard(GOOD) }, { ip });
    expect([refused.status, refused.body.error.code, refused.headers.get("retry-after") !== null]).toEqual([
      429,
      "rate_limit",
      true,
    ]);
    // A declining card that failed 5 times is refused from a new address too.
    const card = await pay(fresh.id, { card: pageCard(DECLINED) }, { ip: randomIp() });
    expect([card.status, card.body.error.code]).toEqual([429, "rate_limit"]);
    expect((await pay(fresh.id, { card: pageCard(GOOD) }, { ip: randomIp() })).status).toBe(200);
  });
});

describe("checkout page: concurrency", () => {
  it("ten simultaneous payments of one session authorize once", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const cs = await newSession(m);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => pay(cs.id, { card: pageCard(GOOD) }, { ip: randomIp(), app: recordedApp })),
    );
    const ok = results.filter((r) => r.status === 200);
    expect(ok.length).toBe(1);
    for (const r of results.filter((r) => r.status !== 200)) {
      expect([400, 429]).toContain(r.status);
    }
    expect(await processorOps(`${cs.payment_intent}_`)).toEqual(["authorize", "capture"]);
    expect((await get(m, `/v1/payment_intents/${cs.payment_intent}`)).body.status).toBe("succeeded");
    expect((await get(m, `/v1/checkout/sessions/${cs.id}`)).body.status).toBe("complete");
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
    expect(await unfinished(m.merchantId)).toEqual([]);
    const db = await dbOf(m.merchantId);
    const completed = await db.select().from(events).where(eq(events.type, "checkout.session.completed")).all();
    expect(completed.filter((e) => e.objectId === cs.id)).toHaveLength(1);
  });
});

describe("checkout page: no card data leaks", () => {
  it("no card number in any response or log line of this file", () => {
    const text = [...bodies, ...logLines].join("\n");
    expect(bodies.length).toBeGreaterThan(30);
    for (const number of [GOOD, DECLINED, "4242424242424241", "4000000000009995"]) {
      expect(text).not.toContain(number);
    }
  });
});
