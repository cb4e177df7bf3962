/**
 * The built-in simulator: answers derived from the request for ordinary cards (no storage call),
 * idempotent on keys, follow-ups bounded by the authorization, and the scripted cards' memory in
 * the real SimulatorMemory Durable Object.
 */
import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { SettlementLine } from "../../src/durable/simulator-ledger";
import { randomBase62 } from "../../src/lib/ids";
import { CardUnavailable, callProcessor, ProcessorTimeout } from "../../src/processor/connector";
import { type MemoryFor, SimulatedProcessor } from "../../src/processor/simulator";
import { EDGEPAY_CARDS, SLOW_PROCESSOR_MS } from "../../src/processor/test-cards";

const VISA = "4242424242424242";
const REFERENCE = /^[A-Za-z0-9_]{1,64}$/;
/** The merchant and currency every follow-up names. */
const FU = { merchantId: "mer_1", currency: "usd" };

// Every use of the simulator's storage goes through `memory`, which counts it and hands out the
// real binding's object. The "vault" maps pm ids to numbers; a detached pm cannot be read.
const used = { memory: 0, cards: 0 };
const detached = new Set<string>();
const memory: MemoryFor = (digest) => {
  used.memory++;
  return env.SIMULATOR_MEMORY.getByName(digest);
};
const sim = new SimulatedProcessor(memory, async (_merchant, pm) => {
  used.cards++;
  if (detached.has(pm)) throw new CardUnavailable();
  return { number: pm.replace("pm_", "") };
});
beforeEach(() => {
  used.memory = 0;
  used.cards = 0;
});

const key = () => `k_${randomBase62(12)}`;
const auth = (number: string, k = key(), amount = 1000) =>
  sim.authorize({
    key: k,
    merchantId: "mer_1",
    paymentMethod: `pm_${number}`,
    amount,
    currency: "usd",
    statementDescriptor: null,
  });
const referenceOf = async (number: string, amount = 1000) =>
  ((await auth(number, key(), amount)) as { reference: string }).reference;

describe("ordinary cards: answers derived from the request", () => {
  it("a key always gets the same approval; another key gets another reference", async () => {
    const k = key();
    const first = (await auth(VISA, k)) as { reference: string };
    expect(first).toMatchObject({ status: "approved", amount: 1000 });
    expect(first.reference).toMatch(REFERENCE);
    expect(await auth(VISA, k)).toEqual(first);
    expect(((await auth(VISA)) as { reference: string }).reference).not.toBe(first.reference);
  });

  it.each([
    ["4000000000009995", "card_declined", "insufficient_funds"],
    ["4000000000000069", "expired_card", "expired_card"],
    ["4242424242424241", "incorrect_number", "incorrect_number"],
  ])("declines %s with its code, the same way every time", async (number, code, declineCode) => {
    const k = key();
    const declined = { status: "declined", code, decline_code: declineCode };
    expect(await auth(number, k)).toEqual(declined);
    expect(await auth(number, k)).toEqual(declined);
  });

  it("follow-ups approve within the authorized amount, idempotent on their key, and never read the card", async () => {
    const reference = await referenceOf(VISA);
    used.cards = 0;
    const ck = key();
    const capture = (await sim.capture({ key: ck, reference, amount: 600, ...FU })) as { reference: string };
    expect(capture).toMatchObject({ status: "approved", amount: 600 });
    expect(capture.reference).toMatch(REFERENCE);
    expect(await sim.capture({ key: ck, reference, amount: 600, ...FU })).toEqual(capture);
    expect(await sim.void({ key: key(), reference, amount: 1000, ...FU })).toMatchObject({ status: "approved" });
    const refund = (await sim.refund({ key: key(), reference, amount: 1000, ...FU })) as { reference: string };
    expect(refund).toMatchObject({ status: "approved", amount: 1000 });
    expect(refund.reference).not.toBe(capture.reference);
    expect(used.cards).toBe(0);
  });

  it("refuses an amount above the authorization, and a reference it never issued", async () => {
    const reference = await referenceOf(VISA, 1000);
    const declined = { status: "refused", reason: "declined" };
    expect(await sim.capture({ key: key(), reference, amount: 1001, ...FU })).toEqual(declined);
    expect(await sim.void({ key: key(), reference, amount: 1001, ...FU })).toEqual(declined);
    expect(await sim.refund({ key: key(), reference, amount: 1001, ...FU })).toEqual(declined);
    const gone = { status: "refused", reason: "authorization_gone" };
    for (const bad of ["auth_nope", "", `${reference}0000000000000000`, reference.replace("auth_", "capture_")]) {
      expect(await sim.capture({ key: key(), reference: bad, amount: 1, ...FU })).toEqual(gone);
    }
  });

  it("make no storage call: every answer above, a decline and the slow card never reach the memory", async () => {
    const reference = await referenceOf(VISA);
    await auth("4000000000000002");
    await sim.capture({ key: key(), reference, amount: 1000, ...FU });
    await sim.void({ key: key(), reference, amount: 1000, ...FU });
    await sim.refund({ key: key(), reference, amount: 1000, ...FU });
    const started = Date.now();
    const slow = await callProcessor("authorize", 1000, () => auth(EDGEPAY_CARDS.slow));
    expect(slow).toMatchObject({ kind: "approved" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(SLOW_PROCESSOR_MS - 50);
    expect(used).toEqual({ memory: 0, cards: 3 });
  });

  it("a repeated key whose card was detached since is refused: nothing was held (see simulator.ts)", async () => {
    const number = "4000056655665556";
    const k = key();
    expect(await callProcessor("authorize", 1000, () => auth(number, k))).toMatchObject({ kind: "approved" });
    detached.add(`pm_${number}`);
    expect(await callProcessor("authorize", 1000, () => auth(number, k))).toEqual({
      kind: "refused",
      reason: "payment_method_unavailable",
    });
  });

  it("keeps nothing in D1: the former simulator table is gone", async () => {
    const table = await env.DB.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'simulator%'").all();
    expect(table.results).toEqual([]);
  });
});

describe("scripted cards: memory in SimulatorMemory", () => {
  it("timeout after processing: the first answer is lost, the retry with the same key gets the authorization", async () => {
    const k = key();
    const call = () => callProcessor("authorize", 1000, () => auth(EDGEPAY_CARDS.timeoutAfterProcessing, k));
    expect(await call()).toEqual({ kind: "unknown" });
    const retry = await call();
    expect(retry.kind).toBe("approved");
    expect(await call()).toEqual(retry);
    expect(used.memory).toBe(3);
  });

  it("timeout before processing: the retry is processed, and every follow-up also loses its first answer", async () => {
    const k = key();
    const call = () => callProcessor("authorize", 1000, () => auth(EDGEPAY_CARDS.timeoutBeforeProcessing, k));
    expect(await call()).toEqual({ kind: "unknown" });
    const retry = await call();
    if (retry.kind !== "approved") throw new Error("expected approval");
    expect(await call()).toEqual(retry);
    const { reference } = retry;
    for (const op of ["capture", "void", "refund"] as const) {
      const req = { key: key(), reference, amount: 1000, ...FU };
      const once = () => callProcessor(op, 1000, () => sim[op](req));
      expect(await once()).toEqual({ kind: "unknown" });
      const answer = await once();
      expect(answer.kind).toBe("approved");
      expect(await once()).toEqual(answer);
    }
    expect(await sim.capture({ key: key(), reference, amount: 1001, ...FU })).toEqual({
      status: "refused",
      reason: "declined",
    });
  });

  it("a repeated key is answered from memory even after the card was detached; a lost one is refused", async () => {
    const [after, before] = [EDGEPAY_CARDS.timeoutAfterProcessing, EDGEPAY_CARDS.timeoutBeforeProcessing];
    const [ka, kb] = [key(), key()];
    await expect(auth(after, ka)).rejects.toThrow(ProcessorTimeout);
    await expect(auth(before, kb)).rejects.toThrow(ProcessorTimeout);
    // The processor recorded the authorization: its answer survives the card.
    const approved = await auth(after, ka);
    detached.add(`pm_${after}`).add(`pm_${before}`);
    expect(await auth(after, ka)).toEqual(approved);
    // The lost request never reached the processor: there is nothing to answer without the card.
    expect(await callProcessor("authorize", 1000, () => auth(before, kb))).toEqual({
      kind: "refused",
      reason: "payment_method_unavailable",
    });
    detached.clear();
  });
});

describe("settlement: approved captures and refunds handed to `settle`", () => {
  it("hands each approved capture (+) and refund (−) to settle, never a void or a refusal, without card data", async () => {
    const settled: [string, SettlementLine][] = [];
    const recording = new SimulatedProcessor(
      memory,
      async (_merchant, pm) => ({ number: pm.replace("pm_", "") }),
      (merchantId, line) => settled.push([merchantId, line]),
    );
    const reference = await referenceOf(VISA);
    const [ck, rk] = [key(), key()];
    await recording.capture({ key: ck, reference, amount: 600, merchantId: "mer_A", currency: "eur" });
    await recording.refund({ key: rk, reference, amount: 250, merchantId: "mer_A", currency: "eur" });
    await recording.void({ key: key(), reference, amount: 1000, merchantId: "mer_A", currency: "eur" });
    await recording.capture({ key: key(), reference, amount: 1001, merchantId: "mer_A", currency: "eur" });
    const day = new Date().toISOString().slice(0, 10);
    expect(settled.map(([m, l]) => [m, l.type, l.key, l.reference, l.amount, l.currency, l.date])).toEqual([
      ["mer_A", "capture", ck, reference, 600, "eur", day],
      ["mer_A", "refund", rk, reference, -250, "eur", day],
    ]);
    expect(JSON.stringify(settled)).not.toContain(VISA.slice(0, 6));
  });
});
