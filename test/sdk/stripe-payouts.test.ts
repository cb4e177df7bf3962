/**
 * The official stripe SDK against payouts: `payouts.create` (and its InvalidRequestError with
 * `balance_insufficient`), `retrieve`, `list` with a status filter and auto-pagination, `cancel`.
 */
import { exports } from "cloudflare:workers";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { funded } from "../helpers/payouts";

function client(token: string): Stripe {
  return new Stripe(token, {
    httpClient: Stripe.createFetchHttpClient((url, init) => exports.default.fetch(new Request(url, init))),
    host: "127.0.0.1",
    port: 8787,
    protocol: "http",
    maxNetworkRetries: 0,
  });
}

describe("stripe SDK: payouts", () => {
  it("creates, retrieves, lists and cancels payouts; over the balance is an InvalidRequestError", async () => {
    const { m } = await funded([2000], { payoutSchedule: "manual" });
    const stripe = client(m.token);
    const po = await stripe.payouts.create({ amount: 700, currency: "usd", metadata: { batch: "1" } });
    expect(po).toMatchObject({ object: "payout", amount: 700, status: "pending", automatic: false });
    expect((await stripe.payouts.retrieve(po.id)).metadata).toEqual({ batch: "1" });
    const err = await stripe.payouts.create({ amount: 5000, currency: "usd" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((err as Stripe.errors.StripeError).code).toBe("balance_insufficient");
    const second = await stripe.payouts.create({ amount: 300, currency: "usd" });
    const canceled = await stripe.payouts.cancel(second.id);
    expect(canceled.status).toBe("canceled");
    const ids: string[] = [];
    for await (const p of stripe.payouts.list({ limit: 1 })) ids.push(p.id);
    expect(ids.sort()).toEqual([second.id, po.id].sort());
    expect((await stripe.payouts.list({ status: "pending" })).data.map((p) => p.id)).toEqual([po.id]);
  });
});
