/**
 * `/v1/webhook_endpoints` security: authentication and scopes on every route, tenant isolation (a
 * foreign id answers exactly like a missing one), tampered ids, and secrets that are never saved
 * by the idempotency gate while a retry under the same key still gets a consistent answer.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getEndpoint } from "../../src/db/webhook-endpoints";
import { keyShardOf } from "../../src/domain/limits";
import { keyShardName, type MerchantGate } from "../../src/durable/merchant-gate";
import { openWebhookSecret } from "../../src/webhooks/secrets";
import { call, type ErrorBody } from "../helpers/http";
import { newMerchant, type TestMerchant, tokenFor } from "../helpers/merchants";
import { get, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";
import { newEndpoint } from "../helpers/webhooks";

/** Every route, as [method, path (with {id}), form body]. */
const ROUTES = [
  ["POST", "/v1/webhook_endpoints", { url: "https://hooks.example.com/", "enabled_events[0]": "*" }, "write"],
  ["GET", "/v1/webhook_endpoints", undefined, "read"],
  ["GET", "/v1/webhook_endpoints/{id}", undefined, "read"],
  ["POST", "/v1/webhook_endpoints/{id}", { description: "x" }, "write"],
  ["DELETE", "/v1/webhook_endpoints/{id}", undefined, "write"],
  ["POST", "/v1/webhook_endpoints/{id}/roll_secret", {}, "write"],
] as const;

function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Record<string, string>,
): Promise<Response> {
  return call(path, {
    method,
    headers: { ...headers, ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
    ...(body ? { body: new URLSearchParams(body).toString() } : {}),
  });
}

/** The error envelope without its request id, to compare two answers. */
async function errorShape(res: Response) {
  const body = (await res.json()) as ErrorBody;
  const { request_id: _ignored, ...rest } = body.error;
  return { status: res.status, error: rest };
}

describe("authentication and scopes", () => {
  it("answers 401 without a token, or with a bad one, on every route", async () => {
    for (const [method, path, body] of ROUTES) {
      for (const headers of [{}, { authorization: "Bearer not-a-token" }] as Record<string, string>[]) {
        const res = await send(method, path.replace("{id}", "we_x"), headers, body);
        expect(res.status, `${method} ${path}`).toBe(401);
      }
    }
  });

  it("needs webhook_endpoints:write to change and webhook_endpoints:read to read", async () => {
    const m = await newMerchant();
    const we = await newEndpoint(m);
    const readOnly = await tokenFor(m, ["webhook_endpoints:read"]);
    const writeOnly = await tokenFor(m, ["webhook_endpoints:write"]);
    const unrelated = await tokenFor(m, ["payments:write", "payments:read", "events:read"]);
    for (const [method, path, body, need] of ROUTES) {
      const target = path.replace("{id}", we.id);
      const denied = need === "write" ? [readOnly, unrelated] : [writeOnly, unrelated];
      for (const caller of denied) {
        const res = await send(method, target, caller.headers, body);
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(((await res.json()) as ErrorBody).error).toMatchObject({
          code: "insufficient_scope",
          required_scope: `webhook_endpoints:${need}`,
        });
      }
    }
    // Nothing the 403s attempted happened.
    const row = await getEndpoint(await dbOf(m.merchantId), m.merchantId, we.id);
    expect([row?.description, row?.rollKey]).toEqual([null, null]);
    expect(await openWebhookSecret(env, m.merchantId, we.id, row?.secretSealed as string)).toBe(we.secret);
    expect((await get(m, "/v1/webhook_endpoints")).body.data).toHaveLength(1);
  });

  it("checks the scope before the body, so a caller without it learns nothing about URL rules", async () => {
    const m = await newMerchant({ scopes: ["webhook_endpoints:read"] });
    const res = await post(m, "/v1/webhook_endpoints", { url: "http://10.0.0.1/", "enabled_events[0]": "*" });
    expect(res.status).toBe(403);
  });
});

describe("tenant isolation", () => {
  it("gives merchant B the same 404 for A's endpoint as for a missing one, on every id route", async () => {
    const a = await newMerchant();
    const b = await newMerchant();
    const we = await newEndpoint(a);
    const missing = `${we.id.slice(0, -4)}zzzz`;
    for (const [method, path, body] of ROUTES) {
      if (!path.includes("{id}")) continue;
      const foreign = await errorShape(await send(method, path.replace("{id}", we.id), b.headers, body));
      const unknown = await errorShape(await send(method, path.replace("{id}", missing), b.headers, body));
      expect(foreign, `${method} ${path}`).toEqual({
        ...unknown,
        error: { ...unknown.error, message: foreign.error.message },
      });
      expect(foreign.error.message).toBe(unknown.error.message.replace(missing, we.id));
      expect(foreign).toMatchObject({ status: 404, error: { code: "resource_missing" } });
    }
    expect((await get(b, "/v1/webhook_endpoints")).body.data).toEqual([]);
    expect((await get(b, `/v1/webhook_endpoints?starting_after=${we.id}`)).status).toBe(404);
    // A's endpoint is untouched.
    const row = await getEndpoint(await dbOf(a.merchantId), a.merchantId, we.id);
    expect([row?.description, row?.previousSecretSealed]).toEqual([null, null]);
    expect((await get(a, `/v1/webhook_endpoints/${we.id}`)).status).toBe(200);
  });

  it("answers odd or oversized ids with a 4xx, never a 500, and never echoes them", async () => {
    const m = await newMerchant();
    for (const id of [
      "we_' OR '1'='1",
      "4242424242424242",
      "we_%00",
      "..%2F..%2Fadmin",
      `we_${"a".repeat(300)}`,
      "*",
    ]) {
      const res = await call(`/v1/webhook_endpoints/${encodeURIComponent(id)}`, { headers: m.headers });
      expect([400, 404], id).toContain(res.status);
      const text = await res.text();
      expect(text).not.toContain("4242424242424242");
      expect(text).not.toContain("OR '1'");
    }
  });
});

/** The saved answer of `POST path` under `key`, as the gate's key shard holds it. */
async function savedBody(m: TestMerchant, path: string, key: string): Promise<string | null> {
  const stub = env.MERCHANT_GATE.getByName(keyShardName(m.merchantId, keyShardOf(key)));
  return runInDurableObject(stub, (_instance: MerchantGate, state) => {
    const rows = state.storage.sql
      .exec<{ body: ArrayBuffer | null; headers: string | null }>(
        "SELECT body, headers FROM idempotency_keys WHERE scope = ?",
        JSON.stringify(["POST", path, key]),
      )
      .toArray();
    const row = rows[0];
    if (!row) return null;
    return `${row.headers ?? ""} ${row.body ? new TextDecoder().decode(row.body) : ""}`;
  });
}

describe("secrets and the idempotency gate", () => {
  it("never saves a create's secret; a retry shows the same endpoint and secret, and creates nothing", async () => {
    const m = await newMerchant();
    const key = `create-${crypto.randomUUID()}`;
    const fields = { url: "https://hooks.example.com/", "enabled_events[0]": "*" };
    const first = await post(m, "/v1/webhook_endpoints", fields, { idempotencyKey: key });
    expect(first.status).toBe(200);
    const saved = await savedBody(m, "/v1/webhook_endpoints", key);
    expect(saved).not.toBeNull();
    expect(saved).not.toContain("whsec_");
    expect(saved).not.toContain(first.body.secret.slice(6));

    const retry = await post(m, "/v1/webhook_endpoints", fields, { idempotencyKey: key });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect((await get(m, "/v1/webhook_endpoints")).body.data).toHaveLength(1);

    // The same key with other parameters is still refused: the key kept its fingerprint.
    const other = await post(m, "/v1/webhook_endpoints", { ...fields, description: "x" }, { idempotencyKey: key });
    expect([other.status, other.body.error.type]).toEqual([400, "idempotency_error"]);

    // Once the endpoint is deleted, a retry does not create another one.
    await call(`/v1/webhook_endpoints/${first.body.id}`, { method: "DELETE", headers: m.headers });
    const late = await post(m, "/v1/webhook_endpoints", fields, { idempotencyKey: key });
    expect([late.status, late.body.error.code]).toEqual([404, "resource_missing"]);
    expect((await get(m, "/v1/webhook_endpoints")).body.data).toEqual([]);
  });

  it("never saves a roll's secret; a retry rolls nothing more and shows the current secret", async () => {
    const m = await newMerchant();
    const we = await newEndpoint(m);
    const path = `/v1/webhook_endpoints/${we.id}/roll_secret`;
    const key = `roll-${crypto.randomUUID()}`;
    const first = await post(m, path, { expires_in: 3600 }, { idempotencyKey: key });
    expect(first.status).toBe(200);
    expect(first.body.secret).not.toBe(we.secret);
    const saved = await savedBody(m, path, key);
    expect(saved).not.toContain("whsec_");

    const retry = await post(m, path, { expires_in: 3600 }, { idempotencyKey: key });
    expect([retry.status, retry.body.secret]).toEqual([200, first.body.secret]);
    const row = await getEndpoint(await dbOf(m.merchantId), m.merchantId, we.id);
    // One roll: the previous secret is still the original one.
    expect(await openWebhookSecret(env, m.merchantId, we.id, row?.previousSecretSealed as string)).toBe(we.secret);

    // A new key rolls again.
    const next = await post(m, path, {}, { idempotencyKey: `roll-${crypto.randomUUID()}` });
    expect(next.body.secret).not.toBe(first.body.secret);
  });

  it("a roll whose answer was lost (released key) finds its roll by the key and rolls nothing more", async () => {
    const m = await newMerchant();
    const we = await newEndpoint(m);
    const key = `roll-${crypto.randomUUID()}`;
    const first = await post(m, `/v1/webhook_endpoints/${we.id}/roll_secret`, {}, { idempotencyKey: key });
    // As if the gate had released the key (a 5xx after the write): the key's row is gone.
    const stub = env.MERCHANT_GATE.getByName(keyShardName(m.merchantId, keyShardOf(key)));
    await runInDurableObject(stub, (_i: MerchantGate, state) => {
      state.storage.sql.exec("DELETE FROM idempotency_keys");
    });
    const retry = await post(m, `/v1/webhook_endpoints/${we.id}/roll_secret`, {}, { idempotencyKey: key });
    expect(retry.body.secret).toBe(first.body.secret);
    expect(retry.headers.get("idempotent-replayed")).toBeNull();
  });

  it("saves answers without secrets as usual (update replays byte for byte)", async () => {
    const m = await newMerchant();
    const we = await newEndpoint(m);
    const key = `update-${crypto.randomUUID()}`;
    const first = await post(m, `/v1/webhook_endpoints/${we.id}`, { description: "a" }, { idempotencyKey: key });
    await post(m, `/v1/webhook_endpoints/${we.id}`, { description: "b" });
    const retry = await post(m, `/v1/webhook_endpoints/${we.id}`, { description: "a" }, { idempotencyKey: key });
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect((await get(m, `/v1/webhook_endpoints/${we.id}`)).body.description).toBe("b");
  });
});
