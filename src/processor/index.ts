/** The processor the gateway uses: the built-in simulator, reading cards only through the vault; never in live mode. */
import { ApiError } from "../errors";
import { log } from "../lib/log";
import { type ClaimedCard, detokenize, type VaultDeps } from "../vault";
import { CardUnavailable, type ProcessorConnector } from "./connector";
import { SimulatedProcessor } from "./simulator";

/** Runs work after the answer is sent (the request's waitUntil, see payments/deps.ts `defer`). */
export type Defer = (work: Promise<unknown>) => void;

/**
 * Builds the connector for one call; `claimed` is a card record the request already read (see
 * `detokenize`); `defer` takes the connector's background work (the simulator's settlement records).
 */
export type ProcessorFactory = (vault: VaultDeps, claimed?: ClaimedCard, defer?: Defer) => ProcessorConnector;

/** `defer` without a request: the work runs unawaited, its failure logged. */
function unawaited(work: Promise<unknown>): void {
  work.catch((err: unknown) =>
    log("error", "simulator_settlement_failed", { error: err instanceof Error ? err.name : "unknown" }),
  );
}

/**
 * The connector for this environment, reading cards from the merchant's vault (`vault.db`). A real
 * acquirer would be chosen here by configuration. `claimed` is a payment-method record this request
 * already claimed (see `detokenize`). The simulator's settlement records go to `defer`: started,
 * never awaited by the payment flow.
 */
export function processorFor(vault: VaultDeps, claimed?: ClaimedCard, defer: Defer = unawaited): ProcessorConnector {
  // Never the simulator in live mode (the payment services refuse earlier; this is the backstop).
  if (vault.env.EDGEPAY_MODE === "live") {
    throw new ApiError("connector_unavailable", "No processor connector is available in live mode in this build.");
  }
  const memory = (digest: string) => vault.env.SIMULATOR_MEMORY.getByName(digest);
  return new SimulatedProcessor(
    memory,
    (merchantId, pm) =>
      detokenize(vault, merchantId, pm, claimed).catch((err: unknown) => {
        // The vault's 404: the card was detached (shredded) after the intent was claimed.
        throw err instanceof ApiError ? new CardUnavailable() : err;
      }),
    (merchantId, line) => defer(vault.env.SIMULATOR_LEDGER.getByName(merchantId).record(line)),
  );
}
