/** The posting rules: each movement's postings, the sign rules, and a property test over intent life cycles. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ACCOUNTS,
  type Account,
  accountSign,
  applyPostings,
  isBalanced,
  type Movement,
  NON_NEGATIVE_ACCOUNTS,
  NON_POSITIVE_ACCOUNTS,
  postingsFor,
  UNSIGNED_ACCOUNTS,
  violations,
  zeroBalances,
} from "../../src/domain/ledger";

describe("postingsFor", () => {
  const cases: [Movement, [Account, number][]][] = [
    [
      { kind: "authorize", amount: 1000 },
      [
        ["authorized_holds", 1000],
        ["authorization_clearing", -1000],
      ],
    ],
    [
      { kind: "release", amount: 1000 },
      [
        ["authorized_holds", -1000],
        ["authorization_clearing", 1000],
      ],
    ],
    [
      { kind: "capture", authorized: 1000, captured: 600 },
      [
        ["authorized_holds", -1000],
        ["authorization_clearing", 1000],
        ["pending_balance", 600],
        ["processor", -600],
      ],
    ],
    [
      { kind: "refund_reserve", amount: 200 },
      [
        ["available_balance", -200],
        ["refund_reserve", 200],
      ],
    ],
    [
      { kind: "refund", amount: 200 },
      [
        ["refund_reserve", -200],
        ["processor", 200],
      ],
    ],
    [
      { kind: "refund_failure", amount: 200 },
      [
        ["refund_reserve", -200],
        ["available_balance", 200],
      ],
    ],
    [
      { kind: "fee", amount: 59 },
      [
        ["pending_balance", -59],
        ["gateway_fees", 59],
      ],
    ],
    [
      { kind: "fee_refund", amount: 12 },
      [
        ["gateway_fees", -12],
        ["available_balance", 12],
      ],
    ],
    [
      { kind: "fee_refund_reversal", amount: 12 },
      [
        ["available_balance", -12],
        ["gateway_fees", 12],
      ],
    ],
    [
      { kind: "settle", amount: 541 },
      [
        ["pending_balance", -541],
        ["available_balance", 541],
      ],
    ],
    [
      { kind: "payout", amount: 541 },
      [
        ["available_balance", -541],
        ["payouts_in_transit", 541],
      ],
    ],
    [
      { kind: "payout_paid", amount: 541 },
      [
        ["payouts_in_transit", -541],
        ["paid_out", 541],
      ],
    ],
    [
      { kind: "payout_failure", amount: 541 },
      [
        ["payouts_in_transit", -541],
        ["available_balance", 541],
      ],
    ],
    [
      { kind: "payout_cancel", amount: 541 },
      [
        ["payouts_in_transit", -541],
        ["available_balance", 541],
      ],
    ],
  ];

  it.each(cases)("%o", (m, expected) => {
    const postings = postingsFor(m);
    expect(postings.map((p) => [p.account, p.amount])).toEqual(expected);
    expect(isBalanced(postings)).toBe(true);
    expect(new Set(postings.map((p) => p.account)).size).toBe(postings.length);
  });

  it("refuses impossible movements instead of writing them", () => {
    expect(() => postingsFor({ kind: "capture", authorized: 10, captured: 11 })).toThrow(/exceeds/);
    expect(() => postingsFor({ kind: "refund", amount: -1 })).toThrow(/invalid amount/);
    expect(() => postingsFor({ kind: "refund_reserve", amount: 0.5 })).toThrow(/invalid amount/);
    expect(() => postingsFor({ kind: "authorize", amount: 1.5 })).toThrow(/invalid amount/);
    expect(() => postingsFor({ kind: "release", amount: Number.MAX_SAFE_INTEGER + 1 })).toThrow(/invalid amount/);
    expect(() => postingsFor({ kind: "refund_failure", amount: Number.NaN })).toThrow(/invalid amount/);
    expect(() => postingsFor({ kind: "capture", authorized: -1, captured: -2 })).toThrow(/invalid amount/);
  });

  it("isBalanced spots a one-legged transaction", () => {
    expect(isBalanced([{ account: "processor", amount: 1 }])).toBe(false);
    expect(isBalanced([])).toBe(true);
  });
});

describe("sign rules", () => {
  it("every account has exactly one rule, and the three lists partition the chart", () => {
    expect([...NON_NEGATIVE_ACCOUNTS].sort()).toEqual(
      [
        "authorized_holds",
        "pending_balance",
        "refund_reserve",
        "gateway_fees",
        "payouts_in_transit",
        "paid_out",
      ].sort(),
    );
    expect([...NON_POSITIVE_ACCOUNTS].sort()).toEqual(["authorization_clearing", "processor"]);
    // The merchant's available balance may go negative (refunds are taken from it at once).
    expect(UNSIGNED_ACCOUNTS).toEqual(["available_balance"]);
    expect([...NON_NEGATIVE_ACCOUNTS, ...NON_POSITIVE_ACCOUNTS, ...UNSIGNED_ACCOUNTS].sort()).toEqual(
      [...ACCOUNTS].sort(),
    );
    for (const a of NON_POSITIVE_ACCOUNTS) expect(accountSign(a)).toBe("non_positive");
  });

  it("violations names each account on the wrong side of zero, from a record or a map", () => {
    expect(violations({})).toEqual([]);
    expect(violations({ pending_balance: -1, processor: 1, authorization_clearing: -5 })).toEqual([
      { account: "pending_balance", balance: -1, rule: "non_negative" },
      { account: "processor", balance: 1, rule: "non_positive" },
    ]);
    expect(violations(new Map<Account, number>([["refund_reserve", -3]]))).toEqual([
      { account: "refund_reserve", balance: -3, rule: "non_negative" },
    ]);
  });

  it("a refund without a reservation overdraws refund_reserve", () => {
    const after = applyPostings(zeroBalances(), postingsFor({ kind: "refund", amount: 1 }));
    expect(violations(after).map((v) => v.account)).toEqual(["refund_reserve", "processor"]);
  });
});

/** A share in thousandths, to pick an integer amount below a bound without floats. */
const permille = fc.integer({ min: 0, max: 1000 });
const share = (bound: number, p: number) => Math.floor((bound * p) / 1000);

/**
 * One intent's life: authorize, then release or capture part of it, then refunds of what remains
 * refundable, each paid or refused either at once or after later refunds were reserved.
 */
const lifeCycle: fc.Arbitrary<Movement[]> = fc
  .record({
    authorized: fc.integer({ min: 0, max: 99_999_999 }),
    capture: fc.option(permille, { nil: undefined }),
    refunds: fc.array(fc.record({ p: permille, paid: fc.boolean(), later: fc.boolean() }), { maxLength: 8 }),
  })
  .map(({ authorized, capture, refunds }) => {
    const out: Movement[] = [{ kind: "authorize", amount: authorized }];
    if (capture === undefined) return [...out, { kind: "release", amount: authorized }];
    const captured = share(authorized, capture);
    out.push({ kind: "capture", authorized, captured });
    let refundable = captured;
    const outstanding: Movement[] = [];
    for (const r of refunds) {
      const amount = share(refundable, r.p);
      refundable -= amount;
      out.push({ kind: "refund_reserve", amount });
      const outcome: Movement = { kind: r.paid ? "refund" : "refund_failure", amount };
      if (r.later) outstanding.push(outcome);
      else out.push(outcome);
      if (!r.paid && !r.later) refundable += amount;
    }
    return [...out, ...outstanding];
  });

describe("intent life cycles (property)", () => {
  it("every transaction balances and no account ever crosses its sign", () => {
    fc.assert(
      fc.property(fc.array(lifeCycle, { minLength: 1, maxLength: 5 }), (intents) => {
        // Several intents of one merchant share the ledger; interleave them in order per intent.
        let balances = zeroBalances();
        const queues = intents.map((m) => [...m]);
        while (queues.some((q) => q.length > 0)) {
          for (const q of queues) {
            const m = q.shift();
            if (!m) continue;
            const postings = postingsFor(m);
            expect(isBalanced(postings)).toBe(true);
            expect(new Set(postings.map((p) => p.account)).size).toBe(postings.length);
            balances = applyPostings(balances, postings);
            expect(violations(balances)).toEqual([]);
          }
        }
        // Holds are always fully released, and the merchant's balance nets the processor.
        expect(balances.authorized_holds).toBe(0);
        expect(balances.authorization_clearing).toBe(0);
        expect(balances.refund_reserve).toBe(0);
        expect(balances.pending_balance + balances.available_balance + balances.processor).toBe(0);
        expect(Object.values(balances).reduce((s, b) => s + b, 0)).toBe(0);
      }),
    );
  });
});
