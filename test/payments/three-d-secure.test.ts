/**
 * 3-D Secure with the simulated issuer, end to end through the Worker: the three test cards stop
 * in requires_action with a challenge; completing authorizes once (replays, double clicks and
 * concurrent answers included), failing returns the intent for another card; cancel, re-confirm
 * and the sweep's expiry leave nothing waiting; the page is a capability with strict headers.
 */
import { describe, expect, it } from "vitest";
import { eventProblems, typesFor } from "../helpers/events";
import { call } from "../helpers/http";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import {
  get as getVia,
  ledgerProblems,
  paymentMethod,
  post as postVia,
  processorOps,
  recordedApp,
  unfinished,
} from "../helpers/payments";
import { sweepAll } from "../helpers/shards";

const app = recordedApp;
const post: typeof postVia = (m, path, fields, opts = {}) => postVia(m, path, fields, { ...opts, app });
const get = (m: TestMerchant, path: string) => getVia(m, path, app);

const CARDS = { setup: "4000002500003155", always: "4000002760003184", v2: "4000000000003220" } as const;
const DECLINED_AFTER = "4000008400001629";
const VISA = "4242424242424242";
const RETURN = "https://shop.example/orders/42?x=1";

/** Creates and confirms an intent with `number`; expects it waiting for a challenge. */
async function challenged(m: TestMerchant, number: string, fields: Record<string, string> = {}) {
  const pm = await paymentMethod(m, number);
  const res = await post(m, "/v1/payment_intents", {
    amount: 1000,
    currency: "usd",
    payment_method: pm,
    confirm: "true",
    return_url: RETURN,
    ...fields,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.status).toBe("requires_action");
  const url = res.body.next_action.redirect_to_url.url as string;
  return { intent: res.body.id as string, secret: res.body.client_secret as string, url, path: new URL(url).pathname };
}

function answer(path: string, kind: "complete" | "fail") {
  return call(
    `${path}/${kind}`,
    { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "" },
    app,
  );
}

async function settled(m: TestMerchant) {
  expect(await unfinished(m.merchantId)).toEqual([]);
  expect(await ledgerProblems(m.merchantId)).toEqual([]);
  expect(await eventProblems(m.merchantId)).toEqual([]);
}

describe("3-D Secure test cards", () => {
  for (const [name, number] of Object.entries(CARDS)) {
    it(`${name} (${number}) waits in requires_action with a redirect, before the processor is called`, async () => {
      const m = await newMerchant();
      const c = await challenged(m, number);
      expect(c.url).toMatch(/^http:\/\/127\.0\.0\.1:8787\/3ds\/payatt_[0-9A-Za-z]{48}$/);
      const intent = await get(m, `/v1/payment_intents/${c.intent}`);
      expect(intent.body.next_action).toEqual({
        type: "redirect_to_url",
        redirect_to_url: { url: c.url, return_url: RETURN },
      });
      expect(intent.body.latest_charge).toBeNull();
      expect(await processorOps(`${c.intent}_`)).toEqual([]);
      expect(await typesFor(m.merchantId, c.intent)).toContain("payment_intent.requires_action");
      await settled(m);
    });
  }

  it("an ordinary card is not challenged", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, VISA);
    const res = await post(m, "/v1/payment_intents", {
      amount: 1000,
      currency: "usd",
      payment_method: pm,
      confirm: "true",
      return_url: RETURN,
    });
    expect(res.body.status).toBe("succeeded");
    expect(res.body.next_action).toBeNull();
  });

  it("a confirm of an existing intent is challenged too", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, CARDS.always);
    const created = await post(m, "/v1/payment_intents", { amount: 700, currency: "eur" });
    const res = await post(m, `/v1/payment_intents/${created.body.id}/confirm`, {
      payment_method: pm,
      return_url: RETURN,
    });
    expect(res.body.status).toBe("requires_action");
  });
});

describe("4000002500003155: required unless off-session with a card set up before", () => {
  it("off-session with the card saved to the customer authorizes without a challenge; on-session is challenged", async () => {
    const m = await newMerchant();
    const customer = (await post(m, "/v1/customers", { email: "a@shop.example" })).body.id as string;
    const pm = await paymentMethod(m, CARDS.setup);
    expect((await post(m, `/v1/payment_methods/${pm}/attach`, { customer })).status).toBe(200);
    const base = { amount: 1000, currency: "usd", customer, payment_method: pm, confirm: "true", return_url: RETURN };
    const off = await post(m, "/v1/payment_intents", { ...base, off_session: "true" });
    expect(off.body.status).toBe("succeeded");
    const on = await post(m, "/v1/payment_intents", base);
    expect(on.body.status).toBe("requires_action");
    const always = await paymentMethod(m, CARDS.always);
    await post(m, `/v1/payment_methods/${always}/attach`, { customer });
    const offAlways = await post(m, "/v1/payment_intents", { ...base, payment_method: always, off_session: "true" });
    expect(offAlways.body.status).toBe("requires_action");
    await settled(m);
  });

  it("off-session with a card not saved to a customer is challenged", async () => {
    const m = await newMerchant();
    const c = await challenged(m, CARDS.setup, { off_session: "true" });
    expect(c.url).toContain("/3ds/payatt_");
  });
});

describe("completing the challenge", () => {
  it("authorizes and captures (automatic), then returns to return_url with Stripe's parameters", async () => {
    const m = await newMerchant();
    const c = await challenged(m, CARDS.v2);
    const res = await answer(c.path, "complete");
    expect(res.status).toBe(303);
    const to = new URL(res.headers.get("location") ?? "");
    expect(`${to.origin}${to.pathname}`).toBe("https://shop.example/orders/42");
    expect(to.searchParams.get("x")).toBe("1");
    expect(to.searchParams.get("payment_intent")).toBe(c.intent);
    expect(to.searchParams.get("payment_intent_client_secret")).toBe(c.secret);
    expect(to.searchParams.get("redirect_status")).toBe("succeeded");
    const intent = await get(m, `/v1/payment_intents/${c.intent}`);
    expect(intent.body.status).toBe("succeeded");
    expect(intent.body.next_action).toBeNull();
    expect(await processorOps(`${c.intent}_`)).toEqual(["authorize", "capture"]);
    expect(await typesFor(m.merchantId, c.intent)).toEqual([
      "payment_intent.created",
      "payment_intent.processing",
      "payment_intent.requires_action",
      "payment_intent.processing",
      "charge.succeeded",
      "payment_intent.succeeded",
    ]);
    await settled(m);
  });

  it("stops at requires_capture for a manual capture, which then captures", async () => {
    const m = await newMerchant();
    const c = await challenged(m, CARDS.always, { capture_method: "manual" });
    const res = await answer(c.path, "complete");
    expect(new URL(res.headers.get("location") ?? "").searchParams.get("redirect_status")).toBe("succeeded");
    expect((await get(m, `/v1/payment_intents/${c.intent}`)).body.status).toBe("requires_capture");
    const captured = await post(m, `/v1/payment_intents/${c.intent}/capture`, {});
    expect(captured.body.status).toBe("succeeded");
    expect(await processorOps(`${c.intent}_`)).toEqual(["authorize", "capture"]);
    await settled(m);
  });

  it("a card declined after authentication returns failed and the decline", async () => {
    const m = await newMerchant();
    const c = await challenged(m, DECLINED_AFTER);
    const res = await answer(c.path, "complete");
    expect(new URL(res.headers.get("location") ?? "").searchParams.get("redirect_status")).toBe("failed");
    const intent = await get(m, `/v1/payment_intents/${c.intent}`);
    expect(intent.body.status).toBe("requires_payment_method");
    expect(intent.body.last_payment_error.code).toBe("card_declined");
    await settled(m);
  });

  it("a replayed complete (double click, back button) authorizes once and redirects the same way", async () => {
    const m = await newMerchant();
    const c = await challenged(m, CARDS.setup);
    const first = await answer(c.path, "complete");
    const second = await answer(c.path, "complete");
    const failAfter = await answer(c.path, "fail");
    expect(second.status).toBe(303);
    expect(second.headers.get("location")).toBe(first.headers.get("location"));
    expect(failAfter.headers.get("location")).toBe(first.headers.get("location"));
    expect(await processorOps(`${c.intent}_`)).toEqual(["authorize", "capture"]);
    expect((await get(m, `/v1/payment_intents/${c.intent}`)).body.status).toBe("succeeded");
    await settled(m);
  });

  it("ten simultaneous completes authorize once", async () => {
    const m = await newMerchant();
    const c = await challenged(m, CARDS.always);
    const answers = await Promise.all(Array.from({ length: 10 }, () => answer(c.path, "complete")));
    for (const a of answers) expect(a.status).toBeLessThan(500);
    expect(await processorOps(`${c.intent}_`)).toEqual(["authorize", "capture"]);
    expect((await get(m, `/v1/payment_intents/${c.intent}`)).body.status).toBe("succeeded");
    await settled(m);
  });

  it("complete and fail racing: exactly one wins", async () => {
    const m = await newMerchant();
    const c = await challenged(m, CARDS.always);
    await Promise.all([answer(c.path, "complete"), answer(c.path, "fail"), answer(c.path, "complete")]);
    const status = (await get(m, `/v1/payment_intents/${c.intent}`)).body.status;
    const ops = await processorOps(`${c.intent}_`);
    if (status === "succeeded") expect(ops).toEqual(["authorize", "capture"]);
    else expect([status, ops]).toEqual(["requires_payment_method", []]);
    await settled(m);
  });

  it("without a return_url the page shows the result", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, CARDS.always);
    const res = await post(m, "/v1/payment_intents", {
      amount: 1000,
      currency: "usd",
      payment_method: pm,
      confirm: "true",
    });
    expect(res.body.next_action.redirect_to_url.return_url).toBeNull();
    const done = await answer(new URL(res.body.next_action.redirect_to_url.url).pathname, "complete");
    expect(done.status).toBe(200);
    expect(await done.text()).toContain("succeeded");
  });
});

describe("failing the challenge", () => {
  it("returns the intent to requires_payment_method with payment_intent_authentication_failure; another card pays it", async () => {
    const m = await newMerchant();
    const c = await challenged(m, CARDS.always);
    const res = await answer(c.path, "fail");
    expect(res.status).toBe(303);
    expect(new URL(res.headers.get("location") ?? "").searchParams.get("redirect_status")).toBe("failed");
    const intent = await get(m, `/v1/payment_intents/${c.intent}`);
    expect(intent.body.status).toBe("requires_payment_method");
    expect(intent.body.last_payment_error).toMatchObject({
      type: "invalid_request_error",
      code: "payment_intent_authentication_failure",
    });
    expect(intent.body.latest_charge).toBeNull();
    expect(await processorOps(`${c.intent}_`)).toEqual([]);
    expect(await typesFor(m.merchantId, c.intent)).toContain("payment_intent.payment_failed");
    const visa = await paymentMethod(m, VISA);
    const paid = await post(m, `/v1/payment_intents/${c.intent}/confirm`, { payment_method: visa });
    expect(paid.body.status).toBe("succeeded");
    expect(paid.body.last_payment_error).toBeNull();
    await settled(m);
  });
});

describe("an intent waiting in requires_action", () => {
  it("can be canceled (no money moved); its challenge then changes nothing", async () => {
    const m = await newMerchant();
    const c = await challenged(m, CARDS.always);
    const canceled = await post(m, `/v1/payment_intents/${c.intent}/cancel`, {});
    expect(canceled.body.status).toBe("canceled");
    expect(canceled.body.next_action).toBeNull();
    expect((await answer(c.path, "complete")).status).toBe(409);
    expect(await processorOps(`${c.intent}_`)).toEqual([]);
    await settled(m);
  });

  it("refuses a capture", async () => {
    const m = await newMerchant();
    const c = await challenged(m, CARDS.always, { capture_method: "manual" });
    const res = await post(m, `/v1/payment_intents/${c.intent}/capture`, {});
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("payment_intent_unexpected_state");
  });

  it("confirmed again is a new attempt: the old challenge is void", async () => {
    const m = await newMerchant();
    const c = await challenged(m, CARDS.always);
    const visa = await paymentMethod(m, VISA);
    const paid = await post(m, `/v1/payment_intents/${c.intent}/confirm`, { payment_method: visa });
    expect(paid.body.status).toBe("succeeded");
    expect((await answer(c.path, "complete")).status).toBe(409);
    expect(await processorOps(`${c.intent}_`)).toEqual(["authorize", "capture"]);
    await settled(m);
  });

  it("goes back to requires_payment_method when the challenge expires (sweep); the page says so", async () => {
    const m = await newMerchant();
    const c = await challenged(m, CARDS.always);
    await sweepAll({ at: Math.floor(Date.now() / 1000) + 11 * 60 });
    const intent = await get(m, `/v1/payment_intents/${c.intent}`);
    expect(intent.body.status).toBe("requires_payment_method");
    expect(intent.body.last_payment_error.code).toBe("payment_intent_authentication_failure");
    const page = await call(c.path, {}, app);
    expect(page.status).toBe(410);
    expect((await answer(c.path, "complete")).status).toBe(410);
    expect(await processorOps(`${c.intent}_`)).toEqual([]);
    await settled(m);
  });
});

describe("the challenge page", () => {
  it("is plain HTML with two forms, no script, strict headers, and no card data", async () => {
    const m = await newMerchant();
    const c = await challenged(m, CARDS.setup);
    const res = await call(c.path, {}, app);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("form-action 'self' https://shop.example");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    expect(html).not.toContain("<script");
    expect(html).toContain(`action="${c.path}/complete"`);
    expect(html).toContain(`action="${c.path}/fail"`);
    expect(html).not.toContain("3155");
    expect(html).not.toContain(c.secret);
  });

  it("answers 404 for a random, malformed or another object's id", async () => {
    const m = await newMerchant();
    const c = await challenged(m, CARDS.always);
    const random = `/3ds/payatt_${"a".repeat(48)}`;
    for (const path of [random, "/3ds/nope", `/3ds/${c.intent}`, "/3ds/payatt_%3Cscript%3E"]) {
      expect((await call(path, {}, app)).status).toBe(404);
      expect((await answer(path, "complete")).status).toBe(404);
    }
    expect((await get(m, `/v1/payment_intents/${c.intent}`)).body.status).toBe("requires_action");
  });

  it("another merchant cannot see or act on the intent behind a challenge", async () => {
    const a = await newMerchant();
    const b = await newMerchant();
    const c = await challenged(a, CARDS.always);
    expect((await get(b, `/v1/payment_intents/${c.intent}`)).status).toBe(404);
    expect((await post(b, `/v1/payment_intents/${c.intent}/cancel`, {})).status).toBe(404);
    expect((await get(a, `/v1/payment_intents/${c.intent}`)).body.status).toBe("requires_action");
  });
});

describe("return_url", () => {
  it("must be https (http only to localhost in test mode), a 400 naming it", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, CARDS.always);
    for (const url of ["http://shop.example/back", "ftp://shop.example/back", "not a url"]) {
      const res = await post(m, "/v1/payment_intents", {
        amount: 1000,
        currency: "usd",
        payment_method: pm,
        confirm: "true",
        return_url: url,
      });
      expect(res.status).toBe(400);
      expect(res.body.error.param).toBe("return_url");
    }
    const local = await post(m, "/v1/payment_intents", {
      amount: 1000,
      currency: "usd",
      payment_method: pm,
      confirm: "true",
      return_url: "http://localhost:3000/back",
    });
    expect(local.body.next_action.redirect_to_url.return_url).toBe("http://localhost:3000/back");
  });
});
