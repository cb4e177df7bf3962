/**
 * Throttling of client authentication on the token endpoint, per client id, in the MerchantGate
 * object named `client:<client_id>` (CLIENT_AUTH_FAILURES: 10 attempts a minute, a success gives
 * its attempt back). Only well-formed client ids are throttled: any other string cannot name a
 * client, fails authentication anyway, and must not mint Durable Objects for an attacker.
 */
import { clientThrottleName, type ThrottleResult } from "./merchant-gate";

const CLIENT_ID = /^cli_[0-9A-Za-z]{1,64}$/;

/** Takes one authentication attempt for `clientId` before its secret is checked. */
export async function clientAuthAttempt(env: Env, clientId: string): Promise<ThrottleResult> {
  if (!CLIENT_ID.test(clientId)) return { allowed: true, retryAfterSec: 0 };
  return env.MERCHANT_GATE.getByName(clientThrottleName(clientId)).clientAuthAttempt();
}

/** Gives the attempt back after `clientId` authenticated successfully. */
export async function clientAuthSucceeded(env: Env, clientId: string): Promise<void> {
  if (!CLIENT_ID.test(clientId)) return;
  await env.MERCHANT_GATE.getByName(clientThrottleName(clientId)).clientAuthSucceeded();
}
