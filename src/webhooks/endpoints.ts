/**
 * Webhook endpoints as the API manages them: create (URL checked, secret drawn and sealed, at most
 * MAX_WEBHOOK_ENDPOINTS a merchant), update, delete, secret roll, and the Stripe wire shape. The
 * secret is shown only by create and roll; their answers are never saved by the idempotency gate
 * (middleware/gate.ts), so a retry under the same Idempotency-Key finds the first run's effect (the
 * endpoint's `idempotency_key`, its `roll_key`) and opens the secret again instead.
 */
import type { Db } from "../db/client";
import * as q from "../db/webhook-endpoints";
import { type EnabledEvent, normalizeEnabledEvents } from "../domain/event-types";
import { ApiError, invalidParam } from "../errors";
import { API_VERSION } from "../events/render";
import { newId, noSuchMessage } from "../lib/ids";
import { type Metadata, mergeMetadata } from "../lib/params";
import { newWebhookSecret, openWebhookSecret, sealWebhookSecret } from "./secrets";
import { checkDeliveryUrl, type Resolver, refusalMessage, type UrlMode } from "./url-safety";

export type { WebhookEndpointRow } from "../db/webhook-endpoints";

/** Most endpoints one merchant may have. */
export const MAX_WEBHOOK_ENDPOINTS = 16;

/** How long, at most and by default, a rolled secret keeps signing next to the new one (24 h). */
export const MAX_PREVIOUS_SECRET_SECONDS = 24 * 60 * 60;

/** What the endpoint services run on. */
export interface WebhookDeps {
  env: Env;
  /** The merchant's shard. */
  db: Db;
  /** Unix seconds. */
  now: () => number;
  /** Resolves hostnames for the live-mode URL check. */
  resolve: Resolver;
  mode: UrlMode;
}

/** A new endpoint as the merchant describes it (validated). */
export interface NewEndpoint {
  url: string;
  enabledEvents: EnabledEvent[];
  description?: string;
  metadata?: Metadata;
  apiVersion?: string;
}

/** Changes to an endpoint (validated); absent fields stay as they are. */
export interface EndpointUpdate {
  url?: string;
  enabledEvents?: EnabledEvent[];
  description?: string;
  metadata?: Metadata;
  disabled?: boolean;
}

/** An endpoint and, on the answers that show it, its current secret. */
export interface EndpointWithSecret {
  row: q.WebhookEndpointRow;
  secret: string;
}

/** How a request reached the service: its Idempotency-Key, and whether it re-runs an answered request. */
export interface RequestKey {
  key: string | undefined;
  rerun: boolean;
}

function noSuchEndpoint(id: string): ApiError {
  return new ApiError("resource_missing", noSuchMessage("webhook endpoint", id, "we"));
}

/** The checked, normalized URL, or the 400 `url_invalid` naming `url`. */
async function checkedUrl(deps: WebhookDeps, url: string): Promise<string> {
  const check = await checkDeliveryUrl(url, deps.mode, deps.resolve);
  if (!check.ok) throw invalidParam("url_invalid", refusalMessage(check.reason, deps.mode), "url");
  return check.url;
}

function withSecret(deps: WebhookDeps, row: q.WebhookEndpointRow): Promise<EndpointWithSecret> {
  return openWebhookSecret(deps.env, row.merchantId, row.id, row.secretSealed).then((secret) => ({ row, secret }));
}

/**
 * Creates an endpoint with a new secret. Under an Idempotency-Key that already made one, returns
 * that one and its current secret; a re-run whose endpoint has since been deleted is a 404.
 */
export async function createEndpoint(
  deps: WebhookDeps,
  merchantId: string,
  input: NewEndpoint,
  request: RequestKey,
): Promise<EndpointWithSecret> {
  if (request.key !== undefined) {
    const existing = await q.endpointByIdempotencyKey(deps.db, merchantId, request.key);
    if (existing) return withSecret(deps, existing);
  }
  if (request.rerun) {
    throw new ApiError("resource_missing", "The webhook endpoint this request created has since been deleted.");
  }
  if (input.apiVersion !== undefined && input.apiVersion !== API_VERSION) {
    throw invalidParam("parameter_invalid", `Events are rendered in API version ${API_VERSION} only.`, "api_version");
  }
  const url = await checkedUrl(deps, input.url);
  const id = newId("we");
  const secret = newWebhookSecret();
  const result = await q.insertEndpoint(
    deps.db,
    {
      id,
      merchantId,
      url,
      description: input.description || null,
      enabledEvents: JSON.stringify(normalizeEnabledEvents(input.enabledEvents)),
      metadata: mergeMetadata("{}", input.metadata),
      status: "enabled",
      disabledReason: null,
      apiVersion: input.apiVersion ?? null,
      secretSealed: await sealWebhookSecret(deps.env, merchantId, id, secret),
      previousSecretSealed: null,
      previousSecretExpiresAt: null,
      failingSince: null,
      idempotencyKey: request.key ?? null,
      rollKey: null,
      created: deps.now(),
    },
    MAX_WEBHOOK_ENDPOINTS,
  );
  switch (result.outcome) {
    case "created":
      return { row: result.row, secret };
    case "exists":
      return withSecret(deps, result.row);
    case "limit":
      throw new ApiError(
        "resource_limit_exceeded",
        `You have reached the maximum of ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints. Delete one to add another.`,
        { noEffect: true },
      );
  }
}

/** The merchant's endpoint, or the 404. */
export async function loadEndpoint(deps: Pick<WebhookDeps, "db">, merchantId: string, id: string) {
  const row = await q.getEndpoint(deps.db, merchantId, id);
  if (!row) throw noSuchEndpoint(id);
  return row;
}

/**
 * Applies an update. `disabled: false` re-enables the endpoint and forgets why and since when it
 * was failing; `disabled: true` disables it (no reason: the merchant did). Metadata is merged.
 */
export async function updateEndpoint(deps: WebhookDeps, merchantId: string, id: string, update: EndpointUpdate) {
  const current = await loadEndpoint(deps, merchantId, id);
  const changes: q.EndpointChanges = {};
  if (update.url !== undefined) changes.url = await checkedUrl(deps, update.url);
  if (update.enabledEvents !== undefined) {
    changes.enabledEvents = JSON.stringify(normalizeEnabledEvents(update.enabledEvents));
  }
  if (update.description !== undefined) changes.description = update.description || null;
  if (update.metadata !== undefined) changes.metadata = mergeMetadata(current.metadata, update.metadata);
  if (update.disabled !== undefined) {
    changes.status = update.disabled ? "disabled" : "enabled";
    changes.disabledReason = null;
    if (!update.disabled) changes.failingSince = null;
  }
  const row = await q.updateEndpoint(deps.db, merchantId, id, changes);
  if (!row) throw noSuchEndpoint(id);
  return row;
}

/** Deletes the merchant's endpoint, or the 404. */
export async function deleteEndpoint(deps: Pick<WebhookDeps, "db">, merchantId: string, id: string): Promise<void> {
  if (!(await q.deleteEndpoint(deps.db, merchantId, id))) throw noSuchEndpoint(id);
}

/**
 * Rolls the endpoint's secret: a new one signs from now on, and the current one keeps signing for
 * `expiresIn` seconds (default and maximum 24 h; 0 drops it at once). A roll under the key of the
 * latest roll, or a re-run, rolls nothing and shows the current secret.
 */
export async function rollSecret(
  deps: WebhookDeps,
  merchantId: string,
  id: string,
  expiresIn: number | undefined,
  request: RequestKey,
): Promise<EndpointWithSecret> {
  if (request.rerun) return withSecret(deps, await loadEndpoint(deps, merchantId, id));
  const secret = newWebhookSecret();
  const keep = expiresIn ?? MAX_PREVIOUS_SECRET_SECONDS;
  const result = await q.rollEndpointSecret(deps.db, merchantId, id, {
    secretSealed: await sealWebhookSecret(deps.env, merchantId, id, secret),
    previousExpiresAt: keep === 0 ? null : deps.now() + keep,
    rollKey: request.key ?? null,
  });
  switch (result.outcome) {
    case "rolled":
      return { row: result.row, secret };
    case "already":
      return withSecret(deps, result.row);
    case "missing":
      throw noSuchEndpoint(id);
  }
}

/** The WebhookEndpoint object (Stripe's shape); `secret` only where the caller passes it (create, roll). */
export function webhookEndpointJson(row: q.WebhookEndpointRow, livemode: boolean, secret?: string) {
  return {
    id: row.id,
    object: "webhook_endpoint" as const,
    api_version: row.apiVersion,
    application: null,
    created: row.created,
    description: row.description,
    enabled_events: JSON.parse(row.enabledEvents) as string[],
    livemode,
    metadata: JSON.parse(row.metadata) as Metadata,
    ...(secret === undefined ? {} : { secret }),
    status: row.status,
    url: row.url,
  };
}
