/**
 * Helpers that put a merchant gate's idempotency key where a failure leaves it.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { LEASE_MS } from "../../src/domain/idempotency";
import { keyShardOf } from "../../src/domain/limits";
import { keyShardName, type MerchantGate } from "../../src/durable/merchant-gate";
import type { TestMerchant } from "./merchants";

/**
 * Puts the saved key of `POST path` back where a Worker that died after its effect but before its
 * (deferred) complete landed leaves it: `running` under a dead lease. Freezes the key shard's clock
 * and returns it: move it past LEASE_MS and the next request under the key takes over.
 */
export async function loseComplete(m: TestMerchant, path: string, key: string): Promise<{ now: number }> {
  const clock = { now: Date.now() };
  const stub = env.MERCHANT_GATE.getByName(keyShardName(m.merchantId, keyShardOf(key)));
  await runInDurableObject(stub, (instance: MerchantGate, state) => {
    instance.clock = () => clock.now;
    const written = state.storage.sql.exec(
      `UPDATE idempotency_keys SET state = 'running', lease_id = 'dead-worker', lease_until = ?,
              status = NULL, headers = NULL, body = NULL, request_id = NULL
        WHERE scope = ?`,
      clock.now + LEASE_MS,
      JSON.stringify(["POST", path, key]),
    ).rowsWritten;
    expect(written).toBe(1);
  });
  return clock;
}
