import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isBalanced, type Movement, postingsFor } from "../../src/domain/ledger";

const amount = fc.integer({ min: 0, max: 99_999_999 });
const movement: fc.Arbitrary<Movement> = fc.oneof(
  amount.map((a) => ({ kind: "authorize", amount: a }) as const),
  amount.map((a) => ({ kind: "release", amount: a }) as const),
  amount.map((a) => ({ kind: "refund", amount: a }) as const),
  fc
    .tuple(amount, amount)
    .map(([x, y]) => ({ kind: "capture", authorized: Math.max(x, y), captured: Math.min(x, y) }) as const),
);

describe("ledger postings", () => {
  it("every movement is balanced", () => {
    fc.assert(fc.property(movement, (m) => isBalanced(postingsFor(m))));
  });

  it("a partial capture releases the whole hold and books only the captured amount", () => {
    const p = postingsFor({ kind: "capture", authorized: 1000, captured: 600 });
    expect(p).toEqual([
      { account: "authorized_holds", amount: -1000 },
      { account: "authorization_clearing", amount: 1000 },
      { account: "pending_balance", amount: 600 },
      { account: "processor", amount: -600 },
    ]);
  });

  it("refuses impossible movements instead of writing them", () => {
    expect(() => postingsFor({ kind: "capture", authorized: 10, captured: 11 })).toThrow();
    expect(() => postingsFor({ kind: "refund", amount: -1 })).toThrow();
    expect(() => postingsFor({ kind: "authorize", amount: 1.5 })).toThrow();
    expect(isBalanced([{ account: "refunds", amount: 1 }])).toBe(false);
  });
});
