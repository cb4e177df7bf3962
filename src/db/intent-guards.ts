/**
 * The pure decisions of domain/payment-state.ts as SQL conditions on a payment_intents row, so a
 * claim batch can decide and write in one round trip: `captureGuard` holds exactly when
 * `decideCapture` answers mode `capture`, `refundGuard` exactly when `decideRefund` allows the
 * refund (test/db/intent-guards.test.ts checks both agree on generated states). Each comes with
 * the amount the decision takes, as SQL over the row before the claim changes it. The requested
 * amount is the placeholder `requested` (`guardValues`), so a claim's statements are built once
 * (db/prepared.ts) and every request binds its amount.
 */
import { type SQL, sql } from "drizzle-orm";
import { amountStep, CURRENCIES } from "../domain/currencies";
import { charges, paymentIntents as t } from "./schema";

/** The currency's amount step (`amountStep`) of the row, as SQL. */
const step: SQL = (() => {
  const by = (n: number) => CURRENCIES.filter((c) => amountStep(c) === n).map((c) => sql`${c}`);
  return sql`(case when ${t.currency} in (${sql.join(by(100), sql`, `)}) then 100 when ${t.currency} in (${sql.join(by(10), sql`, `)}) then 10 else 1 end)`;
})();

/** `amount` is a part (capture, refund) the row allows: positive, at most `max`, on the currency's step. */
function part(amount: SQL, max: SQL): SQL {
  return sql`(${amount} >= 1 and ${amount} <= ${max} and ${amount} % ${step} = 0)`;
}

/** What an amount parameter may be for a guard: absent, or a safe integer (anything else is decided on a read). */
export function guardable(amount: number | undefined): boolean {
  return amount === undefined || Number.isSafeInteger(amount);
}

/** The requested amount, the guards' one placeholder (`requested`; NULL: the default amount). */
const requested = sql.placeholder("requested");

/** The values of the guards' placeholders for a request of `amount` (undefined: the default). */
export function guardValues(amount: number | undefined): { requested: number | null } {
  return { requested: amount ?? null };
}

/** The amount a capture of `requested` (default: all that is capturable) takes. */
export const captureAmount: SQL = sql`coalesce(${requested}, ${t.amountCapturable})`;

/** `decideCapture(row, requested)` is a new capture (not a refusal, not a resume). */
export const captureGuard: SQL = sql`(${t.status} = 'requires_capture' and ${t.pendingOp} is null and ${t.review} is null and ${part(captureAmount, sql`${t.amountCapturable}`)})`;

/** What remains to refund on the row. */
const remaining = sql`(${t.amountReceived} - ${t.amountRefunded})`;

/** The amount a refund of `requested` (default: all that remains) takes. */
export const refundAmount: SQL = sql`coalesce(${requested}, ${remaining})`;

/** `decideRefund(row, requested)` allows the refund. */
export const refundGuard: SQL = sql`(${t.status} = 'succeeded' and ${remaining} > 0 and ${part(refundAmount, remaining)})`;

/** The intent's change when a refund of `requested` reserves its amount (`amount_refunded` grows). */
export const refundReservation = { amountRefunded: sql`${t.amountRefunded} + ${refundAmount}` };

/** The intent of the merchant's charge `charge` (a placeholder), as SQL: NULL for no such charge. */
export const chargeIntent: SQL = sql`(select ${charges.paymentIntentId} from ${charges} where ${charges.id} = ${sql.placeholder("charge")} and ${charges.merchantId} = ${sql.placeholder("merchantId")})`;

/**
 * A refund named by `charge` (and maybe `paymentIntent`, NULL when not named) is allowed: the refund
 * guard, the charge is the intent's latest (the only one that can have succeeded), and the intent
 * is the one named.
 */
export const chargeRefundGuard: SQL = sql`(${refundGuard} and ${t.latestCharge} = ${sql.placeholder("charge")} and (${sql.placeholder("paymentIntent")} is null or ${t.id} = ${sql.placeholder("paymentIntent")}))`;
