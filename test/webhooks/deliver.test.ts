/**
 * Webhook delivery end to end, in workerd with the real local queue: a payment's events are
 * dispatched after the response, delivered by the queue consumer to a real HTTP receiver, and
 * verified there with the real verifiers (stripe SDK, standardwebhooks) on the raw body it got.
 */
import { Webhook } from "standardwebhooks";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { USER_AGENT } from "../../src/webhooks/deliver";
import { CARDS } from "../helpers/cards";
import { attemptsOf, eventsOf, receiverScope, waitFor } from "../helpers/deliveries";
import { newMerchant } from "../helpers/merchants";
import { pay, post } from "../helpers/payments";

const stripe = new Stripe("sk_test_unused");

describe("delivery", () => {
  it("delivers a payment's events, signed in both schemes, verifiable on the raw body", async () => {
    const m = await newMerchant();
    const rx = receiverScope();
    // Through the endpoints API, as a merchant would: the secret is in the create answer only.
    const created = await post(m, "/v1/webhook_endpoints", { url: rx.url("ok"), "enabled_events[0]": "*" });
    expect(created.status).toBe(200);
    const endpoint = { id: created.body.id as string, secret: created.body.secret as string };
    expect(endpoint.secret).toMatch(/^whsec_/);
    const paid = await pay(m, CARDS.visa.number);
    expect(paid.status).toBe(200);
    const stored = await eventsOf(m.merchantId);
    expect(stored.length).toBeGreaterThan(0);
    const got = await waitFor(
      async () => {
        const r = await rx.received();
        return r.length >= stored.length ? r : undefined;
      },
      10_000,
      "deliveries",
    );
    expect(got).toHaveLength(stored.length);
    const ids = new Set<string>();
    for (const req of got) {
      expect(req.headers["user-agent"]).toBe(USER_AGENT);
      expect(req.headers["content-type"]).toMatch(/^application\/json/);
      const event = await stripe.webhooks.constructEventAsync(
        req.body,
        req.headers["stripe-signature"] as string,
        endpoint.secret,
      );
      const viaStandard = new Webhook(endpoint.secret).verify(req.body, req.headers) as { id: string };
      expect(viaStandard.id).toBe(event.id);
      expect(req.headers["webhook-id"]).toBe(`msg_${event.id}_${endpoint.id}`);
      ids.add(event.id);
    }
    expect([...ids].sort()).toEqual(stored.map((e) => e.id).sort());
    const types = got.map((r) => (JSON.parse(r.body) as { type: string }).type);
    expect(types).toContain("payment_intent.succeeded");
    // Every attempt recorded as succeeded; every event acknowledged by its one endpoint.
    const attempts = await waitFor(async () => {
      const a = await attemptsOf(m.merchantId, endpoint.id);
      return a.length === stored.length ? a : undefined;
    });
    expect(attempts.every((a) => a.outcome === "succeeded" && a.responseStatus === 200 && a.attempt === 1)).toBe(true);
    const after = await eventsOf(m.merchantId);
    expect(after.every((e) => e.dispatched === 1 && e.pendingWebhooks === 0)).toBe(true);
  });
});
