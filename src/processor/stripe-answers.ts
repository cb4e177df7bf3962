/**
 * How the Stripe connector (stripe.ts) reads Stripe's answers: what an error envelope decides by
 * itself, what a retrieved PaymentIntent decides for each operation, and the one error thrown when
 * the outcome cannot be told. Answers here are the gateway's connector answers (connector.ts),
 * still validated by `callProcessor`. No I/O but the log.
 */
import type { z } from "@hono/zod-openapi";
import { log } from "../lib/log";
import type { FollowUpRequest } from "./connector";
import { declineOf, latestChargeId, loggableCode, StripeError, type StripePaymentIntent } from "./stripe-wire";

/** Thrown when Stripe answered but the outcome of the call cannot be told from the answer. */
export class StripeOutcomeUnknown extends Error {
  /** `reason` is a fixed string of the connector's (`http_500`, `invalid_json`, …), never upstream text. */
  constructor(reason: string) {
    super(`stripe outcome unknown: ${reason}`);
    this.name = "StripeOutcomeUnknown";
  }
}

/** A connector operation. */
export type Operation = "authorize" | "capture" | "void" | "refund";
/** An HTTP answer whose body parsed as JSON. */
export type Answered = { status: number; body: unknown };

/** The processor will not do it; nothing moved. */
export const REFUSED_DECLINED = { status: "refused", reason: "declined" } as const;
/** The authorization no longer exists. */
export const GONE = { status: "refused", reason: "authorization_gone" } as const;

/**
 * The answer a follow-up's error decides by itself, or null when the intent must be retrieved
 * to decide (unexpected state, a key in use or replayed with other parameters). Throws for an
 * unknown outcome.
 */
export function followUpError(operation: Operation, res: Answered): object | null {
  const error = errorOf(operation, res);
  if (res.status === 402 && error.type === "card_error") return declineOf(error);
  if (res.status === 404 && error.code === "resource_missing") return GONE;
  if (res.status === 409 || (res.status === 400 && error.type === "idempotency_error")) return null;
  if (res.status === 400 && error.type === "invalid_request_error") {
    if (error.code === "payment_intent_unexpected_state") return operation === "refund" ? REFUSED_DECLINED : null;
    if (error.code === "charge_expired_for_capture") return GONE;
    // Over the capturable or refundable amount, already refunded, …: refused, nothing moved.
    log("warn", "stripe_follow_up_refused", { operation, code: loggableCode(error.code) });
    return REFUSED_DECLINED;
  }
  throw unknownAnswer(operation, res.status, error.code);
}

/** Parses an answer with `schema`, or throws StripeOutcomeUnknown. */
export function parse<T>(operation: Operation, schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  log("warn", "stripe_answer_invalid", { operation, status: 200 });
  throw new StripeOutcomeUnknown("invalid_answer");
}

/** The error of a non-200 answer, or throws StripeOutcomeUnknown when it is not Stripe's envelope. */
export function errorOf(operation: Operation, res: Answered): StripeError {
  const parsed = StripeError.safeParse(res.body);
  if (parsed.success) return parsed.data.error;
  log("warn", "stripe_answer_invalid", { operation, status: res.status });
  throw new StripeOutcomeUnknown("invalid_error");
}

/** Logs an answer that leaves the outcome unknown and returns the error to throw. */
export function unknownAnswer(operation: Operation, status: number, code: string | undefined): StripeOutcomeUnknown {
  log(status === 401 || status === 403 ? "error" : "warn", "stripe_outcome_unknown", {
    operation,
    status,
    code: loggableCode(code),
  });
  return new StripeOutcomeUnknown(`http_${status}`);
}

/** A 409 or an idempotency mismatch: the first attempt under the key may still be running. */
export function inFlight(res: Answered): boolean {
  return (
    res.status === 409 ||
    (res.status === 400 && StripeError.safeParse(res.body).data?.error.type === "idempotency_error")
  );
}

/** The answer an authorization's PaymentIntent decides. */
export function authorizedFrom(pi: StripePaymentIntent): unknown {
  switch (pi.status) {
    case "requires_capture":
      return { status: "approved", reference: pi.id, amount: pi.amount_capturable };
    case "requires_payment_method":
      // Declined by a confirm under this key (the decline is stored on the intent); without an
      // error, not confirmed yet: the first confirm may still arrive, so the gateway repeats later.
      if (pi.last_payment_error == null) throw new StripeOutcomeUnknown("authorize_unconfirmed");
      return declineOf(pi.last_payment_error);
    case "requires_action":
      // 3-D Secure, which the gateway cannot complete: nothing is authorized.
      return declineOf({ code: "card_declined", decline_code: "authentication_required" });
    case "canceled":
      return GONE;
    default:
      throw new StripeOutcomeUnknown(`authorize_${pi.status === "processing" ? "processing" : "status"}`);
  }
}

/** The approval of a capture whose PaymentIntent `succeeded`: its latest charge, for the amount received. */
export function captureAnswer(pi: StripePaymentIntent): unknown {
  return { status: "approved", reference: latestChargeId(pi) ?? pi.id, amount: pi.amount_received };
}

/**
 * The answer a capture's PaymentIntent decides: captured for this amount is approved (once, by
 * whichever attempt). `inFlight`: an intent still capturable may be captured by the running attempt.
 */
export function capturedFrom(pi: StripePaymentIntent, req: FollowUpRequest, inFlight: boolean): unknown {
  switch (pi.status) {
    case "succeeded":
      // Captured by another attempt for another amount: this capture did not happen, and cannot.
      return pi.amount_received === req.amount ? captureAnswer(pi) : REFUSED_DECLINED;
    case "canceled":
      return GONE;
    case "requires_capture":
    case "processing":
      if (inFlight) throw new StripeOutcomeUnknown("capture_in_flight");
      return REFUSED_DECLINED;
    default:
      return REFUSED_DECLINED;
  }
}

/** The answer a void's PaymentIntent decides: canceled is approved for the amount that was held. */
export function voidedFrom(pi: StripePaymentIntent, req: FollowUpRequest, inFlight: boolean): unknown {
  switch (pi.status) {
    case "canceled":
      return { status: "approved", reference: pi.id, amount: req.amount };
    case "requires_capture":
    case "processing":
      if (inFlight) throw new StripeOutcomeUnknown("void_in_flight");
      return REFUSED_DECLINED;
    default:
      return REFUSED_DECLINED;
  }
}
