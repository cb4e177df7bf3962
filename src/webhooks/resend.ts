/**
 * Resending an event (`POST /v1/events/{id}/resend`): one new delivery message per endpoint, to the
 * endpoint named, or else to every enabled endpoint whose `enabled_events` match the event's type.
 * A resend is a new message with the same `webhook-id` (per event and endpoint) as the first
 * delivery, so a receiver that already processed the event dedupes it.
 */
import type { Db } from "../db/client";
import { merchantEvent } from "../db/outbox";
import { endpointsFor, getEndpoint } from "../db/webhook-endpoints";
import { ApiError, invalidParam } from "../errors";
import { noSuchMessage } from "../lib/ids";
import { queueDeliveries } from "./dispatch";
import type { DeliveryMessage } from "./messages";

/** What a resend queued: the event and the endpoints it goes to. */
export interface Resent {
  eventId: string;
  endpointIds: string[];
}

/**
 * Queues the merchant's event `eventId` again, to `endpointId` (which must be enabled) or to every
 * enabled endpoint listening for its type (400 when there is none). 404 for an event or endpoint
 * that is not the merchant's.
 */
export async function resendEvent(
  env: Pick<Env, "WEBHOOKS">,
  db: Db,
  merchantId: string,
  eventId: string,
  endpointId: string | undefined,
): Promise<Resent> {
  const event = await merchantEvent(db, merchantId, eventId);
  if (!event) throw new ApiError("resource_missing", noSuchMessage("event", eventId, "evt"), { param: "id" });
  let targets: string[];
  if (endpointId !== undefined) {
    const endpoint = await getEndpoint(db, merchantId, endpointId);
    if (!endpoint) {
      throw new ApiError("resource_missing", noSuchMessage("webhook endpoint", endpointId, "we"), {
        param: "webhook_endpoint",
      });
    }
    if (endpoint.status !== "enabled") {
      throw invalidParam(
        "parameter_invalid",
        "This webhook endpoint is disabled: enable it first.",
        "webhook_endpoint",
      );
    }
    targets = [endpoint.id];
  } else {
    targets = (await endpointsFor(db, merchantId, event.type)).map((e) => e.id);
    if (targets.length === 0) {
      throw invalidParam(
        "parameter_invalid",
        "No enabled webhook endpoint listens for this event's type: name one with webhook_endpoint.",
        "webhook_endpoint",
      );
    }
  }
  const queuedAt = Math.floor(Date.now() / 1000);
  const messages: DeliveryMessage[] = targets.map((id) => ({
    merchantId,
    eventId: event.id,
    endpointId: id,
    queuedAt,
  }));
  await queueDeliveries(env.WEBHOOKS, messages);
  return { eventId: event.id, endpointIds: targets };
}
