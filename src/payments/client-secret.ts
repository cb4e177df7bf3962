/**
 * The client secret of a PaymentIntent (`pi_…_secret_…`): what lets a publishable key, in the
 * customer's browser, retrieve and confirm that one intent. Secret keys, restricted keys and
 * access tokens need none; a publishable caller without the intent's exact secret gets the 404 of
 * an unknown id, so it learns nothing about intents it does not hold the secret of.
 */
import { constantTimeEqual } from "../crypto/secrets";
import type { IntentRow } from "../db/payment-intents";
import type { MerchantAuth } from "../types";
import type { PaymentDeps } from "./deps";
import { loadIntent, noSuchIntent } from "./intents";

/** The intent `id` of the caller's merchant, checked against `clientSecret` when the caller holds a publishable key. */
export async function intentForCaller(
  deps: PaymentDeps,
  auth: MerchantAuth,
  id: string,
  clientSecret: string | undefined,
): Promise<IntentRow> {
  const row = await loadIntent(deps, auth.merchantId, id);
  if (auth.credential !== "publishable_key") return row;
  const stored = row.clientSecret;
  // Compared in constant time; a missing secret is compared too, so every refusal costs the same.
  const matches = await constantTimeEqual(clientSecret ?? "", stored ?? "");
  if (!matches || !clientSecret || !stored) noSuchIntent(id);
  return row;
}
