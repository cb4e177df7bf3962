/**
 * Idempotency on the real payment routes, end to end through the Worker's fetch: concurrency,
 * replays, mismatches, validation, a crash between the D1 write and the saved response (intent and
 * refund), and the stripe SDK's own retry of a timed-out POST.
 */
import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { requestFingerprint } from "../../src/crypto/fingerprint";
import { paymentIntents, refunds } from "../../src/db/schema";
import { canonicalRequest, LEASE_MS } from "../../src/domain/idempotency";
import { keyShardOf } from "../../src/domain/limits";
import { keyShardName, type MerchantGate } from "../../src/durable/merchant-gate";
import { loseComplete } from "../helpers/gate";
import { call, type ErrorBody } from "../helpers/http";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { pay } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

function create(m: TestMerchant, key: string, fields: Record<string, string> = { amount: "1000", currency: "usd" }) {
  return call("/v1/payment_intents", {
    method: "POST",
    headers: { ...m.headers, "content-type": "application/x-www-form-urlencoded", "Idempotency-Key": key },
    body: new URLSearchParams(fields).toString(),
  });
}

async function intentRows(merchantId: string, key?: string) {
  const where = key
    ? and(eq(paymentIntents.merchantId, merchantId), eq(paymentIntents.idempotencyKey, key))
    : eq(paymentIntents.merchantId, merchantId);
  return (await dbOf(merchantId)).select({ id: paymentIntents.id }).from(paymentIntents).where(where).all();
}

/** A merchant with a high limit, so bursts in these tests test idempotency rather than rate limits. */
function busyMerchant(rateLimit = 1000) {
  return newMerchant({ rateLimit });
}

/** The key shard that owns `key` for this merchant. */
function shardFor(m: TestMerchant, key: string) {
  return env.MERCHANT_GATE.getByName(keyShardName(m.merchantId, keyShardOf(key)));
}

/**
 * Puts a finished key back where a Worker that died after its D1 write leaves it: still running
 * under the dead attempt's lease, nothing saved. Freezes the shard's clock so the lease is exact.
 */
describe("idempotent PaymentIntent creation", () => {
  it("50 concurrent identical requests create one intent; each answer is the saved response or a 409", async () => {
    const m = await busyMerchant();
    const responses = await Promise.all(Array.from({ length: 50 }, () => create(m, "burst-1")));
    const bodies = await Promise.all(responses.map((r) => r.text()));
    expect(await intentRows(m.merchantId)).toHaveLength(1);
    const saved = bodies.filter((_, i) => responses[i]?.status === 200);
    expect(saved.length).toBeGreaterThanOrEqual(1);
    expect(new Set(saved).size).toBe(1);
    for (const [i, res] of responses.entries()) {
      if (res.status === 200) continue;
      expect(res.status).toBe(409);
      expect((JSON.parse(bodies[i] as string) as ErrorBody).error.code).toBe("idempotency_key_in_use");
    }
    const replay = await create(m, "burst-1");
    expect(await replay.text()).toBe(saved[0]);
  });

  it("replays byte for byte, marks the replay, and a different body is an idempotency_error", async () => {
    const m = await busyMerchant();
    const first = await create(m, "replay-1", { amount: "1500", currency: "eur", "metadata[order]": "7" });
    expect(first.status).toBe(200);
    const text = await first.text();
    const json = await call("/v1/payment_intents", {
      method: "POST",
      headers: { ...m.headers, "content-type": "application/json", "Idempotency-Key": "replay-1" },
      body: JSON.stringify({ currency: "eur", metadata: { order: "7" }, amount: 1500 }),
    });
    expect(json.status).toBe(200);
    expect(json.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await json.text()).toBe(text);

    const other = await create(m, "replay-1", { amount: "1501", currency: "eur", "metadata[order]": "7" });
    expect(other.status).toBe(400);
    expect(((await other.json()) as ErrorBody).error).toMatchObject({ type: "idempotency_error" });
    expect(await intentRows(m.merchantId)).toHaveLength(1);
  });

  it("never shows one merchant's saved response to another using the same key", async () => {
    const [a, b] = [await busyMerchant(), await busyMerchant()];
    const first = await create(a, "shared-key");
    const other = await create(b, "shared-key");
    expect(other.status).toBe(200);
    expect(other.headers.get("Idempotent-Replayed")).toBeNull();
    const [ia, ib] = [(await first.json()) as { id: string }, (await other.json()) as { id: string }];
    expect(ib.id).not.toBe(ia.id);
    expect(await intentRows(b.merchantId)).toEqual([{ id: ib.id }]);
  });

  it("saves nothing for a validation failure: the fixed body runs under the same key", async () => {
    const m = await busyMerchant();
    const bad = await create(m, "fix-1", { amount: "ten", currency: "usd" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).error.param).toBe("amount");
    const fixed = await create(m, "fix-1", { amount: "1000", currency: "usd" });
    expect(fixed.status).toBe(200);
    expect(fixed.headers.get("Idempotent-Replayed")).toBeNull();
    expect(await intentRows(m.merchantId, "fix-1")).toHaveLength(1);
  });

  it("after a crash between the D1 write and the saved response, the retry finds the first intent", async () => {
    const m = await busyMerchant();
    const key = "crash-1";
    const first = await create(m, key);
    expect(first.status).toBe(200);
    const { id } = (await first.json()) as { id: string };

    const clock = await loseComplete(m, "/v1/payment_intents", key);
    const during = await create(m, key);
    expect(during.status).toBe(409);
    clock.now += LEASE_MS;

    const retry = await create(m, key);
    expect(retry.status).toBe(200);
    expect(retry.headers.get("Idempotent-Replayed")).toBeNull();
    expect(((await retry.json()) as { id: string }).id).toBe(id);
    expect(await intentRows(m.merchantId)).toEqual([{ id }]);
    // The retry's answer is now the saved one.
    const replay = await create(m, key);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
  });

  it("after the same crash on a refund, the retry finds the first refund and refunds once", async () => {
    const m = await busyMerchant();
    const paid = await pay(m, "4242424242424242", { amount: 3000 });
    expect(paid.status).toBe(200);
    const refund = (key: string) =>
      call("/v1/refunds", {
        method: "POST",
        headers: { ...m.headers, "content-type": "application/x-www-form-urlencoded", "Idempotency-Key": key },
        body: new URLSearchParams({ payment_intent: paid.body.id, amount: "1000" }).toString(),
      });
    const first = await refund("refund-crash");
    expect(first.status).toBe(200);
    const { id } = (await first.json()) as { id: string };

    const clock = await loseComplete(m, "/v1/refunds", "refund-crash");
    clock.now += LEASE_MS;
    const retry = await refund("refund-crash");
    expect(retry.status).toBe(200);
    expect(((await retry.json()) as { id: string }).id).toBe(id);
    const rows = await (await dbOf(m.merchantId))
      .select({ id: refunds.id })
      .from(refunds)
      .where(eq(refunds.merchantId, m.merchantId))
      .all();
    expect(rows).toEqual([{ id }]);
    const intent = await call(`/v1/payment_intents/${paid.body.id}`, { headers: m.headers });
    expect(((await intent.json()) as { amount_refunded: number }).amount_refunded).toBe(1000);
  });

  it("the stripe SDK's retry of a timed-out POST does not create a second intent", async () => {
    const m = await busyMerchant();
    const sent: { key: string | null; replayed?: string | null }[] = [];
    const fetchFn = async (url: string | URL, init?: RequestInit): Promise<Response> => {
      const request = new Request(url, init);
      sent.push({ key: request.headers.get("idempotency-key") });
      const res = await exports.default.fetch(request);
      (sent.at(-1) as { replayed?: string | null }).replayed = res.headers.get("Idempotent-Replayed");
      if (sent.length > 1) return res;
      // The first attempt reaches the gateway and completes, but its answer never arrives: wait
      // for the SDK's own timeout to abort the call.
      await res.arrayBuffer();
      const signal = init?.signal;
      return new Promise((_, reject) => {
        signal?.addEventListener("abort", () => reject(signal.reason));
      });
    };
    const stripe = new Stripe(m.token, {
      httpClient: Stripe.createFetchHttpClient(fetchFn as typeof fetch),
      host: "127.0.0.1",
      port: 8787,
      protocol: "http",
      timeout: 2_000,
      maxNetworkRetries: 2,
    });
    const intent = await stripe.paymentIntents.create({ amount: 4200, currency: "usd" });
    expect(sent).toHaveLength(2);
    expect(sent[0]?.key).toMatch(/^stripe-node-retry-/);
    expect(sent[1]?.key).toBe(sent[0]?.key);
    expect(sent.map((s) => s.replayed)).toEqual([null, "true"]);
    expect(intent.lastResponse.idempotencyKey).toBe(sent[0]?.key);
    expect(await intentRows(m.merchantId)).toEqual([{ id: intent.id }]);
  });

  it("surfaces a reused key with other parameters as the SDK's IdempotencyError", async () => {
    const m = await busyMerchant();
    const stripe = new Stripe(m.token, {
      httpClient: Stripe.createFetchHttpClient(((url: string | URL, init?: RequestInit) =>
        exports.default.fetch(new Request(url, init))) as typeof fetch),
      host: "127.0.0.1",
      port: 8787,
      protocol: "http",
    });
    await stripe.paymentIntents.create({ amount: 100, currency: "usd" }, { idempotencyKey: "sdk-reuse" });
    const err = await stripe.paymentIntents
      .create({ amount: 200, currency: "usd" }, { idempotencyKey: "sdk-reuse" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });
});

describe("stored idempotency fingerprints", () => {
  it("are keyed HMACs of the request, so a body carrying a PAN leaves no unkeyed hash of it", async () => {
    const m = await busyMerchant();
    const key = "pm-fingerprint-1";
    const body = { type: "card", card: { number: "4242424242424242", exp_month: 12, exp_year: 2040, cvc: "123" } };
    const res = await call("/v1/payment_methods", {
      method: "POST",
      headers: { ...m.headers, "content-type": "application/json", "Idempotency-Key": key },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    const stored = await runInDurableObject(shardFor(m, key), (_instance: MerchantGate, state) => {
      const rows = state.storage.sql
        .exec<{ fingerprint: string }>(
          "SELECT fingerprint FROM idempotency_keys WHERE scope = ?",
          JSON.stringify(["POST", "/v1/payment_methods", key]),
        )
        .toArray();
      return rows.map((r) => r.fingerprint);
    });
    expect(stored).toHaveLength(1);
    const { scopes } = (await (await call("/v1/account", { headers: m.headers })).json()) as { scopes?: string[] };
    const canonical = canonicalRequest("POST", "/v1/payment_methods", body, scopes ?? []);
    const plain = Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical))),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    expect(stored[0]).not.toBe(plain);
    expect(stored[0]).toBe(await requestFingerprint(env.FINGERPRINT_KEY, canonical));
  });
});
