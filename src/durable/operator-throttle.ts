/**
 * Throttling of the operator API (`/admin/v1`), on the MerchantGate objects the token endpoint uses:
 *   source IP   failed operator authentications, 30/min per source on `ip:<source>` (bucket
 *               `operator_source_auth`); taken before the credential is checked and given back
 *               on success, so only failures count. Over it the source gets 429 for everything,
 *               its guesses learn nothing, and a right credential from any other source still works.
 *   operator    every authenticated request, the operator's `rate_limit` per second (default
 *               OPERATOR_RATE_LIMIT_DEFAULT) on `operator:<op_…|root>`.
 * Cost: one RPC in parallel with the credential lookup, one `admit` after it, and a `refund` after
 * the response.
 */
import { OPERATOR_SOURCE_AUTH_FAILURES, operatorPolicy } from "../domain/limits";
import { type AdmitResult, operatorThrottleName, sourceThrottleName } from "./merchant-gate";

/** Takes one failed-authentication attempt from `source`'s budget; true when there was one to take. */
export async function takeOperatorAttempt(env: Env, source: string): Promise<{ ok: boolean; retryAfterSec: number }> {
  const got = await env.MERCHANT_GATE.getByName(sourceThrottleName(source)).authAttempt([
    OPERATOR_SOURCE_AUTH_FAILURES,
  ]);
  return { ok: got.taken === 1, retryAfterSec: got.retryAfterSec };
}

/** Gives back the attempt a successful authentication took. */
export async function refundOperatorAttempt(env: Env, source: string): Promise<void> {
  await env.MERCHANT_GATE.getByName(sourceThrottleName(source)).refund([OPERATOR_SOURCE_AUTH_FAILURES]);
}

/** Charges one request to the operator's (or root's) rate limit. */
export function admitOperator(env: Env, actor: string, rateLimit: number | null): Promise<AdmitResult> {
  return env.MERCHANT_GATE.getByName(operatorThrottleName(actor)).admit({ policies: [operatorPolicy(rateLimit)] });
}
