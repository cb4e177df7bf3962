/**
 * The processor connector contract and the gateway's side of every call: a timeout, and strict
 * validation of the answer. A processor's answer is untrusted input: anything that does not parse,
 * names another amount, or arrives late becomes `unknown`, which the payment flow reconciles by
 * retrying the same operation with the same processor-side idempotency key (never a new one).
 * A definite "no" is `declined` (an authorization the issuer refused) or `refused` (a capture, void
 * or refund the processor will not do, or a card the gateway could not read before calling it).
 */
import { z } from "@hono/zod-openapi";
import { DECLINE_CODES, type Outcome } from "../domain/outcome";
import { log } from "../lib/log";
import { meterProcessor } from "../lib/meter";

/** An authorization request; the connector reads card data itself through the vault. */
export interface AuthorizeRequest {
  key: string;
  merchantId: string;
  paymentMethod: string;
  amount: number;
  currency: string;
  statementDescriptor: string | null;
}

/**
 * A capture, void or refund against an earlier authorization `reference`, for merchant `merchantId`
 * in `currency` (an acquirer's capture names the merchant account and currency; its settlement file
 * lists them).
 */
export interface FollowUpRequest {
  key: string;
  reference: string;
  amount: number;
  merchantId: string;
  currency: string;
}

/**
 * What a processor must offer. Every call must be idempotent on `key`: repeating a key returns
 * the first answer and never moves money twice, and a repeated key is answered before the card is
 * read (a card detached after its authorization must not turn that authorization into a refusal;
 * the stateless simulator keeps this for its scripted cards only, see simulator.ts).
 * Answers are `unknown` until validated.
 */
export interface ProcessorConnector {
  authorize(req: AuthorizeRequest): Promise<unknown>;
  capture(req: FollowUpRequest): Promise<unknown>;
  void(req: FollowUpRequest): Promise<unknown>;
  refund(req: FollowUpRequest): Promise<unknown>;
}

export type { Outcome } from "../domain/outcome";

/** How long the gateway waits for a processor answer before treating the outcome as unknown. */
export const PROCESSOR_TIMEOUT_MS = 8000;

const Answer = z.discriminatedUnion("status", [
  z.strictObject({
    status: z.literal("approved"),
    reference: z.string().regex(/^[A-Za-z0-9_]{1,64}$/),
    amount: z.int().nonnegative(),
  }),
  z.strictObject({
    status: z.literal("refused"),
    reason: z.enum(["authorization_gone", "declined"]),
  }),
  z.strictObject({
    status: z.literal("declined"),
    code: z.enum(DECLINE_CODES),
    decline_code: z.string().regex(/^[a-z_]{1,40}$/),
  }),
]);

/** Thrown by a connector (or the timeout) when the outcome of a call is not known. */
export class ProcessorTimeout extends Error {
  constructor() {
    super("processor timeout");
    this.name = "ProcessorTimeout";
  }
}

/**
 * Thrown by a connector when no authorization can exist for the key from this request (the request
 * failed before anything that could authorize was processed: e.g. the connection failed, or the
 * Stripe connector's cardless first step failed): the outcome is still unknown to the payment flow,
 * but repeating the same key is safe at once, and an authorization may fail over.
 */
export class ConnectorUnreachable extends Error {
  constructor() {
    super("connector unreachable");
    this.name = "ConnectorUnreachable";
  }
}

/**
 * Thrown by a connector's card reader when the payment method can no longer be read (detached):
 * the connector sends nothing, so the outcome is a definite refusal, not an unknown.
 */
export class CardUnavailable extends Error {
  constructor() {
    super("card unavailable");
    this.name = "CardUnavailable";
  }
}

/**
 * Runs one processor call with a timeout and validates the answer against the amount asked for.
 * A decline answered to a follow-up call (capture, void, refund) is a refusal of that call.
 */
export async function callProcessor(
  operation: "authorize" | "capture" | "void" | "refund",
  expectedAmount: number,
  call: () => Promise<unknown>,
  timeoutMs = PROCESSOR_TIMEOUT_MS,
): Promise<Outcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    // The wait is metered up to the answer or the timeout, whichever comes first (lib/meter.ts).
    const answer = await meterProcessor(() =>
      Promise.race([
        call(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new ProcessorTimeout()), timeoutMs);
        }),
      ]),
    );
    const parsed = Answer.safeParse(answer);
    if (!parsed.success) {
      log("warn", "processor_answer_invalid", { operation });
      return { kind: "unknown" };
    }
    const a = parsed.data;
    if (a.status === "declined") {
      if (operation === "authorize") return { kind: "declined", code: a.code, declineCode: a.decline_code };
      return { kind: "refused", reason: "declined" };
    }
    if (a.status === "refused") return { kind: "refused", reason: a.reason };
    if (a.amount !== expectedAmount) {
      log("warn", "processor_answer_invalid", { operation, reason: "amount_mismatch" });
      return { kind: "unknown" };
    }
    return { kind: "approved", reference: a.reference };
  } catch (err) {
    if (err instanceof CardUnavailable) return { kind: "refused", reason: "payment_method_unavailable" };
    if (err instanceof ConnectorUnreachable) {
      log("warn", "processor_unreachable", { operation });
      return { kind: "unknown", retryable: true };
    }
    log("warn", "processor_outcome_unknown", { operation, error: err instanceof Error ? err.name : typeof err });
    return { kind: "unknown" };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
