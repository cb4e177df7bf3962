/**
 * Failover: an authorization that fails before authorizing on its connector (unreachable, or the
 * "try again" decline `processing_error`) goes once to the next eligible connector with a new
 * processor key; never after an approval, a card decline or an unknown outcome. Every attempt is a
 * charge of the intent, naming its connector; capture, void and refunds go to the connector that
 * authorized. Faults are injected per connector through the processor seam (test/helpers/processors.ts);
 * each connector account here is a `simulator` account, so the money really moves in the simulator.
 */
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { ConnectorUnreachable } from "../../src/processor/connector";
import type { ProcessorFactory } from "../../src/processor/index";
import { eventsOf } from "../helpers/events";
import { newMerchant, operator, type TestMerchant } from "../helpers/merchants";
import { get, ledgerProblems, paymentMethod, post, processorOps, unfinished } from "../helpers/payments";
import { Faults, recordedProcessor } from "../helpers/processors";
import { sweepAll } from "../helpers/shards";

/** A merchant with two test simulator accounts, `a` (older: the primary) and `b` (the fallback). */
async function twoConnectors(): Promise<{ m: TestMerchant; a: string; b: string }> {
  const m = await newMerchant({ rateLimit: 1000 });
  const make = async () =>
    (
      await operator<{ id: string }>(`/admin/v1/merchants/${m.merchantId}/connector_accounts`, {
        kind: "simulator",
        mode: "test",
      })
    ).id;
  const a = await make();
  const b = await make();
  return { m, a, b };
}

/**
 * The intent's charges as [status, failure_code, connector], failed before succeeded (attempts made
 * in the same second have no order the API shows; a failover's failed attempt always comes first).
 */
async function attempts(m: TestMerchant, intent: string) {
  const list = (await get(m, `/v1/charges?payment_intent=${intent}&limit=10`)).body.data as Array<{
    status: string;
    failure_code: string | null;
    routing: { connector: string; rule: string | null; version: number } | null;
  }>;
  return list
    .map((c) => [c.status, c.failure_code, c.routing?.connector ?? null])
    .sort((x, y) => `${x[0]} ${x[2]}`.localeCompare(`${y[0]} ${y[2]}`));
}

/** Creates and confirms an intent with a fresh Visa on `app`. */
async function payOn(app: ReturnType<typeof createApp>, m: TestMerchant, fields: Record<string, string | number> = {}) {
  const pm = await paymentMethod(m, "4242424242424242");
  return post(
    m,
    "/v1/payment_intents",
    { amount: 1000, currency: "usd", payment_method: pm, confirm: "true", ...fields },
    { app },
  );
}

describe("failover between connectors", () => {
  it("retries a processing_error once on the next connector, and records both attempts", async () => {
    const { m, a, b } = await twoConnectors();
    const faults = new Faults().setOn(a, "authorize", {
      kind: "decline",
      code: "processing_error",
      declineCode: "processing_error",
    });
    const app = createApp({ payments: { processor: faults.factory } });
    const paid = await payOn(app, m);
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    expect(paid.body.status).toBe("succeeded");
    expect(paid.body.last_payment_error).toBeNull();
    expect(await attempts(m, paid.body.id)).toEqual([
      ["failed", "processing_error", a],
      ["succeeded", null, b],
    ]);
    // The capture went where the authorization was: b.
    expect(faults.calls.get(`authorize@${a}`)).toBe(1);
    expect(faults.calls.get(`authorize@${b}`)).toBe(1);
    expect(faults.calls.get(`capture@${b}`)).toBe(1);
    expect(faults.calls.get(`capture@${a}`)).toBeUndefined();
    // A new processor key on b: one authorization and one capture moved money.
    expect(await processorOps(`${paid.body.id}_`)).toEqual(["authorize", "capture"]);
    const types = (await eventsOf(m.merchantId))
      .filter((e) => e.data.object.payment_intent === paid.body.id || e.data.object.id === paid.body.id)
      .map((e) => e.type);
    expect(types.filter((t) => t === "charge.failed")).toHaveLength(1);
    expect(types.filter((t) => t === "payment_intent.payment_failed")).toHaveLength(0);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
    expect(await unfinished(m.merchantId)).toEqual([]);
  });

  it("fails over when the connector is unreachable; a manual capture, a refund and a void go to the fallback", async () => {
    const { m, a, b } = await twoConnectors();
    const faults = new Faults().setOn(a, "authorize", { kind: "unreachable" });
    const app = createApp({ payments: { processor: faults.factory } });
    const held = await payOn(app, m, { capture_method: "manual" });
    expect(held.status, JSON.stringify(held.body)).toBe(200);
    expect(held.body.status).toBe("requires_capture");
    expect(await attempts(m, held.body.id)).toEqual([
      ["failed", "processing_error", a],
      ["succeeded", null, b],
    ]);
    const captured = await post(m, `/v1/payment_intents/${held.body.id}/capture`, { amount_to_capture: 600 }, { app });
    expect(captured.body.status).toBe("succeeded");
    const refund = await post(m, "/v1/refunds", { payment_intent: held.body.id, amount: 100 }, { app });
    expect(refund.body.status).toBe("succeeded");
    expect(faults.calls.get(`capture@${b}`)).toBe(1);
    expect(faults.calls.get(`refund@${b}`)).toBe(1);
    expect(faults.calls.get(`capture@${a}`)).toBeUndefined();
    expect(faults.calls.get(`refund@${a}`)).toBeUndefined();

    const other = await payOn(app, m, { capture_method: "manual" });
    const canceled = await post(m, `/v1/payment_intents/${other.body.id}/cancel`, {}, { app });
    expect(canceled.body.status).toBe("canceled");
    expect(faults.calls.get(`void@${b}`)).toBe(1);
    expect(faults.calls.get(`void@${a}`)).toBeUndefined();
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });

  it("never fails over after an approval, a card decline or an unknown outcome", async () => {
    const { m, a, b } = await twoConnectors();
    const faults = new Faults();
    const app = createApp({ payments: { processor: faults.factory } });
    // Approved on a: b is never asked.
    const ok = await payOn(app, m);
    expect(ok.body.status).toBe("succeeded");
    expect(await attempts(m, ok.body.id)).toEqual([["succeeded", null, a]]);
    // The issuer's decline is the card's answer, not the connector's: no second attempt.
    faults.setOn(a, "authorize", { kind: "decline", code: "card_declined", declineCode: "insufficient_funds" });
    const declined = await payOn(app, m);
    expect(declined.status).toBe(402);
    expect(declined.body.error.decline_code).toBe("insufficient_funds");
    // An unknown outcome (the answer lost after a approved): the intent waits for a's answer.
    faults.setOn(a, "authorize", { kind: "lose_answer" });
    const unknown = await payOn(app, m);
    const id = unknown.body.error?.payment_intent?.id ?? unknown.body.id;
    expect((await get(m, `/v1/payment_intents/${id}`)).body.status).toBe("processing");
    expect(faults.calls.get(`authorize@${b}`)).toBeUndefined();
    // The sweep repeats a's key and records a's approval: one authorization, on a.
    faults.clear();
    await sweepAll({ at: Math.floor(Date.now() / 1000) + 120, processor: faults.factory });
    expect((await get(m, `/v1/payment_intents/${id}`)).body.status).toBe("succeeded");
    expect(await attempts(m, id)).toEqual([["succeeded", null, a]]);
    expect(faults.calls.get(`authorize@${b}`)).toBeUndefined();
    expect(await processorOps(`${id}_`)).toEqual(["authorize", "capture"]);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
    expect(await unfinished(m.merchantId)).toEqual([]);
  });

  it("fails over once: a payment both connectors refuse with processing_error fails after two attempts", async () => {
    const { m, a, b } = await twoConnectors();
    const fault = { kind: "decline", code: "processing_error", declineCode: "processing_error" } as const;
    const faults = new Faults().setOn(a, "authorize", fault).setOn(b, "authorize", fault);
    const app = createApp({ payments: { processor: faults.factory } });
    const failed = await payOn(app, m);
    expect(failed.status).toBe(402);
    expect(failed.body.error.code).toBe("processing_error");
    expect(await attempts(m, failed.body.error.payment_intent.id)).toEqual(
      [
        ["failed", "processing_error", a],
        ["failed", "processing_error", b],
      ].sort((x, y) => `${x[2]}`.localeCompare(`${y[2]}`)),
    );
    expect(faults.calls.get(`authorize@${a}`)).toBe(1);
    expect(faults.calls.get(`authorize@${b}`)).toBe(1);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });

  it("a failover attempt whose answer is lost is finished by the sweep on the fallback, never again on the first", async () => {
    const { m, a, b } = await twoConnectors();
    const faults = new Faults()
      .setOn(a, "authorize", { kind: "unreachable" })
      .setOn(b, "authorize", { kind: "lose_answer" });
    const app = createApp({ payments: { processor: faults.factory } });
    const res = await payOn(app, m);
    const id = res.body.error?.payment_intent?.id ?? res.body.id;
    expect((await get(m, `/v1/payment_intents/${id}`)).body.status).toBe("processing");
    // a comes back; the sweep must still finish on b (its key is on b), not start over on a.
    faults.clear();
    await sweepAll({ at: Math.floor(Date.now() / 1000) + 120, processor: faults.factory });
    expect((await get(m, `/v1/payment_intents/${id}`)).body.status).toBe("succeeded");
    expect(faults.calls.get(`authorize@${a}`)).toBe(1);
    expect(await attempts(m, id)).toEqual([
      ["failed", "processing_error", a],
      ["succeeded", null, b],
    ]);
    expect(await processorOps(`${id}_`)).toEqual(["authorize", "capture"]);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
    expect(await unfinished(m.merchantId)).toEqual([]);
  });

  it("under concurrency: simultaneous confirms of one intent fail over once and authorize once, repeated", async () => {
    for (let round = 0; round < 3; round++) {
      const { m, a, b } = await twoConnectors();
      const faults = new Faults().setOn(a, "authorize", { kind: "unreachable" });
      const app = createApp({ payments: { processor: faults.factory } });
      const pm = await paymentMethod(m, "4242424242424242");
      const pi = await post(m, "/v1/payment_intents", { amount: 1000, currency: "usd", payment_method: pm }, { app });
      const confirms = await Promise.all(
        Array.from({ length: 12 }, () => post(m, `/v1/payment_intents/${pi.body.id}/confirm`, {}, { app })),
      );
      expect(confirms.some((r) => r.status === 200 && r.body.status === "succeeded")).toBe(true);
      for (const r of confirms) expect([200, 400, 429], JSON.stringify(r.body)).toContain(r.status);
      // Distinct intents at the same time each fail over on their own.
      const many = await Promise.all(Array.from({ length: 12 }, () => payOn(app, m)));
      for (const r of many) expect(r.body.status, JSON.stringify(r.body)).toBe("succeeded");
      await sweepAll({ at: Math.floor(Date.now() / 1000) + 120, processor: faults.factory });
      expect(await attempts(m, pi.body.id)).toEqual([
        ["failed", "processing_error", a],
        ["succeeded", null, b],
      ]);
      expect(await processorOps(`${pi.body.id}_`)).toEqual(["authorize", "capture"]);
      expect(faults.calls.get(`authorize@${b}`)).toBeGreaterThanOrEqual(13);
      expect(await ledgerProblems(m.merchantId)).toEqual([]);
      expect(await unfinished(m.merchantId)).toEqual([]);
    }
  });

  it("fails an unreachable attempt with nowhere to go as processing_error: nothing is left processing", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const a = (
      await operator<{ id: string }>(`/admin/v1/merchants/${m.merchantId}/connector_accounts`, {
        kind: "simulator",
        mode: "test",
      })
    ).id;
    const faults = new Faults().setOn(a, "authorize", { kind: "unreachable" });
    const app = createApp({ payments: { processor: faults.factory } });
    const res = await payOn(app, m);
    expect(res.status).toBe(402);
    expect(res.body.error).toMatchObject({ code: "processing_error", decline_code: "try_again_later" });
    const id = res.body.error.payment_intent.id;
    expect((await get(m, `/v1/payment_intents/${id}`)).body.status).toBe("requires_payment_method");
    expect(await attempts(m, id)).toEqual([["failed", "processing_error", a]]);
    expect(await unfinished(m.merchantId)).toEqual([]);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });

  it("does not fail over a key whose earlier attempt may have authorized (unknown, then unreachable on the repeat)", async () => {
    const { m, a, b } = await twoConnectors();
    const faults = new Faults().setOn(a, "authorize", { kind: "lose_answer" });
    const app = createApp({ payments: { processor: faults.factory } });
    const first = await payOn(app, m, { capture_method: "manual" });
    const id = (first.body.error?.payment_intent?.id ?? first.body.id) as string;
    expect((await get(m, `/v1/payment_intents/${id}`)).body.status).toBe("processing");
    // a approved the first attempt; its answer was lost. Now a is down: the sweep's repeat must wait.
    faults.setOn(a, "authorize", { kind: "unreachable" });
    await sweepAll({ at: Math.floor(Date.now() / 1000) + 120, processor: faults.factory });
    expect((await get(m, `/v1/payment_intents/${id}`)).body.status).toBe("processing");
    expect(faults.calls.get(`authorize@${b}`)).toBeUndefined();
    // a is back: the same key records a's approval.
    faults.clear();
    await sweepAll({ at: Math.floor(Date.now() / 1000) + 240, processor: faults.factory });
    expect((await get(m, `/v1/payment_intents/${id}`)).body.status).toBe("requires_capture");
    expect(await processorOps(`${id}_`)).toEqual(["authorize"]);
    expect(faults.calls.get(`authorize@${b}`)).toBeUndefined();
  });

  it("releases an approval a racing run got on the first connector after the claiming run failed over", async () => {
    const { m, a, b } = await twoConnectors();
    let callsOnA = 0;
    const factory: ProcessorFactory = (vault, claimed, defer, connector) => {
      const real = recordedProcessor(vault, claimed, defer, connector);
      if (connector !== a) return real;
      return {
        ...real,
        authorize: async (req) => {
          callsOnA++;
          if (callsOnA === 1) {
            // The claiming request: refused connection, seen after a moment.
            await scheduler.wait(400);
            throw new ConnectorUnreachable();
          }
          // A racing confirm repeats the key: a is back and approves; its answer comes a little later.
          const answer = await real.authorize(req);
          await scheduler.wait(800);
          return answer;
        },
      };
    };
    const app = createApp({ payments: { processor: factory } });
    const pm = await paymentMethod(m, "4242424242424242");
    const created = await post(
      m,
      "/v1/payment_intents",
      { amount: 1000, currency: "usd", payment_method: pm, capture_method: "manual" },
      { app },
    );
    const id = created.body.id as string;
    const r1 = post(m, `/v1/payment_intents/${id}/confirm`, {}, { app });
    await scheduler.wait(150);
    const r2 = post(m, `/v1/payment_intents/${id}/confirm`, {}, { app });
    await Promise.all([r1, r2]);
    const intent = (await get(m, `/v1/payment_intents/${id}`)).body;
    expect(intent.status).toBe("requires_capture");
    expect(await attempts(m, id)).toEqual([
      ["failed", "processing_error", a],
      ["succeeded", null, b],
    ]);
    // a's approval under the first key was voided (key `…_release`): one hold stands, b's.
    expect(await processorOps(`${id}_`)).toEqual(["authorize", "authorize", "void"]);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });

  it("does not send the CVC to the fallback: it served the first attempt only (PCI DSS 3.3)", async () => {
    const { m, a, b } = await twoConnectors();
    const cvcHeldBy: Record<string, boolean> = {};
    const factory: ProcessorFactory = (vault, claimed, defer, connector) => {
      const real = recordedProcessor(vault, claimed, defer, connector);
      return {
        ...real,
        authorize: async (req) => {
          cvcHeldBy[connector ?? "builtin"] = claimed?.ownsCvc === true && claimed.record.cvcCiphertext !== null;
          if (connector === a) throw new ConnectorUnreachable();
          return real.authorize(req);
        },
      };
    };
    const app = createApp({ payments: { processor: factory } });
    const paid = await payOn(app, m, { capture_method: "manual" });
    expect(paid.body.status, JSON.stringify(paid.body)).toBe("requires_capture");
    expect(cvcHeldBy).toEqual({ [a]: true, [b]: false });
    const charge = (await get(m, `/v1/charges/${paid.body.latest_charge}`)).body;
    expect(charge.payment_method_details.card.checks.cvc_check).toBe("unavailable");
  });
});
