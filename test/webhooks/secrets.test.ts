/** Webhook signing secrets: their shape (both verifiers' key derivations), and sealing bound to merchant and endpoint. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { openCard, sealCard, VaultDecryptError } from "../../src/crypto/envelope";
import { loadKeyring } from "../../src/crypto/keyring";
import {
  newWebhookSecret,
  openWebhookSecret,
  sealWebhookSecret,
  standardWebhooksKey,
} from "../../src/webhooks/secrets";

describe("newWebhookSecret", () => {
  it("is whsec_ + standard base64 of 32 random bytes, different every time", () => {
    const a = newWebhookSecret();
    const b = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(a).not.toBe(b);
    expect(standardWebhooksKey(a)).toHaveLength(32);
    expect(btoa(String.fromCharCode(...standardWebhooksKey(a)))).toBe(a.slice("whsec_".length));
  });
});

describe("sealWebhookSecret / openWebhookSecret", () => {
  it("round-trips, and the sealed form holds neither the secret nor its key bytes", async () => {
    const secret = newWebhookSecret();
    const sealed = await sealWebhookSecret(env, "mer_A", "we_1", secret);
    expect(sealed).not.toContain(secret.slice(6, 20));
    expect(JSON.parse(sealed)).toMatchObject({ v: expect.any(Number), k: expect.any(String), s: expect.any(String) });
    expect(await openWebhookSecret(env, "mer_A", "we_1", sealed)).toBe(secret);
    // A fresh data key and IV each time.
    expect(await sealWebhookSecret(env, "mer_A", "we_1", secret)).not.toBe(sealed);
  });

  it("fails closed under another merchant or endpoint, or when tampered with or malformed", async () => {
    const secret = newWebhookSecret();
    const sealed = await sealWebhookSecret(env, "mer_A", "we_1", secret);
    const stored = JSON.parse(sealed) as { v: number; k: string; s: string };
    const flipped = (s: string) =>
      s.at(-2) === "A" ? `${s.slice(0, -2)}B${s.slice(-1)}` : `${s.slice(0, -2)}A${s.slice(-1)}`;
    for (const [merchant, endpoint, value] of [
      ["mer_B", "we_1", sealed],
      ["mer_A", "we_2", sealed],
      ["mer_A", "we_1", JSON.stringify({ ...stored, s: flipped(stored.s) })],
      ["mer_A", "we_1", JSON.stringify({ ...stored, k: flipped(stored.k) })],
      ["mer_A", "we_1", JSON.stringify({ ...stored, v: stored.v + 1 })],
      ["mer_A", "we_1", "not json"],
      ["mer_A", "we_1", "null"],
      ["mer_A", "we_1", JSON.stringify({ v: 1 })],
    ] as const) {
      const err = await openWebhookSecret(env, merchant, endpoint, value).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VaultDecryptError);
      expect(String((err as Error).message)).not.toContain(secret);
    }
  });

  it("cannot be opened as a card record, nor a card's ciphertext as a secret (the purpose is bound)", async () => {
    const ring = await loadKeyring(env.VAULT_KEKS);
    const sealed = JSON.parse(await sealWebhookSecret(env, "mer_A", "we_1", newWebhookSecret())) as {
      v: number;
      k: string;
      s: string;
    };
    const ctx = { merchantId: "mer_A", paymentMethodId: "we_1" };
    await expect(
      openCard(ring, ctx, { keyVersion: sealed.v, wrappedKey: sealed.k, pan: sealed.s, cvc: null }),
    ).rejects.toBeInstanceOf(VaultDecryptError);
    const card = await sealCard(ring, ctx, { pan: "4242424242424242", cvc: null });
    const asSecret = JSON.stringify({ v: card.keyVersion, k: card.wrappedKey, s: card.pan });
    await expect(openWebhookSecret(env, "mer_A", "we_1", asSecret)).rejects.toBeInstanceOf(VaultDecryptError);
  });
});
