import { describe, expect, it } from "vitest";
import { CardUnavailable, callProcessor } from "../../src/processor/connector";
import { behaviourFor, EDGEPAY_CARDS } from "../../src/processor/test-cards";

describe("simulator test cards", () => {
  it.each([
    ["4242424242424242", { kind: "approve" }],
    ["5555555555554444", { kind: "approve" }],
    ["378282246310005", { kind: "approve" }],
    ["4000000000000002", { kind: "decline", code: "card_declined", declineCode: "generic_decline" }],
    ["4000000000009995", { kind: "decline", code: "card_declined", declineCode: "insufficient_funds" }],
    ["4000000000009987", { kind: "decline", code: "card_declined", declineCode: "lost_card" }],
    ["4000000000009979", { kind: "decline", code: "card_declined", declineCode: "stolen_card" }],
    ["4000000000000069", { kind: "decline", code: "expired_card", declineCode: "expired_card" }],
    ["4000000000000127", { kind: "decline", code: "incorrect_cvc", declineCode: "incorrect_cvc" }],
    ["4000000000000119", { kind: "decline", code: "processing_error", declineCode: "processing_error" }],
    ["4100000000000019", { kind: "decline", code: "card_declined", declineCode: "fraudulent" }],
    ["4242424242424241", { kind: "decline", code: "incorrect_number", declineCode: "incorrect_number" }],
    [EDGEPAY_CARDS.timeoutAfterProcessing, { kind: "timeout_after_processing" }],
    [EDGEPAY_CARDS.timeoutBeforeProcessing, { kind: "timeout_before_processing" }],
    [EDGEPAY_CARDS.slow, { kind: "slow" }],
  ])("%s", (number, behaviour) => {
    expect(behaviourFor(number)).toEqual(behaviour);
  });
});

describe("callProcessor treats answers as untrusted", () => {
  const ok = { status: "approved", reference: "auth_1", amount: 100 };
  it("accepts a well-formed answer for the amount asked", async () => {
    expect(await callProcessor("authorize", 100, async () => ok)).toEqual({ kind: "approved", reference: "auth_1" });
    expect(
      await callProcessor("authorize", 100, async () => ({
        status: "declined",
        code: "card_declined",
        decline_code: "lost_card",
      })),
    ).toEqual({ kind: "declined", code: "card_declined", declineCode: "lost_card" });
  });

  it.each([
    ["another amount", { ...ok, amount: 99 }],
    ["an unknown field", { ...ok, extra: 1 }],
    ["a malformed reference", { ...ok, reference: "x y" }],
    ["an unknown decline code", { status: "declined", code: "weird", decline_code: "x" }],
    ["a non-object", "approved"],
    ["a missing answer", undefined],
  ])("maps %s to unknown", async (_name, answer) => {
    expect(await callProcessor("authorize", 100, async () => answer)).toEqual({ kind: "unknown" });
  });

  it("maps a decline or refusal of a follow-up call to a definite refusal", async () => {
    const declined = { status: "declined", code: "card_declined", decline_code: "x" };
    expect(await callProcessor("capture", 100, async () => declined)).toEqual({ kind: "refused", reason: "declined" });
    const gone = { status: "refused", reason: "authorization_gone" };
    expect(await callProcessor("void", 100, async () => gone)).toEqual({
      kind: "refused",
      reason: "authorization_gone",
    });
    const odd = { status: "refused", reason: "because" };
    expect(await callProcessor("refund", 100, async () => odd)).toEqual({ kind: "unknown" });
  });

  it("maps a throw and a timeout to unknown, and an unreadable card to a refusal before any call", async () => {
    expect(await callProcessor("void", 100, () => Promise.reject(new Error("boom")))).toEqual({ kind: "unknown" });
    expect(await callProcessor("refund", 100, () => new Promise(() => {}), 20)).toEqual({ kind: "unknown" });
    expect(await callProcessor("authorize", 100, () => Promise.reject(new CardUnavailable()))).toEqual({
      kind: "refused",
      reason: "payment_method_unavailable",
    });
  });
});
