/** The operator's read of a card's network-wide velocity: counts only, operator only, audited. */
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import type { ProcessorFactory } from "../../src/processor/index";
import { call } from "../helpers/http";
import { newMerchant, operatorHeaders } from "../helpers/merchants";
import { paymentMethod, post } from "../helpers/payments";
import { recordedProcessor } from "../helpers/processors";

const declining: ProcessorFactory = (vault, claimed) => ({
  ...recordedProcessor(vault, claimed),
  authorize: async () => ({ status: "declined", code: "card_declined", decline_code: "generic_decline" }),
});

async function velocity(query: string, headers: Record<string, string> = operatorHeaders()) {
  const res = await call(`/admin/v1/radar/velocity?${query}`, { headers });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields.
  return { status: res.status, body: (await res.json()) as any };
}

describe("GET /admin/v1/radar/velocity", () => {
  it("counts the card's attempts and declines across merchants, and nothing else", async () => {
    const a = await newMerchant();
    const b = await newMerchant();
    const card = "4000056655665556".replace(/^400005/, "433333").slice(0, 15);
    // A Luhn-valid number outside the shared test BINs: 433333 0566 5566 55x.
    let sum = 0;
    for (let i = 0; i < 15; i++) {
      let d = Number(card[14 - i]);
      if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
      sum += d;
    }
    const pan = `${card}${(10 - (sum % 10)) % 10}`;
    const app = createApp({ payments: { processor: declining } });
    for (const m of [a, b]) {
      const pm = await paymentMethod(m, pan);
      await post(
        m,
        "/v1/payment_intents",
        { amount: 700, currency: "usd", payment_method: pm, confirm: "true" },
        { app },
      );
    }
    await new Promise((r) => setTimeout(r, 200));
    const pmA = await paymentMethod(a, pan);
    const res = await velocity(`merchant=${a.merchantId}&payment_method=${pmA}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ object: "radar.velocity", scope: "network", hour: { attempts: 2, declines: 2 } });
    expect(JSON.stringify(res.body)).not.toContain(b.merchantId);
  });

  it("reads a shared test BIN's card under the merchant's own name, as the screen counts it (test mode)", async () => {
    const m = await newMerchant();
    const app = createApp({ payments: { processor: declining } });
    for (let i = 0; i < 2; i++) {
      const pm = await paymentMethod(m, "4242424242424242");
      await post(
        m,
        "/v1/payment_intents",
        { amount: 700, currency: "usd", payment_method: pm, confirm: "true" },
        { app },
      );
    }
    await new Promise((r) => setTimeout(r, 200));
    const pm = await paymentMethod(m, "4242424242424242");
    const res = await velocity(`merchant=${m.merchantId}&payment_method=${pm}`);
    expect(res.body).toMatchObject({ hour: { attempts: 2, declines: 2 } });
  });

  it("is operator only; an unknown or other merchant's payment method is a 404", async () => {
    const m = await newMerchant();
    const other = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    expect((await velocity(`merchant=${m.merchantId}&payment_method=${pm}`, m.headers)).status).toBe(401);
    expect((await velocity(`merchant=${other.merchantId}&payment_method=${pm}`)).status).toBe(404);
    expect((await velocity(`merchant=${m.merchantId}&payment_method=pm_nope`)).status).toBe(404);
    const bad = await velocity(`merchant=${m.merchantId}`);
    expect(bad.body.error).toMatchObject({ code: "parameter_missing", param: "payment_method" });
  });
});
