/** Envelope encryption: round trip, fail-closed on any tampering, context binding, KEK rotation. */
import { describe, expect, it } from "vitest";
import { fromBase64Url, toBase64Url } from "../../src/crypto/encoding";
import { openCard, type SealedCard, sealCard, VaultDecryptError } from "../../src/crypto/envelope";
import { loadKeyring } from "../../src/crypto/keyring";

const key = () => toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
const K1 = key();
const K2 = key();
const ring1 = () => loadKeyring(JSON.stringify([{ version: 1, key: K1 }]));
const ring12 = () =>
  loadKeyring(
    JSON.stringify([
      { version: 2, key: K2 },
      { version: 1, key: K1 },
    ]),
  );
const CTX = { merchantId: "mer_A", paymentMethodId: "pm_1" };
const SECRETS = { pan: "4242424242424242", cvc: "123" };

/** Flips one bit of a blob at a byte offset (negative counts from the end). */
function flip(blob: string, offset: number): string {
  const bytes = fromBase64Url(blob);
  const i = offset < 0 ? bytes.length + offset : offset;
  bytes[i] = (bytes[i] as number) ^ 0x01;
  return toBase64Url(bytes);
}

async function expectFailsClosed(sealed: SealedCard, ctx = CTX, ring = ring1()) {
  await expect(openCard(await ring, ctx, sealed)).rejects.toBeInstanceOf(VaultDecryptError);
}

describe("sealCard / openCard", () => {
  it("round-trips the PAN and CVC, and a record without CVC", async () => {
    const ring = await ring1();
    const sealed = await sealCard(ring, CTX, SECRETS);
    expect(sealed.keyVersion).toBe(1);
    expect(await openCard(ring, CTX, sealed)).toEqual(SECRETS);
    const noCvc = await sealCard(ring, CTX, { pan: SECRETS.pan, cvc: null });
    expect(noCvc.cvc).toBeNull();
    expect(await openCard(ring, CTX, noCvc)).toEqual({ pan: SECRETS.pan, cvc: null });
  });

  it("uses a fresh IV and a fresh data key every time, and stores IV ‖ ciphertext ‖ 128-bit tag", async () => {
    const ring = await ring1();
    const a = await sealCard(ring, CTX, SECRETS);
    const b = await sealCard(ring, CTX, SECRETS);
    expect(a.pan).not.toBe(b.pan);
    expect(a.wrappedKey).not.toBe(b.wrappedKey);
    expect(fromBase64Url(a.pan).slice(0, 12)).not.toEqual(fromBase64Url(b.pan).slice(0, 12));
    expect(fromBase64Url(a.pan).length).toBe(12 + SECRETS.pan.length + 16);
    expect(fromBase64Url(a.wrappedKey).length).toBe(12 + 32 + 16);
    for (const blob of [a.pan, a.cvc ?? "", a.wrappedKey]) expect(blob).not.toContain("4242");
  });

  const fields = ["pan", "cvc", "wrappedKey"] as const;
  for (const field of fields) {
    for (const [part, offset] of [
      ["IV", 0],
      ["ciphertext", 13],
      ["tag", -1],
    ] as const) {
      it(`fails closed when the ${part} of ${field} is tampered with`, async () => {
        const sealed = await sealCard(await ring1(), CTX, SECRETS);
        await expectFailsClosed({ ...sealed, [field]: flip(sealed[field] as string, offset) });
      });
    }
    it(`fails closed when ${field} is truncated or not base64url`, async () => {
      const sealed = await sealCard(await ring1(), CTX, SECRETS);
      await expectFailsClosed({ ...sealed, [field]: (sealed[field] as string).slice(0, 20) });
      await expectFailsClosed({ ...sealed, [field]: "not base64!" });
    });
  }

  it("fails closed under another merchant, another payment-method id or another key version", async () => {
    const sealed = await sealCard(await ring12(), CTX, SECRETS);
    await expectFailsClosed(sealed, { ...CTX, merchantId: "mer_B" }, ring12());
    await expectFailsClosed(sealed, { ...CTX, paymentMethodId: "pm_2" }, ring12());
    // The same KEK listed under a different version number does not open it either.
    const relabelled = loadKeyring(JSON.stringify([{ version: 3, key: K2 }]));
    await expectFailsClosed({ ...sealed, keyVersion: 3 }, CTX, relabelled);
  });

  it("fails closed when two records' ciphertexts are swapped, or the PAN and CVC fields are swapped", async () => {
    const ring = await ring1();
    const other = { ...CTX, paymentMethodId: "pm_2" };
    const a = await sealCard(ring, CTX, SECRETS);
    const b = await sealCard(ring, other, { pan: "5555555555554444", cvc: "456" });
    await expectFailsClosed({ ...a, pan: b.pan });
    await expectFailsClosed({ ...a, wrappedKey: b.wrappedKey, pan: b.pan, cvc: b.cvc });
    await expectFailsClosed({ ...a, pan: a.cvc as string, cvc: a.pan });
  });

  it("fails closed with a different KEK or a retired version", async () => {
    const sealed = await sealCard(await ring1(), CTX, SECRETS);
    await expectFailsClosed(sealed, CTX, loadKeyring(JSON.stringify([{ version: 1, key: K2 }])));
    await expectFailsClosed(sealed, CTX, loadKeyring(JSON.stringify([{ version: 2, key: K2 }])));
  });

  it("seals new records with the highest KEK version and still opens older ones", async () => {
    const old = await sealCard(await ring1(), CTX, SECRETS);
    const ring = await ring12();
    expect(ring.current).toBe(2);
    const fresh = await sealCard(ring, CTX, SECRETS);
    expect(fresh.keyVersion).toBe(2);
    expect(await openCard(ring, CTX, old)).toEqual(SECRETS);
    expect(await openCard(ring, CTX, fresh)).toEqual(SECRETS);
  });
});

describe("loadKeyring", () => {
  const bad = [
    "not json",
    "[]",
    "{}",
    JSON.stringify([{ version: 0, key: K1 }]),
    JSON.stringify([{ version: 1.5, key: K1 }]),
    JSON.stringify([{ version: 1, key: "c2hvcnQ" }]),
    JSON.stringify([
      { version: 1, key: K1 },
      { version: 1, key: K2 },
    ]),
  ];
  for (const secret of bad) {
    it(`rejects a malformed VAULT_KEKS (${secret.slice(0, 24)}) without echoing key material`, async () => {
      const err = await loadKeyring(secret).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).not.toContain(K1);
    });
  }
});
