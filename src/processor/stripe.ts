/**
 * The Stripe connector: a ProcessorConnector over Stripe's public HTTPS API (form-encoded,
 * `Authorization: Bearer <secret key>`). An authorization is two idempotent requests:
 * 1. `POST /v1/payment_intents` (amount, currency, `capture_method=manual`, `metadata[edgepay_key]`,
 *    no card, no confirm) under `Idempotency-Key: <key>`. Its parameters never change, so a repeat
 *    replays the same PaymentIntent id. It cannot authorize anything, so every failure of it is
 *    `ConnectorUnreachable` (another connector may be tried), except an answer showing an earlier
 *    request under the key (409, idempotency_error): unknown.
 * 2. `POST /v1/payment_intents/:id/confirm` with the card (and its CVC while the gateway has it)
 *    under `<key>_confirm`. The gateway forgets the CVC after the first attempt, so a repeat of a
 *    lost confirm sends other parameters and Stripe answers `idempotency_error`: the intent is then
 *    retrieved by its id and decides (see `authorizedFrom`). A failed connection or a 5xx here is
 *    unknown, never ConnectorUnreachable: the confirm may have authorized. A 400
 *    `invalid_request_error` (e.g. no raw card data permission) was refused before authorizing:
 *    ConnectorUnreachable, logged as the error `stripe_authorize_refused`.
 * The reference is the PaymentIntent id, which capture, cancel (void) and refund name; each of them
 * carries the gateway's processor key as Stripe's `Idempotency-Key`.
 *
 * It sends raw card numbers (from the vault, through `readCard`): on a real Stripe account that
 * needs Stripe's "raw card data APIs" permission (granted on request to PCI-compliant accounts).
 *
 * What the gateway sees of a follow-up:
 * - approved / declined (402 `card_error`, mapped in stripe-wire.ts `declineOf`) / refused;
 * - a follow-up on a PaymentIntent Stripe does not know (404) is `authorization_gone`; one Stripe
 *   will not do in the intent's state (400 `payment_intent_unexpected_state`) is decided from the
 *   intent as retrieved (`GET /v1/payment_intents/:id`): a capture already taken for this amount
 *   (an earlier attempt under the key whose answer was lost, or whose key Stripe pruned) is
 *   approved, so it is never taken twice; a 409 `idempotency_key_in_use` or a replay mismatch is
 *   decided the same way, except that an intent still capturable is unknown (the first attempt is
 *   in flight);
 * - a throw for everything else (500, 429, 401/403, an answer that does not parse), which
 *   `callProcessor` treats as unknown, and `ConnectorUnreachable` when no answer came back
 *   (connection failed, 502/503/504): the retry repeats the same Idempotency-Key at once.
 *
 * Not kept from the connector contract: a repeated authorization key is not answered before the
 * card is read (the card is read before anything is sent), so a card detached after a lost answer
 * makes the repeat a refusal (`payment_method_unavailable`) while Stripe may hold the first
 * authorization until it lapses (7 days).
 *
 * The statement descriptor is not sent: Stripe refuses `statement_descriptor` on card payments
 * (it wants `statement_descriptor_suffix`), and edgepay's API, used as the upstream in tests,
 * accepts only `statement_descriptor`. Card data, the secret key and upstream bodies are never
 * logged or put into an error message.
 */
import { log } from "../lib/log";
import {
  type AuthorizeRequest,
  ConnectorUnreachable,
  type FollowUpRequest,
  type ProcessorConnector,
} from "./connector";
import {
  type Answered,
  authorizedFrom,
  captureAnswer,
  capturedFrom,
  errorOf,
  followUpError,
  GONE,
  inFlight,
  type Operation,
  parse,
  REFUSED_DECLINED,
  StripeOutcomeUnknown,
  unknownAnswer,
  voidedFrom,
} from "./stripe-answers";
import {
  declineOf,
  type FormFields,
  formEncode,
  loggableCode,
  StripeError,
  StripePaymentIntent,
  StripeRefund,
} from "./stripe-wire";

export { StripeOutcomeUnknown } from "./stripe-answers";

/** Reads the card of a payment method for an authorization; in production the vault's `detokenize`. */
export type CardReader = (
  merchantId: string,
  paymentMethod: string,
) => Promise<{ number: string; exp_month: number; exp_year: number; cvc: string | null }>;

/** What a StripeConnector is built with. */
export interface StripeConnectorOptions {
  /** Stripe's API origin, `https://api.stripe.com` (no path). */
  baseUrl: string;
  /** The account's secret or restricted key (`sk_…` / `rk_…`). */
  secretKey: string;
  /** Sends one request (the Worker's `fetch`, or a test's stand-in). */
  fetch: (req: Request) => Promise<Response>;
  readCard: CardReader;
  /** Pins the API version (`Stripe-Version`); the account's default when absent. */
  stripeVersion?: string;
}

const PI_REFERENCE = /^pi_[A-Za-z0-9_]{1,60}$/;

/** The Stripe connector (see the module comment). */
export class StripeConnector implements ProcessorConnector {
  readonly #base: string;
  readonly #key: string;
  readonly #fetch: (req: Request) => Promise<Response>;
  readonly #readCard: CardReader;
  readonly #version: string | undefined;

  /** Checks the options now, so a misconfiguration fails when the connector is built. */
  constructor(options: StripeConnectorOptions) {
    const url = URL.canParse(options.baseUrl) ? new URL(options.baseUrl) : null;
    if (url?.protocol !== "https:" || url.pathname !== "/" || url.search !== "" || url.hash !== "") {
      throw new Error("StripeConnector: baseUrl must be an https origin such as https://api.stripe.com");
    }
    if (!/^(sk|rk)_(test|live)_[A-Za-z0-9_]{8,}$/.test(options.secretKey)) {
      throw new Error("StripeConnector: secretKey must be a Stripe secret or restricted key (sk_… or rk_…)");
    }
    this.#base = url.origin;
    this.#key = options.secretKey;
    this.#fetch = options.fetch;
    this.#readCard = options.readCard;
    this.#version = options.stripeVersion;
  }

  async authorize(req: AuthorizeRequest): Promise<unknown> {
    const card = await this.#readCard(req.merchantId, req.paymentMethod);
    const id = await this.#create(req);
    const body: FormFields = {
      payment_method_data: {
        type: "card",
        card: { number: card.number, exp_month: card.exp_month, exp_year: card.exp_year, cvc: card.cvc },
      },
    };
    const res = await this.#send(
      "authorize",
      "POST",
      `/v1/payment_intents/${id}/confirm`,
      body,
      confirmKey(req.key),
      "maybe_processed",
    );
    if (res.status === 200) {
      const pi = parse("authorize", StripePaymentIntent, res.body);
      // Not decided in the answer (e.g. a replay of one that was `processing`): ask for the intent as it is now.
      return authorizedFrom(pi.status === "requires_capture" ? pi : await this.#retrieve("authorize", id));
    }
    const error = errorOf("authorize", res);
    if (res.status === 402 && error.type === "card_error") return declineOf(error);
    if (
      res.status === 409 ||
      (res.status === 400 && error.type === "idempotency_error") ||
      (res.status === 400 && error.code === "payment_intent_unexpected_state")
    ) {
      // An earlier confirm under this key (a repeat without the CVC, or one in flight), or a confirm
      // key Stripe pruned: the intent, retrieved by its id, tells what the first confirm did.
      return authorizedFrom(await this.#retrieve("authorize", id));
    }
    if (res.status === 400 && error.type === "invalid_request_error") {
      // Refused before anything was authorized (e.g. no raw card data permission on the account):
      // another connector may be tried.
      log("error", "stripe_authorize_refused", { code: loggableCode(error.code) });
      throw new ConnectorUnreachable();
    }
    // A 401/403 moments after the create succeeded, a 404, …: the confirm may have been processed.
    throw unknownAnswer("authorize", res.status, error.code);
  }

  /**
   * Step 1 of an authorization: creates (or, repeated, replays) the PaymentIntent with no card and
   * no confirm, and returns its id. Nothing can be authorized by this request, so every failure is
   * ConnectorUnreachable, except an answer that shows an earlier request under the key (409,
   * idempotency_error), which stays unknown.
   */
  async #create(req: AuthorizeRequest): Promise<string> {
    const body: FormFields = {
      amount: req.amount,
      currency: req.currency,
      capture_method: "manual",
      payment_method_types: { 0: "card" },
      metadata: { edgepay_key: req.key },
    };
    const res = await this.#send("authorize", "POST", "/v1/payment_intents", body, req.key, "nothing_authorizable");
    if (res.status === 200) {
      const pi = StripePaymentIntent.safeParse(res.body);
      if (pi.success) return pi.data.id;
      log("warn", "stripe_answer_invalid", { operation: "authorize", status: 200 });
      throw new ConnectorUnreachable();
    }
    const error = StripeError.safeParse(res.body).data?.error;
    if (res.status === 409 || error?.type === "idempotency_error") {
      throw unknownAnswer("authorize", res.status, error?.code);
    }
    const refused = res.status === 400 || res.status === 401 || res.status === 403;
    log(refused ? "error" : "warn", "stripe_create_failed", { status: res.status, code: loggableCode(error?.code) });
    throw new ConnectorUnreachable();
  }

  async capture(req: FollowUpRequest): Promise<unknown> {
    if (!PI_REFERENCE.test(req.reference)) return GONE;
    const path = `/v1/payment_intents/${req.reference}/capture`;
    const res = await this.#send("capture", "POST", path, { amount_to_capture: req.amount }, req.key);
    if (res.status === 200) {
      const pi = parse("capture", StripePaymentIntent, res.body);
      // This call's capture: its amount is checked by callProcessor (another amount is unknown, never a refusal).
      if (pi.status === "succeeded") return captureAnswer(pi);
      // Not decided in the answer (a replay of one given while `processing`): the intent as it is now.
      return capturedFrom(await this.#retrieve("capture", req.reference), req, true);
    }
    const decided = followUpError("capture", res);
    return decided ?? capturedFrom(await this.#retrieve("capture", req.reference), req, inFlight(res));
  }

  async void(req: FollowUpRequest): Promise<unknown> {
    if (!PI_REFERENCE.test(req.reference)) return GONE;
    const res = await this.#send("void", "POST", `/v1/payment_intents/${req.reference}/cancel`, {}, req.key);
    if (res.status === 200) {
      const pi = parse("void", StripePaymentIntent, res.body);
      return voidedFrom(pi.status === "canceled" ? pi : await this.#retrieve("void", req.reference), req, true);
    }
    const decided = followUpError("void", res);
    return decided ?? voidedFrom(await this.#retrieve("void", req.reference), req, inFlight(res));
  }

  async refund(req: FollowUpRequest): Promise<unknown> {
    if (!PI_REFERENCE.test(req.reference)) return GONE;
    const body = { payment_intent: req.reference, amount: req.amount, metadata: { edgepay_key: req.key } };
    const res = await this.#send("refund", "POST", "/v1/refunds", body, req.key);
    if (res.status === 200) {
      const refund = parse("refund", StripeRefund, res.body);
      switch (refund.status) {
        case "succeeded":
        case "pending":
          return { status: "approved", reference: refund.id, amount: refund.amount };
        case "failed":
        case "canceled":
          return REFUSED_DECLINED;
        default:
          throw new StripeOutcomeUnknown("refund_status");
      }
    }
    // A refund has no object to retrieve by key: an in-flight or mismatched key stays unknown.
    const decided = followUpError("refund", res);
    if (decided) return decided;
    throw unknownAnswer("refund", res.status, errorOf("refund", res).code);
  }

  /** Retrieves a PaymentIntent; any answer but a 200 leaves the outcome unknown. */
  async #retrieve(operation: Operation, id: string): Promise<StripePaymentIntent> {
    const noAnswer: NoAnswer = operation === "authorize" ? "maybe_processed" : "follow_up";
    const res = await this.#send(operation, "GET", `/v1/payment_intents/${id}`, null, null, noAnswer);
    if (res.status !== 200) throw unknownAnswer(operation, res.status, errorOf(operation, res).code);
    return parse(operation, StripePaymentIntent, res.body);
  }

  /**
   * Sends one request. A failed connection, a 5xx, a 429 or a body that is not JSON is decided by
   * `noAnswer` (see NoAnswer); any other answer is returned parsed.
   */
  async #send(
    operation: Operation,
    method: "GET" | "POST",
    path: string,
    body: FormFields | null,
    idempotencyKey: string | null,
    noAnswer: NoAnswer = "follow_up",
  ): Promise<Answered> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#key}` };
    if (body !== null) headers["content-type"] = "application/x-www-form-urlencoded";
    if (idempotencyKey !== null) headers["idempotency-key"] = idempotencyKey;
    if (this.#version !== undefined) headers["stripe-version"] = this.#version;
    const request = new Request(`${this.#base}${path}`, {
      method,
      headers,
      ...(body === null ? {} : { body: formEncode(body) }),
    });
    let res: Response;
    try {
      res = await this.#fetch(request);
    } catch {
      log("warn", "stripe_unreachable", { operation });
      if (noAnswer === "maybe_processed") throw new StripeOutcomeUnknown("connection");
      throw new ConnectorUnreachable();
    }
    if (res.status >= 500 || res.status === 429) {
      await res.body?.cancel();
      const gateway = res.status === 502 || res.status === 503 || res.status === 504;
      if (noAnswer === "nothing_authorizable" || (noAnswer === "follow_up" && gateway)) {
        log("warn", "stripe_unreachable", { operation, status: res.status });
        throw new ConnectorUnreachable();
      }
      throw unknownAnswer(operation, res.status, undefined);
    }
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      log("warn", "stripe_answer_invalid", { operation, status: res.status });
      if (noAnswer === "nothing_authorizable") throw new ConnectorUnreachable();
      throw new StripeOutcomeUnknown("invalid_json");
    }
  }
}

/**
 * What a request without a usable answer (failed connection, 5xx, 429, not JSON) means:
 * - `nothing_authorizable`: the PaymentIntent create of an authorization, which carries no card:
 *   ConnectorUnreachable, another connector may be tried;
 * - `maybe_processed`: the confirm of an authorization (or a retrieve deciding it): the confirm may
 *   have authorized, so the outcome is unknown and the gateway repeats the same key;
 * - `follow_up`: a capture, void or refund: ConnectorUnreachable for a failed connection or a
 *   502/503/504 (repeated at once under the same key), unknown for another 5xx or a 429.
 */
type NoAnswer = "nothing_authorizable" | "maybe_processed" | "follow_up";

/** The Idempotency-Key of an authorization's confirm: the gateway's key plus `_confirm` (Stripe allows 255 characters). */
export function confirmKey(key: string): string {
  return `${key}_confirm`;
}
