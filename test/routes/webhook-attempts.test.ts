/**
 * `GET /v1/webhook_endpoints/{id}/attempts` and `POST /v1/events/{id}/resend`, happy paths: the
 * attempts a real delivery recorded, filtered and paged; a resend delivered again under the same
 * `webhook-id`, to every listening endpoint or to the one named.
 */
import { describe, expect, it } from "vitest";
import { CARDS } from "../helpers/cards";
import { attemptsOf, eventsOf, receiverScope, storeEndpoint, waitFor } from "../helpers/deliveries";
import { newMerchant } from "../helpers/merchants";
import { get, pay, post } from "../helpers/payments";

async function deliveredMerchant() {
  const m = await newMerchant();
  const rx = receiverScope();
  const endpoint = await storeEndpoint(m.merchantId, rx.url("ok"));
  expect((await pay(m, CARDS.visa.number)).status).toBe(200);
  const stored = await eventsOf(m.merchantId);
  await waitFor(async () =>
    (await attemptsOf(m.merchantId, endpoint.id)).length === stored.length ? true : undefined,
  );
  return { m, rx, endpoint, stored };
}

describe("GET /v1/webhook_endpoints/{id}/attempts", () => {
  it("lists the attempts newest first, filters by event, pages", async () => {
    const { m, endpoint, stored } = await deliveredMerchant();
    const all = await get(m, `/v1/webhook_endpoints/${endpoint.id}/attempts?limit=100`);
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({
      object: "list",
      url: `/v1/webhook_endpoints/${endpoint.id}/attempts`,
      has_more: false,
    });
    expect(all.body.data).toHaveLength(stored.length);
    expect(all.body.data[0]).toMatchObject({
      object: "webhook_attempt",
      webhook_endpoint: endpoint.id,
      attempt: 1,
      outcome: "succeeded",
      response_status: 200,
      response_body: "thanks",
      error: null,
      next_retry_at: null,
    });
    expect(all.body.data[0].id).toMatch(/^whatt_/);
    expect(typeof all.body.data[0].latency_ms).toBe("number");

    const one = stored[0]?.id as string;
    const filtered = await get(m, `/v1/webhook_endpoints/${endpoint.id}/attempts?event=${one}`);
    expect(filtered.body.data.map((a: { event: string }) => a.event)).toEqual([one]);

    const first = await get(m, `/v1/webhook_endpoints/${endpoint.id}/attempts?limit=1`);
    expect(first.body.has_more).toBe(stored.length > 1);
    const next = await get(
      m,
      `/v1/webhook_endpoints/${endpoint.id}/attempts?limit=100&starting_after=${first.body.data[0].id}`,
    );
    expect(next.body.data).toHaveLength(stored.length - 1);
  });
});

describe("POST /v1/events/{id}/resend", () => {
  it("delivers the event again to every listening endpoint, under the same webhook-id", async () => {
    const { m, rx, endpoint, stored } = await deliveredMerchant();
    const event = stored[0]?.id as string;
    const res = await post(m, `/v1/events/${event}/resend`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ object: "event_resend", event, webhook_endpoints: [endpoint.id] });
    const got = await waitFor(
      async () => {
        const r = (await rx.received()).filter((x) => x.headers["webhook-id"] === `msg_${event}_${endpoint.id}`);
        return r.length === 2 ? r : undefined;
      },
      10_000,
      "the resent delivery",
    );
    expect(JSON.parse(got[1]?.body ?? "{}").id).toBe(event);
    // The second success does not count twice: nothing pending, not below zero.
    const after = (await eventsOf(m.merchantId)).find((e) => e.id === event);
    expect(after?.pendingWebhooks).toBe(0);
  });

  it("delivers to the one endpoint named, even one not listening for the type", async () => {
    const { m, stored } = await deliveredMerchant();
    const rx = receiverScope();
    const other = await storeEndpoint(m.merchantId, rx.url("ok"), ["refund.created"]);
    const event = stored[0]?.id as string;
    const res = await post(m, `/v1/events/${event}/resend`, { webhook_endpoint: other.id });
    expect(res.status).toBe(200);
    expect(res.body.webhook_endpoints).toEqual([other.id]);
    await waitFor(async () => ((await rx.received()).length === 1 ? true : undefined));
  });
});
