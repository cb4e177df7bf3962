import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeForm, FormEncodingError, FormShapeError, splitKey } from "../../src/lib/form";

describe("splitKey", () => {
  it("splits bracketed keys", () => {
    expect(splitKey("a")).toEqual(["a"]);
    expect(splitKey("card[number]")).toEqual(["card", "number"]);
    expect(splitKey("a[b][c]")).toEqual(["a", "b", "c"]);
    expect(splitKey("expand[]")).toEqual(["expand", ""]);
  });
  it("rejects malformed brackets", () => {
    expect(splitKey("a[b")).toBeNull();
    expect(splitKey("a[b]c")).toBeNull();
    expect(splitKey("a]b[")).toBeNull();
  });
});

describe("decodeForm", () => {
  it("nests objects and arrays like the equivalent JSON", () => {
    const body =
      "amount=1000&currency=usd&metadata[order]=42&metadata[note]=a%20b&card[number]=4242424242424242&expand[0]=x&expand[1]=y&tags[]=p&tags[]=q&items[0][price]=5&items[1][price]=7";
    expect(decodeForm(body)).toEqual({
      amount: "1000",
      currency: "usd",
      metadata: { order: "42", note: "a b" },
      card: { number: "4242424242424242" },
      expand: ["x", "y"],
      tags: ["p", "q"],
      items: [{ price: "5" }, { price: "7" }],
    });
  });
  it("keeps empty values, which clear metadata keys", () => {
    expect(decodeForm("metadata[a]=")).toEqual({ metadata: { a: "" } });
  });
  it("rejects conflicting shapes, duplicates, sparse arrays and prototype keys", () => {
    for (const bad of [
      "a=1&a[b]=2",
      "a[b]=2&a=1",
      "a=1&a=2",
      "x[1]=a",
      "__proto__[x]=1",
      "a[constructor]=1",
      "[x]=1",
      "a[b=1",
    ]) {
      expect(() => decodeForm(bad), bad).toThrow(FormShapeError);
    }
  });
  it("produces plain objects without prototype tricks", () => {
    const out = decodeForm("hasOwnProperty=1&toString[x]=2");
    expect(out.hasOwnProperty).toBe("1");
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });
  it("caps nesting depth", () => {
    expect(() => decodeForm("a[b][c][d][e][f][g][h][i]=1")).toThrow(FormShapeError);
    expect(decodeForm("a[b][c][d][e][f][g][h]=1")).toBeTruthy();
  });
  it("decodes names and values exactly as URLSearchParams does for valid UTF-8", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), (name, value) => {
        fc.pre(/^[a-z]/.test(name) && !/[[\]]/.test(name) && !["prototype", "constructor"].includes(name));
        const body = new URLSearchParams([[name, value]]).toString();
        expect(decodeForm(body)).toEqual({ [name]: value });
        // Hand-written escapes too: `+` is a space, a stray `%` stays literal.
        expect(decodeForm(`a=${encodeURIComponent(value)}+%zz%`)).toEqual({ a: `${value} %zz%` });
      }),
      { numRuns: 300 },
    );
  });
  it("refuses bytes that are not UTF-8 instead of replacing them with U+FFFD", () => {
    for (const bad of [
      "description=%FF",
      "description=x%C3",
      "description=%ED%A0%80",
      "a%FE=1",
      "description=%C0%AF",
    ]) {
      expect(() => decodeForm(bad), bad).toThrow(FormEncodingError);
    }
    expect(decodeForm("description=%EF%BF%BD")).toEqual({ description: "\uFFFD" });
  });
});
