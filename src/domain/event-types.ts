/**
 * The closed set of event types edgepay emits (Stripe's names, a subset of stripe-node's
 * `Event.Type`, plus the edgepay extensions of EXTENSION_EVENT_TYPES), and the two ways a caller
 * names several: an endpoint's `enabled_events` (exact types or `*`) and the Events API's `type`
 * filter (exact, or with `*` wildcards such as `payment_intent.*`). Pure: no I/O.
 */

/** Every event type edgepay emits, in documentation order. */
export const EVENT_TYPES = [
  "payment_intent.created",
  "payment_intent.processing",
  "payment_intent.requires_action",
  "payment_intent.amount_capturable_updated",
  "payment_intent.succeeded",
  "payment_intent.payment_failed",
  "payment_intent.canceled",
  "charge.succeeded",
  "charge.failed",
  "charge.captured",
  "charge.refunded",
  "refund.created",
  "refund.updated",
  "refund.failed",
  "review.opened",
  "review.closed",
  "customer.created",
  "customer.updated",
  "customer.deleted",
  "payment_method.attached",
  "payment_method.detached",
  "balance.available",
  "payout.created",
  "payout.updated",
  "payout.paid",
  "payout.failed",
  "payout.canceled",
  "checkout.session.completed",
  "checkout.session.expired",
  "webhook_endpoint.disabled",
] as const;

/**
 * The event types Stripe has no name for (edgepay extensions): `webhook_endpoint.disabled`, when
 * the gateway disables an endpoint (a 410, or failing for the whole retry schedule); its
 * `data.object` is the WebhookEndpoint, without its secret.
 */
export const EXTENSION_EVENT_TYPES: readonly EventType[] = ["webhook_endpoint.disabled"];

/** One event type edgepay emits. */
export type EventType = (typeof EVENT_TYPES)[number];

/** The `enabled_events` entry that subscribes an endpoint to every type. */
export const ALL_EVENTS = "*";

/** What an endpoint's `enabled_events` may list: the event types and `*`. */
export const ENABLED_EVENTS = [ALL_EVENTS, ...EVENT_TYPES] as const;

/** One member of `enabled_events`. */
export type EnabledEvent = (typeof ENABLED_EVENTS)[number];

const KNOWN: ReadonlySet<string> = new Set(EVENT_TYPES);

/** True when `value` is an event type edgepay emits. */
export function isEventType(value: string): value is EventType {
  return KNOWN.has(value);
}

/** True when `value` may appear in `enabled_events`. */
export function isEnabledEvent(value: string): value is EnabledEvent {
  return value === ALL_EVENTS || KNOWN.has(value);
}

/** True when an endpoint with these `enabled_events` gets events of `type`. */
export function subscribes(enabledEvents: readonly string[], type: string): boolean {
  return enabledEvents.includes(ALL_EVENTS) || enabledEvents.includes(type);
}

/**
 * An endpoint's `enabled_events` as stored: duplicates removed, and `["*"]` alone when `*` is
 * listed (it already takes every type).
 */
export function normalizeEnabledEvents(events: readonly EnabledEvent[]): EnabledEvent[] {
  if (events.includes(ALL_EVENTS)) return [ALL_EVENTS];
  return [...new Set(events)];
}

/** Longest `type` pattern the Events API accepts. */
export const MAX_TYPE_PATTERN = 100;

/**
 * True when `pattern` is a usable `type` filter: dot-separated words of lowercase letters and
 * underscores, where `*` may stand for any run of characters (`payment_intent.*`, `*.succeeded`).
 * Nothing else is allowed, so the pattern can be handed to SQLite's GLOB as it is.
 */
export function isTypePattern(pattern: string): boolean {
  return pattern.length > 0 && pattern.length <= MAX_TYPE_PATTERN && /^[a-z_.*]+$/.test(pattern);
}
