/**
 * Webhook signatures against the real verifiers: `stripe.webhooks.constructEventAsync` (Stripe's
 * scheme, keyed by the whole `whsec_…` string) and the `standardwebhooks` package (keyed by the
 * decoded part after `whsec_`), with one secret and during a roll with two.
 */
import { Webhook } from "standardwebhooks";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { activeSecrets, messageId, signatureHeaders } from "../../src/webhooks/sign";

const stripe = new Stripe("sk_test_unused");

/** A fresh secret in the `whsec_` + base64 form. */
function secret(): string {
  return `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
}

const body = JSON.stringify({ id: "evt_1", object: "event", type: "payment_intent.succeeded", data: { object: {} } });
const now = () => Math.floor(Date.now() / 1000);

describe("signatureHeaders", () => {
  it("verifies with the stripe SDK and with standardwebhooks", async () => {
    const s = secret();
    const h = await signatureHeaders({ messageId: messageId("evt_1", "we_1"), timestamp: now(), body, secrets: [s] });
    const event = await stripe.webhooks.constructEventAsync(body, h["Stripe-Signature"] as string, s);
    expect(event.id).toBe("evt_1");
    expect(new Webhook(s).verify(body, h)).toMatchObject({ id: "evt_1" });
    expect(h["webhook-id"]).toBe("msg_evt_1_we_1");
    expect(h["Stripe-Signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(h["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it("signs with both secrets during a roll: a receiver holding either one verifies", async () => {
    const [current, previous] = [secret(), secret()];
    const h = await signatureHeaders({ messageId: "msg_x", timestamp: now(), body, secrets: [current, previous] });
    expect(h["Stripe-Signature"]?.split(",").filter((p) => p.startsWith("v1="))).toHaveLength(2);
    expect(h["webhook-signature"]?.split(" ")).toHaveLength(2);
    for (const s of [current, previous]) {
      await expect(stripe.webhooks.constructEventAsync(body, h["Stripe-Signature"] as string, s)).resolves.toBeTruthy();
      expect(() => new Webhook(s).verify(body, h)).not.toThrow();
    }
  });

  it("fails verification with another secret, a changed body or a changed id", async () => {
    const s = secret();
    const h = await signatureHeaders({ messageId: "msg_x", timestamp: now(), body, secrets: [s] });
    await expect(stripe.webhooks.constructEventAsync(body, h["Stripe-Signature"] as string, secret())).rejects.toThrow(
      /No signatures found matching/,
    );
    await expect(stripe.webhooks.constructEventAsync(`${body} `, h["Stripe-Signature"] as string, s)).rejects.toThrow();
    expect(() => new Webhook(secret()).verify(body, h)).toThrow();
    expect(() => new Webhook(s).verify(`${body} `, h)).toThrow();
    expect(() => new Webhook(s).verify(body, { ...h, "webhook-id": "msg_y" })).toThrow();
  });

  it("keys the two schemes differently: Stripe's HMAC is not over the decoded key", async () => {
    // If both schemes used the same key bytes, swapping the secret form would still verify.
    const s = secret();
    const decodedAsText = atob(s.slice("whsec_".length));
    const h = await signatureHeaders({ messageId: "msg_x", timestamp: now(), body, secrets: [s] });
    await expect(
      stripe.webhooks.constructEventAsync(body, h["Stripe-Signature"] as string, decodedAsText),
    ).rejects.toThrow();
  });

  it("refuses to sign without a secret or with a secret that is not whsec_", async () => {
    await expect(signatureHeaders({ messageId: "m", timestamp: 1, body, secrets: [] })).rejects.toThrow();
    await expect(signatureHeaders({ messageId: "m", timestamp: 1, body, secrets: ["nope"] })).rejects.toThrow();
  });
});

describe("activeSecrets", () => {
  it("keeps the previous secret until it expires", () => {
    expect(activeSecrets("a", null, null, 100)).toEqual(["a"]);
    expect(activeSecrets("a", "b", 200, 100)).toEqual(["a", "b"]);
    expect(activeSecrets("a", "b", 200, 200)).toEqual(["a"]);
    expect(activeSecrets("a", "b", null, 100)).toEqual(["a"]);
  });
});
