/**
 * The Worker's `queue` handler: batches of the webhook queue go to the deliverer, batches of its
 * dead-letter queue to the dead-letter consumer. `batch.queue` tells them apart by name
 * (`edgepay-webhooks[-env]`, `edgepay-webhooks-dlq[-env]`, wrangler.toml).
 */
import { handleDeadLetters } from "./dead-letters";
import { type DeliverOptions, handleDeliveries } from "./deliver";

/** True when `queue` is a dead-letter queue of the webhooks. */
export function isDeadLetterQueue(queue: string): boolean {
  return queue.startsWith("edgepay-webhooks-dlq");
}

/** Routes a queue batch to its consumer. */
export function handleQueue(batch: MessageBatch<unknown>, env: Env, options?: DeliverOptions): Promise<void> {
  return isDeadLetterQueue(batch.queue) ? handleDeadLetters(batch, env) : handleDeliveries(batch, env, options);
}
