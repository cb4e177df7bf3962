/**
 * The Stripe connector: a ProcessorConnector over Stripe's public HTTPS API (form-encoded,
 * `Authorization: Bearer <secret key>`). An authorization is a PaymentIntent created with
 * `confirm=true` and `capture_method=manual`; its reference is the PaymentIntent id, which capture,
 * cancel (void) and refund name. Every POST carries the gateway's processor key as Stripe's
 * `Idempotency-Key`, so a repeated key is answered by Stripe with its first answer.
 *
 * It sends raw card numbers (from the vault, through `readCard`): on a real Stripe account that
 * needs Stripe's "raw card data APIs" permission (granted on request to PCI-compliant accounts),
 * without which Stripe refuses every authorization (400, logged as `stripe_authorize_refused`).
 *
 * What the gateway sees:
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
 *   (connection failed, 502/503/504). A connection can fail after Stripe processed the request;
 *   the retry repeats the same Idempotency-Key, so it is answered with the first outcome either way.
 *
 * Not kept from the connector contract: a repeated authorization key is not answered before the
 * card is read. Stripe replays a key only for the same parameters, so a card detached after a lost
 * answer makes the repeat a refusal (`payment_method_unavailable`) while Stripe holds the first
 * authorization until it lapses (7 days). Finding it by `metadata[edgepay_key]` needs Stripe's
 * search API, which edgepay (the test upstream) does not offer.
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
import { declineOf, type FormFields, formEncode, loggableCode, StripePaymentIntent, StripeRefund } from "./stripe-wire";

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
    const body: FormFields = {
      amount: req.amount,
      currency: req.currency,
      confirm: true,
      capture_method: "manual",
      payment_method_data: {
        type: "card",
        card: { number: card.number, exp_month: card.exp_month, exp_year: card.exp_year, cvc: card.cvc },
      },
      metadata: { edgepay_key: req.key },
    };
    const res = await this.#send("authorize", "POST", "/v1/payment_intents", body, req.key);
    if (res.status === 200) {
      const pi = parse("authorize", StripePaymentIntent, res.body);
      // Not decided in the answer (e.g. a replay of one that was `processing`): ask for the intent as it is now.
      return authorizedFrom(pi.status === "requires_capture" ? pi : await this.#retrieve("authorize", pi.id));
    }
    const error = errorOf("authorize", res);
    if (res.status === 402 && error.type === "card_error") return declineOf(error);
    if (res.status === 400 && error.type === "invalid_request_error") {
      // Refused before anything was authorized. The gateway checked the amount already, so this is
      // most likely the account (no raw card data permission) or the connector: logged as an error.
      log("error", "stripe_authorize_refused", { code: loggableCode(error.code) });
      return REFUSED_DECLINED;
    }
    throw unknownAnswer("authorize", res.status, error.code);
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
    const res = await this.#send(operation, "GET", `/v1/payment_intents/${id}`, null, null);
    if (res.status !== 200) throw unknownAnswer(operation, res.status, errorOf(operation, res).code);
    return parse(operation, StripePaymentIntent, res.body);
  }

  /** Sends one request; a failed connection or a 502/503/504 is ConnectorUnreachable, a 5xx or 429 unknown. */
  async #send(
    operation: Operation,
    method: "GET" | "POST",
    path: string,
    body: FormFields | null,
    idempotencyKey: string | null,
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
      throw new ConnectorUnreachable();
    }
    if (res.status === 502 || res.status === 503 || res.status === 504) {
      await res.body?.cancel();
      log("warn", "stripe_unreachable", { operation, status: res.status });
      throw new ConnectorUnreachable();
    }
    if (res.status >= 500 || res.status === 429) {
      await res.body?.cancel();
      throw unknownAnswer(operation, res.status, undefined);
    }
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      log("warn", "stripe_answer_invalid", { operation, status: res.status });
      throw new StripeOutcomeUnknown("invalid_json");
    }
  }
}
