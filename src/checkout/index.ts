/**
 * Checkout Sessions as the merchant API and the sweep use them: create (the session and its
 * PaymentIntent in one batch), load, expire (its intent canceled through the one cancel path, then
 * the session expired with its event), settle (an open session whose intent is paid is completed
 * with its event) and the sweep of open sessions past `expires_at`. Unknown and foreign ids get the
 * same 404. The page endpoints' payment is in pay.ts.
 */
import {
  completeSession,
  expireSessionRow,
  getSession,
  type LineItem,
  type SessionRow,
  sessionById,
  sessionInsert,
  sessionOfIntent,
  sessionsPastExpiry,
} from "../db/checkout-sessions";
import { draftIntent, getIntent, insertIntent } from "../db/payment-intents";
import { ApiError } from "../errors";
import { newId, newSessionId, noSuchMessage } from "../lib/ids";
import { log } from "../lib/log";
import { cancelIntent } from "../payments/actions";
import type { PaymentDeps } from "../payments/deps";
import { checkCustomer } from "../payments/saved-cards";

/** A session's fields as the merchant sends them (validated). */
export interface SessionInput {
  lineItems: Omit<LineItem, "id">[];
  currency: string;
  successUrl: string;
  cancelUrl: string | null;
  customer: string | null;
  customerEmail: string | null;
  metadata: Record<string, string>;
  captureMethod: "automatic" | "manual";
  description: string | null;
  expiresAt: number;
}

/** The 404 every unknown or foreign session id gets. */
export function noSuchSession(id: string): ApiError {
  const safe = /^cs_(test|live)_[0-9A-Za-z]{1,64}$/.test(id);
  return new ApiError("resource_missing", safe ? noSuchMessage("checkout session", id) : "No such checkout session.", {
    param: "id",
    noEffect: true,
  });
}

/** The merchant's session, or the 404. */
export async function loadSession(deps: PaymentDeps, merchantId: string, id: string): Promise<SessionRow> {
  return (await getSession(deps.db, merchantId, id)) ?? throwMissing(id);
}

function throwMissing(id: string): never {
  throw noSuchSession(id);
}

/** The intent Idempotency-Key of a session create sent with `requestKey`: apart from PaymentIntent creates' keys. */
export function sessionRequestKey(requestKey: string): string {
  return `checkout_session:${requestKey}`;
}

/**
 * Creates a session and its PaymentIntent (`requires_payment_method`: amount = the total, the
 * session's currency, capture method, customer and metadata) in one batch. `origin` is the
 * gateway's origin: the page is `<origin>/checkout/<id>`. A re-run of the create under the same
 * Idempotency-Key (its saved answer lost) finds the first session through its intent's unique key.
 */
export async function createSession(
  deps: PaymentDeps,
  merchantId: string,
  input: SessionInput,
  live: boolean,
  origin: string,
  requestKey?: string,
): Promise<SessionRow> {
  await checkCustomer(deps, merchantId, input.customer);
  const now = deps.now();
  const id = newSessionId(live);
  const items: LineItem[] = input.lineItems.map((i) => ({ id: newId("li"), ...i }));
  const total = items.reduce((sum, i) => sum + i.unit_amount * i.quantity, 0);
  const metadata = JSON.stringify(input.metadata);
  const draft = draftIntent({
    merchantId,
    amount: total,
    currency: input.currency,
    captureMethod: input.captureMethod,
    description: input.description,
    metadata,
    customer: input.customer,
    idempotencyKey: requestKey === undefined ? null : sessionRequestKey(requestKey),
    created: now,
  });
  const row: SessionRow = {
    id,
    merchantId,
    status: "open",
    paymentStatus: "unpaid",
    amountTotal: total,
    currency: input.currency,
    lineItems: JSON.stringify(items),
    successUrl: input.successUrl,
    url: `${origin}/checkout/${id}`,
    cancelUrl: input.cancelUrl,
    customer: input.customer,
    customerEmail: input.customerEmail,
    metadata,
    captureMethod: input.captureMethod,
    paymentIntent: draft.id,
    expiresAt: input.expiresAt,
    created: now,
    completedAt: null,
    expiredAt: null,
    failedAttempts: 0,
    lockedAt: null,
  };
  const intent = await insertIntent(deps.db, draft, deps.origin, undefined, [sessionInsert(deps.db, row)]);
  if (intent.id === draft.id) return row;
  const first = await sessionOfIntent(deps.db, merchantId, intent.id);
  if (!first) throw new Error("checkout: an intent under a session's key without its session");
  return first;
}

/** True when an intent status means the session is paid (captured, or authorized for a manual capture). */
export function isPaid(status: string): boolean {
  return status === "succeeded" || status === "requires_capture";
}

/** Completes `row` if it is open and its intent is paid; answers the session as it now is. */
export async function settleSession(deps: PaymentDeps, row: SessionRow): Promise<SessionRow> {
  if (row.status !== "open") return row;
  const intent = await getIntent(deps.db, row.merchantId, row.paymentIntent);
  if (!intent || !isPaid(intent.status)) return row;
  await completeSession(deps.db, row, deps.now(), deps.origin, newId("evt"));
  return (await sessionById(deps.db, row.id)) ?? row;
}

function notOpen(row: SessionRow): ApiError {
  return new ApiError(
    "checkout_session_unexpected_state",
    `Only an open checkout session can be expired; this one is ${row.status}.`,
  );
}

/**
 * Expires an open session: its intent is canceled first (the one cancel path; a payment in flight
 * finishes first), then the session is expired with its event. A session whose intent turns out
 * paid is completed instead, and the expire refused (400 `checkout_session_unexpected_state`).
 */
export async function expireSession(deps: PaymentDeps, row: SessionRow): Promise<SessionRow> {
  if (row.status !== "open") throw notOpen(row);
  try {
    await cancelIntent(deps, row.merchantId, row.paymentIntent, "abandoned");
  } catch (err) {
    // Already canceled (an expire that stopped half-way) goes on; anything else is answered below.
    if (!(err instanceof ApiError) || err.code !== "payment_intent_unexpected_state") throw err;
  }
  await expireSessionRow(deps.db, row, deps.now(), deps.origin, newId("evt"));
  const after = await settleSession(deps, (await sessionById(deps.db, row.id)) ?? row);
  if (after.status !== "expired") throw notOpen(after);
  return after;
}

/** What one checkout sweep did, for logs and tests. */
export interface CheckoutSweepReport {
  expired: number;
  completed: number;
  failed: number;
}

/**
 * The scheduled part of checkout: open sessions past `expires_at` on this shard (up to `batch`,
 * oldest first, leaving out `skip`'s merchants) are expired through `expireSession`, or completed
 * when their intent turns out paid (a completion whose request died before recording it).
 */
export async function sweepCheckout(
  deps: PaymentDeps,
  options: { batch?: number; skip?: readonly string[] } = {},
): Promise<CheckoutSweepReport> {
  const report: CheckoutSweepReport = { expired: 0, completed: 0, failed: 0 };
  for (const row of await sessionsPastExpiry(deps.db, deps.now(), options.batch ?? 100, options.skip)) {
    try {
      const after = await expireSession(deps, row);
      if (after.status === "expired") report.expired++;
    } catch (err) {
      const settled = await sessionById(deps.db, row.id);
      if (settled?.status === "complete") {
        report.completed++;
        continue;
      }
      report.failed++;
      log("warn", "checkout_sweep_row_failed", { id: row.id, error: err instanceof Error ? err.name : "unknown" });
    }
  }
  log("info", "checkout_sweep", { ...report });
  return report;
}
