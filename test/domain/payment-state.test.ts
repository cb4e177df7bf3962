import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isCurrency } from "../../src/domain/currencies";
import {
  decideCancel,
  decideCapture,
  decideConfirm,
  decideRefund,
  decideUpdate,
  INTENT_STATUSES,
  type IntentState,
  type IntentStatus,
  type PendingOp,
} from "../../src/domain/payment-state";

const usd = "usd";
if (!isCurrency(usd)) throw new Error("usd");
const base: IntentState = {
  id: "pi_1",
  status: "requires_confirmation",
  amount: 1000,
  currency: usd,
  captureMethod: "manual",
  paymentMethod: "pm_1",
  amountCapturable: 0,
  amountReceived: 0,
  amountRefunded: 0,
  pendingOp: null,
  review: null,
};
const at = (status: IntentStatus, extra: Partial<IntentState> = {}): IntentState => ({ ...base, status, ...extra });
const ALL: readonly IntentStatus[] = INTENT_STATUSES;
const KINDS: PendingOp["kind"][] = ["authorize", "capture", "void"];
const METHODS: IntentState["captureMethod"][] = ["automatic", "manual"];

/** A `processing` intent with a pending `kind` of `amount`, in the state that operation is started from. */
function pending(kind: PendingOp["kind"], captureMethod: IntentState["captureMethod"], amount = 1000): IntentState {
  return at("processing", {
    captureMethod,
    // An authorization holds nothing yet; a capture or void runs against a held authorization.
    amountCapturable: kind === "authorize" ? 0 : 1000,
    pendingOp: { kind, key: `pi_1_${kind}_7`, amount },
  });
}

describe("decideUpdate", () => {
  it("changes the amount only before confirmation", () => {
    const allowed = ALL.filter((s) => decideUpdate(at(s), true).ok);
    expect(allowed).toEqual(["requires_payment_method", "requires_confirmation"]);
    expect(decideUpdate(at("requires_capture"), true)).toMatchObject({
      ok: false,
      code: "payment_intent_unexpected_state",
    });
    expect(decideUpdate(at("succeeded"), true)).toMatchObject({ code: "payment_intent_unexpected_state" });
  });

  it("changes description and metadata in every status but canceled", () => {
    const allowed = ALL.filter((s) => decideUpdate(at(s), false).ok);
    expect(allowed).toEqual(ALL.filter((s) => s !== "canceled"));
    expect(decideUpdate(at("canceled"), false)).toMatchObject({ code: "payment_intent_unexpected_state" });
    expect(decideUpdate(at("canceled"), true)).toMatchObject({ code: "payment_intent_unexpected_state" });
    // A pending operation does not block a metadata change, but does block an amount change.
    expect(decideUpdate(pending("capture", "manual"), false).ok).toBe(true);
    expect(decideUpdate(pending("authorize", "manual"), true).ok).toBe(false);
  });
});

describe("decideConfirm", () => {
  it("authorizes from an unconfirmed status, needs a payment method", () => {
    expect(decideConfirm(at("requires_confirmation"), null)).toEqual({ ok: true, mode: "authorize" });
    expect(decideConfirm(at("requires_payment_method", { paymentMethod: null }), null)).toMatchObject({
      ok: false,
      code: "parameter_missing",
      param: "payment_method",
    });
    expect(decideConfirm(at("requires_payment_method", { paymentMethod: null }), "pm_new")).toEqual({
      ok: true,
      mode: "authorize",
    });
    for (const s of ["requires_capture", "succeeded", "canceled"] as const) {
      expect(decideConfirm(at(s), "pm_new")).toMatchObject({ code: "payment_intent_unexpected_state" });
      expect(decideConfirm(at(s), null)).toMatchObject({ code: "payment_intent_unexpected_state" });
    }
  });
});

describe("decideCapture", () => {
  it("captures up to the capturable amount, only from requires_capture", () => {
    const s = at("requires_capture", { amountCapturable: 1000 });
    expect(decideCapture(s, undefined)).toEqual({ ok: true, mode: "capture", amount: 1000 });
    expect(decideCapture(s, 400)).toEqual({ ok: true, mode: "capture", amount: 400 });
    expect(decideCapture(s, 1000)).toEqual({ ok: true, mode: "capture", amount: 1000 });
    expect(decideCapture(s, 1001)).toMatchObject({ code: "amount_too_large", max: 1000, param: "amount_to_capture" });
    expect(decideCapture(s, 0)).toMatchObject({ code: "parameter_invalid", param: "amount_to_capture" });
    expect(decideCapture(s, -5)).toMatchObject({ code: "parameter_invalid", param: "amount_to_capture" });
    expect(decideCapture(s, 1.5)).toMatchObject({ code: "parameter_invalid", param: "amount_to_capture" });
    for (const st of ALL.filter((x) => x !== "requires_capture")) {
      expect(decideCapture(at(st), 10)).toMatchObject({ code: "payment_intent_unexpected_state" });
      expect(decideCapture(at(st), undefined)).toMatchObject({ code: "payment_intent_unexpected_state" });
    }
  });

  it("refuses to capture an intent held in an open review, naming the review", () => {
    const s = at("requires_capture", { amountCapturable: 1000, review: "prv_1" });
    for (const amount of [undefined, 400, 1000]) {
      const d = decideCapture(s, amount);
      expect(d).toMatchObject({ ok: false, code: "payment_intent_unexpected_state" });
      expect(JSON.stringify(d)).toContain("prv_1");
    }
    // An amount the hold cannot take is still the amount's 400, checked first.
    expect(decideCapture(s, 1001)).toMatchObject({ code: "amount_too_large" });
    // Once the review is approved (cleared), the capture is allowed.
    expect(decideCapture({ ...s, review: null }, undefined)).toEqual({ ok: true, mode: "capture", amount: 1000 });
  });

  it("checks the capturable amount of a partially authorized hold, not the intent amount", () => {
    const s = at("requires_capture", { amount: 1000, amountCapturable: 600 });
    expect(decideCapture(s, 601)).toMatchObject({ code: "amount_too_large", max: 600 });
    expect(decideCapture(s, undefined)).toEqual({ ok: true, mode: "capture", amount: 600 });
  });

  it("refuses an over-capture with amount_too_large even while a capture is pending", () => {
    for (const method of METHODS) {
      const s = pending("capture", method, 600);
      expect(decideCapture(s, 1001)).toMatchObject({
        ok: false,
        code: "amount_too_large",
        max: 1000,
        param: "amount_to_capture",
      });
      expect(decideCapture(s, 0)).toMatchObject({ code: "parameter_invalid", param: "amount_to_capture" });
    }
    // While the authorization is pending nothing is capturable yet: the bound is the intent's amount.
    expect(decideCapture(pending("authorize", "manual"), 1001)).toMatchObject({ code: "amount_too_large", max: 1000 });
    expect(decideCapture(pending("void", "manual"), 1001)).toMatchObject({ code: "amount_too_large", max: 1000 });
  });

  it("checks three-decimal currencies' last digit on captures", () => {
    const kwd = "kwd";
    if (!isCurrency(kwd)) throw new Error("kwd");
    const s = at("requires_capture", { currency: kwd, amount: 1000, amountCapturable: 1000 });
    expect(decideCapture(s, 505)).toMatchObject({ code: "parameter_invalid", param: "amount_to_capture" });
    expect(decideCapture(s, 500)).toEqual({ ok: true, mode: "capture", amount: 500 });
  });
});

describe("decideCancel", () => {
  it("cancels freely before confirmation, voids an authorization, refuses after capture", () => {
    expect(decideCancel(at("requires_payment_method"))).toEqual({ ok: true, mode: "simple" });
    expect(decideCancel(at("requires_confirmation"))).toEqual({ ok: true, mode: "simple" });
    expect(decideCancel(at("requires_capture", { amountCapturable: 700 }))).toEqual({
      ok: true,
      mode: "void",
      amount: 700,
    });
    expect(decideCancel(at("succeeded"))).toMatchObject({ code: "payment_intent_unexpected_state" });
    expect(decideCancel(at("canceled"))).toMatchObject({ code: "payment_intent_unexpected_state" });
  });
});

describe("decideRefund", () => {
  it("refunds what remains (received − refunded), then reports charge_already_refunded", () => {
    const s = at("succeeded", { amountReceived: 800, amountRefunded: 300 });
    expect(decideRefund(s, undefined)).toEqual({ ok: true, amount: 500 });
    expect(decideRefund(s, 500)).toEqual({ ok: true, amount: 500 });
    expect(decideRefund(s, 1)).toEqual({ ok: true, amount: 1 });
    expect(decideRefund(s, 501)).toMatchObject({ code: "amount_too_large", max: 500, param: "amount" });
    expect(decideRefund(s, 0)).toMatchObject({ code: "parameter_invalid", param: "amount" });
    const full = at("succeeded", { amountReceived: 800, amountRefunded: 800 });
    expect(decideRefund(full, 1)).toMatchObject({ ok: false, code: "charge_already_refunded" });
    expect(decideRefund(full, undefined)).toMatchObject({ ok: false, code: "charge_already_refunded" });
  });

  it("bounds a refund by what was received, not by the intent amount (partial capture)", () => {
    const s = at("succeeded", { amount: 1000, amountReceived: 600 });
    expect(decideRefund(s, undefined)).toEqual({ ok: true, amount: 600 });
    expect(decideRefund(s, 601)).toMatchObject({ code: "amount_too_large", max: 600 });
  });

  it("refunds only succeeded intents", () => {
    for (const st of ALL.filter((x) => x !== "succeeded")) {
      expect(decideRefund(at(st, { amountReceived: 1000 }), 1)).toMatchObject({
        code: "payment_intent_unexpected_state",
      });
    }
    expect(decideRefund(pending("capture", "automatic"), 1)).toMatchObject({
      code: "payment_intent_unexpected_state",
    });
  });

  it("never allows refunding more than remains", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.nat({ max: 1_000_000 }),
        fc.option(fc.integer({ min: 1, max: 2_000_000 }), { nil: undefined }),
        (received, refundedRaw, wanted) => {
          const refunded = Math.min(refundedRaw, received);
          const d = decideRefund(at("succeeded", { amountReceived: received, amountRefunded: refunded }), wanted);
          if (d.ok) {
            expect(d.amount).toBeGreaterThan(0);
            expect(refunded + d.amount).toBeLessThanOrEqual(received);
          } else if (refunded === received) {
            expect(d.code).toBe("charge_already_refunded");
          } else {
            expect(d.code).toBe("amount_too_large");
          }
        },
      ),
    );
  });
});

describe("an intent with a pending operation", () => {
  // Which pending operation is each action's own (a retry of the same request): everything else resumes
  // the pending operation first and is decided again afterwards.
  const cases: {
    action: string;
    run: (s: IntentState) => unknown;
    own: (k: PendingOp["kind"], m: string) => boolean;
  }[] = [
    {
      action: "confirm",
      run: (s) => decideConfirm(s, null),
      own: (k, m) => k === "authorize" || (k === "capture" && m === "automatic"),
    },
    // A confirm with a different payment method is a new request, not a retry of the pending one.
    { action: "confirm with a new payment method", run: (s) => decideConfirm(s, "pm_new"), own: () => false },
    // The same request sent again (naming the intent's own method, e.g. its spent token) is a retry.
    {
      action: "confirm naming the intent's own payment method",
      run: (s) => decideConfirm(s, s.paymentMethod),
      own: (k, m) => k === "authorize" || (k === "capture" && m === "automatic"),
    },
    // Any pending capture of the amount asked for answers a capture request, on automatic intents
    // too: a hand capture after a refused automatic one must recognise itself when re-run, and a
    // capture request that meets the automatic capture is answered by it instead of capturing again.
    { action: "capture (no amount)", run: (s) => decideCapture(s, undefined), own: (k) => k === "capture" },
    {
      action: "capture (same amount)",
      run: (s) => decideCapture(s, s.pendingOp?.amount),
      own: (k) => k === "capture",
    },
    { action: "capture (other amount)", run: (s) => decideCapture(s, 500), own: () => false },
    { action: "cancel", run: (s) => decideCancel(s), own: (k) => k === "void" },
  ];

  for (const c of cases) {
    for (const kind of KINDS) {
      for (const method of METHODS) {
        const own = c.own(kind, method);
        it(`${c.action} on a pending ${kind} (${method} capture) resumes it, own=${own}`, () => {
          expect(c.run(pending(kind, method))).toEqual({ ok: true, mode: "resume", own });
        });
      }
    }
  }

  it("capture with a different amount than the pending manual capture is not its own", () => {
    const s = pending("capture", "manual", 600);
    expect(decideCapture(s, 600)).toEqual({ ok: true, mode: "resume", own: true });
    expect(decideCapture(s, undefined)).toEqual({ ok: true, mode: "resume", own: true });
    expect(decideCapture(s, 599)).toEqual({ ok: true, mode: "resume", own: false });
    expect(decideCapture(s, 1000)).toEqual({ ok: true, mode: "resume", own: false });
  });

  it("never claims a new operation, whatever the status, amounts or request", () => {
    const state = fc
      .record({
        status: fc.constantFrom(...ALL),
        kind: fc.constantFrom(...KINDS),
        captureMethod: fc.constantFrom(...METHODS),
        amount: fc.integer({ min: 50, max: 1_000_000 }),
        capturable: fc.nat({ max: 1_000_000 }),
        opAmount: fc.integer({ min: 1, max: 1_000_000 }),
        paymentMethod: fc.option(fc.constant("pm_1"), { nil: null }),
      })
      .map(
        (r): IntentState => ({
          ...base,
          status: r.status,
          amount: r.amount,
          captureMethod: r.captureMethod,
          paymentMethod: r.paymentMethod,
          amountCapturable: Math.min(r.capturable, r.amount),
          pendingOp: { kind: r.kind, key: `pi_1_${r.kind}_3`, amount: r.opAmount },
        }),
      );
    const toCapture = fc.option(fc.integer({ min: -10, max: 2_000_000 }), { nil: undefined });
    fc.assert(
      fc.property(state, fc.boolean(), toCapture, (s, newPm, amount) => {
        const resume = { ok: true, mode: "resume" };
        expect(decideConfirm(s, newPm ? "pm_new" : null)).toMatchObject(resume);
        expect(decideCancel(s)).toMatchObject(resume);
        const c = decideCapture(s, amount);
        if (c.ok) expect(c).toMatchObject(resume);
        else expect(["amount_too_large", "parameter_invalid"]).toContain(c.code);
      }),
    );
  });
});
