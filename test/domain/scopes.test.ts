/** Parsing and formatting of OAuth2 scope strings. */
import { describe, expect, it } from "vitest";
import { formatScopes, parseScopes, SCOPES } from "../../src/domain/scopes";

describe("parseScopes", () => {
  it("accepts known scopes in any order, collapsing duplicates into canonical order", () => {
    expect(parseScopes("refunds:write  payments:read payments:read")).toEqual({
      ok: true,
      scopes: ["payments:read", "refunds:write"],
    });
    expect(parseScopes(formatScopes(SCOPES))).toEqual({ ok: true, scopes: [...SCOPES] });
    expect(parseScopes("")).toEqual({ ok: true, scopes: [] });
  });

  it("names the first unknown scope", () => {
    expect(parseScopes(["payments:read", "admin", "root"])).toEqual({ ok: false, unknown: "admin" });
    expect(parseScopes("PAYMENTS:READ")).toEqual({ ok: false, unknown: "PAYMENTS:READ" });
  });
});
