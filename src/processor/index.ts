/** The processor the gateway uses: the built-in simulator, reading cards only through the vault. */
import { getDb } from "../db/client";
import { detokenize } from "../vault";
import type { ProcessorConnector } from "./connector";
import { SimulatedProcessor } from "./simulator";

/** The connector for this environment. A real acquirer would be chosen here by configuration. */
export function processorFor(env: Env): ProcessorConnector {
  return new SimulatedProcessor(getDb(env), (merchantId, pm) => detokenize(env, merchantId, pm));
}
