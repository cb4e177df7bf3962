/** Idempotency rules: key validation, canonical request text and the admission decision. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalRequest, decide, type KeyRecord, keyProblem, MAX_KEY_LENGTH } from "../../src/domain/idempotency";
import { decodeForm } from "../../src/lib/form";

describe("keyProblem", () => {
  it("accepts 1 to 255 characters and names the problem otherwise", () => {
    expect(keyProblem("a")).toBeNull();
    expect(keyProblem("k".repeat(MAX_KEY_LENGTH))).toBeNull();
    expect(keyProblem("")).toMatch(/empty/);
    expect(keyProblem("k".repeat(MAX_KEY_LENGTH + 1))).toMatch(/255/);
  });
});

describe("decide", () => {
  const now = 1_000_000;
  const record = (over: Partial<KeyRecord>): KeyRecord => ({
    fingerprint: "f",
    state: "done",
    leaseUntil: 0,
    expires: now + 1,
    ...over,
  });
  it("begins an unknown or expired key", () => {
    expect(decide(undefined, "f", now)).toBe("begin");
    expect(decide(record({ expires: now }), "other", now)).toBe("begin");
  });
  it("replays a finished key with the same fingerprint", () => {
    expect(decide(record({}), "f", now)).toBe("replay");
  });
  it("refuses a different request as a mismatch, even while in flight", () => {
    expect(decide(record({}), "g", now)).toBe("mismatch");
    expect(decide(record({ state: "running", leaseUntil: now + 5 }), "g", now)).toBe("mismatch");
  });
  it("is in use while the lease holds, and can be taken over once it lapses", () => {
    expect(decide(record({ state: "running", leaseUntil: now + 1 }), "f", now)).toBe("in_use");
    expect(decide(record({ state: "running", leaseUntil: now }), "f", now)).toBe("begin");
  });
});

describe("canonicalRequest", () => {
  it("walks a body as deep as the body middleware allows, and refuses deeper ones without exhausting the stack", () => {
    const nest = (levels: number) => {
      let v: unknown = "x";
      for (let i = 0; i < levels; i++) v = { a: v };
      return v as Record<string, unknown>;
    };
    expect(() => canonicalRequest("POST", "/p", nest(32))).not.toThrow();
    expect(() => canonicalRequest("POST", "/p", nest(100_000))).toThrow(RangeError);
    expect(() => canonicalRequest("POST", "/p", nest(100_000))).toThrow(/nested too deeply/);
  });
  it("is the same for a form body and the equivalent JSON body", () => {
    const viaForm = decodeForm(
      "amount=1000&currency=usd&confirm=true&metadata[order]=42&expand[0]=a&expand[1]=b&card[exp_month]=12",
    );
    const viaJson = {
      card: { exp_month: 12 },
      expand: ["a", "b"],
      metadata: { order: "42" },
      confirm: true,
      currency: "usd",
      amount: 1000,
    };
    expect(canonicalRequest("POST", "/v1/x", viaForm)).toBe(canonicalRequest("POST", "/v1/x", viaJson));
  });
  it("ignores key order at every depth (property)", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.dictionary(fc.string(), fc.string())), (obj) => {
        const reversed = Object.fromEntries(
          Object.entries(obj)
            .reverse()
            .map(([k, v]) => [k, Object.fromEntries(Object.entries(v).reverse())]),
        );
        expect(canonicalRequest("POST", "/p", reversed)).toBe(canonicalRequest("POST", "/p", obj));
      }),
    );
  });
  it("differs when a value, the method, the path or the array order differs", () => {
    const base = canonicalRequest("POST", "/v1/x", { amount: 1, expand: ["a", "b"] });
    expect(canonicalRequest("POST", "/v1/x", { amount: 2, expand: ["a", "b"] })).not.toBe(base);
    expect(canonicalRequest("POST", "/v1/y", { amount: 1, expand: ["a", "b"] })).not.toBe(base);
    expect(canonicalRequest("PUT", "/v1/x", { amount: 1, expand: ["a", "b"] })).not.toBe(base);
    expect(canonicalRequest("POST", "/v1/x", { amount: 1, expand: ["b", "a"] })).not.toBe(base);
    expect(canonicalRequest("POST", "/v1/x", { amount: 1, expand: { 0: "a", 1: "b" } })).not.toBe(base);
  });
  it("depends on the caller's scopes but not on their order", () => {
    const body = { amount: 1 };
    const both = canonicalRequest("POST", "/v1/x", body, ["b:write", "a:read"]);
    expect(canonicalRequest("POST", "/v1/x", body, new Set(["a:read", "b:write"]))).toBe(both);
    expect(canonicalRequest("POST", "/v1/x", body, ["a:read"])).not.toBe(both);
  });
});
