/** Token-bucket arithmetic with an explicit clock: exact quotas, refill, refunds, Retry-After. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assertPolicy, type BucketState, giveBack, type Policy, takeAll } from "../../src/domain/token-bucket";

const perSecond = (quota: number): Policy => ({ name: "default", quota, windowSec: 1 });

/** Fires one request at each time in `times` and counts the admitted ones. */
function admitted(policy: Policy, times: number[]): number {
  let state: BucketState | undefined;
  let count = 0;
  for (const t of times) {
    const r = takeAll([policy], [state], t);
    state = r.states[0];
    if (r.ok) count++;
  }
  return count;
}

describe("token bucket", () => {
  it("admits exactly the quota at one instant, then refuses", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 50 }), (quota, extra) => {
        expect(admitted(perSecond(quota), Array(quota + extra).fill(1_000))).toBe(quota);
      }),
    );
  });

  it("refills exactly one token per window/quota of elapsed time, never above the quota", () => {
    const p = perSecond(25); // one token per 40 ms
    let state = takeAll([p], [undefined], 0).states[0];
    for (let i = 1; i < 25; i++) state = takeAll([p], [state], 0).states[0];
    expect(takeAll([p], [state], 39).ok).toBe(false);
    const at40 = takeAll([p], [state], 40);
    expect(at40.ok).toBe(true);
    expect(takeAll([p], [at40.states[0]], 40).ok).toBe(false);
    // A long pause refills to the quota and no further.
    expect(admitted(p, [0, ...Array(30).fill(60_000)])).toBe(1 + 25);
  });

  it("never admits more than quota + refill over any span (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 60 }),
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 400 }),
        (quota, windowSec, raw) => {
          const times = [...raw].sort((a, b) => a - b);
          const span = (times.at(-1) as number) - (times[0] as number);
          const bound = quota + Math.floor((quota * span) / (windowSec * 1000));
          expect(admitted({ name: "x", quota, windowSec }, times)).toBeLessThanOrEqual(bound);
        },
      ),
    );
  });

  it("charges all buckets or none", () => {
    const wide = perSecond(10);
    const narrow: Policy = { name: "card", quota: 2, windowSec: 10 };
    let states: (BucketState | undefined)[] = [undefined, undefined];
    for (let i = 0; i < 2; i++) states = takeAll([wide, narrow], states, 0).states;
    const refused = takeAll([wide, narrow], states, 0);
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.limitedBy.name).toBe("card");
    // The default bucket was not charged by the refused request: 8 left.
    expect(refused.views[0]?.remaining).toBe(8);
    // 10 s / 2 = 5 s until the next card token.
    expect(refused.retryAfterSec).toBe(5);
  });

  it("reports remaining and seconds to full", () => {
    const r = takeAll([perSecond(4)], [undefined], 0);
    expect(r.views[0]).toMatchObject({ remaining: 3, resetSec: 1 });
    const full = takeAll([{ name: "c", quota: 6, windowSec: 60 }], [undefined], 0);
    expect(full.views[0]).toMatchObject({ remaining: 5, resetSec: 10 });
  });

  it("Retry-After is at least 1 and at most the window", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 3600 }), (quota, windowSec) => {
        const p = { name: "x", quota, windowSec };
        let state: BucketState | undefined;
        for (let i = 0; i < quota; i++) state = takeAll([p], [state], 0).states[0];
        const refused = takeAll([p], [state], 0);
        expect(refused.ok).toBe(false);
        if (refused.ok) return;
        expect(refused.retryAfterSec).toBeGreaterThanOrEqual(1);
        expect(refused.retryAfterSec).toBeLessThanOrEqual(windowSec);
      }),
    );
  });

  it("gives a token back without exceeding capacity", () => {
    const p = perSecond(2);
    const full = giveBack(p, undefined, 0);
    expect(takeAll([p], [full], 0).views[0]?.remaining).toBe(1);
    const taken = takeAll([p], [undefined], 0).states[0];
    expect(takeAll([p], [giveBack(p, taken, 0)], 0).views[0]?.remaining).toBe(1);
  });

  it("a clock that went backwards refills nothing", () => {
    const p: Policy = { name: "client_auth", quota: 3, windowSec: 60 };
    let state: BucketState | undefined;
    for (let i = 0; i < 3; i++) state = takeAll([p], [state], 1_000).states[0];
    expect(takeAll([p], [state], 500).ok).toBe(false);
    expect(takeAll([p], [state], 20_999).ok).toBe(false);
    expect(takeAll([p], [state], 21_000).ok).toBe(true);
  });

  it("rejects policies it cannot represent", () => {
    expect(() => assertPolicy({ name: "x", quota: 0, windowSec: 1 })).toThrow();
    expect(() => assertPolicy({ name: "x", quota: 1.5, windowSec: 1 })).toThrow();
    expect(() => assertPolicy({ name: "x", quota: 1, windowSec: 0 })).toThrow();
    expect(() => assertPolicy({ name: "x", quota: 100, windowSec: 1 })).not.toThrow();
  });
});
