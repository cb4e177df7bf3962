/** The limits on a parsed body: depth, key count, prototype keys and unpaired surrogates. */
import { describe, expect, it } from "vitest";
import { bodyProblem, hasLoneSurrogate, MAX_BODY_DEPTH, MAX_BODY_KEYS } from "../../src/lib/body-limits";

const nest = (levels: number): unknown => {
  let v: unknown = "x";
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};

describe("bodyProblem", () => {
  it("accepts a body exactly as deep as the cap and refuses one level more, naming the top-level param", () => {
    expect(bodyProblem(nest(MAX_BODY_DEPTH))).toBeUndefined();
    expect(bodyProblem(nest(MAX_BODY_DEPTH + 1))).toEqual({ reason: "too_deep", param: "a" });
  });

  it("walks a million levels without exhausting the stack", () => {
    expect(bodyProblem(nest(1_000_000))).toEqual({ reason: "too_deep", param: "a" });
  });

  it("counts object keys and array elements together", () => {
    const half = Array.from({ length: MAX_BODY_KEYS / 2 }, () => "x");
    expect(bodyProblem({ a: half.slice(1), b: half.slice(1) })).toBeUndefined();
    expect(bodyProblem({ a: half, b: half, c: "one too many" })).toEqual({ reason: "too_many_keys" });
  });

  it("refuses prototype keys that JSON.parse keeps as own properties", () => {
    expect(bodyProblem(JSON.parse('{"metadata":{"__proto__":"1"}}'))).toEqual({
      reason: "forbidden_key",
      param: "metadata[__proto__]",
    });
    expect(bodyProblem(JSON.parse('{"a":[{"constructor":1}]}'))).toEqual({
      reason: "forbidden_key",
      param: "a[0][constructor]",
    });
    expect(bodyProblem(JSON.parse('{"prototype":1}'))).toEqual({ reason: "forbidden_key", param: "prototype" });
  });

  it("refuses unpaired surrogates in values and keys, and accepts pairs", () => {
    expect(bodyProblem({ d: "\ud83d\ude00" })).toBeUndefined();
    expect(bodyProblem({ d: "a\ud83d" })).toEqual({ reason: "lone_surrogate", param: "d" });
    expect(bodyProblem({ m: { "k\ude00": "v" } })).toEqual({ reason: "lone_surrogate", param: "m" });
    expect(bodyProblem({ l: ["ok", "\udc00x"] })).toEqual({ reason: "lone_surrogate", param: "l[1]" });
  });
});

describe("hasLoneSurrogate", () => {
  it("finds a high half without its low half and a low half without its high half", () => {
    expect(hasLoneSurrogate("\ud800")).toBe(true);
    expect(hasLoneSurrogate("\udc00")).toBe(true);
    expect(hasLoneSurrogate("\udc00\ud800")).toBe(true);
    expect(hasLoneSurrogate("\ud800\udc00")).toBe(false);
    expect(hasLoneSurrogate("plain")).toBe(false);
  });
});
