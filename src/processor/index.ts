/** The processor the gateway uses: the built-in simulator, reading cards only through the vault. */
import { getDb } from "../db/client";
import { detokenize, type PaymentMethodRow } from "../vault";
import type { ProcessorConnector } from "./connector";
import { SimulatedProcessor } from "./simulator";

/**
 * The connector for this environment. A real acquirer would be chosen here by configuration.
 * `claimed` is a payment-method record this request already claimed (see `detokenize`).
 */
export function processorFor(env: Env, claimed?: PaymentMethodRow): ProcessorConnector {
  return new SimulatedProcessor(getDb(env), (merchantId, pm) => detokenize(env, merchantId, pm, claimed));
}
