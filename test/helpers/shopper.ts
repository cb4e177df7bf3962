/**
 * A shopper's payments for the fraud tests: requests from the shopper's browser (publishable key,
 * Cloudflare's IP and country headers), fresh card numbers, and a processor that declines.
 */
import type { ProcessorConnector } from "../../src/processor/connector";
import type { ProcessorFactory } from "../../src/processor/index";
import { newKey } from "./api-keys";
import type { Target } from "./http";
import type { TestMerchant } from "./merchants";
import { get, post } from "./payments";
import { recordedProcessor } from "./processors";

/** A merchant's requests as sent from `ip` in `country` (Cloudflare's headers). */
export function from(m: TestMerchant, ip: string, country = "US"): TestMerchant {
  return { ...m, headers: { ...m.headers, "cf-connecting-ip": ip, "cf-ipcountry": country } as never };
}

/**
 * A payment as a shop takes it: the merchant's server creates the intent (secret key), the
 * shopper's browser tokenizes the card and confirms with the client secret (publishable key), from
 * `ip` in `country`: only such a confirm carries the shopper's address to the screen.
 */
export async function browserPay(
  m: TestMerchant,
  number: string,
  where: { ip: string; country: string },
  opts: { amount?: number; app?: Target } = {},
) {
  const pk = await publishableKey(m);
  const shopper = { headers: { ...pk.headers, "cf-connecting-ip": where.ip, "cf-ipcountry": where.country } };
  const intent = (await post(m, "/v1/payment_intents", { amount: opts.amount ?? 1000, currency: "usd" })).body;
  const pm = (
    await post(shopper, "/v1/payment_methods", {
      type: "card",
      "card[number]": number,
      "card[exp_month]": "12",
      "card[exp_year]": "2040",
      "card[cvc]": "123",
    })
  ).body.id as string;
  return post(
    shopper,
    `/v1/payment_intents/${intent.id}/confirm`,
    { client_secret: intent.client_secret, payment_method: pm },
    { app: opts.app },
  );
}

const publishableKeys = new Map<string, Promise<{ headers: { authorization: string } }>>();

/** The merchant's publishable key (one per merchant per test file). */
export function publishableKey(m: TestMerchant) {
  let key = publishableKeys.get(m.merchantId);
  if (!key) {
    key = newKey(m.merchantId, "publishable");
    publishableKeys.set(m.merchantId, key);
  }
  return key;
}

/** A Luhn-valid Visa number no test table knows (so the simulator approves it), from `seed`. */
export function freshCard(seed: number): string {
  const body = `4${String(7_000_000_000_000 + seed * 7919).padStart(14, "0")}`.slice(0, 15);
  let sum = 0;
  for (let i = 0; i < 15; i++) {
    let d = Number(body[14 - i]);
    if (i % 2 === 0) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return `${body}${(10 - (sum % 10)) % 10}`;
}

/** A processor that declines every authorization, counting the calls that reach it. */
export function decliningProcessor(): { factory: ProcessorFactory; calls: () => number } {
  let calls = 0;
  const factory: ProcessorFactory = (vault, claimed) => {
    const real = recordedProcessor(vault, claimed);
    const connector: ProcessorConnector = {
      ...real,
      authorize: async () => {
        calls++;
        return { status: "declined", code: "card_declined", decline_code: "generic_decline" };
      },
    };
    return connector;
  };
  return { factory, calls: () => calls };
}

/** The charge of an intent. */
export async function chargeOf(m: TestMerchant, intent: { latest_charge: string }) {
  return (await get(m, `/v1/charges/${intent.latest_charge}`)).body;
}
