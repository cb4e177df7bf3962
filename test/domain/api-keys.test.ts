/** API key shapes, modes and scopes (pure). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  API_KEY_RANDOM_CHARS,
  keyPrefix,
  keyScopes,
  looksLikeApiKey,
  missingScope,
  PUBLISHABLE_SCOPES,
  parseApiKey,
} from "../../src/domain/api-keys";
import { SCOPES } from "../../src/domain/scopes";

const random = `${"a".repeat(API_KEY_RANDOM_CHARS - 4)}Z9x0`;

describe("parseApiKey", () => {
  it("knows each kind by its prefix in the deployment's mode", () => {
    expect(parseApiKey(`sk_test_${random}`, "test")).toEqual({ ok: true, kind: "secret" });
    expect(parseApiKey(`rk_test_${random}`, "test")).toEqual({ ok: true, kind: "restricted" });
    expect(parseApiKey(`pk_live_${random}`, "live")).toEqual({ ok: true, kind: "publishable" });
    expect(keyPrefix("restricted", "live")).toBe("rk_live_");
  });

  it("refuses a key of the other mode before any lookup", () => {
    expect(parseApiKey(`sk_live_${random}`, "test")).toEqual({ ok: false, reason: "wrong_mode" });
    expect(parseApiKey(`pk_test_${random}`, "live")).toEqual({ ok: false, reason: "wrong_mode" });
  });

  it.each([
    ["too short", `sk_test_${random.slice(1)}`],
    ["too long", `sk_test_${random}x`],
    ["not base62", `sk_test_${random.slice(1)}-`],
    ["unknown kind", `xk_test_${random}`],
    ["unknown mode", `sk_prod_${random}`],
    ["upper-case prefix", `SK_TEST_${random}`],
    ["trailing newline", `sk_test_${random}\n`],
  ])("refuses a malformed key (%s)", (_name, key) => {
    expect(parseApiKey(key, "test")).toEqual({ ok: false, reason: "malformed" });
  });

  it("accepts nothing but the exact shape (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const parsed = parseApiKey(text, "test");
        if (parsed.ok) expect(text).toMatch(/^(sk|rk|pk)_test_[0-9A-Za-z]{48}$/);
      }),
    );
  });

  it("tells keys from access tokens by prefix", () => {
    expect(looksLikeApiKey("sk_anything")).toBe(true);
    expect(looksLikeApiKey("eyJhbGciOiJFUzI1NiJ9.e30.sig")).toBe(false);
  });
});

describe("keyScopes and missingScope", () => {
  it("gives a secret key every scope, a restricted key its own, a publishable key only tokenizing", () => {
    expect(keyScopes("secret", [])).toEqual(SCOPES);
    expect(keyScopes("restricted", ["payments:read"])).toEqual(["payments:read"]);
    expect(keyScopes("publishable", ["payments:write"])).toEqual(PUBLISHABLE_SCOPES);
  });

  it("names the first scope a caller lacks", () => {
    const held = new Set(["payments:read", "api_keys:write"]);
    expect(missingScope(held, ["payments:read"])).toBeUndefined();
    expect(missingScope(held, ["payments:read", "refunds:write"])).toBe("refunds:write");
    expect(missingScope(held, SCOPES)).toBe("payments:write");
  });
});
