/**
 * The payment flow's view of connector health (durable/connector-health.ts): whether to try a
 * connector now, and the report of each attempt's result.
 *
 * Staleness: `connectorHealthy` answers from a per-isolate cache (at most HEALTH_CACHE_MAX_ENTRIES
 * connectors, each for HEALTH_CACHE_TTL_MS = 5 s), so an isolate may try a connector up to 5 s after
 * it tripped, and skip it up to 5 s after an operator's reset; the end of a cool-down is seen at
 * once (a cached cool-down that has ended is read again). A miss costs one RPC to the connector's object.
 *
 * Fail-open: when the object cannot be reached or refuses (and for an id that is not a connector id,
 * which is never sent to it), the connector is reported healthy and the failure logged. Health only decides which
 * connector to try first; it must never be the reason no payment can be made, and an unhealthy
 * connector still answers (or fails) the attempt itself. The unreachable answer is not cached, so
 * the next call asks again.
 */
import { type HealthStatus, isConnectorId } from "../domain/connector-health";
import { log } from "../lib/log";
import { TtlCache } from "../lib/ttl-cache";

/** Most connectors whose health one isolate remembers. */
export const HEALTH_CACHE_MAX_ENTRIES = 1000;
/** How long one isolate trusts a remembered health, in milliseconds. */
export const HEALTH_CACHE_TTL_MS = 5_000;

const cache = new TtlCache<string, HealthStatus>({ maxEntries: HEALTH_CACHE_MAX_ENTRIES, ttlMs: HEALTH_CACHE_TTL_MS });

/** The id itself when it is a connector id; anything else is not echoed into the logs. */
function loggable(connectorId: string): string {
  return isConnectorId(connectorId) ? connectorId : "malformed";
}

function failure(err: unknown): string {
  return err instanceof Error ? err.name : "unknown";
}

/** How long a payment waits for a health read before taking the connector as healthy (fail open). */
export const HEALTH_READ_TIMEOUT_MS = 100;

/** `read`, or a rejection after HEALTH_READ_TIMEOUT_MS: a slow health object must not slow payments. */
async function withTimeout<T>(read: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      read,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error("health read timed out")), HEALTH_READ_TIMEOUT_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether the payment flow may try `connectorId` (`mca_…` or `builtin`) now: false while it cools
 * down. Fails open (true) when its object cannot be reached or does not answer within
 * HEALTH_READ_TIMEOUT_MS. `nowMs` is a test seam for the clock.
 */
export async function connectorHealthy(env: Env, connectorId: string, nowMs?: number): Promise<boolean> {
  const cached = cache.get(connectorId);
  const now = nowMs ?? Date.now();
  if (cached && (cached.coolUntil === null || now < cached.coolUntil)) return cached.healthy;
  try {
    // A name that is not a connector id is refused by the object too; it is not sent there at all.
    if (!isConnectorId(connectorId)) throw new TypeError("not a connector id");
    const status = await withTimeout(env.CONNECTOR_HEALTH.getByName(connectorId).status(nowMs));
    cache.set(connectorId, status);
    return status.healthy;
  } catch (err) {
    log("warn", "connector_health_unavailable", { connector: loggable(connectorId), error: failure(err) });
    return true;
  }
}

/**
 * Reports one authorization attempt's result to `connectorId`'s health (`ok` false only for a
 * connector error: timeout, unreachable, `processing_error`; an issuer's decline is ok). Returns the
 * promise for the caller to defer (`waitUntil`); it never rejects, a failed report is logged.
 */
export async function reportHealth(env: Env, connectorId: string, ok: boolean): Promise<void> {
  try {
    if (!isConnectorId(connectorId)) throw new TypeError("not a connector id");
    await env.CONNECTOR_HEALTH.getByName(connectorId).record(ok);
  } catch (err) {
    log("warn", "connector_health_report_failed", { connector: loggable(connectorId), error: failure(err) });
  }
}

/** Drops this isolate's remembered health of `connectorId` (after an operator's reset). */
export function forgetHealth(connectorId: string): void {
  cache.delete(connectorId);
}
