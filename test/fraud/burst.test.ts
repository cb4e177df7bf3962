/**
 * A parallel burst of card testing from one IP: attempts still waiting for the processor's answer
 * count as not approved, so the later attempts of a burst are blocked before the processor even
 * though none of the burst has been answered yet.
 */
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import type { ProcessorConnector } from "../../src/processor/connector";
import type { ProcessorFactory } from "../../src/processor/index";
import { newMerchant } from "../helpers/merchants";
import { post } from "../helpers/payments";
import { recordedProcessor } from "../helpers/processors";
import { freshCard, publishableKey } from "../helpers/shopper";

/** A processor whose authorizations all wait for `release`, then decline; it counts the calls. */
function heldProcessor() {
  let calls = 0;
  let release = () => {};
  const released = new Promise<void>((r) => {
    release = r;
  });
  const factory: ProcessorFactory = (vault, claimed) => {
    const connector: ProcessorConnector = {
      ...recordedProcessor(vault, claimed),
      authorize: async () => {
        calls++;
        await released;
        return { status: "declined", code: "card_declined", decline_code: "generic_decline" };
      },
    };
    return connector;
  };
  return { factory, calls: () => calls, release };
}

describe("a parallel burst from one IP", () => {
  it("20 simultaneous authorizations with distinct cards: the later ones are blocked while none is answered", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const pk = await publishableKey(m);
    const shopper = { headers: { ...pk.headers, "cf-connecting-ip": "198.51.100.77", "cf-ipcountry": "US" } };
    const prepared: { id: string; secret: string; pm: string }[] = [];
    for (let i = 0; i < 20; i++) {
      const intent = (await post(m, "/v1/payment_intents", { amount: 1000, currency: "usd" })).body;
      const pm = (
        await post(shopper, "/v1/payment_methods", {
          type: "card",
          "card[number]": freshCard(51_000 + i),
          "card[exp_month]": "12",
          "card[exp_year]": "2040",
          "card[cvc]": "123",
        })
      ).body.id as string;
      prepared.push({ id: intent.id, secret: intent.client_secret, pm });
    }
    const processor = heldProcessor();
    const app = createApp({ payments: { processor: processor.factory } });
    let blocked = 0;
    const answers = prepared.map((p) =>
      post(
        shopper,
        `/v1/payment_intents/${p.id}/confirm`,
        { client_secret: p.secret, payment_method: p.pm },
        { app },
      ).then((res) => {
        if (res.body.error?.decline_code === "fraudulent") blocked++;
        return res;
      }),
    );
    // Wait until every attempt is either blocked or waiting at the processor.
    for (let waited = 0; blocked + processor.calls() < 20 && waited < 15_000; waited += 20) {
      await new Promise((r) => setTimeout(r, 20));
    }
    // 5 + 10 per card beyond 2 + 25 (most not approved) reaches highest (75) from the 8th attempt.
    expect(processor.calls()).toBe(7);
    expect(blocked).toBe(13);
    processor.release();
    const all = await Promise.all(answers);
    expect(all.every((r) => r.status === 402)).toBe(true);
  });
});
