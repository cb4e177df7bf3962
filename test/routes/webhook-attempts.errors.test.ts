/** Attempts and resend: the 400s and 404s. */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { webhookEndpoints } from "../../src/db/schema";
import { eventsOf, payQuietly, receiverScope, storeEndpoint } from "../helpers/deliveries";
import { newMerchant } from "../helpers/merchants";
import { get, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

describe("attempts", () => {
  it("404 for an unknown endpoint or cursor, 400 for bad parameters", async () => {
    const m = await newMerchant();
    const endpoint = await storeEndpoint(m.merchantId, receiverScope().url("ok"));
    const missing = await get(m, "/v1/webhook_endpoints/we_missing0000000000000000/attempts");
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: "resource_missing", param: "id" });
    const cursor = await get(m, `/v1/webhook_endpoints/${endpoint.id}/attempts?starting_after=whatt_nope`);
    expect(cursor.status).toBe(404);
    expect(cursor.body.error.param).toBe("starting_after");
    for (const q of ["limit=0", "limit=101", "limit=x", "color=red", "starting_after=a&ending_before=b"]) {
      const res = await get(m, `/v1/webhook_endpoints/${endpoint.id}/attempts?${q}`);
      expect(res.status, q).toBe(400);
    }
    const empty = await get(m, `/v1/webhook_endpoints/${endpoint.id}/attempts`);
    expect(empty.body).toMatchObject({ object: "list", data: [], has_more: false });
  });
});

describe("resend", () => {
  it("404 for an unknown event or endpoint; 400 when nothing listens, for a disabled endpoint, for unknown params", async () => {
    const m = await newMerchant();
    expect((await payQuietly(m)).status).toBe(200);
    const [event] = await eventsOf(m.merchantId);
    const id = event?.id as string;

    const unknown = await post(m, "/v1/events/evt_missing00000000000000000/resend");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("resource_missing");

    const none = await post(m, `/v1/events/${id}/resend`);
    expect(none.status).toBe(400);
    expect(none.body.error).toMatchObject({ code: "parameter_invalid", param: "webhook_endpoint" });

    const noEndpoint = await post(m, `/v1/events/${id}/resend`, { webhook_endpoint: "we_missing0000000000000000" });
    expect(noEndpoint.status).toBe(404);
    expect(noEndpoint.body.error.param).toBe("webhook_endpoint");

    const endpoint = await storeEndpoint(m.merchantId, receiverScope().url("ok"));
    await (await dbOf(m.merchantId))
      .update(webhookEndpoints)
      .set({ status: "disabled" })
      .where(eq(webhookEndpoints.id, endpoint.id));
    const disabled = await post(m, `/v1/events/${id}/resend`, { webhook_endpoint: endpoint.id });
    expect(disabled.status).toBe(400);
    expect(disabled.body.error.param).toBe("webhook_endpoint");
    // A disabled endpoint does not listen: the default finds none.
    expect((await post(m, `/v1/events/${id}/resend`)).status).toBe(400);

    const extra = await post(m, `/v1/events/${id}/resend`, { color: "red" });
    expect(extra.status).toBe(400);
    expect(extra.body.error.code).toBe("parameter_unknown");
  });
});
