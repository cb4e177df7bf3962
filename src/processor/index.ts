/** The processor the gateway uses: the built-in simulator, reading cards only through the vault. */
import { ApiError } from "../errors";
import { type ClaimedCard, detokenize, type VaultDeps } from "../vault";
import { CardUnavailable, type ProcessorConnector } from "./connector";
import { SimulatedProcessor } from "./simulator";

/** Builds the connector for one call; `claimed` is a card record the request already read (see `detokenize`). */
export type ProcessorFactory = (vault: VaultDeps, claimed?: ClaimedCard) => ProcessorConnector;

/**
 * The connector for this environment, reading cards from the merchant's vault (`vault.db`). A real
 * acquirer would be chosen here by configuration. `claimed` is a payment-method record this request
 * already claimed (see `detokenize`).
 */
export function processorFor(vault: VaultDeps, claimed?: ClaimedCard): ProcessorConnector {
  const memory = (digest: string) => vault.env.SIMULATOR_MEMORY.getByName(digest);
  return new SimulatedProcessor(memory, (merchantId, pm) =>
    detokenize(vault, merchantId, pm, claimed).catch((err: unknown) => {
      // The vault's 404: the card was detached (shredded) after the intent was claimed.
      throw err instanceof ApiError ? new CardUnavailable() : err;
    }),
  );
}
