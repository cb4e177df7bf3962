import { describe, expect, it } from "vitest";
import { isCurrency } from "../../src/domain/currencies";
import {
  decideCancel,
  decideCapture,
  decideConfirm,
  decideRefund,
  decideUpdate,
  type IntentState,
  type IntentStatus,
} from "../../src/domain/payment-state";

const usd = "usd";
if (!isCurrency(usd)) throw new Error("usd");
const base: IntentState = {
  status: "requires_confirmation",
  amount: 1000,
  currency: usd,
  captureMethod: "manual",
  paymentMethod: "pm_1",
  amountCapturable: 0,
  amountReceived: 0,
  amountRefunded: 0,
  pendingOp: null,
};
const at = (status: IntentStatus, extra: Partial<IntentState> = {}): IntentState => ({ ...base, status, ...extra });
const ALL: IntentStatus[] = [
  "requires_payment_method",
  "requires_confirmation",
  "processing",
  "requires_capture",
  "succeeded",
  "canceled",
];

describe("payment state machine", () => {
  it("allows updates only before confirmation", () => {
    const allowed = ALL.filter((s) => decideUpdate(at(s)).ok);
    expect(allowed).toEqual(["requires_payment_method", "requires_confirmation"]);
    expect(decideUpdate(at("succeeded"))).toMatchObject({ code: "payment_intent_unexpected_state" });
  });

  it("confirms unconfirmed intents, needs a payment method, reconciles a pending operation", () => {
    expect(decideConfirm(at("requires_confirmation"), false)).toEqual({ ok: true, mode: "authorize" });
    expect(decideConfirm(at("requires_payment_method", { paymentMethod: null }), false)).toMatchObject({
      code: "parameter_missing",
      param: "payment_method",
    });
    expect(decideConfirm(at("requires_payment_method", { paymentMethod: null }), true).ok).toBe(true);
    const op = { kind: "authorize" as const, key: "k", amount: 1000 };
    expect(decideConfirm(at("processing", { pendingOp: op }), false)).toEqual({ ok: true, mode: "reconcile", op });
    for (const s of ["requires_capture", "succeeded", "canceled"] as const) {
      expect(decideConfirm(at(s), true)).toMatchObject({ code: "payment_intent_unexpected_state" });
    }
  });

  it("captures up to the capturable amount, only from requires_capture", () => {
    const s = at("requires_capture", { amountCapturable: 1000 });
    expect(decideCapture(s, undefined)).toEqual({ ok: true, amount: 1000 });
    expect(decideCapture(s, 400)).toEqual({ ok: true, amount: 400 });
    expect(decideCapture(s, 1001)).toMatchObject({ code: "amount_too_large", param: "amount_to_capture" });
    expect(decideCapture(s, 0)).toMatchObject({ code: "parameter_invalid", param: "amount_to_capture" });
    for (const st of ALL.filter((x) => x !== "requires_capture")) {
      expect(decideCapture(at(st), 10)).toMatchObject({ code: "payment_intent_unexpected_state" });
    }
  });

  it("cancels freely before confirmation, voids an authorization, refuses after capture", () => {
    expect(decideCancel(at("requires_payment_method"))).toEqual({ ok: true, mode: "simple" });
    expect(decideCancel(at("requires_capture", { amountCapturable: 700 }))).toEqual({
      ok: true,
      mode: "void",
      amount: 700,
    });
    expect(decideCancel(at("succeeded"))).toMatchObject({ code: "payment_intent_unexpected_state" });
    expect(decideCancel(at("canceled"))).toMatchObject({ code: "payment_intent_unexpected_state" });
    expect(decideCancel(at("processing", { pendingOp: { kind: "capture", key: "k", amount: 1 } }))).toMatchObject({
      code: "payment_intent_unexpected_state",
    });
  });

  it("refunds what remains, then reports charge_already_refunded", () => {
    const s = at("succeeded", { amountReceived: 800, amountRefunded: 300 });
    expect(decideRefund(s, undefined)).toEqual({ ok: true, amount: 500 });
    expect(decideRefund(s, 501)).toMatchObject({ code: "amount_too_large", param: "amount" });
    expect(decideRefund(at("succeeded", { amountReceived: 800, amountRefunded: 800 }), 1)).toMatchObject({
      code: "charge_already_refunded",
    });
    expect(decideRefund(at("requires_capture"), 1)).toMatchObject({ code: "payment_intent_unexpected_state" });
  });
});
