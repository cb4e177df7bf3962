/** The processor the gateway uses: the built-in simulator, reading cards only through the vault. */
import { ApiError } from "../errors";
import { type ClaimedCard, detokenize } from "../vault";
import { CardUnavailable, type ProcessorConnector } from "./connector";
import { SimulatedProcessor } from "./simulator";

/** Builds the connector for one call; `claimed` is a card record the request already read (see `detokenize`). */
export type ProcessorFactory = (env: Env, claimed?: ClaimedCard) => ProcessorConnector;

/**
 * The connector for this environment. A real acquirer would be chosen here by configuration.
 * `claimed` is a payment-method record this request already claimed (see `detokenize`).
 */
export function processorFor(env: Env, claimed?: ClaimedCard): ProcessorConnector {
  const memory = (digest: string) => env.SIMULATOR_MEMORY.getByName(digest);
  return new SimulatedProcessor(memory, (merchantId, pm) =>
    detokenize(env, merchantId, pm, claimed).catch((err: unknown) => {
      // The vault's 404: the card was detached (shredded) after the intent was claimed.
      throw err instanceof ApiError ? new CardUnavailable() : err;
    }),
  );
}
