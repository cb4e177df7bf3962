/**
 * The messages on the webhook queues. They name what to deliver and nothing else: the body is
 * rendered from the stored event when the message is handled, so no payload (and no card data)
 * ever travels through a queue.
 */

/** One event to deliver to one endpoint (queue `WEBHOOKS`). */
export interface DeliveryMessage {
  merchantId: string;
  eventId: string;
  endpointId: string;
  /** When it was queued (unix seconds): its first attempt follows within seconds. */
  queuedAt: number;
}

/**
 * A message on the dead-letter queue (`WEBHOOKS_DLQ`). The consumer sends one, with `recorded`,
 * when the schedule is exhausted; Queues moves a message there itself, without it, when the
 * consumer kept crashing on it past `max_retries`.
 */
export interface DeadLetter extends DeliveryMessage {
  /** The consumer already recorded the `dead` attempt. */
  recorded?: boolean;
}

/** True when `body` has the shape of a DeliveryMessage (a queue carries whatever was sent to it). */
export function isDeliveryMessage(body: unknown): body is DeliveryMessage {
  const b = body as Partial<DeliveryMessage> | null;
  return (
    typeof b === "object" &&
    b !== null &&
    typeof b.merchantId === "string" &&
    typeof b.eventId === "string" &&
    typeof b.endpointId === "string" &&
    typeof b.queuedAt === "number"
  );
}
