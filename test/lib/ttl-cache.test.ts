/** The bounded, expiring per-isolate cache. */
import { describe, expect, it } from "vitest";
import { TtlCache } from "../../src/lib/ttl-cache";

function clocked(maxEntries: number, ttlMs: number) {
  let t = 0;
  const cache = new TtlCache<string, number>({ maxEntries, ttlMs, now: () => t });
  return { cache, advance: (ms: number) => (t += ms) };
}

describe("TtlCache", () => {
  it("forgets entries once the TTL has passed", () => {
    const { cache, advance } = clocked(10, 1000);
    cache.set("a", 1);
    advance(999);
    expect(cache.get("a")).toBe(1);
    advance(1);
    expect(cache.get("a")).toBeUndefined();
  });

  it("never holds more than maxEntries, evicting the oldest insertion", () => {
    const { cache } = clocked(3, 1000);
    for (const [i, k] of ["a", "b", "c", "d"].entries()) cache.set(k, i);
    expect(cache.size).toBe(3);
    expect(cache.get("a")).toBeUndefined();
    expect(cache.get("d")).toBe(3);
  });

  it("deletes one key or every matching value", () => {
    const { cache } = clocked(10, 1000);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("c", 2);
    cache.delete("a");
    cache.deleteWhere((v) => v === 2);
    expect(cache.size).toBe(0);
  });

  it("rejects nonsensical options when built", () => {
    expect(() => new TtlCache({ maxEntries: 0, ttlMs: 1 })).toThrow(/maxEntries/);
    expect(() => new TtlCache({ maxEntries: 1, ttlMs: 0 })).toThrow(/ttlMs/);
  });
});
