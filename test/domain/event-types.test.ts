/** The closed set of event types, enabled_events normalization and the Events API's type patterns. */
import { describe, expect, it } from "vitest";
import {
  EVENT_TYPES,
  isEnabledEvent,
  isEventType,
  isTypePattern,
  normalizeEnabledEvents,
  subscribes,
} from "../../src/domain/event-types";
import { type IntentChangeKind, intentEvents } from "../../src/domain/intent-events";
import { INTENT_STATUSES } from "../../src/domain/payment-state";

describe("event types", () => {
  it("knows exactly the types edgepay emits, and * only as an enabled event", () => {
    expect(EVENT_TYPES).toHaveLength(30);
    expect(isEventType("balance.available") && isEventType("payout.paid")).toBe(true);
    expect(isEventType("review.opened") && isEventType("review.closed")).toBe(true);
    expect(isEventType("payment_intent.succeeded")).toBe(true);
    expect(isEventType("*")).toBe(false);
    expect(isEnabledEvent("*")).toBe(true);
    for (const bad of ["payment_intent.*", "charge.updated", "PAYMENT_INTENT.SUCCEEDED", "", "refund.created "]) {
      expect(isEnabledEvent(bad), bad).toBe(false);
    }
  });

  it("stores * alone when listed, and each type once", () => {
    expect(normalizeEnabledEvents(["refund.created", "*"])).toEqual(["*"]);
    expect(normalizeEnabledEvents(["refund.created", "charge.failed", "refund.created"])).toEqual([
      "refund.created",
      "charge.failed",
    ]);
  });

  it("accepts type patterns of lowercase words, dots and * only (safe for GLOB)", () => {
    for (const ok of ["payment_intent.*", "*.succeeded", "charge.refunded", "*"])
      expect(isTypePattern(ok), ok).toBe(true);
    for (const bad of ["", "charge.[a-z]", "charge.?", "Charge.*", "a b", "%", "x".repeat(101)]) {
      expect(isTypePattern(bad), bad).toBe(false);
    }
  });
});

describe("the outbox emits only types endpoints can subscribe to", () => {
  it("every event an intent change emits is in EVENT_TYPES", () => {
    const kinds: IntentChangeKind[] = [
      "created",
      "payment_method_attached",
      "updated",
      "authorize_started",
      "capture_started",
      "void_started",
      "refund_started",
      "refund_failed",
      "authorized",
      "declined",
      "payment_method_unavailable",
      "captured",
      "capture_expired",
      "capture_refused",
      "voided",
      "void_refused",
      "canceled",
    ];
    const seen = new Set<string>();
    for (const status of INTENT_STATUSES) {
      for (const captureMethod of ["automatic", "manual"] as const) {
        for (const kind of kinds) {
          for (const batch of [[kind], [kind, "authorized" as const]]) {
            for (const e of intentEvents(batch, { status, captureMethod })) seen.add(e.type);
          }
        }
      }
    }
    expect([...seen].filter((t) => !isEventType(t))).toEqual([]);
    expect(seen.size).toBeGreaterThan(8);
  });
});

describe("subscribes", () => {
  it("takes an exact type or *, nothing else", () => {
    expect(subscribes(["*"], "charge.succeeded")).toBe(true);
    expect(subscribes(["charge.succeeded"], "charge.succeeded")).toBe(true);
    expect(subscribes(["charge.failed", "refund.created"], "charge.succeeded")).toBe(false);
    expect(subscribes(["charge.*"], "charge.succeeded")).toBe(false);
    expect(subscribes([], "charge.succeeded")).toBe(false);
  });
});
