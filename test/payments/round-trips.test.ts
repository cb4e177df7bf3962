/**
 * Issue 12: the money paths answer after exactly two D1 round trips of the gateway's own, both
 * batches: the claim (before the processor call) and the outcome (after it). Counted on the real
 * binding (test/helpers/d1-count.ts), the simulator's included (it makes none for ordinary cards).
 */
import { describe, expect, it } from "vitest";
import { getCharge } from "../../src/db/charges";
import { draftIntent } from "../../src/db/payment-intents";
import { captureIntent, createConfirmed } from "../../src/payments/actions";
import { createRefund } from "../../src/payments/refunds";
import type { FollowUpRequest } from "../../src/processor/connector";
import { type ProcessorFactory, processorFor } from "../../src/processor/index";
import { detokenize } from "../../src/vault";
import { countedDeps, type RoundTrip } from "../helpers/d1-count";
import { newMerchant } from "../helpers/merchants";
import { cardToken, ledgerProblems, paymentMethod, unfinished } from "../helpers/payments";
import { Faults } from "../helpers/processors";
import { dbOf, sweepAll } from "../helpers/shards";

const kinds = (log: RoundTrip[]) => log.map((t) => t.kind);

/** CVCs the processor read for each authorization (through the claimed record: no read of its own). */
const cvcsSeen: (string | null)[] = [];
/** Keys of the captures the processor was asked for. */
const captureKeys: string[] = [];

/** The simulator, noting the CVC its card reader returns for each authorization. */
const noting: ProcessorFactory = (vault, claimed) => {
  const real = processorFor(vault, claimed);
  return {
    ...real,
    authorize: async (req) => {
      cvcsSeen.push((await detokenize(vault, req.merchantId, req.paymentMethod, claimed)).cvc);
      return real.authorize(req);
    },
    capture: (req) => {
      captureKeys.push(req.key);
      return real.capture(req);
    },
    void: (req) => real.void(req),
    refund: (req) => real.refund(req),
  };
};

async function authorize(merchantId: string, pm: string, captureMethod: "manual" | "automatic", log: RoundTrip[]) {
  const key = crypto.randomUUID();
  const draft = draftIntent({ merchantId, amount: 2000, currency: "usd", captureMethod, idempotencyKey: key });
  return createConfirmed(await countedDeps(log, merchantId, noting), draft, pm);
}

describe("round trips of the money paths", () => {
  it("authorize (manual) with a fresh pm_ (CVC held), a reused pm_ and a tok_: claim batch, screen batch, outcome batch", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    const checks: unknown[] = [];
    for (const ref of [pm, pm, await cardToken(m, "4242424242424242")]) {
      const log: RoundTrip[] = [];
      const row = await authorize(m.merchantId, ref, "manual", log);
      expect(row.status).toBe("requires_capture");
      // Claim batch, the fraud screen's rules-and-lists batch (its velocity objects asked in parallel), outcome batch.
      expect(kinds(log)).toEqual(["batch", "batch", "batch"]);
      const charge = await getCharge(await dbOf(m.merchantId), m.merchantId, row.latestCharge ?? "");
      checks.push(JSON.parse(charge?.charge.paymentMethodDetails ?? "null")?.card.checks.cvc_check);
    }
    // The CVC read and cleared in the first claim reached the processor; the reuse had none left.
    expect(cvcsSeen.splice(0).map((c) => c !== null)).toEqual([true, false, true]);
    // The charge each outcome batch wrote says so.
    expect(checks).toEqual(["pass", "unavailable", "pass"]);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });

  it("a cold routing snapshot is one read of the routing and account tables, before the claim batch", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    const draft = () =>
      draftIntent({ merchantId: m.merchantId, amount: 2000, currency: "usd", captureMethod: "manual" });
    const cold: RoundTrip[] = [];
    await createConfirmed(await countedDeps(cold, m.merchantId, noting, { coldRouting: true }), draft(), pm);
    const warm: RoundTrip[] = [];
    await createConfirmed(await countedDeps(warm, m.merchantId, noting), draft(), pm);
    // Two selects started together (one hop), then the same batches as a warm isolate.
    const extra = cold.slice(0, cold.length - warm.length);
    expect(extra).toHaveLength(2);
    expect(extra.map((t) => t.sql.join(" ")).join(" ")).toMatch(
      /routing_configs[\s\S]*connector_accounts|connector_accounts[\s\S]*routing_configs/,
    );
    expect(kinds(cold.slice(extra.length))).toEqual(kinds(warm));
  });

  it("capture (full and partial): claim batch, outcome batch", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    for (const amount of [undefined, 1500]) {
      const authorized = await authorize(m.merchantId, pm, "manual", []);
      const log: RoundTrip[] = [];
      const row = await captureIntent(await countedDeps(log, m.merchantId), m.merchantId, authorized.id, amount);
      expect(row).toMatchObject({ status: "succeeded", amountReceived: amount ?? 2000 });
      expect(kinds(log)).toEqual(["batch", "batch"]);
    }
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });

  it("refund (full and partial, with and without a key): reserve batch, outcome batch", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    for (const [amount, key] of [
      [undefined, "k"],
      [700, undefined],
    ] as const) {
      const paid = await authorize(m.merchantId, pm, "manual", []);
      await captureIntent(await countedDeps([], m.merchantId), m.merchantId, paid.id);
      const log: RoundTrip[] = [];
      const input = { paymentIntent: paid.id, ...(amount === undefined ? {} : { amount }) };
      const refund = await createRefund(
        await countedDeps(log, m.merchantId),
        m.merchantId,
        input,
        key && `${key}-${paid.id}`,
      );
      expect(refund).toMatchObject({ status: "succeeded", amount: amount ?? 2000, currency: "usd" });
      expect(kinds(log)).toEqual(["batch", "batch"]);
    }
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });

  it("refund by charge (alone, with its intent, with and without a key): reserve batch, outcome batch", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    for (const [withIntent, key] of [
      [false, "k"],
      [true, undefined],
      [false, undefined],
    ] as const) {
      const paid = await authorize(m.merchantId, pm, "manual", []);
      await captureIntent(await countedDeps([], m.merchantId), m.merchantId, paid.id);
      const log: RoundTrip[] = [];
      const input = { charge: paid.latestCharge ?? "", ...(withIntent ? { paymentIntent: paid.id } : {}), amount: 700 };
      const refund = await createRefund(
        await countedDeps(log, m.merchantId),
        m.merchantId,
        input,
        key && `${key}-${paid.id}`,
      );
      expect(refund).toMatchObject({
        status: "succeeded",
        amount: 700,
        charge: paid.latestCharge,
        paymentIntentId: paid.id,
      });
      expect(kinds(log)).toEqual(["batch", "batch"]);
    }
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });

  it("authorize (automatic): the capture's key is fixed by the claim, one outcome batch records both", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    const log: RoundTrip[] = [];
    const row = await authorize(m.merchantId, pm, "automatic", log);
    expect(row).toMatchObject({ status: "succeeded", amountReceived: 2000, amountCapturable: 0, version: 4 });
    // Claim batch, the fraud screen's rules-and-lists batch (its velocity objects asked in parallel), outcome batch.
    expect(kinds(log)).toEqual(["batch", "batch", "batch"]);
    expect(captureKeys.splice(0)).toEqual([`${row.id}_capture_3`]);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });

  it("automatic, capture answer lost: the authorization is recorded, the capture stays pending under its fixed key, the sweep finishes it once", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    const faults = new Faults().set("capture", { kind: "lose_answer" });
    const keys: string[] = [];
    const seen: ProcessorFactory = (vault, claimed) => {
      const inner = faults.factory(vault, claimed);
      const capture = (req: FollowUpRequest) => {
        keys.push(req.key);
        return inner.capture(req);
      };
      return { ...inner, capture };
    };
    const key = crypto.randomUUID();
    const draft = draftIntent({ merchantId: m.merchantId, amount: 2000, currency: "usd", idempotencyKey: key });
    const log: RoundTrip[] = [];
    const row = await createConfirmed(await countedDeps(log, m.merchantId, seen), draft, pm);
    // Claim batch, the fraud screen's rules-and-lists batch (its velocity objects asked in parallel), outcome batch.
    expect(kinds(log)).toEqual(["batch", "batch", "batch"]);
    expect(row).toMatchObject({ status: "processing", amountCapturable: 2000, version: 3 });
    expect(JSON.parse(row.pendingOp ?? "null")).toEqual({ kind: "capture", key: `${row.id}_capture_3`, amount: 2000 });
    faults.clear();
    await sweepAll({ at: Math.floor(Date.now() / 1000) + 3600, processor: seen });
    expect(await unfinished(m.merchantId)).toEqual([]);
    // The sweep repeated the capture under the key the claim fixed: the processor moves money once.
    expect(keys).toEqual([`${row.id}_capture_3`, `${row.id}_capture_3`]);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });
});
