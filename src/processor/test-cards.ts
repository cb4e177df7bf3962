/**
 * What the built-in simulator does with each card number: Stripe's published test cards plus
 * edgepay's own cards for processor failures. Pure; the simulator (simulator.ts) applies it.
 */
import { luhnValid } from "../domain/cards";
import type { DeclineCode } from "../domain/outcome";
import type { AuthenticationRule } from "../domain/three-d-secure";

/** A card's scripted behaviour at authorization. */
export type CardBehaviour =
  | { kind: "approve" }
  | { kind: "decline"; code: DeclineCode; declineCode: string }
  /** The processor authorizes but the answer is lost: the gateway sees a timeout (unknown outcome). */
  | { kind: "timeout_after_processing" }
  /** The request is lost before the processor acts: the first attempt times out, a retry works. */
  | { kind: "timeout_before_processing" }
  /** The processor answers (approves) only after SLOW_PROCESSOR_MS. */
  | { kind: "slow" };

/** How long the "slow processor" card makes the simulator wait, in milliseconds. */
export const SLOW_PROCESSOR_MS = 1500;

/** edgepay's own test cards (Luhn-valid, outside Stripe's published set). */
export const EDGEPAY_CARDS = {
  timeoutAfterProcessing: "4000000000007080",
  slow: "4000000000007098",
  timeoutBeforeProcessing: "4000000000007106",
} as const;

const DECLINES: Record<string, { code: DeclineCode; declineCode: string }> = {
  "4000000000000002": { code: "card_declined", declineCode: "generic_decline" },
  "4000000000009995": { code: "card_declined", declineCode: "insufficient_funds" },
  "4000000000009987": { code: "card_declined", declineCode: "lost_card" },
  "4000000000009979": { code: "card_declined", declineCode: "stolen_card" },
  "4000000000000069": { code: "expired_card", declineCode: "expired_card" },
  "4000000000000127": { code: "incorrect_cvc", declineCode: "incorrect_cvc" },
  // Radar's "CVC check fails" card: declined as a failed CVC check (Radar's CVC rule).
  "4000000000000101": { code: "incorrect_cvc", declineCode: "incorrect_cvc" },
  "4000000000000119": { code: "processing_error", declineCode: "processing_error" },
  "4100000000000019": { code: "card_declined", declineCode: "fraudulent" },
  // 3-D Secure required, then declined once authenticated.
  "4000008400001629": { code: "card_declined", declineCode: "generic_decline" },
};

/**
 * The simulated issuer's 3-D Secure test cards (Stripe's numbers) and their rule; the gateway asks
 * before the processor authorizes (payments/three-d-secure.ts). After a completed challenge each
 * authorizes as `behaviourFor` says.
 */
export const THREE_D_SECURE_CARDS: Readonly<Record<string, AuthenticationRule>> = {
  "4000002500003155": "unless_set_up",
  "4000002760003184": "always",
  "4000000000003220": "always",
  "4000008400001629": "always",
};

/** The simulator's behaviour for a card number; unknown valid numbers are approved. */
export function behaviourFor(number: string): CardBehaviour {
  const decline = DECLINES[number];
  if (decline) return { kind: "decline", ...decline };
  if (number === EDGEPAY_CARDS.timeoutAfterProcessing) return { kind: "timeout_after_processing" };
  if (number === EDGEPAY_CARDS.timeoutBeforeProcessing) return { kind: "timeout_before_processing" };
  if (number === EDGEPAY_CARDS.slow) return { kind: "slow" };
  if (!/^\d{12,19}$/.test(number) || !luhnValid(number)) {
    return { kind: "decline", code: "incorrect_number", declineCode: "incorrect_number" };
  }
  return { kind: "approve" };
}
