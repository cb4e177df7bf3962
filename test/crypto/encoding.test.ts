/** base64url (jose's codec behind our strict alphabet check) and standard base64, against a reference. */
import { describe, expect, it } from "vitest";
import { fromBase64, fromBase64Url, toBase64, toBase64Url } from "../../src/crypto/encoding";

/** The hand-written codec the crypto modules used before jose's: the oracle these tests compare with. */
const reference = {
  encode(bytes: Uint8Array): string {
    return btoa(String.fromCharCode(...bytes))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
  },
  decode(text: string): number[] {
    return [...atob(text.replace(/-/g, "+").replace(/_/g, "/"))].map((ch) => ch.charCodeAt(0));
  },
};

/** Random bytes of every length from 0 to 70, plus every byte value once (so `-` and `_` appear). */
const samples = [
  ...Array.from({ length: 71 }, (_, n) => crypto.getRandomValues(new Uint8Array(n))),
  Uint8Array.from({ length: 256 }, (_, i) => i),
];

describe("toBase64Url / fromBase64Url", () => {
  it("matches the reference and round-trips, for every length", () => {
    for (const bytes of samples) {
      const text = toBase64Url(bytes);
      expect(text).toBe(reference.encode(bytes));
      expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
      expect([...fromBase64Url(text)]).toEqual([...bytes]);
      expect([...fromBase64Url(text)]).toEqual(reference.decode(text));
    }
  });

  it("accepts padding and returns an array over its own ArrayBuffer", () => {
    expect([...fromBase64Url("_w==")]).toEqual([255]);
    expect([...fromBase64Url("_-8=")]).toEqual([255, 239]);
    const out = fromBase64Url("AAAA");
    expect(out.buffer).toBeInstanceOf(ArrayBuffer);
    expect(out.byteLength).toBe(out.buffer.byteLength);
  });

  it("throws on standard base64, whitespace, stray padding and impossible lengths", () => {
    for (const bad of ["+w", "/w", "AA AA", " AAAA", "AAAA\n", "A===", "AA=A", "A", "AAAAA", "AAAA==", "%41"]) {
      expect(() => fromBase64Url(bad), bad).toThrow();
    }
  });
});

describe("toBase64 / fromBase64", () => {
  it("uses the standard alphabet with padding, and round-trips every byte value", () => {
    for (const bytes of samples) {
      const text = toBase64(bytes);
      expect(text).toBe(btoa(String.fromCharCode(...bytes)));
      expect([...fromBase64(text)]).toEqual([...bytes]);
    }
    expect(toBase64(Uint8Array.of(0xfb, 0xff))).toBe("+/8=");
  });

  it("decodes bytes, not Latin-1 text: UTF-8 Basic credentials survive", () => {
    const basic = btoa(String.fromCharCode(...new TextEncoder().encode("cli_é:sëcret")));
    expect(new TextDecoder().decode(fromBase64(basic))).toBe("cli_é:sëcret");
  });

  it("throws on base64url characters and impossible lengths", () => {
    for (const bad of ["-w==", "_w==", "A", "AA=A", "%41"]) expect(() => fromBase64(bad), bad).toThrow();
  });
});
