/** Client-secret generation, keyed hashing and constant-time comparison. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  CLIENT_SECRET_PREFIX,
  constantTimeEqual,
  generateSecret,
  hashClientSecret,
  OPERATOR_SECRET_PREFIX,
  verifyClientSecret,
} from "../../src/crypto/secrets";

const generateClientSecret = () => generateSecret(CLIENT_SECRET_PREFIX);

describe("generateSecret", () => {
  it("carries 32 random bytes behind a recognisable prefix", () => {
    const a = generateClientSecret();
    expect(a).toMatch(/^eps_[A-Za-z0-9_-]{43}$/);
    expect(generateClientSecret()).not.toBe(a);
    expect(generateSecret(OPERATOR_SECRET_PREFIX)).toMatch(/^eop_[A-Za-z0-9_-]{43}$/);
  });
});

describe("hashClientSecret / verifyClientSecret", () => {
  it("verifies the right secret and nothing else", async () => {
    const secret = generateClientSecret();
    const hash = await hashClientSecret(env.CLIENT_SECRET_PEPPER, secret);
    expect(hash).not.toContain(secret.slice(4));
    expect(await verifyClientSecret(env.CLIENT_SECRET_PEPPER, secret, hash)).toBe(true);
    expect(await verifyClientSecret(env.CLIENT_SECRET_PEPPER, `${secret}x`, hash)).toBe(false);
    expect(await verifyClientSecret(env.CLIENT_SECRET_PEPPER, "", hash)).toBe(false);
    expect(await verifyClientSecret(env.CLIENT_SECRET_PEPPER, secret, "not-a-hash!")).toBe(false);
  });

  it("depends on the pepper", async () => {
    const secret = generateClientSecret();
    const otherPepper = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replace(/=+$/, "");
    const hash = await hashClientSecret(env.CLIENT_SECRET_PEPPER, secret);
    expect(await hashClientSecret(otherPepper, secret)).not.toBe(hash);
    expect(await verifyClientSecret(otherPepper, secret, hash)).toBe(false);
  });

  it("refuses a short or malformed pepper", async () => {
    await expect(hashClientSecret("c2hvcnQ", "x")).rejects.toThrow(/CLIENT_SECRET_PEPPER/);
    await expect(hashClientSecret("not base64url!", "x")).rejects.toThrow(/CLIENT_SECRET_PEPPER/);
  });
});

describe("constantTimeEqual", () => {
  it("compares strings of any length", async () => {
    expect(await constantTimeEqual("op_abc", "op_abc")).toBe(true);
    expect(await constantTimeEqual("op_abc", "op_abd")).toBe(false);
    expect(await constantTimeEqual("op_abc", "op_ab")).toBe(false);
    expect(await constantTimeEqual("", "")).toBe(true);
  });
});
