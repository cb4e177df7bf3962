import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { eventProblems } from "../helpers/events";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import {
  cardToken,
  get as getVia,
  ledgerProblems,
  paymentMethod,
  post as postVia,
  processorOps,
  recordedApp,
  unfinished,
} from "../helpers/payments";
import { Faults } from "../helpers/processors";

const VISA = "4242424242424242";
const LOOPS = 3;
const N = 40;

function slowApp() {
  const faults = new Faults();
  for (const op of ["authorize", "capture", "void", "refund"] as const) faults.set(op, { kind: "slow", ms: 40 });
  return createApp({ payments: { processor: faults.factory } });
}

async function authorized(m: TestMerchant, amount = 1000) {
  const post: typeof postVia = (m, path, fields) => postVia(m, path, fields, { app: recordedApp });
  const pm = await paymentMethod(m, VISA);
  const res = await post(m, "/v1/payment_intents", {
    amount,
    currency: "usd",
    payment_method: pm,
    confirm: "true",
    capture_method: "manual",
  });
  expect(res.body.status).toBe("requires_capture");
  return res.body.id as string;
}

/** Checks one answer: a 200 whose intent is in the final state, or a 4xx naming why. */
function expectFinalOr4xx(res: { status: number; body: { status?: string; error?: { code: string } } }, final: string) {
  if (res.status === 200) expect(res.body.status).toBe(final);
  else expect(res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
}

async function settled(m: TestMerchant) {
  expect(await unfinished(m.merchantId)).toEqual([]);
  expect(await ledgerProblems(m.merchantId)).toEqual([]);
  expect(await eventProblems(m.merchantId)).toEqual([]);
}

/**
 * Each race runs twice: on the app as the Worker builds it (its processor noting what it approved),
 * and on an app whose processor answers every call
 * after 40 ms, so the racing requests find the operation still pending (the window where a second
 * claim used to replace the first one's key and leave the intent processing forever).
 */
for (const [speed, app] of [
  ["fast processor", recordedApp],
  ["slow processor", slowApp()],
] as const)
  describe(`racing actions on one intent (${speed})`, () => {
    const post: typeof postVia = (m, path, fields, opts) => postVia(m, path, fields, { app, ...opts });
    /** Sends again after a 429 lock_timeout (which says Stripe-Should-Retry: true), as the stripe SDK does. */
    const postRetrying: typeof postVia = async (m, path, fields, opts) => {
      for (let attempt = 0; ; attempt++) {
        const res = await post(m, path, fields, opts);
        if (res.body.error?.code !== "lock_timeout" || attempt === 5) return res;
        expect(res.headers.get("stripe-should-retry")).toBe("true");
      }
    };
    const get: typeof getVia = (m, path) => getVia(m, path, app);
    it(`${N} concurrent captures: one capture, every answer the final state or a 4xx (×${LOOPS})`, async () => {
      const m = await newMerchant({ rateLimit: 1000 });
      for (let loop = 0; loop < LOOPS; loop++) {
        const id = await authorized(m);
        const answers = await Promise.all(
          Array.from({ length: N }, () => post(m, `/v1/payment_intents/${id}/capture`)),
        );
        for (const res of answers) expectFinalOr4xx(res, "succeeded");
        expect(answers.some((r) => r.status === 200)).toBe(true);
        expect(await processorOps(`${id}_`)).toEqual(["authorize", "capture"]);
        expect((await get(m, `/v1/payment_intents/${id}`)).body).toMatchObject({
          status: "succeeded",
          amount_received: 1000,
        });
        await settled(m);
      }
    });

    it(`${N} concurrent cancels: one void (×${LOOPS})`, async () => {
      const m = await newMerchant({ rateLimit: 1000 });
      for (let loop = 0; loop < LOOPS; loop++) {
        const id = await authorized(m);
        const answers = await Promise.all(Array.from({ length: N }, () => post(m, `/v1/payment_intents/${id}/cancel`)));
        for (const res of answers) expectFinalOr4xx(res, "canceled");
        expect(await processorOps(`${id}_`)).toEqual(["authorize", "void"]);
        expect((await get(m, `/v1/payment_intents/${id}`)).body).toMatchObject({
          status: "canceled",
          amount_capturable: 0,
        });
        await settled(m);
      }
    });

    it(`${N} captures and cancels mixed: exactly one of them happens (×${LOOPS})`, async () => {
      const m = await newMerchant({ rateLimit: 1000 });
      for (let loop = 0; loop < LOOPS; loop++) {
        const id = await authorized(m);
        const answers = await Promise.all(
          Array.from({ length: N }, (_, i) => post(m, `/v1/payment_intents/${id}/${i % 2 ? "capture" : "cancel"}`)),
        );
        const final = (await get(m, `/v1/payment_intents/${id}`)).body.status;
        expect(["succeeded", "canceled"]).toContain(final);
        for (const res of answers) expectFinalOr4xx(res, final);
        expect(await processorOps(`${id}_`)).toEqual(["authorize", final === "succeeded" ? "capture" : "void"]);
        await settled(m);
      }
    });

    it("concurrent partial captures above the authorized amount are refused; one valid capture wins", async () => {
      const m = await newMerchant({ rateLimit: 1000 });
      for (let loop = 0; loop < LOOPS; loop++) {
        const id = await authorized(m, 1000);
        const answers = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            post(m, `/v1/payment_intents/${id}/capture`, { amount_to_capture: i % 3 === 0 ? 600 : 1001 + i }),
          ),
        );
        answers.forEach((res, i) => {
          if (i % 3 !== 0)
            expect([res.status, res.body.error?.code, res.body.error?.param]).toEqual([
              400,
              "amount_too_large",
              "amount_to_capture",
            ]);
          else expectFinalOr4xx(res, "succeeded");
        });
        expect((await get(m, `/v1/payment_intents/${id}`)).body).toMatchObject({
          status: "succeeded",
          amount_received: 600,
        });
        expect(await processorOps(`${id}_`)).toEqual(["authorize", "capture"]);
        await settled(m);
      }
    });

    it("30 concurrent partial refunds never exceed the capture, and every refund that exists was answered 200", async () => {
      const m = await newMerchant({ rateLimit: 1000 });
      for (let loop = 0; loop < LOOPS; loop++) {
        const pm = await paymentMethod(m, VISA);
        const pi = (
          await post(m, "/v1/payment_intents", { amount: 2000, currency: "usd", payment_method: pm, confirm: "true" })
        ).body;
        const answers = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            postRetrying(
              m,
              "/v1/refunds",
              { payment_intent: pi.id, amount: 150 },
              { idempotencyKey: `r-${loop}-${i}` },
            ),
          ),
        );
        for (const res of answers) {
          expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
          if (res.status !== 200)
            expect(["amount_too_large", "charge_already_refunded"]).toContain(res.body.error.code);
        }
        const ok = answers.filter((r) => r.status === 200).map((r) => r.body.id as string);
        expect(ok.length).toBe(13); // 13 × 150 = 1950 ≤ 2000 < 14 × 150
        const listed = (await get(m, `/v1/refunds?payment_intent=${pi.id}&limit=100`)).body.data.map(
          (r: { id: string }) => r.id,
        );
        expect(listed.sort()).toEqual([...ok].sort());
        expect((await get(m, `/v1/payment_intents/${pi.id}`)).body.amount_refunded).toBe(1950);
        await settled(m);
      }
    });

    it("25 concurrent metadata updates all land", async () => {
      const m = await newMerchant({ rateLimit: 1000 });
      const pi = (await post(m, "/v1/payment_intents", { amount: 1000, currency: "usd" })).body;
      const answers = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          postRetrying(m, `/v1/payment_intents/${pi.id}`, { [`metadata[k${i}]`]: `v${i}` }),
        ),
      );
      expect(answers.map((r) => r.status)).toEqual(Array(25).fill(200));
      const meta = (await get(m, `/v1/payment_intents/${pi.id}`)).body.metadata;
      expect(Object.keys(meta).length).toBe(25);
    });

    it("a token that a confirm would use is not spent when a cancel wins the race", async () => {
      const m = await newMerchant({ rateLimit: 1000 });
      for (let loop = 0; loop < 5; loop++) {
        const tok = await cardToken(m, VISA);
        const pi = (await post(m, "/v1/payment_intents", { amount: 1000, currency: "usd" })).body;
        const [confirm, cancel] = await Promise.all([
          post(m, `/v1/payment_intents/${pi.id}/confirm`, { payment_method: tok }),
          post(m, `/v1/payment_intents/${pi.id}/cancel`),
        ]);
        const final = (await get(m, `/v1/payment_intents/${pi.id}`)).body;
        const used = (await get(m, `/v1/tokens/${tok}`)).body.used;
        const ops = await processorOps(`${pi.id}_`);
        // One of the two won: a confirm that paid (the cancel is refused), or a cancel before it.
        // Or the cancel came while the authorization was in flight: it finished the authorization
        // with the same key (held for review: the fraud screen's pin of the confirm's run had not
        // landed yet, see docs/fraud.md) and voided it; the confirm answers the state it last saw,
        // and releases what its own run took that the intent does not show.
        if (confirm.status === 200 && final.status === "canceled") {
          expect([cancel.status, cancel.body.status]).toEqual([200, "canceled"]);
          // One authorization, voided; a capture the confirm's run took meanwhile is refunded.
          const count = (op: string) => ops.filter((o) => o === op).length;
          expect([count("authorize"), count("void"), count("capture") - count("refund")]).toEqual([1, 1, 0]);
        } else if (confirm.status === 200) expect([final.status, cancel.status]).toEqual(["succeeded", 400]);
        else expect([final.status, cancel.body.status, confirm.status]).toEqual(["canceled", "canceled", 400]);
        // The token is spent exactly when an authorization was attempted with it.
        expect(used).toBe(ops.includes("authorize"));
        await settled(m);
      }
    });

    it("detach racing confirm, and confirm with a detached method, leave the intent cancelable", async () => {
      const m = await newMerchant({ rateLimit: 1000 });
      for (let loop = 0; loop < 5; loop++) {
        const pm = await paymentMethod(m, VISA);
        const pi = (await post(m, "/v1/payment_intents", { amount: 1000, currency: "usd", capture_method: "manual" }))
          .body;
        const [confirm] = await Promise.all([
          post(m, `/v1/payment_intents/${pi.id}/confirm`, { payment_method: pm }),
          post(m, `/v1/payment_methods/${pm}/detach`),
        ]);
        expect(confirm.status, JSON.stringify(confirm.body)).toBeLessThan(500);
        const status = (await get(m, `/v1/payment_intents/${pi.id}`)).body.status;
        expect(["requires_capture", "requires_payment_method"]).toContain(status);
        expect((await post(m, `/v1/payment_intents/${pi.id}/cancel`)).body.status).toBe("canceled");
        await settled(m);
      }
      const pm = await paymentMethod(m, VISA);
      const pi = (await post(m, "/v1/payment_intents", { amount: 1000, currency: "usd" })).body;
      await post(m, `/v1/payment_methods/${pm}/detach`);
      const confirm = await post(m, `/v1/payment_intents/${pi.id}/confirm`, { payment_method: pm });
      expect([confirm.status, confirm.body.error.code, confirm.body.error.param]).toEqual([
        404,
        "resource_missing",
        "payment_method",
      ]);
      expect((await post(m, `/v1/payment_intents/${pi.id}/cancel`)).body.status).toBe("canceled");
      await settled(m);
    });
  });
