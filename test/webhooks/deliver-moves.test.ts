/**
 * The queue consumers and merchant moves (src/db/consumer-route.ts): while a merchant is being
 * moved between shards nothing is delivered or written for it, on either shard, and the message
 * comes back later; after the move it is delivered and recorded on the new shard. The route is
 * cached per isolate: a second batch for the same merchant reads nothing from the control database.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { forgetConsumerRoute } from "../../src/db/consumer-route";
import { webhookAttempts } from "../../src/db/schema";
import { moveMerchant } from "../../src/moves/move-merchant";
import { deliver, type MessageAction, MOVE_RETRY_SECONDS } from "../../src/webhooks/deliver";
import type { DeliveryMessage } from "../../src/webhooks/messages";
import { countingDb, type RoundTrip } from "../helpers/d1-count";
import { eventsOf, handleOne, payQuietly, receiverScope, storeEndpoint } from "../helpers/deliveries";
import { newMerchant } from "../helpers/merchants";
import { shard, shardIndexOf } from "../helpers/shards";

const QUEUE = "edgepay-webhooks";
const DLQ = "edgepay-webhooks-dlq";
const fast = { timeoutMs: 10_000, random: () => 0 };
const moveTiming = { drainMs: 0, settleMs: 0, freezeMs: 30_000, switchMarginMs: 0 };

/** A merchant with one stored, undispatched event and an endpoint on the receiver; the message delivering it. */
async function setup() {
  const m = await newMerchant();
  expect((await payQuietly(m)).status).toBe(200);
  const [event] = await eventsOf(m.merchantId);
  if (!event) throw new Error("no event");
  const rx = receiverScope();
  const endpoint = await storeEndpoint(m.merchantId, rx.url("ok"));
  const message: DeliveryMessage = {
    merchantId: m.merchantId,
    eventId: event.id,
    endpointId: endpoint.id,
    queuedAt: Math.floor(Date.now() / 1000),
  };
  return { m, rx, endpoint, message };
}

async function attemptsOn(index: number, merchantId: string) {
  return shard(index).select().from(webhookAttempts).where(eq(webhookAttempts.merchantId, merchantId)).all();
}

describe("deliveries of a merchant being moved", () => {
  it("are retried later with nothing sent or written, and land on the new shard after the move", async () => {
    const { m, rx, endpoint, message } = await setup();
    const from = await shardIndexOf(m.merchantId);
    const to = 1 - from;
    const during: {
      action?: MessageAction;
      delivery?: Awaited<ReturnType<typeof handleOne>>;
      dead?: Awaited<ReturnType<typeof handleOne>>;
    } = {};
    const moved = await moveMerchant(env, m.merchantId, to, {
      timing: moveTiming,
      afterStep: async (step) => {
        if (step !== "frozen") return;
        during.action = await deliver(env, message, 1, fast);
        during.delivery = await handleOne(QUEUE, message, 1, fast);
        during.dead = await handleOne(DLQ, { ...message, recorded: false }, 1);
      },
    });
    expect(moved.ok).toBe(true);
    expect(during.action).toEqual({ kind: "retry", delaySeconds: MOVE_RETRY_SECONDS });
    expect(during.delivery).toMatchObject({ acked: false, retried: { msgId: "msg-1" } });
    expect(during.dead).toMatchObject({ acked: false, retried: { msgId: "msg-1" } });
    expect(await rx.received()).toEqual([]);
    expect(await attemptsOn(from, m.merchantId)).toEqual([]);
    expect(await attemptsOn(to, m.merchantId)).toEqual([]);

    // The move forgot this isolate's route: the retried message is delivered at once, on the new shard.
    const after = await handleOne(QUEUE, message, 2, fast);
    expect(after.acked).toBe(true);
    expect(await rx.received()).toHaveLength(1);
    const recorded = await attemptsOn(to, m.merchantId);
    expect(recorded.map((a) => [a.endpointId, a.outcome])).toEqual([[endpoint.id, "succeeded"]]);
    expect(await attemptsOn(from, m.merchantId)).toEqual([]);
  });
});

describe("the consumer's route cache", () => {
  it("reads the control database once per merchant per batch on a miss, and not at all while cached", async () => {
    const { m, message } = await setup();
    forgetConsumerRoute(m.merchantId);
    const log: RoundTrip[] = [];
    const counted = { ...env, DB: countingDb(log, env.DB) } as Env;
    expect((await handleOne(QUEUE, message, 1, fast, counted)).acked).toBe(true);
    expect(log).toHaveLength(1);
    expect(log[0]?.sql.join(" ")).toContain("merchant_moves");
    expect((await handleOne(QUEUE, message, 2, fast, counted)).acked).toBe(true);
    expect(log).toHaveLength(1);
  });
});
