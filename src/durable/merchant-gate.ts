/**
 * MerchantGate: the per-merchant Durable Object that admits requests (rate limiting and
 * idempotency) and completes them. It exposes typed RPC methods only, never a fetch router.
 *
 * Storage layout: none yet; the idempotency and rate-limit work defines it here.
 */
import { DurableObject } from "cloudflare:workers";

/** Per-merchant admission control, addressed by merchant id (and a shard suffix for hot merchants). */
export class MerchantGate extends DurableObject<Env> {
  /** Liveness probe used by `GET /health`. */
  async ping(): Promise<"pong"> {
    return "pong";
  }
}
