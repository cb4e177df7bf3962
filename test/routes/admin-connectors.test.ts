/**
 * Operator connector-account API: create, list, retrieve, update (happy path), refusals naming the
 * parameter (errors), and security: operator token only, credentials sealed and never in an answer,
 * a list, an audit row or a log line, another merchant's or a tampered id a 404.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { openCredentials } from "../../src/connectors/credentials";
import { controlDb } from "../../src/db/client";
import { getConnectorAccount } from "../../src/db/connector-accounts";
import { auditLog } from "../../src/db/schema";
import { call, json } from "../helpers/http";
import { newMerchant, operatorHeaders } from "../helpers/merchants";
import { dbOf, shardIndexOf } from "../helpers/shards";

const path = (id: string, mca?: string) => `/admin/v1/merchants/${id}/connector_accounts${mca ? `/${mca}` : ""}`;
const KEY = "sk_test_SeCrEtKeY1234abcd";
const LIVE_KEY = "sk_live_LiVeSeCrEt9876wxyz";

async function asOperator(p: string, body?: unknown) {
  const init = body === undefined ? { method: "GET" } : json(body);
  const res = await call(p, { ...init, headers: { ...init.headers, ...operatorHeaders() } });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields.
  return { status: res.status, body: (await res.json()) as any };
}

afterEach(() => vi.restoreAllMocks());

describe("connector accounts", () => {
  it("are created, listed, retrieved and updated; the key is sealed and shown as its last 4 only", async () => {
    const logs = [vi.spyOn(console, "log"), vi.spyOn(console, "error"), vi.spyOn(console, "warn")];
    const m = await newMerchant();
    const created = await asOperator(path(m.merchantId), {
      kind: "stripe",
      mode: "test",
      currencies: ["usd", "eur"],
      brands: ["visa"],
      credentials: { secret_key: KEY },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^mca_/),
      object: "connector_account",
      merchant: m.merchantId,
      kind: "stripe",
      mode: "test",
      status: "active",
      currencies: ["usd", "eur"],
      brands: ["visa"],
      credentials: { secret_key_last4: "abcd" },
      created: expect.any(Number),
      updated: expect.any(Number),
    });
    const id = created.body.id as string;
    const sim = await asOperator(path(m.merchantId), { kind: "simulator", mode: "test" });
    expect(sim.body).toMatchObject({ kind: "simulator", credentials: null, currencies: [], brands: [] });

    const list = await asOperator(path(m.merchantId));
    expect(list.body.data.map((a: { id: string }) => a.id).sort()).toEqual([id, sim.body.id].sort());
    expect((await asOperator(path(m.merchantId, id))).body).toEqual(created.body);

    const updated = await asOperator(path(m.merchantId, id), {
      status: "disabled",
      currencies: [],
      credentials: { secret_key: "sk_test_NewSecretKey5678" },
    });
    expect(updated.body).toMatchObject({ status: "disabled", currencies: [], brands: ["visa"] });
    expect(updated.body.credentials).toEqual({ secret_key_last4: "5678" });

    // Stored sealed, bound to this merchant and account: it opens for them and for nothing else.
    const row = await getConnectorAccount(await dbOf(m.merchantId), m.merchantId, id);
    expect(row?.credentialsSealed).not.toContain("NewSecretKey");
    expect(await openCredentials(env, m.merchantId, id, row?.credentialsSealed as string)).toBe(
      "sk_test_NewSecretKey5678",
    );
    await expect(openCredentials(env, m.merchantId, sim.body.id, row?.credentialsSealed as string)).rejects.toThrow();

    // Neither key in any answer, audit row or log line.
    const audits = await controlDb(env).select().from(auditLog).where(eq(auditLog.targetId, m.merchantId)).all();
    expect(audits.map((a) => a.action)).toEqual(
      expect.arrayContaining(["merchant.connector_account.created", "merchant.connector_account.updated"]),
    );
    const seen = JSON.stringify([created, sim, list, updated, audits, logs.map((s) => s.mock.calls)]);
    expect(seen).not.toContain("SeCrEtKeY");
    expect(seen).not.toContain("NewSecretKey");
  });

  it("refuses bad accounts with a 400 naming the parameter, creating nothing and echoing no key", async () => {
    const m = await newMerchant();
    for (const [body, param] of [
      [{ kind: "stripe", mode: "test" }, "credentials[secret_key]"],
      [
        { kind: "stripe", mode: "test", credentials: { secret_key: "pk_test_abcdefgh1234" } },
        "credentials[secret_key]",
      ],
      [{ kind: "stripe", mode: "test", credentials: { secret_key: "sk_test_short" } }, "credentials[secret_key]"],
      [{ kind: "stripe", mode: "test", credentials: { secret_key: LIVE_KEY } }, "mode"],
      [{ kind: "stripe", mode: "live", credentials: { secret_key: KEY } }, "mode"],
      [{ kind: "simulator", mode: "live" }, "mode"],
      [{ kind: "simulator", mode: "test", credentials: { secret_key: KEY } }, "credentials"],
      [{ kind: "adyen", mode: "test" }, "kind"],
      [{ kind: "simulator", mode: "test", currencies: ["USD"] }, "currencies[0]"],
      [{ kind: "simulator", mode: "test", currencies: ["xyz"] }, "currencies[0]"],
      [{ kind: "simulator", mode: "test", brands: ["visa", "bogus"] }, "brands[1]"],
      [{ kind: "simulator", mode: "test", colour: "red" }, "colour"],
    ] as const) {
      const res = await asOperator(path(m.merchantId), body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.param, JSON.stringify(body)).toBe(param);
      expect(JSON.stringify(res.body)).not.toContain("SeCrEtKeY");
      expect(JSON.stringify(res.body)).not.toContain("LiVeSeCrEt");
    }
    expect((await asOperator(path(m.merchantId))).body.data).toEqual([]);
    // An update keeps the account's mode: a live key cannot go on a test account.
    const acc = (
      await asOperator(path(m.merchantId), { kind: "stripe", mode: "test", credentials: { secret_key: KEY } })
    ).body;
    const res = await asOperator(path(m.merchantId, acc.id), { credentials: { secret_key: LIVE_KEY } });
    expect([res.status, res.body.error.param]).toEqual([400, "mode"]);
    expect((await asOperator(path(m.merchantId, acc.id))).body.credentials).toEqual({ secret_key_last4: "abcd" });
  });

  it("are the operator's only, and another merchant's or a tampered id is a 404", async () => {
    const m = await newMerchant();
    // Another merchant on the same shard, so only the merchant filter can keep the account from it.
    let other = await newMerchant();
    while ((await shardIndexOf(other.merchantId)) !== (await shardIndexOf(m.merchantId))) other = await newMerchant();
    const acc = (
      await asOperator(path(m.merchantId), { kind: "stripe", mode: "test", credentials: { secret_key: KEY } })
    ).body;
    for (const headers of [{}, m.headers, { authorization: "Bearer nope" }]) {
      const list = await call(path(m.merchantId), { headers });
      const read = await call(path(m.merchantId, acc.id), { headers });
      const create = await call(path(m.merchantId), {
        ...json({ kind: "simulator", mode: "test" }),
        headers: { ...json({}).headers, ...headers },
      });
      const update = await call(path(m.merchantId, acc.id), {
        ...json({ status: "disabled" }),
        headers: { ...json({}).headers, ...headers },
      });
      expect([list.status, read.status, create.status, update.status]).toEqual([401, 401, 401, 401]);
      expect(await read.text()).not.toContain("SeCrEtKeY");
    }
    expect((await asOperator(path(m.merchantId))).body.data).toHaveLength(1);
    for (const p of [
      path(other.merchantId, acc.id),
      path(m.merchantId, `${acc.id}x`),
      path(m.merchantId, "mca_4242424242424242"),
      path("mer_nope", acc.id),
    ]) {
      const read = await asOperator(p);
      const write = await asOperator(p, { status: "disabled" });
      expect([read.status, write.status], p).toEqual([404, 404]);
      expect(JSON.stringify(read.body)).not.toContain("4242424242424242");
    }
    expect((await asOperator(path(m.merchantId, acc.id))).body.status).toBe("active");
  });
});
