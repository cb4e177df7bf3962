/**
 * The screen when part of it fails: one velocity counter that cannot answer leaves the merchant's
 * block lists working, and a retried authorization keeps its pinned hold whatever else fails, or,
 * with nothing pinned, is held for review rather than captured or blocked.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { findPaymentMethod } from "../../src/db/vault";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { get, ledgerProblems, paymentMethod, post, unfinished } from "../helpers/payments";
import { Faults } from "../helpers/processors";
import { dbOf, sweepAll } from "../helpers/shards";
import { freshCard } from "../helpers/shopper";

const later = () => Math.floor(Date.now() / 1000) + 600;

/** Runs `sql` inside the RiskCounter object `name` (e.g. to make every later call of it fail). */
async function inCounter(name: string, sql: string): Promise<void> {
  await runInDurableObject(env.RISK_COUNTER.getByName(name), (_, state) => {
    state.storage.sql.exec(sql);
  });
}

/** The names of the merchant-scoped card counter and the network counter of a payment method's card. */
async function cardCounters(m: TestMerchant, pm: string) {
  const record = await findPaymentMethod(await dbOf(m.merchantId), m.merchantId, pm);
  if (!record) throw new Error("no such payment method");
  return { card: `card:${m.merchantId}:${record.fingerprint}`, network: `network:${record.internalFingerprint}` };
}

describe("a counter that cannot answer", () => {
  it("leaves the merchant's block list working", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    const fingerprint = (await get(m, `/v1/payment_methods/${pm}`)).body.card.fingerprint as string;
    const list = (
      await post(m, "/v1/radar/value_lists", { alias: "blocked_cards", name: "x", item_type: "card_fingerprint" })
    ).body.id;
    await post(m, "/v1/radar/value_list_items", { value_list: list, value: fingerprint });
    await post(m, "/v1/radar/rules", { action: "block", predicate: ":card_fingerprint: in @blocked_cards" });
    // The card's own counter fails every call from now on.
    await inCounter((await cardCounters(m, pm)).card, "drop table attempts");
    const res = await post(m, "/v1/payment_intents", {
      amount: 1000,
      currency: "usd",
      payment_method: pm,
      confirm: "true",
    });
    expect(res.status).toBe(402);
    expect(res.body.error.decline_code).toBe("fraudulent");
  });
});

describe("a retried authorization", () => {
  /** A first run whose processor answer is lost, then the sweep with the processor back. */
  async function lostThenSwept(m: TestMerchant, number: string, meanwhile: (pm: string) => Promise<void>) {
    const faults = new Faults().set("authorize", { kind: "lose_answer" });
    const app = createApp({ payments: { processor: faults.factory } });
    const pm = await paymentMethod(m, number);
    const first = await post(
      m,
      "/v1/payment_intents",
      { amount: 3000, currency: "usd", payment_method: pm, confirm: "true" },
      { app },
    );
    expect(first.body.status).toBe("processing");
    await meanwhile(pm);
    faults.clear();
    await sweepAll({ at: later(), processor: faults.factory });
    return (await get(m, `/v1/payment_intents/${first.body.id}`)).body;
  }

  it("keeps its pinned review hold when another of its counters fails", async () => {
    const m = await newMerchant();
    const pi = await lostThenSwept(m, "4000000000009235", async (pm) => {
      await inCounter((await cardCounters(m, pm)).card, "drop table attempts");
    });
    expect(pi.status).toBe("requires_capture");
    expect(pi.review).toMatch(/^prv_/);
    expect(await unfinished(m.merchantId)).toEqual([]);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });

  it("with nothing pinned, is held for review: neither captured nor blocked", async () => {
    const m = await newMerchant();
    // A card of no shared test BIN: its network counter is named by its fingerprint alone.
    const pi = await lostThenSwept(m, freshCard(41_001), async (pm) => {
      // The pin is gone (lost, or pruned); a block rule would now fire on a fresh screen.
      await inCounter((await cardCounters(m, pm)).network, "update attempts set verdict = null");
      await post(m, "/v1/radar/rules", { action: "block", predicate: ":amount: = 3000" });
    });
    expect(pi.status).toBe("requires_capture");
    expect(pi.review).toMatch(/^prv_/);
    expect(await unfinished(m.merchantId)).toEqual([]);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });
});
