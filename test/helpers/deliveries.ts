/**
 * Webhook test helpers: URLs on the real receiver (test/receiver/server.ts) under a prefix of the
 * test's own, the requests it saw, endpoints stored for a merchant (sealed secret, as the API
 * stores them), waiting for deliveries, and reading attempts and events back.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, asc, eq } from "drizzle-orm";
import { inject } from "vitest";
import { events, webhookAttempts, webhookEndpoints } from "../../src/db/schema";
import { insertEndpoint } from "../../src/db/webhook-endpoints";
import { newId } from "../../src/lib/ids";
import type { DeliverOptions } from "../../src/webhooks/deliver";
import { handleQueue } from "../../src/webhooks/queue";
import { newWebhookSecret, sealWebhookSecret } from "../../src/webhooks/secrets";
import type { TestMerchant } from "./merchants";
import { post, recordedApp } from "./payments";
import { dbOf } from "./shards";

/** One request the receiver saw (test/receiver/server.ts `Received`). */
export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/** The receiver's base URL. */
export function receiverBase(): string {
  return `http://127.0.0.1:${inject("receiverPort")}`;
}

/** A fresh path prefix on the receiver and the URL of a script under it. */
export function receiverScope() {
  const prefix = `/r/${crypto.randomUUID()}`;
  return {
    prefix,
    url: (script: string) => `${receiverBase()}${prefix}/${script}`,
    /** Every request the receiver saw under this prefix (or under `prefix/<script>`). */
    received: async (script?: string): Promise<Received[]> => {
      const at = script === undefined ? `${prefix}/` : `${prefix}/${script}`;
      const res = await fetch(`${receiverBase()}/_requests?prefix=${encodeURIComponent(at)}`);
      return (await res.json()) as Received[];
    },
  };
}

/** Stores an enabled endpoint for the merchant (as the API would), returning its id and secret. */
export async function storeEndpoint(
  merchantId: string,
  url: string,
  enabledEvents: readonly string[] = ["*"],
): Promise<{ id: string; secret: string }> {
  const id = newId("we");
  const secret = newWebhookSecret();
  const db = await dbOf(merchantId);
  const result = await insertEndpoint(
    db,
    {
      id,
      merchantId,
      url,
      description: null,
      enabledEvents: JSON.stringify(enabledEvents),
      metadata: "{}",
      status: "enabled",
      disabledReason: null,
      apiVersion: null,
      secretSealed: await sealWebhookSecret(env, merchantId, id, secret),
      previousSecretSealed: null,
      previousSecretExpiresAt: null,
      failingSince: null,
      idempotencyKey: null,
      rollKey: null,
      created: Math.floor(Date.now() / 1000),
    },
    100,
  );
  if (result.outcome !== "created") throw new Error(`endpoint not stored: ${result.outcome}`);
  return { id, secret };
}

/** The stored endpoint row. */
export async function endpointRow(merchantId: string, id: string) {
  const db = await dbOf(merchantId);
  return db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)).get();
}

/** Every attempt to the endpoint, oldest first (by attempt number). */
export async function attemptsOf(merchantId: string, endpointId: string) {
  const db = await dbOf(merchantId);
  return db
    .select()
    .from(webhookAttempts)
    .where(and(eq(webhookAttempts.merchantId, merchantId), eq(webhookAttempts.endpointId, endpointId)))
    .orderBy(asc(webhookAttempts.created), asc(webhookAttempts.attempt))
    .all();
}

/** The merchant's events, oldest first. */
export async function eventsOf(merchantId: string) {
  const db = await dbOf(merchantId);
  return db.select().from(events).where(eq(events.merchantId, merchantId)).orderBy(asc(events.created)).all();
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs the queue handler (on `queueEnv`) on one message built by `createMessageBatch` and returns what it did with it. */
export async function handleOne(
  queue: string,
  body: unknown,
  attempts: number,
  options?: DeliverOptions,
  queueEnv: Env = env,
) {
  const batch = createMessageBatch(queue, [{ id: "msg-1", timestamp: new Date(), attempts, body }]);
  const ctx = createExecutionContext();
  await handleQueue(batch, queueEnv, options);
  const result = await getQueueResult(batch, ctx);
  return {
    acked: result.explicitAcks.includes("msg-1"),
    retried: result.retryMessages.find((r) => r.msgId === "msg-1"),
  };
}

/**
 * Pays 10.00 with a visa test card through `recordedApp` (app.request: no execution context, so
 * the request's own dispatch does not run): the events are stored and left undispatched.
 */
export async function payQuietly(m: Pick<TestMerchant, "headers">) {
  const app = { app: recordedApp };
  const pm = await post(
    m,
    "/v1/payment_methods",
    {
      type: "card",
      "card[number]": "4242424242424242",
      "card[exp_month]": "12",
      "card[exp_year]": "2040",
      "card[cvc]": "123",
    },
    app,
  );
  if (pm.status !== 200) throw new Error(`payment method: ${pm.status}`);
  const paid = await post(
    m,
    "/v1/payment_intents",
    { amount: 1000, currency: "usd", payment_method: pm.body.id, confirm: "true" },
    app,
  );
  return { status: paid.status, body: paid.body };
}
