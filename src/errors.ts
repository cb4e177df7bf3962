/**
 * The closed set of API error codes and the one place they map to an HTTP status and error type.
 * Every 4xx the gateway sends is an `ApiError`; anything else becomes a 500 `api_error` (see app.ts).
 */

/** Stripe-compatible error types that appear in `error.type`. */
export type ErrorType =
  | "api_error"
  | "authentication_error"
  | "card_error"
  | "idempotency_error"
  | "invalid_request_error"
  | "permission_error"
  | "rate_limit_error";

/** Every error code the gateway can emit, with its HTTP status and error type. */
export const ERROR_CODES = {
  // Request shape
  body_malformed: { status: 400, type: "invalid_request_error" },
  body_too_large: { status: 413, type: "invalid_request_error" },
  unsupported_media_type: { status: 415, type: "invalid_request_error" },
  parameter_missing: { status: 400, type: "invalid_request_error" },
  parameter_invalid: { status: 400, type: "invalid_request_error" },
  parameter_invalid_integer: { status: 400, type: "invalid_request_error" },
  parameter_invalid_empty: { status: 400, type: "invalid_request_error" },
  parameter_unknown: { status: 400, type: "invalid_request_error" },
  route_not_found: { status: 404, type: "invalid_request_error" },
  method_not_allowed: { status: 405, type: "invalid_request_error" },
  resource_missing: { status: 404, type: "invalid_request_error" },
  // A merchant already holds as many of a resource as it may (e.g. webhook endpoints)
  resource_limit_exceeded: { status: 400, type: "invalid_request_error" },
  // Webhook endpoints: a URL the gateway will not deliver to (scheme, credentials, private address)
  url_invalid: { status: 400, type: "invalid_request_error" },
  // Card validation (Stripe answers these with 402 card_error on tokens and payment methods)
  incorrect_number: { status: 402, type: "card_error" },
  invalid_number: { status: 402, type: "card_error" },
  invalid_expiry_month: { status: 402, type: "card_error" },
  invalid_expiry_year: { status: 402, type: "card_error" },
  invalid_cvc: { status: 402, type: "card_error" },
  // Identity
  authentication_required: { status: 401, type: "authentication_error" },
  invalid_token: { status: 401, type: "authentication_error" },
  insufficient_scope: { status: 403, type: "permission_error" },
  publishable_key_not_allowed: { status: 403, type: "permission_error" },
  // A browser request from another origin to an endpoint that sets or clears a cookie
  cross_origin_request: { status: 403, type: "permission_error" },
  // API keys: a roll of a key that is revoked, expired or already rolled
  api_key_inactive: { status: 400, type: "invalid_request_error" },
  // Idempotency and rate limits
  idempotency_key_invalid: { status: 400, type: "invalid_request_error" },
  idempotency_error: { status: 400, type: "idempotency_error" },
  idempotency_key_in_use: { status: 409, type: "invalid_request_error" },
  rate_limit: { status: 429, type: "rate_limit_error" },
  // Operator API: a change that would leave no operator credential working
  operator_lockout: { status: 400, type: "invalid_request_error" },
  lock_timeout: { status: 429, type: "rate_limit_error" },
  // Internal
  internal_error: { status: 500, type: "api_error" },
  service_unavailable: { status: 503, type: "api_error" },
  // Payments: amounts and life cycle
  amount_too_small: { status: 400, type: "invalid_request_error" },
  amount_too_large: { status: 400, type: "invalid_request_error" },
  payment_intent_unexpected_state: { status: 400, type: "invalid_request_error" },
  charge_already_refunded: { status: 400, type: "invalid_request_error" },
  charge_expired_for_capture: { status: 400, type: "invalid_request_error" },
  // Customers: a payment method that cannot be attached (detached, single-use, or another customer's)
  payment_method_unexpected_state: { status: 400, type: "invalid_request_error" },
  // Radar: approving a review that is already closed (approved, or its payment canceled)
  review_unexpected_state: { status: 400, type: "invalid_request_error" },
  // Payouts: more than the available balance, no bank account to send to, a cancel once sent
  balance_insufficient: { status: 400, type: "invalid_request_error" },
  bank_account_unusable: { status: 400, type: "invalid_request_error" },
  payout_unexpected_state: { status: 400, type: "invalid_request_error" },
  // Checkout Sessions: expiring one that is not open, paying one that is not open or is locked
  checkout_session_unexpected_state: { status: 400, type: "invalid_request_error" },
  checkout_session_locked: { status: 400, type: "invalid_request_error" },
  // Live mode: no connector account that can authorize (the simulator never serves live payments)
  connector_unavailable: { status: 400, type: "invalid_request_error" },
  // Payments: processor declines (402 card_error, with decline_code)
  card_declined: { status: 402, type: "card_error" },
  expired_card: { status: 402, type: "card_error" },
  incorrect_cvc: { status: 402, type: "card_error" },
  processing_error: { status: 402, type: "card_error" },
} as const satisfies Record<string, { status: number; type: ErrorType }>;

/** A member of the closed error-code set. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Optional details carried by an ApiError into the envelope and response headers. */
export interface ApiErrorDetails {
  param?: string;
  declineCode?: string;
  headers?: Record<string, string>;
  /** Extra top-level fields for the envelope's error object (e.g. `payment_intent`). */
  extra?: Record<string, unknown>;
  /**
   * The request changed nothing and may be sent again, as it is or corrected: the gate saves no
   * response under its Idempotency-Key and releases the key (validation errors, invalidParam,
   * lock timeouts). The gate's full rule of what it saves is in middleware/gate.ts.
   */
  noEffect?: boolean;
}

/** The one error class that becomes a client-visible response; its message must be safe to show. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly type: ErrorType;
  readonly details: ApiErrorDetails;

  constructor(code: ErrorCode, message: string, details: ApiErrorDetails = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.type = ERROR_CODES[code].type;
    this.details = details;
  }
}

/** A parameter check that needs no stored state failed: a 400 naming `param` that the gate never saves. */
export function invalidParam(code: ErrorCode, message: string, param: string): ApiError {
  return new ApiError(code, message, { param, noEffect: true });
}

/** The JSON error envelope, `{"error": {...}}`, shared by every failure response. */
export interface ErrorEnvelope {
  error: {
    type: ErrorType;
    code: ErrorCode;
    message: string;
    param?: string;
    decline_code?: string;
    request_id: string;
    [extra: string]: unknown;
  };
}

/** Builds the envelope for an ApiError; unknown errors must never reach this function. */
export function errorEnvelope(err: ApiError, requestId: string): ErrorEnvelope {
  return {
    error: {
      ...err.details.extra,
      type: err.type,
      code: err.code,
      message: err.message,
      ...(err.details.param !== undefined && { param: err.details.param }),
      ...(err.details.declineCode !== undefined && { decline_code: err.details.declineCode }),
      request_id: requestId,
    },
  };
}

/** The envelope for an unexpected failure: a fixed message and the request id, nothing else. */
export function internalErrorEnvelope(requestId: string): ErrorEnvelope {
  return errorEnvelope(
    new ApiError("internal_error", "An internal error occurred. Contact support with the request id."),
    requestId,
  );
}
