/** The closed table of Stripe's test payment method ids: every id names a card of the right behaviour. */
import { describe, expect, it } from "vitest";
import { validateCard } from "../../src/domain/cards";
import { TEST_PAYMENT_METHOD_IDS, testPaymentMethod } from "../../src/domain/test-payment-methods";
import { behaviourFor } from "../../src/processor/test-cards";

describe("testPaymentMethod", () => {
  it.each([
    ["pm_card_visa", "4242424242424242"],
    ["pm_card_visa_debit", "4000056655665556"],
    ["pm_card_mastercard", "5555555555554444"],
    ["pm_card_amex", "378282246310005"],
    ["pm_card_discover", "6011111111111117"],
    ["pm_card_jcb", "3566002020360505"],
    ["pm_card_unionpay", "6200000000000005"],
    ["pm_card_visa_chargeDeclined", "4000000000000002"],
    ["pm_card_chargeDeclined", "4000000000000002"],
    ["pm_card_visa_chargeDeclinedInsufficientFunds", "4000000000009995"],
    ["pm_card_chargeDeclinedInsufficientFunds", "4000000000009995"],
    ["pm_card_visa_chargeDeclinedLostCard", "4000000000009987"],
    ["pm_card_visa_chargeDeclinedStolenCard", "4000000000009979"],
    ["pm_card_chargeDeclinedExpiredCard", "4000000000000069"],
    ["pm_card_chargeDeclinedIncorrectCvc", "4000000000000127"],
    ["pm_card_chargeDeclinedProcessingError", "4000000000000119"],
    ["pm_card_radarBlock", "4100000000000019"],
    ["tok_visa", "4242424242424242"],
    ["tok_mastercard", "5555555555554444"],
    ["tok_amex", "378282246310005"],
    ["tok_chargeDeclined", "4000000000000002"],
    ["tok_chargeDeclinedInsufficientFunds", "4000000000009995"],
  ])("%s is card %s", (id, number) => {
    expect(testPaymentMethod(id)).toEqual({ number, singleUse: id.startsWith("tok_") });
  });

  it.each(["pm_card_nope", "pm_visa", "tok_", "card_visa", "PM_CARD_VISA", "pm_card_visa "])(
    "%s is not a test id",
    (id) => {
      expect(testPaymentMethod(id)).toBeUndefined();
    },
  );

  it("every card in the table is a valid card the simulator knows", () => {
    for (const id of TEST_PAYMENT_METHOD_IDS) {
      const number = testPaymentMethod(id)?.number ?? "";
      expect(validateCard({ number, exp_month: 12, exp_year: 2040 }, new Date()).ok, id).toBe(true);
      expect(behaviourFor(number).kind, id).toMatch(/^(approve|decline)$/);
    }
  });
});
