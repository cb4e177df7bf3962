/**
 * What acknowledges an event (`pending_webhooks`, `delivery_success`): only the first success of
 * each endpoint the dispatcher sent it to (`webhook_targets`). A resend to another endpoint, after
 * dispatch or before it, acknowledges nothing.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { dispatchMerchant } from "../../src/webhooks/dispatch";
import { attemptsOf, eventsOf, payQuietly, receiverScope, storeEndpoint, waitFor } from "../helpers/deliveries";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { get, post, recordedApp } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

/**
 * A merchant with undispatched events; endpoint A (answering 500) listens for everything, B
 * (answering 200) only for `charge.refunded`, so the dispatcher sends the payment's events to A alone.
 */
async function setup() {
  const m = await newMerchant();
  expect((await payQuietly(m)).status).toBe(200);
  const [event] = (await eventsOf(m.merchantId)).filter((e) => e.type === "payment_intent.created");
  if (!event) throw new Error("no payment_intent.created event");
  const rx = receiverScope();
  const a = await storeEndpoint(m.merchantId, rx.url("always-500"));
  const b = await storeEndpoint(m.merchantId, rx.url("ok"), ["charge.refunded"]);
  return { m, event, a, b, db: await dbOf(m.merchantId) };
}

/** Resends the event to the endpoint through the API (`recordedApp`: the request dispatches nothing itself) and waits for its success. */
async function resendAndWait(m: TestMerchant, eventId: string, endpointId: string) {
  const res = await post(m, `/v1/events/${eventId}/resend`, { webhook_endpoint: endpointId }, { app: recordedApp });
  expect(res.status).toBe(200);
  await waitFor(
    async () =>
      (await attemptsOf(m.merchantId, endpointId)).some((a) => a.outcome === "succeeded") ? true : undefined,
    10_000,
    "the resend's success",
  );
}

async function eventRow(merchantId: string, id: string) {
  const row = (await eventsOf(merchantId)).find((e) => e.id === id);
  if (!row) throw new Error(`no event ${id}`);
  return row;
}

/** Whether the event is listed under `delivery_success=true` and under `delivery_success=false`. */
async function listed(m: TestMerchant, id: string) {
  const ids = async (flag: boolean) =>
    ((await get(m, `/v1/events?limit=100&delivery_success=${flag}`)).body.data as { id: string }[]).map((e) => e.id);
  return { success: (await ids(true)).includes(id), failure: (await ids(false)).includes(id) };
}

describe("acknowledgements", () => {
  it("a resend to an endpoint the event was not dispatched to does not acknowledge it", async () => {
    const { m, event, a, b, db } = await setup();
    await dispatchMerchant(env, db, m.merchantId);
    const dispatched = await eventRow(m.merchantId, event.id);
    expect(dispatched).toMatchObject({ dispatched: 1, pendingWebhooks: 1 });
    expect(JSON.parse(dispatched.webhookTargets ?? "null")).toEqual([a.id]);

    await resendAndWait(m, event.id, b.id);
    expect((await eventRow(m.merchantId, event.id)).pendingWebhooks).toBe(1);
    expect(await listed(m, event.id)).toEqual({ success: false, failure: true });
  });

  it("a resend before dispatch does not lower the count the dispatcher sets", async () => {
    const { m, event, a, b, db } = await setup();
    await resendAndWait(m, event.id, b.id);
    expect((await eventRow(m.merchantId, event.id)).dispatched).toBe(0);
    await dispatchMerchant(env, db, m.merchantId);
    const dispatched = await eventRow(m.merchantId, event.id);
    expect(dispatched).toMatchObject({ dispatched: 1, pendingWebhooks: 1 });
    expect(JSON.parse(dispatched.webhookTargets ?? "null")).toEqual([a.id]);
    expect(await listed(m, event.id)).toEqual({ success: false, failure: true });
  });
});
