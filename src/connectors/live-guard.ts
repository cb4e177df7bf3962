/**
 * The live-mode guard: a live deployment never authorizes through the simulator. A confirm in live
 * mode needs an active live connector account for the merchant, and since no real connector is
 * built yet (docs/connectors.md), even one is refused with the same clear 400, before anything is
 * claimed. Test mode reads nothing here and keeps the simulator.
 */

import type { Db } from "../db/client";
import { activeLiveAccounts } from "../db/connector-accounts";
import { ApiError } from "../errors";

/** True on a live deployment (`EDGEPAY_MODE = "live"`). */
function live(env: Pick<Env, "EDGEPAY_MODE">): boolean {
  return env.EDGEPAY_MODE === "live";
}

/** The refusal of a live authorization: nothing changed, so the gate keeps no answer for its key. */
export function connectorUnavailable(message: string): ApiError {
  return new ApiError("connector_unavailable", message, { noEffect: true });
}

/**
 * Refuses, in live mode, an authorization the deployment cannot send to a real processor. No-op
 * (and no database read) in test mode.
 */
export async function requireLiveConnector(env: Pick<Env, "EDGEPAY_MODE">, db: Db, merchantId: string): Promise<void> {
  if (!live(env)) return;
  const accounts = await activeLiveAccounts(db, merchantId);
  if (accounts.length === 0) {
    throw connectorUnavailable(
      "This merchant has no active live connector account, so live payments cannot be authorized.",
    );
  }
  // Every kind but `stripe` is refused in live mode by the schema's rules; the Stripe connector is a later slice.
  throw connectorUnavailable(
    "The Stripe connector is not available in this build, so live payments cannot be authorized.",
  );
}
