import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { eventProblems } from "../helpers/events";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { cardToken, get, ledgerProblems, paymentMethod, post, processorOps, unfinished } from "../helpers/payments";
import { Faults, type Operation, recordedProcessor } from "../helpers/processors";
import { sweepAll } from "../helpers/shards";

const VISA = "4242424242424242";
const later = () => Math.floor(Date.now() / 1000) + 120;

/** An app whose processor is the simulator behind `faults`. */
function faulty() {
  const faults = new Faults();
  return { faults, app: createApp({ payments: { processor: faults.factory } }) };
}

async function authorized(m: TestMerchant, app: ReturnType<typeof faulty>["app"], capture = "manual") {
  const pm = await paymentMethod(m, VISA);
  const res = await post(
    m,
    "/v1/payment_intents",
    { amount: 1000, currency: "usd", payment_method: pm, confirm: "true", capture_method: capture },
    { app },
  );
  return res;
}

async function settled(m: TestMerchant) {
  expect(await unfinished(m.merchantId)).toEqual([]);
  expect(await ledgerProblems(m.merchantId)).toEqual([]);
  expect(await eventProblems(m.merchantId)).toEqual([]);
}

describe("definite refusals end in a terminal state", () => {
  it("a refused authorization sends the intent back for another payment method; nothing is held", async () => {
    const m = await newMerchant();
    const { faults, app } = faulty();
    faults.set("authorize", { kind: "refuse", reason: "declined" });
    const res = await authorized(m, app);
    expect([res.status, res.body.error.code, res.body.error.payment_intent.status]).toEqual([
      402,
      "card_declined",
      "requires_payment_method",
    ]);
    const id = res.body.error.payment_intent.id;
    expect((await get(m, `/v1/payment_intents/${id}`)).body).toMatchObject({
      status: "requires_payment_method",
      amount_capturable: 0,
      last_payment_error: { code: "card_declined" },
    });
    expect(await processorOps(`${id}_`)).toEqual([]);
    await settled(m);
    faults.clear();
    const pm = await paymentMethod(m, VISA);
    const again = await post(m, `/v1/payment_intents/${id}/confirm`, { payment_method: pm }, { app });
    expect(again.body.status).toBe("requires_capture");
    await settled(m);
  });

  it("a refused capture leaves the authorization capturable; capturing again works", async () => {
    const m = await newMerchant();
    const { faults, app } = faulty();
    const pi = (await authorized(m, app)).body;
    faults.set("capture", { kind: "refuse", reason: "declined" });
    const refused = await post(m, `/v1/payment_intents/${pi.id}/capture`, {}, { app });
    expect([refused.status, refused.body.error.code, refused.body.error.payment_intent.status]).toEqual([
      402,
      "processing_error",
      "requires_capture",
    ]);
    expect((await get(m, `/v1/payment_intents/${pi.id}`)).body).toMatchObject({
      status: "requires_capture",
      amount_capturable: 1000,
    });
    expect((await get(m, "/v1/balance")).body.authorized).toEqual([{ amount: 1000, currency: "usd" }]);
    await settled(m);
    faults.clear();
    expect((await post(m, `/v1/payment_intents/${pi.id}/capture`, {}, { app })).body.status).toBe("succeeded");
    await settled(m);
  });

  it("a capture refused because the authorization is gone cancels the intent and releases the hold", async () => {
    const m = await newMerchant();
    const { faults, app } = faulty();
    const pi = (await authorized(m, app)).body;
    faults.set("capture", { kind: "refuse", reason: "authorization_gone" });
    const refused = await post(m, `/v1/payment_intents/${pi.id}/capture`, {}, { app });
    expect([refused.status, refused.body.error.code]).toEqual([400, "charge_expired_for_capture"]);
    expect((await get(m, `/v1/payment_intents/${pi.id}`)).body).toMatchObject({
      status: "canceled",
      amount_capturable: 0,
      amount_received: 0,
    });
    expect((await get(m, "/v1/balance")).body.authorized).toEqual([{ amount: 0, currency: "usd" }]);
    await settled(m);
  });

  it("an automatic capture refused after the authorization leaves the intent capturable", async () => {
    const m = await newMerchant();
    const { faults, app } = faulty();
    faults.set("capture", { kind: "refuse", reason: "declined" });
    const res = await authorized(m, app, "automatic");
    expect([res.status, res.body.error.code]).toEqual([402, "processing_error"]);
    const id = res.body.error.payment_intent.id;
    expect((await get(m, `/v1/payment_intents/${id}`)).body).toMatchObject({ status: "requires_capture" });
    expect((await post(m, `/v1/payment_intents/${id}/cancel`, {}, { app })).body.status).toBe("canceled");
    await settled(m);
  });

  it("a refused void leaves the intent capturable; a gone authorization still cancels", async () => {
    const m = await newMerchant();
    const { faults, app } = faulty();
    const pi = (await authorized(m, app)).body;
    faults.set("void", { kind: "refuse", reason: "declined" });
    const refused = await post(m, `/v1/payment_intents/${pi.id}/cancel`, {}, { app });
    expect([refused.status, refused.body.error.code]).toEqual([402, "processing_error"]);
    expect((await get(m, `/v1/payment_intents/${pi.id}`)).body).toMatchObject({
      status: "requires_capture",
      cancellation_reason: null,
    });
    await settled(m);
    faults.set("void", { kind: "refuse", reason: "authorization_gone" });
    expect((await post(m, `/v1/payment_intents/${pi.id}/cancel`, {}, { app })).body).toMatchObject({
      status: "canceled",
      amount_capturable: 0,
    });
    await settled(m);
  });

  it("a refused refund is failed, its reservation released in the same batch; a new refund works", async () => {
    const m = await newMerchant();
    const { faults, app } = faulty();
    const pi = (await authorized(m, app, "automatic")).body;
    faults.set("refund", { kind: "refuse", reason: "declined" });
    const refund = await post(m, "/v1/refunds", { payment_intent: pi.id, amount: 400 }, { app });
    expect([refund.status, refund.body.status, refund.body.failure_reason]).toEqual([200, "failed", "declined"]);
    expect((await get(m, `/v1/payment_intents/${pi.id}`)).body.amount_refunded).toBe(0);
    await settled(m);
    faults.clear();
    const again = await post(m, "/v1/refunds", { payment_intent: pi.id }, { app });
    expect([again.body.status, again.body.amount]).toEqual(["succeeded", 1000]);
    await settled(m);
  });
});

describe("crashes and lost answers between claim and outcome are repaired by the sweep, once", () => {
  const cases: [string, Operation, "lose_answer" | "lose_request" | "crash_after"][] = [
    ["authorize, answer lost", "authorize", "lose_answer"],
    ["authorize, request lost", "authorize", "lose_request"],
    ["capture, crash after the processor acted", "capture", "crash_after"],
    ["capture, request lost", "capture", "lose_request"],
    ["void, crash after the processor acted", "void", "crash_after"],
  ];
  for (const [name, op, kind] of cases) {
    it(name, async () => {
      const m = await newMerchant();
      const { faults, app } = faulty();
      if (op === "authorize") faults.set(op, { kind });
      const first = await authorized(m, app);
      const id = first.body.id as string;
      if (op !== "authorize") {
        faults.set(op, { kind });
        const res = await post(m, `/v1/payment_intents/${id}/${op === "void" ? "cancel" : "capture"}`, {}, { app });
        expect([res.status, res.body.status]).toEqual([200, "processing"]);
      } else {
        expect([first.status, first.body.status]).toEqual([200, "processing"]);
      }
      // Two sweeps at once, later: the same key is repeated, the outcome recorded once.
      await Promise.all([sweepAll({ at: later() }), sweepAll({ at: later() })]);
      const after = (await get(m, `/v1/payment_intents/${id}`)).body;
      const expected: Record<Operation, string> = {
        authorize: "requires_capture",
        capture: "succeeded",
        void: "canceled",
        refund: "succeeded",
      };
      expect(after.status).toBe(expected[op]);
      const ops = await processorOps(`${id}_`);
      expect(ops.filter((k) => k === "authorize")).toHaveLength(1);
      if (op !== "authorize") expect(ops.filter((k) => k === op)).toHaveLength(1);
      await settled(m);
    });
  }

  it("a refund whose answer was lost is pending, answered 200, and finished by the sweep once", async () => {
    const m = await newMerchant();
    const { faults, app } = faulty();
    const pi = (await authorized(m, app, "automatic")).body;
    faults.set("refund", { kind: "crash_after" });
    const refund = await post(
      m,
      "/v1/refunds",
      { payment_intent: pi.id, amount: 300 },
      { app, idempotencyKey: "rf-1" },
    );
    expect([refund.status, refund.body.status]).toEqual([200, "pending"]);
    await Promise.all([sweepAll({ at: later() }), sweepAll({ at: later() })]);
    expect((await get(m, `/v1/refunds/${refund.body.id}`)).body.status).toBe("succeeded");
    expect(await processorOps(refund.body.id)).toEqual(["refund"]);
    await settled(m);
  });

  it("a sweep row that fails is logged and skipped; the rest are still repaired", async () => {
    const m = await newMerchant();
    const { faults, app } = faulty();
    faults.set("authorize", { kind: "lose_request" });
    const a = (await authorized(m, app)).body.id;
    const b = (await authorized(m, app)).body.id;
    // The sweep's processor still loses every authorization: nothing is decided, nothing breaks.
    const report = await sweepAll({ at: later(), processor: faults.factory });
    expect(report.failed).toBe(0);
    expect((await get(m, `/v1/payment_intents/${a}`)).body.status).toBe("processing");
    faults.clear();
    await sweepAll({ at: later() });
    for (const id of [a, b]) expect((await get(m, `/v1/payment_intents/${id}`)).body.status).toBe("requires_capture");
    await settled(m);
  });
});

describe("the same request sent again after a 5xx finds its own effect", () => {
  /** An app whose processor factory throws once (a 500 after the claim was written), then works. */
  function failingOnce() {
    let failures = 1;
    const app = createApp({
      payments: {
        processor: (vault, claimed) => {
          if (failures-- > 0) throw new TypeError("processor unavailable");
          return recordedProcessor(vault, claimed);
        },
      },
    });
    return app;
  }

  for (const kind of ["tok", "pm"] as const) {
    it(`create with confirm=true and a ${kind}_: the retry under the same key answers the payment`, async () => {
      const m = await newMerchant();
      const app = failingOnce();
      const method = kind === "tok" ? await cardToken(m, VISA) : await paymentMethod(m, VISA);
      const fields = { amount: 1000, currency: "usd", payment_method: method, confirm: "true" };
      const first = await post(m, "/v1/payment_intents", fields, { app, idempotencyKey: `k-${kind}` });
      expect([first.status, first.headers.get("stripe-should-retry")]).toEqual([500, "true"]);
      const retry = await post(m, "/v1/payment_intents", fields, { app, idempotencyKey: `k-${kind}` });
      expect([retry.status, retry.body.status, retry.body.amount_received]).toEqual([200, "succeeded", 1000]);
      const replay = await post(m, "/v1/payment_intents", fields, { app, idempotencyKey: `k-${kind}` });
      expect([replay.body.id, replay.headers.get("idempotent-replayed")]).toEqual([retry.body.id, "true"]);
      expect(await processorOps(`${retry.body.id}_`)).toEqual(["authorize", "capture"]);
      await settled(m);
    });

    it(`confirm with a ${kind}_: the retry under the same key answers the payment`, async () => {
      const m = await newMerchant();
      const app = failingOnce();
      const method = kind === "tok" ? await cardToken(m, VISA) : await paymentMethod(m, VISA);
      const pi = (await post(m, "/v1/payment_intents", { amount: 1000, currency: "usd" }, { app })).body;
      const path = `/v1/payment_intents/${pi.id}/confirm`;
      const first = await post(m, path, { payment_method: method }, { app, idempotencyKey: `c-${kind}` });
      expect(first.status).toBe(500);
      const retry = await post(m, path, { payment_method: method }, { app, idempotencyKey: `c-${kind}` });
      expect([retry.status, retry.body.status]).toEqual([200, "succeeded"]);
      expect(await processorOps(`${pi.id}_`)).toEqual(["authorize", "capture"]);
      await settled(m);
    });
  }

  it("an unusable payment method saves nothing: the corrected request under the same key succeeds", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, VISA);
    const fields = { amount: 1000, currency: "usd", confirm: "true" };
    const gone = await post(
      m,
      "/v1/payment_intents",
      { ...fields, payment_method: "pm_nope123" },
      { idempotencyKey: "u" },
    );
    expect([gone.status, gone.body.error.code]).toEqual([404, "resource_missing"]);
    const fixed = await post(m, "/v1/payment_intents", { ...fields, payment_method: pm }, { idempotencyKey: "u" });
    expect([fixed.status, fixed.body.status]).toEqual([200, "succeeded"]);
  });
});
