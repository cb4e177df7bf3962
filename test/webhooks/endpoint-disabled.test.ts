/**
 * When the gateway disables an endpoint (its dead letter after failing for the whole schedule, or a
 * 410) it says so: one `webhook_endpoint.disabled` event (an edgepay extension type), recorded in
 * the disable's batch, whose `data.object` is the endpoint as the API shows it, without its secret.
 * The event is dispatched at once to the merchant's other endpoints, never to the disabled one.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { webhookEndpoints } from "../../src/db/schema";
import { dispatchMerchant } from "../../src/webhooks/dispatch";
import type { DeliveryMessage } from "../../src/webhooks/messages";
import {
  endpointRow,
  eventsOf,
  handleOne,
  payQuietly,
  receiverScope,
  storeEndpoint,
  waitFor,
} from "../helpers/deliveries";
import { newMerchant } from "../helpers/merchants";
import { get } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

const fast = { timeoutMs: 10_000, random: () => 0 };

/**
 * A merchant whose payment events are already dispatched (to no endpoint), an endpoint A answering
 * with `script`, an endpoint B that listens for `webhook_endpoint.disabled`, and a message of one
 * payment event to A.
 */
async function setup(script: string) {
  const m = await newMerchant();
  expect((await payQuietly(m)).status).toBe(200);
  const db = await dbOf(m.merchantId);
  await dispatchMerchant(env, db, m.merchantId);
  const [event] = await eventsOf(m.merchantId);
  if (!event) throw new Error("no event");
  const rx = receiverScope();
  const a = await storeEndpoint(m.merchantId, rx.url(script));
  const b = await storeEndpoint(m.merchantId, rx.url("ok"), ["webhook_endpoint.disabled"]);
  const message: DeliveryMessage = {
    merchantId: m.merchantId,
    eventId: event.id,
    endpointId: a.id,
    queuedAt: Math.floor(Date.now() / 1000) - 100,
  };
  return { m, db, rx, a, b, message };
}

/** The merchant's `webhook_endpoint.disabled` events. */
async function disabledEvents(merchantId: string) {
  return (await eventsOf(merchantId)).filter((e) => e.type === "webhook_endpoint.disabled");
}

/** Checks the one disabled event of endpoint `a`: its snapshot, its API rendering, its dispatch to `b` alone. */
async function expectOneDisabledEvent(s: Awaited<ReturnType<typeof setup>>, script: string) {
  const [event, ...more] = await disabledEvents(s.m.merchantId);
  expect(more).toEqual([]);
  expect(event).toMatchObject({ objectType: "webhook_endpoint", objectId: s.a.id, requestId: null });
  const snapshot = JSON.parse(event?.snapshot ?? "{}") as Record<string, unknown>;
  expect(snapshot).toMatchObject({ id: s.a.id, status: "disabled" });
  expect(Object.keys(snapshot)).not.toContain("secretSealed");
  expect(Object.keys(snapshot)).not.toContain("previousSecretSealed");
  const sealed = (await endpointRow(s.m.merchantId, s.a.id))?.secretSealed ?? "";
  expect(event?.snapshot).not.toContain(sealed);
  expect(event?.snapshot).not.toContain(s.a.secret);

  const read = await get(s.m, `/v1/events/${event?.id}`);
  expect(read.status).toBe(200);
  expect(read.body).toMatchObject({
    type: "webhook_endpoint.disabled",
    data: { object: { id: s.a.id, object: "webhook_endpoint", status: "disabled" } },
  });
  expect(read.body.data.object).not.toHaveProperty("secret");

  // Dispatched by the consumer at once, to B only; B gets it, A never does.
  const row = (await disabledEvents(s.m.merchantId))[0];
  expect(row).toMatchObject({ dispatched: 1 });
  expect(JSON.parse(row?.webhookTargets ?? "null")).toEqual([s.b.id]);
  const got = await waitFor(
    async () => {
      const r = await s.rx.received("ok");
      return r.length > 0 ? r : undefined;
    },
    10_000,
    "the disabled event at B",
  );
  expect(got.map((r) => (JSON.parse(r.body) as { id: string }).id)).toEqual([event?.id]);
  expect(JSON.stringify(got)).not.toContain(s.a.secret);
  const atA = (await s.rx.received(script)).map((r) => (JSON.parse(r.body) as { type: string }).type);
  expect(atA).not.toContain("webhook_endpoint.disabled");
}

describe("webhook_endpoint.disabled", () => {
  it("a dead letter that disables the endpoint records one event, without the secret, sent to the other endpoints", async () => {
    const s = await setup("always-500");
    await s.db
      .update(webhookEndpoints)
      .set({ failingSince: s.message.queuedAt })
      .where(eq(webhookEndpoints.id, s.a.id));
    expect((await handleOne("edgepay-webhooks-dlq", { ...s.message, recorded: true }, 1)).acked).toBe(true);
    expect(await endpointRow(s.m.merchantId, s.a.id)).toMatchObject({ status: "disabled", disabledReason: "failing" });
    await expectOneDisabledEvent(s, "always-500");
    // A second dead letter for the endpoint disables nothing more, and says nothing more.
    expect((await handleOne("edgepay-webhooks-dlq", { ...s.message, recorded: true }, 1)).acked).toBe(true);
    expect(await disabledEvents(s.m.merchantId)).toHaveLength(1);
  });

  it("a 410 that disables the endpoint records one event, sent to the other endpoints", async () => {
    const s = await setup("gone");
    expect((await handleOne("edgepay-webhooks", s.message, 1, fast)).acked).toBe(true);
    expect(await endpointRow(s.m.merchantId, s.a.id)).toMatchObject({ status: "disabled", disabledReason: "gone" });
    await expectOneDisabledEvent(s, "gone");
  });

  it("an endpoint left enabled by its dead letter records no event", async () => {
    const s = await setup("always-500");
    // Never failing (failing_since null): the dead letter gives up the event only.
    expect((await handleOne("edgepay-webhooks-dlq", { ...s.message, recorded: true }, 1)).acked).toBe(true);
    expect((await endpointRow(s.m.merchantId, s.a.id))?.status).toBe("enabled");
    expect(await disabledEvents(s.m.merchantId)).toEqual([]);
  });
});
