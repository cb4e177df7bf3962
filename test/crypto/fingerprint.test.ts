/** Keyed fingerprints: stable per merchant, unlinkable across merchants, dependent on the key. */
import { describe, expect, it } from "vitest";
import { toBase64Url } from "../../src/crypto/encoding";
import { cardFingerprints } from "../../src/crypto/fingerprint";

const KEY = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
const PAN = "4242424242424242";

describe("cardFingerprints", () => {
  it("is stable for one merchant and card", async () => {
    const a = await cardFingerprints(KEY, "mer_A", PAN);
    expect(await cardFingerprints(KEY, "mer_A", PAN)).toEqual(a);
    expect(a.merchant).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(a.internal).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("differs between merchants for the same card, while the internal one matches", async () => {
    const a = await cardFingerprints(KEY, "mer_A", PAN);
    const b = await cardFingerprints(KEY, "mer_B", PAN);
    expect(a.merchant).not.toBe(b.merchant);
    expect(a.internal).toBe(b.internal);
    expect(a.internal.startsWith(a.merchant)).toBe(false);
  });

  it("differs between cards, and is not a plain (unkeyed) SHA-256 of the PAN", async () => {
    const a = await cardFingerprints(KEY, "mer_A", PAN);
    const c = await cardFingerprints(KEY, "mer_A", "5555555555554444");
    expect(c.merchant).not.toBe(a.merchant);
    expect(c.internal).not.toBe(a.internal);
    const plain = toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(PAN))));
    expect(a.internal).not.toBe(plain);
  });

  it("changes completely under another FINGERPRINT_KEY", async () => {
    const other = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
    const a = await cardFingerprints(KEY, "mer_A", PAN);
    const b = await cardFingerprints(other, "mer_A", PAN);
    expect(b.merchant).not.toBe(a.merchant);
    expect(b.internal).not.toBe(a.internal);
  });
});
