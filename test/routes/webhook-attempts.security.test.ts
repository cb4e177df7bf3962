/**
 * Attempts and resend security: a token is required, the scopes are webhook_endpoints:read (list)
 * and webhook_endpoints:write (resend), and another merchant's endpoint or event answers exactly
 * like a missing one, in every combination.
 */
import { describe, expect, it } from "vitest";
import { eventsOf, payQuietly, receiverScope, storeEndpoint } from "../helpers/deliveries";
import { call } from "../helpers/http";
import { newMerchant, tokenFor } from "../helpers/merchants";
import { get, post } from "../helpers/payments";

async function merchantWithEventAndEndpoint() {
  const m = await newMerchant();
  expect((await payQuietly(m)).status).toBe(200);
  const [event] = await eventsOf(m.merchantId);
  const endpoint = await storeEndpoint(m.merchantId, receiverScope().url("ok"));
  return { m, eventId: event?.id as string, endpointId: endpoint.id };
}

/** An error answer without its request id, to compare two answers. */
function shape(res: { status: number; body: { error: Record<string, unknown> } }) {
  const { request_id: _r, message: _m, ...rest } = res.body.error;
  return { status: res.status, ...rest };
}

describe("authentication and scopes", () => {
  it("401 without a token", async () => {
    const { eventId, endpointId } = await merchantWithEventAndEndpoint();
    expect((await call(`/v1/webhook_endpoints/${endpointId}/attempts`)).status).toBe(401);
    expect((await call(`/v1/events/${eventId}/resend`, { method: "POST" })).status).toBe(401);
  });

  it("attempts need webhook_endpoints:read, resend webhook_endpoints:write", async () => {
    const { m, eventId, endpointId } = await merchantWithEventAndEndpoint();
    const read = await tokenFor(m, ["webhook_endpoints:read"]);
    const write = await tokenFor(m, ["webhook_endpoints:write"]);
    const events = await tokenFor(m, ["events:read", "payments:write"]);
    expect((await get(read, `/v1/webhook_endpoints/${endpointId}/attempts`)).status).toBe(200);
    for (const t of [write, events]) {
      const res = await get(t, `/v1/webhook_endpoints/${endpointId}/attempts`);
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({ code: "insufficient_scope", required_scope: "webhook_endpoints:read" });
    }
    for (const t of [read, events]) {
      const res = await post(t, `/v1/events/${eventId}/resend`);
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({ code: "insufficient_scope", required_scope: "webhook_endpoints:write" });
    }
    expect((await post(write, `/v1/events/${eventId}/resend`)).status).toBe(200);
  });
});

describe("tenant isolation", () => {
  it("another merchant's endpoint and event answer like missing ones", async () => {
    const a = await merchantWithEventAndEndpoint();
    const b = await merchantWithEventAndEndpoint();
    const missingEndpoint = "we_missing0000000000000000";
    const missingEvent = "evt_missing00000000000000000";

    const foreignList = await get(b.m, `/v1/webhook_endpoints/${a.endpointId}/attempts`);
    const missingList = await get(b.m, `/v1/webhook_endpoints/${missingEndpoint}/attempts`);
    expect(shape(foreignList)).toEqual(shape(missingList));
    expect(foreignList.status).toBe(404);

    // B resends A's event (to B's endpoint, or by default): 404 like a missing event.
    const foreignEvent = await post(b.m, `/v1/events/${a.eventId}/resend`, { webhook_endpoint: b.endpointId });
    const missing = await post(b.m, `/v1/events/${missingEvent}/resend`, { webhook_endpoint: b.endpointId });
    expect(shape(foreignEvent)).toEqual(shape(missing));
    expect(foreignEvent.status).toBe(404);
    expect((await post(b.m, `/v1/events/${a.eventId}/resend`)).status).toBe(404);

    // B resends its own event to A's endpoint: 404 like a missing endpoint.
    const foreignEndpoint = await post(b.m, `/v1/events/${b.eventId}/resend`, { webhook_endpoint: a.endpointId });
    const missingTarget = await post(b.m, `/v1/events/${b.eventId}/resend`, { webhook_endpoint: missingEndpoint });
    expect(shape(foreignEndpoint)).toEqual(shape(missingTarget));
    expect(foreignEndpoint.status).toBe(404);

    // A's event filter on B's endpoint finds nothing.
    const filtered = await get(b.m, `/v1/webhook_endpoints/${b.endpointId}/attempts?event=${a.eventId}`);
    expect(filtered.body.data).toEqual([]);
  });
});
