import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Currency, isCurrency } from "../../src/domain/currencies";
import { isBalanced, type Movement, type Posting, postingsFor } from "../../src/domain/ledger";
import {
  DECLINE_CODES,
  type Outcome,
  opKey,
  type RefusalReason,
  type Resolution,
  resolve,
  resolveRefund,
} from "../../src/domain/outcome";
import {
  decideCancel,
  decideCapture,
  decideConfirm,
  decideRefund,
  type IntentState,
  type PendingOp,
} from "../../src/domain/payment-state";

function currency(code: string): Currency {
  if (!isCurrency(code)) throw new Error(code);
  return code;
}
const usd = currency("usd");

// Completeness is checked by the compiler: a new reason, operation or outcome kind fails to compile
// here until it is added, and the table test below then fails until its row exists.
const REASON_SET = {
  authorization_gone: true,
  declined: true,
  payment_method_unavailable: true,
} satisfies Record<RefusalReason, true>;
const REASONS = Object.keys(REASON_SET) as RefusalReason[];
const OP_SET = { authorize: true, capture: true, void: true } satisfies Record<PendingOp["kind"], true>;
const OP_KINDS = Object.keys(OP_SET) as PendingOp["kind"][];
const OUTCOME_SET = { approved: true, declined: true, refused: true, unknown: true } satisfies Record<
  Outcome["kind"],
  true
>;
type Method = IntentState["captureMethod"];
const METHODS: Method[] = ["automatic", "manual"];

const NOW = 1_700_000_000;
const VERSION = 5;
const DECLINED: Outcome = { kind: "declined", code: "card_declined", declineCode: "insufficient_funds" };

/** Every outcome a processor call can have, one per (kind × reason). */
const OUTCOMES: { name: string; outcome: Outcome }[] = [
  { name: "approved", outcome: { kind: "approved", reference: "ch_9" } },
  { name: "declined", outcome: DECLINED },
  ...REASONS.map((reason) => ({ name: `refused:${reason}`, outcome: { kind: "refused", reason } as Outcome })),
  { name: "unknown", outcome: { kind: "unknown" } },
];

/**
 * The intent as it stands when `kind` is pending: an authorization of 1000 holds nothing yet; a
 * (partial) capture of 600 and a void run against a hold of 1000.
 */
function stateWith(kind: PendingOp["kind"], captureMethod: Method): { s: IntentState; op: PendingOp } {
  const amount = kind === "capture" ? 600 : 1000;
  const op: PendingOp = { kind, key: opKey("pi_1", kind, VERSION), amount };
  const s: IntentState = {
    id: "pi_1",
    status: "processing",
    amount: 1000,
    currency: usd,
    captureMethod,
    paymentMethod: "pm_1",
    amountCapturable: kind === "authorize" ? 0 : 1000,
    amountReceived: 0,
    amountRefunded: 0,
    pendingOp: op,
    review: null,
  };
  return { s, op };
}

interface Row {
  op: PendingOp["kind"];
  outcome: string;
  /** Both capture methods unless given. */
  method?: Method;
  /** null: the outcome decides nothing (resolve returns null). */
  expected: null | {
    kind: string;
    status: IntentState["status"];
    pendingOp: PendingOp | null;
    movement: Movement | null;
    answer: Resolution["answer"]["kind"];
    /** Further fields the patch must carry. */
    patch?: Record<string, unknown>;
  };
}

const failedAuth = (code: string, declineCode: string) => ({
  paymentMethod: null,
  lastPaymentError: { code, declineCode },
});
const captureRefused = {
  kind: "capture_refused",
  status: "requires_capture",
  pendingOp: null,
  movement: null,
  answer: "capture_refused",
} as const;
const voided = {
  kind: "voided",
  status: "canceled",
  pendingOp: null,
  movement: { kind: "release", amount: 1000 },
  answer: "ok",
  patch: { amountCapturable: 0, canceledAt: NOW },
} as const;
const voidRefused = {
  kind: "void_refused",
  status: "requires_capture",
  pendingOp: null,
  movement: null,
  answer: "void_refused",
  patch: { cancellationReason: null },
} as const;

const TABLE: Row[] = [
  {
    op: "authorize",
    outcome: "approved",
    method: "manual",
    expected: {
      kind: "authorized",
      status: "requires_capture",
      pendingOp: null,
      movement: { kind: "authorize", amount: 1000 },
      answer: "ok",
      patch: { amountCapturable: 1000, processorReference: "ch_9", authorizedAt: NOW, lastPaymentError: null },
    },
  },
  {
    op: "authorize",
    outcome: "approved",
    method: "automatic",
    expected: {
      kind: "authorized",
      status: "processing",
      // The capture is claimed in the same write, keyed by the version that write creates.
      pendingOp: { kind: "capture", key: `pi_1_capture_${VERSION + 1}`, amount: 1000 },
      movement: { kind: "authorize", amount: 1000 },
      answer: "ok",
      patch: { amountCapturable: 1000, processorReference: "ch_9", authorizedAt: NOW, lastPaymentError: null },
    },
  },
  {
    op: "authorize",
    outcome: "declined",
    expected: {
      kind: "declined",
      status: "requires_payment_method",
      pendingOp: null,
      movement: null,
      answer: "declined",
      patch: failedAuth("card_declined", "insufficient_funds"),
    },
  },
  {
    op: "authorize",
    outcome: "refused:authorization_gone",
    expected: {
      kind: "declined",
      status: "requires_payment_method",
      pendingOp: null,
      movement: null,
      answer: "declined",
      patch: failedAuth("card_declined", "generic_decline"),
    },
  },
  {
    op: "authorize",
    outcome: "refused:declined",
    expected: {
      kind: "declined",
      status: "requires_payment_method",
      pendingOp: null,
      movement: null,
      answer: "declined",
      patch: failedAuth("card_declined", "generic_decline"),
    },
  },
  {
    op: "authorize",
    outcome: "refused:payment_method_unavailable",
    expected: {
      kind: "payment_method_unavailable",
      status: "requires_payment_method",
      pendingOp: null,
      movement: null,
      answer: "payment_method_unavailable",
      patch: failedAuth("payment_method_unavailable", "payment_method_unavailable"),
    },
  },
  { op: "authorize", outcome: "unknown", expected: null },
  {
    op: "capture",
    outcome: "approved",
    expected: {
      kind: "captured",
      status: "succeeded",
      pendingOp: null,
      // The whole hold is released, only the captured part is received.
      movement: { kind: "capture", authorized: 1000, captured: 600 },
      answer: "ok",
      patch: { amountCapturable: 0, amountReceived: 600 },
    },
  },
  { op: "capture", outcome: "declined", expected: captureRefused },
  {
    op: "capture",
    outcome: "refused:authorization_gone",
    expected: {
      kind: "capture_expired",
      status: "canceled",
      pendingOp: null,
      movement: { kind: "release", amount: 1000 },
      answer: "capture_expired",
      patch: { amountCapturable: 0, canceledAt: NOW, cancellationReason: "automatic" },
    },
  },
  { op: "capture", outcome: "refused:declined", expected: captureRefused },
  { op: "capture", outcome: "refused:payment_method_unavailable", expected: captureRefused },
  { op: "capture", outcome: "unknown", expected: null },
  { op: "void", outcome: "approved", expected: voided },
  { op: "void", outcome: "declined", expected: voidRefused },
  { op: "void", outcome: "refused:authorization_gone", expected: voided },
  { op: "void", outcome: "refused:declined", expected: voidRefused },
  { op: "void", outcome: "refused:payment_method_unavailable", expected: voidRefused },
  { op: "void", outcome: "unknown", expected: null },
];

describe("resolve: every operation × outcome × reason", () => {
  it("the table has exactly one row per (operation, capture method, outcome)", () => {
    expect(Object.keys(OUTCOME_SET).sort()).toEqual([...new Set(OUTCOMES.map((o) => o.outcome.kind))].sort());
    for (const op of OP_KINDS) {
      for (const method of METHODS) {
        for (const { name } of OUTCOMES) {
          const rows = TABLE.filter((r) => r.op === op && r.outcome === name && (r.method ?? method) === method);
          expect(rows, `${op} ${method} ${name}`).toHaveLength(1);
        }
      }
    }
  });

  for (const row of TABLE) {
    for (const method of row.method ? [row.method] : METHODS) {
      const outcome = OUTCOMES.find((o) => o.name === row.outcome)?.outcome;
      const e = row.expected;
      const title = e
        ? `${row.op} ${row.outcome} (${method}) → ${e.status}, ${e.movement?.kind ?? "no movement"}, answer ${e.answer}`
        : `${row.op} ${row.outcome} (${method}) → nothing decided`;
      it(title, () => {
        if (!outcome) throw new Error(`no outcome ${row.outcome}`);
        const { s, op } = stateWith(row.op, method);
        const r = resolve(s, op, outcome, VERSION, NOW);
        if (e === null) {
          expect(r).toBeNull();
          return;
        }
        expect(r).not.toBeNull();
        if (!r) return;
        expect(r.kind).toBe(e.kind);
        expect(r.patch.status).toBe(e.status);
        expect(r.patch.pendingOp).toEqual(e.pendingOp);
        expect(r.movement ?? null).toEqual(e.movement);
        expect(r.answer.kind).toBe(e.answer);
        if (e.patch) expect(r.patch).toMatchObject(e.patch);
        if (r.movement) expect(isBalanced(postingsFor(r.movement))).toBe(true);
      });
    }
  }

  it("answers a decline with the processor's codes", () => {
    const { s, op } = stateWith("authorize", "manual");
    expect(resolve(s, op, DECLINED, VERSION, NOW)?.answer).toEqual({
      kind: "declined",
      code: "card_declined",
      declineCode: "insufficient_funds",
    });
  });

  it("releases whatever the hold still is when a capture finds the authorization gone", () => {
    const { s, op } = stateWith("capture", "manual");
    const r = resolve({ ...s, amountCapturable: 750 }, op, { kind: "refused", reason: "authorization_gone" }, 9, NOW);
    expect(r?.movement).toEqual({ kind: "release", amount: 750 });
  });
});

describe("resolveRefund", () => {
  it.each<[string, Outcome, ReturnType<typeof resolveRefund>]>([
    [
      "approved",
      { kind: "approved", reference: "re_1" },
      { status: "succeeded", movement: { kind: "refund", amount: 300 } },
    ],
    [
      "declined",
      DECLINED,
      { status: "failed", failureReason: "declined", movement: { kind: "refund_failure", amount: 300 } },
    ],
    [
      "refused:authorization_gone",
      { kind: "refused", reason: "authorization_gone" },
      {
        status: "failed",
        failureReason: "expired_or_canceled_card",
        movement: { kind: "refund_failure", amount: 300 },
      },
    ],
    [
      "refused:declined",
      { kind: "refused", reason: "declined" },
      { status: "failed", failureReason: "declined", movement: { kind: "refund_failure", amount: 300 } },
    ],
    [
      "refused:payment_method_unavailable",
      { kind: "refused", reason: "payment_method_unavailable" },
      { status: "failed", failureReason: "declined", movement: { kind: "refund_failure", amount: 300 } },
    ],
    ["unknown", { kind: "unknown" }, null],
  ])("%s", (_name, outcome, expected) => {
    expect(resolveRefund(300, outcome)).toEqual(expected);
  });

  it("a failed refund gives back exactly what its reservation took", () => {
    for (const { outcome } of OUTCOMES) {
      const r = resolveRefund(300, outcome);
      if (r?.status !== "failed") continue;
      const reserve = net(postingsFor({ kind: "refund_reserve", amount: 300 }));
      const failure = net(postingsFor(r.movement));
      for (const account of new Set([...reserve.keys(), ...failure.keys()])) {
        expect((reserve.get(account) ?? 0) + (failure.get(account) ?? 0), account).toBe(0);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

/** Per-account sums of postings (account names are whatever the ledger uses). */
function net(postings: readonly Posting[], into = new Map<string, number>()): Map<string, number> {
  for (const p of postings) into.set(p.account, (into.get(p.account) ?? 0) + p.amount);
  return into;
}

const outcomeArb: fc.Arbitrary<Outcome> = fc.oneof(
  fc.string({ minLength: 1, maxLength: 8 }).map((reference): Outcome => ({ kind: "approved", reference })),
  fc
    .constantFrom(...DECLINE_CODES)
    .map((code): Outcome => ({ kind: "declined", code, declineCode: "generic_decline" })),
  fc.constantFrom(...REASONS).map((reason): Outcome => ({ kind: "refused", reason })),
  fc.constant<Outcome>({ kind: "unknown" }),
);

/** A consistent intent with a pending operation: what the operation was started from. */
const pendingArb = fc
  .record({
    kind: fc.constantFrom(...OP_KINDS),
    method: fc.constantFrom(...METHODS),
    amount: fc.integer({ min: 50, max: 99_999_999 }),
    heldFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    captureFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    opVersion: fc.integer({ min: 1, max: 1000 }),
    later: fc.nat({ max: 5 }),
  })
  .map(({ kind, method, amount, heldFrac, captureFrac, opVersion, later }) => {
    const held = Math.max(1, Math.round(amount * heldFrac));
    const opAmount =
      kind === "authorize" ? amount : kind === "capture" ? Math.max(1, Math.round(held * captureFrac)) : held;
    const op: PendingOp = { kind, key: opKey("pi_p", kind, opVersion), amount: opAmount };
    const s: IntentState = {
      id: "pi_p",
      status: "processing",
      amount,
      currency: usd,
      captureMethod: method,
      paymentMethod: "pm_1",
      amountCapturable: kind === "authorize" ? 0 : held,
      amountReceived: 0,
      amountRefunded: 0,
      pendingOp: op,
      review: null,
    };
    // The outcome is written from the version that claimed the op or any later one (after retries).
    return { s, op, version: opVersion + later };
  });

describe("resolve: properties", () => {
  it("never leaves the same key pending, nor `processing` outside the automatic capture chain; movements balance", () => {
    fc.assert(
      fc.property(pendingArb, outcomeArb, fc.integer({ min: 0, max: 2 ** 31 }), ({ s, op, version }, outcome, now) => {
        const r = resolve(s, op, outcome, version, now);
        if (outcome.kind === "unknown") {
          expect(r).toBeNull();
          return;
        }
        expect(r).not.toBeNull();
        if (!r) return;
        const next = r.patch.pendingOp;
        expect(next?.key).not.toBe(op.key);
        const chain = op.kind === "authorize" && outcome.kind === "approved" && s.captureMethod === "automatic";
        if (chain) {
          expect(r.patch.status).toBe("processing");
          expect(next).toEqual({ kind: "capture", key: `${s.id}_capture_${version + 1}`, amount: op.amount });
        } else {
          expect(r.patch.status).not.toBe("processing");
          expect(next).toBeNull();
        }
        if (r.patch.amountCapturable !== undefined) expect(r.patch.amountCapturable).toBeGreaterThanOrEqual(0);
        if (r.patch.amountReceived !== undefined) expect(r.patch.amountReceived).toBeLessThanOrEqual(s.amount);
        if (r.movement) {
          const postings = postingsFor(r.movement);
          expect(isBalanced(postings)).toBe(true);
        }
      }),
    );
  });

  it("resolving the same outcome twice from the same state gives the same change", () => {
    fc.assert(
      fc.property(pendingArb, outcomeArb, ({ s, op, version }, outcome) => {
        expect(resolve(s, op, outcome, version, NOW)).toEqual(resolve(s, op, outcome, version, NOW));
      }),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Model: an intent driven through confirm / capture / cancel / refund with random processor outcomes.

type Step =
  | { action: "confirm"; outcome: Outcome }
  | { action: "capture"; amount: "all" | "over" | number; outcome: Outcome }
  | { action: "cancel"; outcome: Outcome }
  | { action: "refund"; frac: number; outcome: Outcome }
  | { action: "retry"; outcome: Outcome };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  outcomeArb.map((outcome): Step => ({ action: "confirm", outcome })),
  fc
    .record({
      amount: fc.oneof(
        fc.constant<"all">("all"),
        fc.constant<"over">("over"),
        fc.double({ min: 0, max: 1, noNaN: true }),
      ),
      outcome: outcomeArb,
    })
    .map(({ amount, outcome }): Step => ({ action: "capture", amount, outcome })),
  outcomeArb.map((outcome): Step => ({ action: "cancel", outcome })),
  fc
    .record({ frac: fc.double({ min: 0, max: 1, noNaN: true }), outcome: outcomeArb })
    .map(({ frac, outcome }): Step => ({ action: "refund", ...{ frac, outcome } })),
  outcomeArb.map((outcome): Step => ({ action: "retry", outcome })),
);

class Model {
  s: IntentState;
  version = 1;
  ledger = new Map<string, number>();
  claimed = new Set<string>();
  /** Total of refunds the processor paid back (their reservation left for the processor). */
  paid = 0;

  constructor(amount: number, captureMethod: Method) {
    this.s = {
      id: "pi_m",
      status: "requires_confirmation",
      amount,
      currency: usd,
      captureMethod,
      paymentMethod: "pm_1",
      amountCapturable: 0,
      amountReceived: 0,
      amountRefunded: 0,
      pendingOp: null,
      review: null,
    };
  }

  private post(m: Movement | undefined): void {
    if (m) net(postingsFor(m), this.ledger);
  }

  /** Writes a claim of `kind` (the compare-and-swap write that creates version + 1). */
  private claim(kind: PendingOp["kind"], amount: number): void {
    const key = opKey(this.s.id, kind, this.version + 1);
    expect(this.claimed.has(key)).toBe(false);
    this.claimed.add(key);
    this.s = { ...this.s, status: "processing", pendingOp: { kind, key, amount } };
    this.version++;
  }

  /** Records the processor's outcome of the pending operation, as runPending does. */
  private run(outcome: Outcome): void {
    const op = this.s.pendingOp;
    if (!op) return;
    const r = resolve(this.s, op, outcome, this.version, NOW);
    if (!r) return; // unknown: stays processing with the same key
    const p = r.patch;
    this.s = {
      ...this.s,
      status: p.status,
      pendingOp: p.pendingOp,
      amountCapturable: p.amountCapturable ?? this.s.amountCapturable,
      amountReceived: p.amountReceived ?? this.s.amountReceived,
      paymentMethod: "paymentMethod" in p ? (p.paymentMethod ?? null) : this.s.paymentMethod,
    };
    this.version++;
    this.post(r.movement);
    if (p.pendingOp) {
      expect(this.claimed.has(p.pendingOp.key)).toBe(false);
      this.claimed.add(p.pendingOp.key);
    }
  }

  apply(step: Step): void {
    const s = this.s;
    switch (step.action) {
      case "retry":
        this.run(step.outcome);
        return;
      case "confirm": {
        const d = decideConfirm(s, s.paymentMethod ? null : "pm_new");
        if (!d.ok) return;
        if (d.mode === "resume") {
          this.run(step.outcome);
          return;
        }
        this.s = { ...this.s, paymentMethod: this.s.paymentMethod ?? "pm_2" };
        this.claim("authorize", s.amount);
        this.run(step.outcome);
        return;
      }
      case "capture": {
        const wanted =
          step.amount === "all"
            ? undefined
            : step.amount === "over"
              ? s.amountCapturable + 1
              : Math.max(1, Math.round(step.amount * s.amountCapturable));
        const d = decideCapture(s, wanted);
        if (!d.ok) {
          if (step.amount === "over") expect(d.code === "amount_too_large" || s.amountCapturable === 0).toBe(true);
          return;
        }
        if (d.mode === "resume") {
          this.run(step.outcome);
          return;
        }
        expect(d.amount).toBeLessThanOrEqual(s.amountCapturable);
        this.claim("capture", d.amount);
        this.run(step.outcome);
        return;
      }
      case "cancel": {
        const d = decideCancel(s);
        if (!d.ok) return;
        if (d.mode === "resume") {
          this.run(step.outcome);
          return;
        }
        if (d.mode === "simple") {
          this.s = { ...s, status: "canceled" };
          this.version++;
          return;
        }
        this.claim("void", d.amount);
        this.run(step.outcome);
        return;
      }
      case "refund": {
        const remaining = s.amountReceived - s.amountRefunded;
        const d = decideRefund(s, remaining > 0 ? Math.max(1, Math.round(step.frac * remaining)) : undefined);
        if (!d.ok) return;
        // The reservation is written with the refund; its outcome settles or gives it back.
        this.s = { ...s, amountRefunded: s.amountRefunded + d.amount };
        this.post({ kind: "refund_reserve", amount: d.amount });
        const r = resolveRefund(d.amount, step.outcome);
        if (!r) return; // pending: stays reserved
        this.post(r.movement);
        if (r.status === "failed") this.s = { ...this.s, amountRefunded: this.s.amountRefunded - d.amount };
        else this.paid += d.amount;
        return;
      }
    }
  }

  check(): void {
    const s = this.s;
    expect(s.amountReceived).toBeLessThanOrEqual(s.amount);
    expect(s.amountReceived).toBeGreaterThanOrEqual(0);
    expect(s.amountCapturable).toBeGreaterThanOrEqual(0);
    expect(s.amountCapturable).toBeLessThanOrEqual(s.amount);
    expect(s.amountRefunded).toBeGreaterThanOrEqual(0);
    expect(s.amountRefunded).toBeLessThanOrEqual(s.amountReceived);
    expect(s.status === "processing").toBe(s.pendingOp !== null);
    if (s.status === "succeeded" || s.status === "canceled") expect(s.amountCapturable).toBe(0);
    if (s.status !== "succeeded") expect(s.amountReceived).toBe(0);
    // Account-agnostic: the ledger equals the one of a canonical history with the same amounts — an
    // authorization of everything ever held, a full capture of what was received, a reservation of
    // what was refunded, and a payout of the refunds paid back. So holds match amount_capturable
    // and nothing is received twice.
    const canonical = net([
      ...postingsFor({ kind: "authorize", amount: s.amountCapturable + s.amountReceived }),
      ...postingsFor({ kind: "capture", authorized: s.amountReceived, captured: s.amountReceived }),
      ...postingsFor({ kind: "refund_reserve", amount: s.amountRefunded }),
      ...postingsFor({ kind: "refund", amount: this.paid }),
    ]);
    for (const account of new Set([...canonical.keys(), ...this.ledger.keys()])) {
      expect(this.ledger.get(account) ?? 0, account).toBe(canonical.get(account) ?? 0);
    }
    const total = [...this.ledger.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(0);
  }
}

describe("resolve: a model intent through any sequence of actions and outcomes", () => {
  it("keeps amount_received ≤ amount, amount_capturable ≥ 0, and the ledger in step with the intent", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 99_999_999 }),
        fc.constantFrom(...METHODS),
        fc.array(stepArb, { maxLength: 30 }),
        (amount, method, steps) => {
          const m = new Model(amount, method);
          m.check();
          for (const step of steps) {
            m.apply(step);
            m.check();
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps the ledger in step when a refund is paid back (fast-check counterexample, seed -1939902525)", () => {
    const m = new Model(50, "automatic");
    const approved = { kind: "approved", reference: " " } as const;
    for (const step of [
      { action: "confirm", outcome: approved },
      { action: "cancel", outcome: approved },
      { action: "refund", frac: 0, outcome: approved },
    ] as const) {
      m.apply(step);
      m.check();
    }
    expect(m.paid).toBe(1);
  });

  it("reaches succeeded through the automatic capture chain", () => {
    const m = new Model(1000, "automatic");
    m.apply({ action: "confirm", outcome: { kind: "approved", reference: "ch_1" } });
    expect(m.s.status).toBe("processing");
    expect(m.s.pendingOp).toMatchObject({ kind: "capture", amount: 1000 });
    m.apply({ action: "retry", outcome: { kind: "approved", reference: "ch_1" } });
    expect(m.s).toMatchObject({ status: "succeeded", amountReceived: 1000, amountCapturable: 0, pendingOp: null });
    m.check();
  });
});

describe("resolve with hold (a `review` verdict)", () => {
  for (const method of METHODS) {
    it(`an approved authorization (${method}) is held at requires_capture, no capture chained, and opens a review`, () => {
      const { s, op } = stateWith("authorize", method);
      const r = resolve(s, op, { kind: "approved", reference: "ch_9" }, VERSION, NOW, true);
      expect(r).toMatchObject({
        kind: "authorized",
        patch: { status: "requires_capture", pendingOp: null, amountCapturable: 1000, authorizedAt: NOW },
        movement: { kind: "authorize", amount: 1000 },
        answer: { kind: "ok" },
        opensReview: true,
      });
    });
  }

  it("every other (operation × outcome × method) resolves exactly as without hold, and opens no review", () => {
    for (const kind of OP_KINDS) {
      for (const method of METHODS) {
        for (const { name, outcome } of OUTCOMES) {
          if (kind === "authorize" && name === "approved") continue;
          const { s, op } = stateWith(kind, method);
          const held = resolve(s, op, outcome, VERSION, NOW, true);
          expect(held, `${kind} ${method} ${name}`).toEqual(resolve(s, op, outcome, VERSION, NOW, false));
          expect(held?.opensReview, `${kind} ${method} ${name}`).toBeUndefined();
        }
      }
    }
  });

  it("without hold no resolution opens a review", () => {
    for (const kind of OP_KINDS) {
      for (const method of METHODS) {
        for (const { outcome } of OUTCOMES) {
          const { s, op } = stateWith(kind, method);
          expect(resolve(s, op, outcome, VERSION, NOW)?.opensReview).toBeUndefined();
        }
      }
    }
  });
});
