/** Webhook endpoint storage: the quota held by the insert itself, idempotent create and roll, merchant scoping, fan-out. */
import { describe, expect, it } from "vitest";
import {
  deleteEndpoint,
  endpointsFor,
  getEndpoint,
  insertEndpoint,
  listEndpoints,
  rollEndpointSecret,
  updateEndpoint,
  type WebhookEndpointRow,
} from "../../src/db/webhook-endpoints";
import { newId } from "../../src/lib/ids";
import { shard } from "../helpers/shards";

const db = shard(0);

function row(merchantId: string, over: Partial<WebhookEndpointRow> = {}): WebhookEndpointRow {
  return {
    id: newId("we"),
    merchantId,
    url: "https://example.com/hook",
    description: null,
    enabledEvents: JSON.stringify(["*"]),
    metadata: "{}",
    status: "enabled",
    disabledReason: null,
    apiVersion: null,
    secretSealed: "sealed-1",
    previousSecretSealed: null,
    previousSecretExpiresAt: null,
    failingSince: null,
    idempotencyKey: null,
    rollKey: null,
    created: 1_700_000_000,
    ...over,
  };
}

describe("insertEndpoint", () => {
  it("creates up to the limit, then refuses without writing, even when creates race", async () => {
    const m = newId("mer");
    const results = await Promise.all([0, 1, 2, 3, 4].map(() => insertEndpoint(db, row(m), 3)));
    expect(results.filter((r) => r.outcome === "created")).toHaveLength(3);
    expect(results.filter((r) => r.outcome === "limit")).toHaveLength(2);
    const page = await listEndpoints(db, m, { limit: 10 });
    expect(page.ok && page.page.data).toHaveLength(3);
    // Another merchant's quota is its own.
    expect((await insertEndpoint(db, row(newId("mer")), 3)).outcome).toBe("created");
  });

  it("returns the endpoint a create under the same idempotency key made", async () => {
    const m = newId("mer");
    const first = await insertEndpoint(db, row(m, { idempotencyKey: "k1" }), 16);
    const again = await insertEndpoint(db, row(m, { idempotencyKey: "k1", url: "https://other.example" }), 16);
    expect(first.outcome).toBe("created");
    expect(again).toEqual({ outcome: "exists", row: first.outcome === "created" && first.row });
    // The same key at another merchant is another endpoint.
    expect((await insertEndpoint(db, row(newId("mer"), { idempotencyKey: "k1" }), 16)).outcome).toBe("created");
  });
});

describe("reads, updates and deletes are scoped by merchant", () => {
  it("another merchant's endpoint is missing to every call", async () => {
    const a = newId("mer");
    const b = newId("mer");
    const created = await insertEndpoint(db, row(a), 16);
    if (created.outcome !== "created") throw new Error("not created");
    const { id } = created.row;
    expect(await getEndpoint(db, b, id)).toBeUndefined();
    expect(await updateEndpoint(db, b, id, { url: "https://evil.example" })).toBeUndefined();
    expect(await rollEndpointSecret(db, b, id, { secretSealed: "x", previousExpiresAt: null, rollKey: null })).toEqual({
      outcome: "missing",
    });
    expect(await deleteEndpoint(db, b, id)).toBe(false);
    expect(await getEndpoint(db, a, id)).toEqual(created.row);
    expect((await updateEndpoint(db, a, id, { description: "d" }))?.description).toBe("d");
    expect(await deleteEndpoint(db, a, id)).toBe(true);
    expect(await getEndpoint(db, a, id)).toBeUndefined();
  });
});

describe("rollEndpointSecret", () => {
  it("keeps the current secret as the previous one, and rolls once per key", async () => {
    const m = newId("mer");
    const created = await insertEndpoint(db, row(m), 16);
    if (created.outcome !== "created") throw new Error("not created");
    const { id } = created.row;
    const r1 = await rollEndpointSecret(db, m, id, { secretSealed: "sealed-2", previousExpiresAt: 99, rollKey: "r1" });
    expect(r1.outcome === "rolled" && r1.row).toMatchObject({
      secretSealed: "sealed-2",
      previousSecretSealed: "sealed-1",
      previousSecretExpiresAt: 99,
      rollKey: "r1",
    });
    const retry = await rollEndpointSecret(db, m, id, {
      secretSealed: "sealed-3",
      previousExpiresAt: 100,
      rollKey: "r1",
    });
    expect(retry.outcome === "already" && retry.row.secretSealed).toBe("sealed-2");
    const now = await rollEndpointSecret(db, m, id, {
      secretSealed: "sealed-4",
      previousExpiresAt: null,
      rollKey: null,
    });
    expect(now.outcome === "rolled" && now.row).toMatchObject({
      secretSealed: "sealed-4",
      previousSecretSealed: null,
      previousSecretExpiresAt: null,
    });
  });
});

describe("endpointsFor", () => {
  it("finds the merchant's enabled endpoints listing the type or *", async () => {
    const m = newId("mer");
    const ids: Record<string, string> = {};
    for (const [name, events, status] of [
      ["all", ["*"], "enabled"],
      ["succeeded", ["payment_intent.succeeded", "refund.created"], "enabled"],
      ["refunds", ["refund.created"], "enabled"],
      ["off", ["*"], "disabled"],
    ] as const) {
      const r = await insertEndpoint(db, row(m, { enabledEvents: JSON.stringify(events), status }), 16);
      if (r.outcome !== "created") throw new Error("not created");
      ids[name] = r.row.id;
    }
    await insertEndpoint(db, row(newId("mer")), 16);
    const to = async (type: string) => (await endpointsFor(db, m, type)).map((e) => e.id).sort();
    expect(await to("payment_intent.succeeded")).toEqual([ids.all, ids.succeeded].sort());
    expect(await to("refund.created")).toEqual([ids.all, ids.succeeded, ids.refunds].sort());
    expect(await to("charge.failed")).toEqual([ids.all]);
    // Like-patterns and partial names match nothing extra.
    expect(await to("refund.%")).toEqual([ids.all]);
    expect(await to("refund")).toEqual([ids.all]);
  });
});
