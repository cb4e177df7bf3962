/**
 * Throttling of the operator API (`/admin/v1`), on the MerchantGate objects the token endpoint uses:
 *   source IP   failed operator authentications, 30/min per source on `ip:<source>` (bucket
 *               `operator_source_auth`). Every request first checks the budget without taking
 *               (in parallel with the credential lookup); only a failure is charged. Over it the
 *               source gets 429 for everything, right credentials included, so its guesses learn
 *               nothing; the same credential from any other source still works. Parallel guesses
 *               may overshoot by the concurrency of one check (secrets are 256-bit: what matters
 *               is that failures are counted and answered 429, not the exact bound).
 *   operator    every authenticated request, the operator's `rate_limit` per second (default
 *               OPERATOR_RATE_LIMIT_DEFAULT) on `operator:<opr_…|root>`.
 * Cost: a success makes one RPC in parallel with the credential lookup and one `admit` after it; a
 * failure makes the parallel one and one `authAttempt`.
 */
import { OPERATOR_SOURCE_AUTH_FAILURES, operatorPolicy } from "../domain/limits";
import { type AdmitResult, merchantGate, operatorThrottleName, sourceThrottleName } from "./merchant-gate";

/** Whether `source` may still try (its failure budget is not empty), and if not, when it may. */
export type SourceBudget = { ok: true } | { ok: false; retryAfterSec: number };

function budget(got: { taken: number; retryAfterSec: number }): SourceBudget {
  return got.taken === 1 ? { ok: true } : { ok: false, retryAfterSec: got.retryAfterSec };
}

/** Checks `source`'s failed-authentication budget without taking from it. */
export async function checkOperatorSource(env: Env, source: string): Promise<SourceBudget> {
  return budget(await merchantGate(env, sourceThrottleName(source)).authPeek([OPERATOR_SOURCE_AUTH_FAILURES]));
}

/** Charges one failed authentication to `source`; not ok when its budget was already empty. */
export async function chargeOperatorFailure(env: Env, source: string): Promise<SourceBudget> {
  return budget(await merchantGate(env, sourceThrottleName(source)).authAttempt([OPERATOR_SOURCE_AUTH_FAILURES]));
}

/** Charges one request to the operator's (or root's) rate limit. */
export function admitOperator(env: Env, actor: string, rateLimit: number | null): Promise<AdmitResult> {
  return merchantGate(env, operatorThrottleName(actor)).admit({ policies: [operatorPolicy(rateLimit)] });
}
