/**
 * Radar reviews as the API manages them: retrieve and approve. A review is opened by the
 * authorization the fraud screen held (payments/review-hold.ts). Approving it closes it and frees
 * the intent for capture, in one batch with the intent's change and `review.closed`. For an
 * automatic-capture intent that same batch claims the capture, which then runs through the normal
 * pending-operation path, so the merchant is paid as if it had never been held and a crash after
 * the approval leaves a `processing` capture the sweep finishes (never an approved review whose
 * automatic capture nothing will run). Refusing a review is canceling its PaymentIntent, which
 * closes the review as `canceled` in the cancel's own batch.
 */
import { closeReviewStatements, getReview, type ReviewRow } from "../db/reviews";
import { decideCapture } from "../domain/payment-state";
import { ApiError } from "../errors";
import { noSuchMessage } from "../lib/ids";
import { log } from "../lib/log";
import type { PaymentDeps } from "../payments/deps";
import { claim, mutate, runPending, stateOf } from "../payments/intents";

export type { ReviewRow } from "../db/reviews";

/** The merchant's review, or the 404 every foreign or unknown id gets. */
export async function loadReview(deps: Pick<PaymentDeps, "db">, merchantId: string, id: string): Promise<ReviewRow> {
  const row = await getReview(deps.db, merchantId, id);
  if (!row) throw new ApiError("resource_missing", noSuchMessage("review", id, "prv"), { param: "id", noEffect: true });
  return row;
}

function closed(id: string): ApiError {
  return new ApiError(
    "review_unexpected_state",
    `This review (${id}) is already closed: only an open review can be approved.`,
    { param: "id" },
  );
}

/**
 * Approves the merchant's open review `id`: the review closes (`approved`) and the intent's
 * `review` is cleared in one compare-and-swap batch with `review.closed`. For an automatic-capture
 * intent the batch also claims the whole capture, which then runs: a capture that does not succeed
 * now (refused, unknown) leaves the approval standing and the intent capturable or `processing`
 * for a retry or the sweep, as any capture would; it is logged, not answered, since the review
 * itself is approved. Returns the closed review.
 */
export async function approveReview(deps: PaymentDeps, merchantId: string, id: string): Promise<ReviewRow> {
  const review = await loadReview(deps, merchantId, id);
  if (review.open !== 1) throw closed(id);
  const at = { merchantId, created: deps.now(), origin: deps.origin };
  const intent = await mutate(deps, merchantId, review.paymentIntentId, (row) => {
    // Closed meanwhile (approved by a racing request, or its intent canceled).
    if (row.review !== review.id) throw closed(id);
    // A cancel in flight (its void pending) holds the intent: the review closes with it.
    if (row.pendingOp !== null) {
      throw new ApiError(
        "payment_intent_unexpected_state",
        `You cannot approve this review because its PaymentIntent has a status of ${row.status}.`,
      );
    }
    const extra = closeReviewStatements(deps.db, at, review.id, "approved");
    const freed = stateOf({ ...row, review: null });
    const capture = row.captureMethod === "automatic" ? decideCapture(freed, undefined) : null;
    if (capture?.ok && capture.mode === "capture") {
      return { ...claim(row, "capture", capture.amount, { review: null }), extra };
    }
    return { kind: "review_approved", patch: { review: null }, extra };
  });
  if (intent.status === "processing") {
    await runPending(deps, intent).catch((err: unknown) => {
      if (!(err instanceof ApiError)) throw err;
      log("warn", "review_approved_capture_failed", { intent: intent.id, code: err.code });
    });
  }
  return { ...review, open: 0, reason: "approved", closedReason: "approved" };
}
