/**
 * Throttling of failed client authentication on the token endpoint, built so that an attacker who
 * knows a client id (it is in every access token) cannot lock its owner out.
 *
 * Three budgets (domain/limits.ts), each taken before the secret is checked (so parallel guesses are
 * bounded exactly) and given back after a success (so only failures count):
 *   (client id, source IP)  10/min, bucket `client_pair:<source>` on `client:<id>`: over it, that
 *                           source gets 429 `slow_down` even for the right secret
 *   client id               100/min from all sources, bucket `client_auth` on `client:<id>`: over it,
 *                           a wrong secret gets 429 instead of 401; the right secret still succeeds
 *   source IP               100/min across all client ids, object `ip:<source>`: over it, that source
 *                           gets 429 for everything, so one address cannot spray client ids
 * A right secret is refused only for failures from its own source. The source is CF-Connecting-IP
 * (IPv6 by /64; "unknown" when absent), see sourceKey.
 *
 * Cost: a well-formed client id costs two RPCs (`client:<id>` and `ip:<source>`), in parallel with
 * each other and with the client lookup and HMAC, so a success gains no sequential hop; a success
 * adds two `refund` RPCs after the response (waitUntil). A failure costs just the two. A client id
 * that is not well formed cannot name a client and must not mint objects: it costs `ip:` only.
 */
import { CLIENT_AUTH_FAILURES, clientSourcePolicy, SOURCE_AUTH_FAILURES } from "../domain/limits";
import type { Policy } from "../domain/token-bucket";
import { type AuthAttempt, clientThrottleName, merchantGate, sourceThrottleName } from "./merchant-gate";

const CLIENT_ID = /^cli_[0-9A-Za-z]{1,64}$/;

/** What was taken from one authentication's budgets, to decide its answer and to refund it. */
export interface AuthBudgets {
  clientId: string;
  source: string;
  /** Taken from `client:<id>`: [pair, client id], stopping at the first that was empty. */
  client: AuthAttempt;
  /** Taken from `ip:<source>`. */
  ip: AuthAttempt;
}

/** The answer the throttle allows: go on (the right secret wins), or 429 for this source, or for wrong secrets only. */
export type AuthVerdict =
  | { kind: "checked" }
  | { kind: "source_limited"; retryAfterSec: number }
  | { kind: "wrong_secret_limited"; retryAfterSec: number };

function clientPolicies(clientId: string, source: string): Policy[] {
  return CLIENT_ID.test(clientId) ? [clientSourcePolicy(source), CLIENT_AUTH_FAILURES] : [];
}

/** Takes one attempt from each budget of `clientId` from `source`; both objects are asked in parallel. */
export async function takeAuthBudgets(env: Env, clientId: string, source: string): Promise<AuthBudgets> {
  const policies = clientPolicies(clientId, source);
  const [client, ip] = await Promise.all([
    policies.length === 0
      ? { taken: 0, retryAfterSec: 0 }
      : merchantGate(env, clientThrottleName(clientId)).authAttempt(policies),
    merchantGate(env, sourceThrottleName(source)).authAttempt([SOURCE_AUTH_FAILURES]),
  ]);
  return { clientId, source, client, ip };
}

/** What the budgets say before the secret's result is known; a right secret wins only over `wrong_secret_limited`. */
export function authVerdict(b: AuthBudgets): AuthVerdict {
  const wanted = CLIENT_ID.test(b.clientId) ? 2 : 0;
  if (b.ip.taken < 1) return { kind: "source_limited", retryAfterSec: b.ip.retryAfterSec };
  if (wanted > 0 && b.client.taken < 1) return { kind: "source_limited", retryAfterSec: b.client.retryAfterSec };
  if (b.client.taken < wanted) return { kind: "wrong_secret_limited", retryAfterSec: b.client.retryAfterSec };
  return { kind: "checked" };
}

/** Gives back what a successful authentication took, so only failures count. */
export async function refundAuthBudgets(env: Env, b: AuthBudgets): Promise<void> {
  const client = clientPolicies(b.clientId, b.source).slice(0, b.client.taken);
  await Promise.all([
    client.length > 0 ? merchantGate(env, clientThrottleName(b.clientId)).refund(client) : undefined,
    merchantGate(env, sourceThrottleName(b.source)).refund([SOURCE_AUTH_FAILURES].slice(0, b.ip.taken)),
  ]);
}
