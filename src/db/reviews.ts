/**
 * Storage of Radar reviews. A review is opened and closed only inside the batch of the intent
 * change it belongs to (its authorization's outcome, its cancel, its approval), so these are
 * statements to add to that batch, each followed by its event; and the reads of the Reviews API.
 */
import { and, eq } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { newId } from "../lib/ids";
import type { PageRequest } from "../lib/pagination";
import type { Db } from "./client";
import { type EventOrigin, eventInsert } from "./events";
import { listPage, type PageResult } from "./pagination";
import { reviews } from "./schema";

/** A reviews row. */
export type ReviewRow = typeof reviews.$inferSelect;

/** Why a review closed (Stripe's `closed_reason`, the subset edgepay reaches). */
export type ReviewClosedReason = "approved" | "canceled";

/** Where a review statement runs: the merchant, the time (unix seconds) and who caused it. */
export interface ReviewContext {
  merchantId: string;
  created: number;
  origin: EventOrigin | null;
}

/** The insert of an open review of `charge` of `paymentIntentId`, then its `review.opened` event. */
export function openReviewStatements(
  db: Db,
  at: ReviewContext,
  review: { id: string; charge: string; paymentIntentId: string; ipAddress: string | null },
): BatchItem<"sqlite">[] {
  const row: ReviewRow = {
    ...review,
    merchantId: at.merchantId,
    open: 1,
    openedReason: "rule",
    reason: "rule",
    closedReason: null,
    created: at.created,
  };
  return [
    db.insert(reviews).values(row),
    eventInsert(db, {
      id: newId("evt"),
      merchantId: at.merchantId,
      type: "review.opened",
      objectType: "review",
      objectId: review.id,
      created: at.created,
      origin: at.origin,
    }),
  ];
}

/**
 * Closes the open review `id` with `reason`, then its `review.closed` event. The event is recorded
 * only after the close changed the row (`afterChange`): a review already closed rolls the whole
 * batch back, so a review is closed once.
 */
export function closeReviewStatements(
  db: Db,
  at: ReviewContext,
  id: string,
  reason: ReviewClosedReason,
): BatchItem<"sqlite">[] {
  return [
    db
      .update(reviews)
      .set({ open: 0, reason, closedReason: reason })
      .where(and(eq(reviews.id, id), eq(reviews.merchantId, at.merchantId), eq(reviews.open, 1))),
    eventInsert(db, {
      id: newId("evt"),
      merchantId: at.merchantId,
      type: "review.closed",
      objectType: "review",
      objectId: id,
      created: at.created,
      origin: at.origin,
      afterChange: true,
    }),
  ];
}

/** The merchant's review with this id, or undefined (another merchant's id is simply not found). */
export function getReview(db: Db, merchantId: string, id: string): Promise<ReviewRow | undefined> {
  return db
    .select()
    .from(reviews)
    .where(and(eq(reviews.id, id), eq(reviews.merchantId, merchantId)))
    .get();
}

/** A page of the merchant's reviews, newest first, optionally only open (true) or closed (false) ones. */
export function listReviews(
  db: Db,
  merchantId: string,
  page: PageRequest,
  filter: { open?: boolean } = {},
): Promise<PageResult<ReviewRow>> {
  const mine = eq(reviews.merchantId, merchantId);
  const scope = filter.open === undefined ? mine : and(mine, eq(reviews.open, filter.open ? 1 : 0));
  return listPage(db, { table: reviews, id: reviews.id, created: reviews.created, scope, cursorScope: mine }, page);
}
