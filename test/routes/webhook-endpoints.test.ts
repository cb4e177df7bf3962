/** `/v1/webhook_endpoints`: create, retrieve, update, list, delete, roll_secret; validation, the quota and URL rules. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getEndpoint } from "../../src/db/webhook-endpoints";
import { MAX_WEBHOOK_ENDPOINTS } from "../../src/webhooks/endpoints";
import { openWebhookSecret } from "../../src/webhooks/secrets";
import { call } from "../helpers/http";
import { newMerchant } from "../helpers/merchants";
import { get, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";
import { liveApp, newEndpoint, tableResolver } from "../helpers/webhooks";

describe("POST /v1/webhook_endpoints", () => {
  it("creates an endpoint in Stripe's shape, with a secret shown only in this answer", async () => {
    const m = await newMerchant();
    const res = await post(m, "/v1/webhook_endpoints", {
      url: "https://hooks.example.com/edgepay",
      "enabled_events[0]": "payment_intent.succeeded",
      "enabled_events[1]": "refund.created",
      "enabled_events[2]": "payment_intent.succeeded",
      description: "Orders",
      "metadata[team]": "billing",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body).toEqual({
      id: expect.stringMatching(/^we_/),
      object: "webhook_endpoint",
      api_version: null,
      application: null,
      created: expect.any(Number),
      description: "Orders",
      enabled_events: ["payment_intent.succeeded", "refund.created"],
      livemode: false,
      metadata: { team: "billing" },
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
      status: "enabled",
      url: "https://hooks.example.com/edgepay",
    });
    const { secret, ...shown } = res.body;
    const again = await get(m, `/v1/webhook_endpoints/${res.body.id}`);
    expect(again).toEqual({ status: 200, body: shown });
    // Stored sealed, and it opens to the secret the answer showed.
    const row = await getEndpoint(await dbOf(m.merchantId), m.merchantId, res.body.id);
    expect(row?.secretSealed).not.toContain(secret.slice(6));
    expect(await openWebhookSecret(env, m.merchantId, res.body.id, row?.secretSealed as string)).toBe(secret);
  });

  it("takes JSON too, stores * alone, and accepts the one api_version events are rendered in", async () => {
    const m = await newMerchant();
    const res = await call("/v1/webhook_endpoints", {
      method: "POST",
      headers: { ...m.headers, "content-type": "application/json" },
      body: JSON.stringify({
        url: "http://localhost:4242/hook",
        enabled_events: ["refund.created", "*"],
        api_version: "2026-10-28.endive",
      }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(200);
    expect(body).toMatchObject({
      enabled_events: ["*"],
      api_version: "2026-10-28.endive",
      url: "http://localhost:4242/hook",
    });
  });

  it("refuses missing or unknown event types, bad URLs and other api versions, naming the param", async () => {
    const m = await newMerchant();
    const base = { url: "https://hooks.example.com/x", "enabled_events[0]": "*" };
    for (const [fields, code, param] of [
      [{ url: base.url }, "parameter_missing", "enabled_events"],
      [{ "enabled_events[0]": "*" }, "parameter_missing", "url"],
      [{ ...base, "enabled_events[1]": "charge.updated" }, "parameter_invalid", "enabled_events[1]"],
      [{ ...base, "enabled_events[0]": "payment_intent.*" }, "parameter_invalid", "enabled_events[0]"],
      [{ ...base, url: "not a url" }, "url_invalid", "url"],
      [{ ...base, url: "ftp://hooks.example.com/" }, "url_invalid", "url"],
      [{ ...base, url: "https://user:pw@hooks.example.com/" }, "url_invalid", "url"],
      [{ ...base, url: "http://10.0.0.1/" }, "url_invalid", "url"],
      [{ ...base, url: "http://169.254.169.254/latest/meta-data" }, "url_invalid", "url"],
      [{ ...base, url: "http://printer.local/" }, "url_invalid", "url"],
      [{ ...base, api_version: "2020-08-27" }, "parameter_invalid", "api_version"],
      [{ ...base, secret: "whsec_mine" }, "parameter_unknown", "secret"],
    ] as const) {
      const r = await post(m, "/v1/webhook_endpoints", fields);
      expect([r.status, r.body.error.code, r.body.error.param], JSON.stringify(fields)).toEqual([400, code, param]);
      expect(JSON.stringify(r.body)).not.toContain("whsec_");
    }
    expect((await get(m, "/v1/webhook_endpoints")).body.data).toEqual([]);
  });

  it(`allows ${MAX_WEBHOOK_ENDPOINTS} endpoints a merchant, then a clear 400 until one is deleted`, async () => {
    const m = await newMerchant({ rateLimit: 200 });
    const ids: string[] = [];
    for (let i = 0; i < MAX_WEBHOOK_ENDPOINTS; i++) ids.push((await newEndpoint(m)).id);
    const over = await post(m, "/v1/webhook_endpoints", { url: "https://x.example.com/", "enabled_events[0]": "*" });
    expect([over.status, over.body.error.code]).toEqual([400, "resource_limit_exceeded"]);
    expect(over.body.error.message).toContain(String(MAX_WEBHOOK_ENDPOINTS));
    // Another merchant is not affected, and a deletion makes room.
    await newEndpoint(await newMerchant());
    expect((await call(`/v1/webhook_endpoints/${ids[0]}`, { method: "DELETE", headers: m.headers })).status).toBe(200);
    await newEndpoint(m);
  });
});

describe("live mode URL rules", () => {
  const app = liveApp(
    tableResolver({
      "hooks.example.com": ["93.184.216.34"],
      "rebind.example.com": ["93.184.216.34", "10.0.0.7"],
      "v6.example.com": ["::1"],
    }),
  );

  it("needs https, and a hostname whose every address is public", async () => {
    const m = await newMerchant();
    const ok = await post(
      m,
      "/v1/webhook_endpoints",
      { url: "https://hooks.example.com/h", "enabled_events[0]": "*" },
      { app },
    );
    expect([ok.status, ok.body.livemode]).toEqual([200, true]);
    for (const url of [
      "http://hooks.example.com/h",
      "https://rebind.example.com/h",
      "https://v6.example.com/h",
      "https://unknown.example.com/h",
      "https://localhost/h",
      "https://127.0.0.1/h",
      "https://[::1]/h",
      "https://0x7f.1/h",
      "https://2130706433/h",
      "https://[::ffff:127.0.0.1]/h",
      "https://[fd00::1]/h",
      "https://100.64.1.1/h",
      "https://svc.internal/h",
    ]) {
      const r = await post(m, "/v1/webhook_endpoints", { url, "enabled_events[0]": "*" }, { app });
      expect([r.status, r.body.error?.code, r.body.error?.param], url).toEqual([400, "url_invalid", "url"]);
      expect(r.body.error.message).not.toContain(url);
    }
    // An update is checked the same way.
    const up = await post(m, `/v1/webhook_endpoints/${ok.body.id}`, { url: "https://rebind.example.com/" }, { app });
    expect([up.status, up.body.error.code]).toEqual([400, "url_invalid"]);
  });
});

describe("POST /v1/webhook_endpoints/{id}", () => {
  it("updates url, enabled_events, description and metadata (merged), and disables and re-enables", async () => {
    const m = await newMerchant();
    const we = await newEndpoint(m, { "metadata[a]": "1", "metadata[b]": "2", description: "old" });
    const res = await post(m, `/v1/webhook_endpoints/${we.id}`, {
      url: "https://new.example.com/h",
      "enabled_events[0]": "charge.refunded",
      description: "",
      "metadata[a]": "",
      "metadata[c]": "3",
      disabled: "true",
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      url: "https://new.example.com/h",
      enabled_events: ["charge.refunded"],
      description: null,
      metadata: { b: "2", c: "3" },
      status: "disabled",
    });
    expect(res.body.secret).toBeUndefined();
    const on = await post(m, `/v1/webhook_endpoints/${we.id}`, { disabled: "false" });
    expect(on.body.status).toBe("enabled");
    // An empty update changes nothing.
    expect((await post(m, `/v1/webhook_endpoints/${we.id}`, {})).body).toEqual(on.body);
  });

  it("refuses bad values and unknown ids", async () => {
    const m = await newMerchant();
    const we = await newEndpoint(m);
    for (const [fields, code, param] of [
      [{ "enabled_events[0]": "nope" }, "parameter_invalid", "enabled_events[0]"],
      [{ url: "http://192.168.0.1/" }, "url_invalid", "url"],
      [{ disabled: "maybe" }, "parameter_invalid", "disabled"],
      [{ status: "disabled" }, "parameter_unknown", "status"],
    ] as const) {
      const r = await post(m, `/v1/webhook_endpoints/${we.id}`, fields);
      expect([r.status, r.body.error.code, r.body.error.param]).toEqual([400, code, param]);
    }
    const missing = await post(m, "/v1/webhook_endpoints/we_missing", { description: "x" });
    expect([missing.status, missing.body.error.code]).toEqual([404, "resource_missing"]);
  });
});

describe("GET /v1/webhook_endpoints", () => {
  it("lists newest first without secrets, and pages both ways", async () => {
    const m = await newMerchant();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await newEndpoint(m)).id);
    const all = (await get(m, "/v1/webhook_endpoints")).body;
    expect(all).toMatchObject({ object: "list", url: "/v1/webhook_endpoints", has_more: false });
    expect([...all.data.map((e: { id: string }) => e.id)].sort()).toEqual([...ids].sort());
    expect(JSON.stringify(all)).not.toContain("whsec_");
    const order = all.data.map((e: { id: string }) => e.id);
    const page = (await get(m, `/v1/webhook_endpoints?limit=2&starting_after=${order[0]}`)).body;
    expect([page.data.map((e: { id: string }) => e.id), page.has_more]).toEqual([order.slice(1, 3), true]);
    const back = (await get(m, `/v1/webhook_endpoints?limit=5&ending_before=${order[2]}`)).body;
    expect([back.data.map((e: { id: string }) => e.id), back.has_more]).toEqual([order.slice(0, 2), false]);
  });

  it("refuses bad pagination", async () => {
    const m = await newMerchant();
    for (const [query, code, param] of [
      ["limit=0", "parameter_invalid", "limit"],
      ["limit=101", "parameter_invalid", "limit"],
      ["limit=x", "parameter_invalid_integer", "limit"],
      ["starting_after=we_a&ending_before=we_b", "parameter_invalid", "ending_before"],
      ["starting_after=we_nope", "resource_missing", "starting_after"],
      ["type=x", "parameter_unknown", "type"],
    ] as const) {
      const r = await get(m, `/v1/webhook_endpoints?${query}`);
      expect([r.body.error.code, r.body.error.param], query).toEqual([code, param]);
    }
  });
});

describe("DELETE /v1/webhook_endpoints/{id}", () => {
  it("deletes once, answering {id, object, deleted}, then 404", async () => {
    const m = await newMerchant();
    const we = await newEndpoint(m);
    const del = await call(`/v1/webhook_endpoints/${we.id}`, { method: "DELETE", headers: m.headers });
    expect([del.status, await del.json()]).toEqual([200, { id: we.id, object: "webhook_endpoint", deleted: true }]);
    const again = await call(`/v1/webhook_endpoints/${we.id}`, { method: "DELETE", headers: m.headers });
    expect(again.status).toBe(404);
    expect((await get(m, `/v1/webhook_endpoints/${we.id}`)).status).toBe(404);
  });
});

describe("POST /v1/webhook_endpoints/{id}/roll_secret", () => {
  it("shows a new secret once; the old one keeps signing for 24 h by default, or as asked", async () => {
    const m = await newMerchant();
    const we = await newEndpoint(m);
    const db = await dbOf(m.merchantId);
    const rolled = await post(m, `/v1/webhook_endpoints/${we.id}/roll_secret`);
    expect(rolled.status).toBe(200);
    expect(rolled.body.secret).toMatch(/^whsec_/);
    expect(rolled.body.secret).not.toBe(we.secret);
    let row = await getEndpoint(db, m.merchantId, we.id);
    expect(await openWebhookSecret(env, m.merchantId, we.id, row?.previousSecretSealed as string)).toBe(we.secret);
    expect((row?.previousSecretExpiresAt ?? 0) - rolled.body.created).toBeGreaterThanOrEqual(24 * 3600);
    const soon = await post(m, `/v1/webhook_endpoints/${we.id}/roll_secret`, { expires_in: 60 });
    row = await getEndpoint(db, m.merchantId, we.id);
    expect(await openWebhookSecret(env, m.merchantId, we.id, row?.previousSecretSealed as string)).toBe(
      rolled.body.secret,
    );
    expect((row?.previousSecretExpiresAt ?? 0) - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(60);
    await post(m, `/v1/webhook_endpoints/${we.id}/roll_secret`, { expires_in: 0 });
    row = await getEndpoint(db, m.merchantId, we.id);
    expect([row?.previousSecretSealed, row?.previousSecretExpiresAt]).toEqual([null, null]);
    expect(await openWebhookSecret(env, m.merchantId, we.id, row?.secretSealed as string)).not.toBe(soon.body.secret);
  });

  it("refuses an expiry over 24 h or negative, and unknown endpoints", async () => {
    const m = await newMerchant();
    const we = await newEndpoint(m);
    for (const expires of ["86401", "-1", "1.5"]) {
      const r = await post(m, `/v1/webhook_endpoints/${we.id}/roll_secret`, { expires_in: expires });
      expect([r.status, r.body.error.param]).toEqual([400, "expires_in"]);
    }
    expect((await post(m, "/v1/webhook_endpoints/we_nope/roll_secret")).status).toBe(404);
  });
});
