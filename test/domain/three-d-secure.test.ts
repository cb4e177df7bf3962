/** The simulated issuer's 3-D Secure decisions, and what requires_action allows in the state machine. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isCurrency } from "../../src/domain/currencies";
import { intentEvents } from "../../src/domain/intent-events";
import {
  decideCancel,
  decideCapture,
  decideConfirm,
  decideRefund,
  decideUpdate,
  type IntentState,
} from "../../src/domain/payment-state";
import { type ChallengeState, decideChallenge, needsAuthentication } from "../../src/domain/three-d-secure";
import { behaviourFor, THREE_D_SECURE_CARDS } from "../../src/processor/test-cards";

const usd = "usd";
if (!isCurrency(usd)) throw new Error("usd");
const waiting: IntentState = {
  id: "pi_1",
  status: "requires_action",
  amount: 1000,
  currency: usd,
  captureMethod: "automatic",
  paymentMethod: "pm_1",
  amountCapturable: 0,
  amountReceived: 0,
  amountRefunded: 0,
  pendingOp: null,
  review: null,
};

describe("needsAuthentication", () => {
  it("always: whatever the attempt; unless_set_up: except off-session with a saved card; none: never", () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), (offSession, setUp) => {
        expect(needsAuthentication("always", { offSession, setUp })).toBe(true);
        expect(needsAuthentication(null, { offSession, setUp })).toBe(false);
        expect(needsAuthentication("unless_set_up", { offSession, setUp })).toBe(!(offSession && setUp));
      }),
    );
  });

  it("the 3-D Secure cards are Luhn-valid and authorize after authentication as test-cards.ts says", () => {
    expect(Object.keys(THREE_D_SECURE_CARDS).sort()).toEqual([
      "4000000000003220",
      "4000002500003155",
      "4000002760003184",
      "4000008400001629",
    ]);
    expect(behaviourFor("4000002760003184")).toEqual({ kind: "approve" });
    expect(behaviourFor("4000008400001629")).toMatchObject({ kind: "decline", code: "card_declined" });
  });
});

describe("decideChallenge", () => {
  const pending: ChallengeState = { id: "payatt_a", state: "pending", expiresAt: 1000 };

  it("only the pending, unexpired challenge the intent waits for changes anything", () => {
    expect(decideChallenge(pending, "requires_action", "payatt_a", "complete", 999)).toEqual({ kind: "authorize" });
    expect(decideChallenge(pending, "requires_action", "payatt_a", "fail", 999)).toEqual({ kind: "fail" });
    expect(decideChallenge(pending, "requires_action", "payatt_a", "complete", 1000)).toEqual({ kind: "expired" });
    expect(decideChallenge(pending, "requires_action", "payatt_b", "complete", 1)).toEqual({ kind: "void" });
    for (const status of ["processing", "succeeded", "canceled", "requires_payment_method"] as const) {
      expect(decideChallenge(pending, status, "payatt_a", "complete", 1)).toEqual({ kind: "void" });
    }
    for (const state of ["succeeded", "failed"] as const) {
      expect(decideChallenge({ ...pending, state }, "requires_action", "payatt_a", "complete", 1)).toEqual({
        kind: "answered",
      });
    }
    expect(decideChallenge({ ...pending, state: "expired" }, "requires_action", "payatt_a", "complete", 1)).toEqual({
      kind: "expired",
    });
  });
});

describe("requires_action in the state machine", () => {
  it("may be confirmed again (a new attempt) or canceled with no void; not captured, refunded or re-priced", () => {
    expect(decideConfirm(waiting, null)).toEqual({ ok: true, mode: "authorize" });
    expect(decideCancel(waiting)).toEqual({ ok: true, mode: "simple" });
    expect(decideCapture(waiting, undefined)).toMatchObject({ ok: false, code: "payment_intent_unexpected_state" });
    expect(decideRefund(waiting, undefined)).toMatchObject({ ok: false, code: "payment_intent_unexpected_state" });
    expect(decideUpdate(waiting, true)).toMatchObject({ ok: false });
    expect(decideUpdate(waiting, false)).toEqual({ ok: true });
  });

  it("entering it is payment_intent.requires_action; a failed or expired challenge is payment_failed", () => {
    const after = { status: "requires_action" as const, captureMethod: "automatic" as const };
    expect(intentEvents(["action_required"], after).map((e) => e.type)).toEqual(["payment_intent.requires_action"]);
    const back = { status: "requires_payment_method" as const, captureMethod: "automatic" as const };
    expect(intentEvents(["authentication_failed"], back).map((e) => e.type)).toEqual(["payment_intent.payment_failed"]);
    expect(intentEvents(["authentication_expired"], back).map((e) => e.type)).toEqual([
      "payment_intent.payment_failed",
    ]);
  });
});
