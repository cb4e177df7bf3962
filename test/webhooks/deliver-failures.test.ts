/**
 * Webhook delivery failures against the real receiver: retries on the real queue with the test
 * schedule (one stable `webhook-id`), 410, redirects, timeouts, Retry-After, oversized answers,
 * the dead-letter queue and auto-disable, a crash that must not lose the message. Messages past
 * their first attempt are driven through the queue handler (`createMessageBatch`) with the
 * attempt number they would have, instead of waiting for the schedule.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { events, webhookEndpoints } from "../../src/db/schema";
import { MAX_DELAY_SECONDS, TEST_SCHEDULE } from "../../src/domain/webhook-retry";
import { deliver } from "../../src/webhooks/deliver";
import type { DeliveryMessage } from "../../src/webhooks/messages";
import { CARDS } from "../helpers/cards";
import {
  attemptsOf,
  endpointRow,
  eventsOf,
  handleOne,
  payQuietly,
  receiverScope,
  storeEndpoint,
  waitFor,
} from "../helpers/deliveries";
import { newMerchant } from "../helpers/merchants";
import { pay, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

const QUEUE = "edgepay-webhooks";
const fast = { timeoutMs: 10_000, random: () => 0 };

/** A merchant with one paid intent whose events are stored but not dispatched, and an endpoint at `script`. */
async function setup(script: string) {
  const m = await newMerchant();
  // recordedApp answers through app.request (no execution context): nothing is dispatched.
  expect((await payQuietly(m)).status).toBe(200);
  const [event] = await eventsOf(m.merchantId);
  if (!event) throw new Error("no event");
  const rx = receiverScope();
  const endpoint = await storeEndpoint(m.merchantId, rx.url(script));
  const message: DeliveryMessage = {
    merchantId: m.merchantId,
    eventId: event.id,
    endpointId: endpoint.id,
    queuedAt: Math.floor(Date.now() / 1000),
  };
  return { m, rx, endpoint, event, message };
}

describe("retries on the real queue", () => {
  it("a receiver failing twice then succeeding gets the same webhook-id three times", async () => {
    const m = await newMerchant();
    const rx = receiverScope();
    const endpoint = await storeEndpoint(m.merchantId, rx.url("fail-2"), ["payment_intent.succeeded"]);
    expect((await pay(m, CARDS.visa.number)).status).toBe(200);
    const got = await waitFor(
      async () => {
        const r = await rx.received();
        return r.length >= 3 ? r : undefined;
      },
      15_000,
      "three deliveries",
    );
    expect(got).toHaveLength(3);
    const ids = new Set(got.map((r) => r.headers["webhook-id"]));
    expect(ids.size).toBe(1);
    // Each attempt has its own timestamp and signature; the schedule spaced them (1 s, then 5 s).
    expect((got[1]?.at ?? 0) - (got[0]?.at ?? 0)).toBeGreaterThanOrEqual(900);
    expect((got[2]?.at ?? 0) - (got[1]?.at ?? 0)).toBeGreaterThanOrEqual(4_500);
    const attempts = await waitFor(async () => {
      const a = await attemptsOf(m.merchantId, endpoint.id);
      return a.length === 3 ? a : undefined;
    });
    expect(attempts.map((a) => [a.attempt, a.outcome, a.responseStatus])).toEqual([
      [1, "failed", 500],
      [2, "failed", 500],
      [3, "succeeded", 200],
    ]);
    expect(attempts[0]?.nextRetryAt).not.toBeNull();
    const row = await endpointRow(m.merchantId, endpoint.id);
    expect(row?.failingSince).toBeNull();
    expect(row?.status).toBe("enabled");
    const [event] = (await eventsOf(m.merchantId)).filter((e) => e.type === "payment_intent.succeeded");
    expect(event?.pendingWebhooks).toBe(0);
  }, 30_000);
});

describe("one attempt", () => {
  it("410 disables the endpoint (reason gone) and acks", async () => {
    const { m, rx, endpoint, message } = await setup("gone");
    expect(await handleOne(QUEUE, message, 1, fast)).toEqual({ acked: true, retried: undefined });
    expect(await rx.received()).toHaveLength(1);
    const row = await endpointRow(m.merchantId, endpoint.id);
    expect(row).toMatchObject({ status: "disabled", disabledReason: "gone" });
    const [attempt] = await attemptsOf(m.merchantId, endpoint.id);
    expect(attempt).toMatchObject({ outcome: "gone", responseStatus: 410 });
    // A later message to the disabled endpoint is acked without a request and without a record.
    expect(await handleOne(QUEUE, message, 2, fast)).toEqual({ acked: true, retried: undefined });
    expect(await rx.received()).toHaveLength(1);
    expect(await attemptsOf(m.merchantId, endpoint.id)).toHaveLength(1);
  });

  it("does not follow a redirect: a 3xx is a failure, retried", async () => {
    const { m, rx, endpoint, message } = await setup("redirect");
    expect(await handleOne(QUEUE, message, 1, fast)).toMatchObject({ acked: false, retried: { msgId: "msg-1" } });
    const seen = await rx.received();
    expect(seen.map((s) => s.path.split("/").pop())).toEqual(["redirect"]);
    const [attempt] = await attemptsOf(m.merchantId, endpoint.id);
    expect(attempt).toMatchObject({ outcome: "failed", responseStatus: 302, error: "redirect" });
    expect((attempt?.nextRetryAt ?? 0) - (attempt?.created ?? 0)).toBe(TEST_SCHEDULE[0]);
    expect((await endpointRow(m.merchantId, endpoint.id))?.failingSince).not.toBeNull();
  });

  it("records a timeout (no status) and retries", async () => {
    const { m, endpoint, message } = await setup("slow-3000");
    const action = await deliver(env, message, 2, { timeoutMs: 300, random: () => 0 });
    expect(action).toEqual({ kind: "retry", delaySeconds: TEST_SCHEDULE[1] });
    const [attempt] = await attemptsOf(m.merchantId, endpoint.id);
    expect(attempt).toMatchObject({ attempt: 2, outcome: "failed", responseStatus: null, error: "timeout" });
    expect(attempt?.latencyMs).toBeGreaterThanOrEqual(250);
    expect(attempt?.latencyMs).toBeLessThan(3000);
  });

  it("honours Retry-After when longer than the schedule, caps it at 12 h, never shortens the schedule", async () => {
    const { message, m, endpoint } = await setup("retry-after-120");
    expect(await deliver(env, message, 1, fast)).toEqual({ kind: "retry", delaySeconds: 120 });
    const [attempt] = await attemptsOf(m.merchantId, endpoint.id);
    expect((attempt?.nextRetryAt ?? 0) - (attempt?.created ?? 0)).toBe(120);

    const long = await setup(`retry-after-${10 * MAX_DELAY_SECONDS}`);
    expect(await deliver(env, long.message, 1, fast)).toEqual({ kind: "retry", delaySeconds: MAX_DELAY_SECONDS });

    const short = await setup("retry-after-0");
    expect(await deliver(env, short.message, 3, fast)).toEqual({ kind: "retry", delaySeconds: TEST_SCHEDULE[2] });
  });

  it("keeps the first 1,000 characters of a response body", async () => {
    const { m, endpoint, message } = await setup("big");
    await handleOne(QUEUE, message, 1, fast);
    const [attempt] = await attemptsOf(m.merchantId, endpoint.id);
    expect(attempt?.responseBody).toBe("x".repeat(1000));
  });

  it("a crash while handling retries the message and records nothing", async () => {
    const { m, rx, endpoint, message } = await setup("ok");
    const db = await dbOf(m.merchantId);
    await db.update(events).set({ snapshot: "{not json" }).where(eq(events.id, message.eventId));
    const r = await handleOne(QUEUE, message, 1, fast);
    expect(r.acked).toBe(false);
    expect(r.retried).toBeDefined();
    expect(await rx.received()).toHaveLength(0);
    expect(await attemptsOf(m.merchantId, endpoint.id)).toHaveLength(0);
  });
});

describe("dead letters", () => {
  it("after the last scheduled attempt: dead, sent to the DLQ, endpoint disabled (failing)", async () => {
    const { m, rx, endpoint, message } = await setup("always-500");
    const last = TEST_SCHEDULE.length + 1;
    expect(await handleOne(QUEUE, message, last, fast)).toEqual({ acked: true, retried: undefined });
    expect(await rx.received()).toHaveLength(1);
    // The real dead-letter queue's consumer disables the endpoint.
    const row = await waitFor(
      async () => {
        const r = await endpointRow(m.merchantId, endpoint.id);
        return r?.status === "disabled" ? r : undefined;
      },
      10_000,
      "endpoint disabled by the DLQ consumer",
    );
    expect(row.disabledReason).toBe("failing");
    const attempts = await attemptsOf(m.merchantId, endpoint.id);
    expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([[last, "dead"]]);
  });

  it("leaves an endpoint enabled when a delivery to it succeeded since the message was queued", async () => {
    const { m, endpoint, message } = await setup("ok");
    const queuedAt = Math.floor(Date.now() / 1000) - 100;
    // A success after the dead message was first queued...
    await handleOne(QUEUE, message, 1, fast);
    const db = await dbOf(m.merchantId);
    await db
      .update(webhookEndpoints)
      .set({ failingSince: queuedAt + 50 })
      .where(eq(webhookEndpoints.id, endpoint.id));
    // ...so its dead letter gives up the event only.
    const r = await handleOne("edgepay-webhooks-dlq", { ...message, queuedAt, recorded: true }, 1);
    expect(r.acked).toBe(true);
    expect((await endpointRow(m.merchantId, endpoint.id))?.status).toBe("enabled");
    // Without that success it is disabled.
    const other = await setup("always-500");
    const odb = await dbOf(other.m.merchantId);
    await odb
      .update(webhookEndpoints)
      .set({ failingSince: queuedAt })
      .where(eq(webhookEndpoints.id, other.endpoint.id));
    await handleOne("edgepay-webhooks-dlq", { ...other.message, queuedAt, recorded: true }, 1);
    expect(await endpointRow(other.m.merchantId, other.endpoint.id)).toMatchObject({
      status: "disabled",
      disabledReason: "failing",
    });
  });

  it("a message Queues dead-lettered after consumer crashes is recorded, and the endpoint left alone", async () => {
    const { m, endpoint, message } = await setup("ok");
    const r = await handleOne("edgepay-webhooks-dlq", message, 1);
    expect(r.acked).toBe(true);
    const attempts = await attemptsOf(m.merchantId, endpoint.id);
    expect(attempts.map((a) => [a.outcome, a.error])).toEqual([["dead", "consumer_failed"]]);
    expect((await endpointRow(m.merchantId, endpoint.id))?.status).toBe("enabled");
  });
});

describe("what a delivery carries", () => {
  it("never a card number or CVC, in any event of payments, refunds and payment methods", async () => {
    const m = await newMerchant();
    const rx = receiverScope();
    await storeEndpoint(m.merchantId, rx.url("ok"));
    const cards = [CARDS.visa, CARDS.amex, CARDS.mastercard];
    for (const card of cards) {
      const paid = await pay(m, card.number);
      expect(paid.status).toBe(200);
      expect((await post(m, "/v1/refunds", { payment_intent: paid.body.id, amount: 100 })).status).toBe(200);
    }
    const stored = await eventsOf(m.merchantId);
    const got = await waitFor(
      async () => {
        const r = await rx.received();
        return r.length >= stored.length ? r : undefined;
      },
      10_000,
      "deliveries",
    );
    expect(got.length).toBe(stored.length);
    const values = (v: unknown): string[] =>
      typeof v === "string" || typeof v === "number"
        ? [String(v)]
        : v && typeof v === "object"
          ? Object.values(v).flatMap(values)
          : [];
    for (const req of got) {
      for (const card of cards) {
        expect(req.body).not.toContain(card.number);
        expect(req.body).not.toContain(card.number.slice(0, 12));
        expect(values(JSON.parse(req.body))).not.toContain(card.cvc);
      }
      expect(req.body).not.toMatch(/"cvc"\s*:/);
    }
  });

  it("signs with the previous secret too during a roll", async () => {
    const { m, rx, endpoint, message } = await setup("ok");
    const { sealWebhookSecret, newWebhookSecret } = await import("../../src/webhooks/secrets");
    const previous = newWebhookSecret();
    const db = await dbOf(m.merchantId);
    await db
      .update(webhookEndpoints)
      .set({
        previousSecretSealed: await sealWebhookSecret(env, m.merchantId, endpoint.id, previous),
        previousSecretExpiresAt: Math.floor(Date.now() / 1000) + 3600,
      })
      .where(eq(webhookEndpoints.id, endpoint.id));
    await handleOne(QUEUE, message, 1, fast);
    const [req] = await rx.received();
    const Stripe = (await import("stripe")).default;
    const { Webhook } = await import("standardwebhooks");
    const stripe = new Stripe("sk_test_unused");
    for (const s of [endpoint.secret, previous]) {
      await expect(
        stripe.webhooks.constructEventAsync(req?.body ?? "", req?.headers["stripe-signature"] ?? "", s),
      ).resolves.toBeTruthy();
      expect(() => new Webhook(s).verify(req?.body ?? "", req?.headers ?? {})).not.toThrow();
    }
  });
});
