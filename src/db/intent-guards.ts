/**
 * The pure decisions of domain/payment-state.ts as SQL conditions on a payment_intents row, so a
 * claim batch can decide and write in one round trip: `captureGuard` holds exactly when
 * `decideCapture` answers mode `capture`, `refundGuard` exactly when `decideRefund` allows the
 * refund (test/db/intent-guards.test.ts checks both agree on generated states). Each comes with
 * the amount the decision takes, as SQL over the row before the claim changes it.
 */
import { type SQL, sql } from "drizzle-orm";
import { amountStep, CURRENCIES } from "../domain/currencies";
import { paymentIntents as t } from "./schema";

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

/** The amount a capture of `requested` (default: all that is capturable) takes. */
export function captureAmount(requested: number | undefined): SQL {
  return sql`coalesce(${requested ?? null}, ${t.amountCapturable})`;
}

/** `decideCapture(row, requested)` is a new capture (not a refusal, not a resume). */
export function captureGuard(requested: number | undefined): SQL {
  return sql`(${t.status} = 'requires_capture' and ${t.pendingOp} is null and ${part(captureAmount(requested), sql`${t.amountCapturable}`)})`;
}

/** What remains to refund on the row. */
const remaining = sql`(${t.amountReceived} - ${t.amountRefunded})`;

/** The amount a refund of `requested` (default: all that remains) takes. */
export function refundAmount(requested: number | undefined): SQL {
  return sql`coalesce(${requested ?? null}, ${remaining})`;
}

/** `decideRefund(row, requested)` allows the refund. */
export function refundGuard(requested: number | undefined): SQL {
  return sql`(${t.status} = 'succeeded' and ${remaining} > 0 and ${part(refundAmount(requested), remaining)})`;
}

/** The intent's change when a refund of `requested` reserves its amount (`amount_refunded` grows). */
export function refundReservation(requested: number | undefined) {
  return { amountRefunded: sql`${t.amountRefunded} + ${refundAmount(requested)}` };
}
