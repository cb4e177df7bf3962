/**
 * Operator routing API: read, replace as a new version and list versions (happy path); every
 * invalid field a 400 naming its parameter, connectors of another merchant refused, an unknown
 * merchant a 404, concurrent writes on distinct versions (errors); operator credentials only
 * (security). The stored configuration routes as the domain says.
 */
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/client";
import { insertRouting, latestRouting, routingVersions } from "../../src/db/routing";
import { auditLog } from "../../src/db/schema";
import { candidates } from "../../src/domain/routing";
import { newKey } from "../helpers/api-keys";
import { call, form, json } from "../helpers/http";
import { newMerchant, operator, operatorHeaders } from "../helpers/merchants";
import { dbOf, shardIndexOf } from "../helpers/shards";

const path = (id: string, rest = "") => `/admin/v1/merchants/${id}/routing${rest}`;

async function as(headers: Record<string, string>, p: string, body?: unknown) {
  const init = body === undefined ? { method: "GET" } : json(body);
  const res = await call(p, { ...init, headers: { ...init.headers, ...headers } });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary fields.
  return { status: res.status, body: (await res.json()) as any };
}
const asOperator = (p: string, body?: unknown) => as(operatorHeaders(), p, body);

/** A merchant with three simulator connector accounts. */
async function merchantWithConnectors() {
  const m = await newMerchant();
  const mca = async () =>
    (
      await operator<{ id: string }>(`/admin/v1/merchants/${m.merchantId}/connector_accounts`, {
        kind: "simulator",
        mode: "test",
      })
    ).id;
  return { m, a: await mca(), b: await mca(), c: await mca() };
}

describe("routing: happy path", () => {
  it("starts at version 0, and each replacement is the next version, answered, listed and audited", async () => {
    const { m, a, b, c } = await merchantWithConnectors();
    expect((await asOperator(path(m.merchantId))).body).toEqual({
      object: "routing_config",
      merchant: m.merchantId,
      version: 0,
      rules: [],
      default_connector: null,
      created: null,
    });
    expect((await asOperator(path(m.merchantId, "/versions"))).body).toEqual({ object: "list", data: [] });

    const rules = [
      {
        id: "eur-large",
        conditions: {
          currencies: ["eur"],
          amount_gte: 10_000,
          amount_lte: 500_000,
          brands: ["visa", "mastercard"],
          countries: ["FR", "DE"],
          bin_ranges: [{ from: "400000", to: "499999" }],
          metadata: { tier: "gold" },
        },
        action: { type: "connector", connector: a },
      },
      {
        id: "rest",
        action: {
          type: "split",
          split: [
            { connector: a, weight: 3 },
            { connector: b, weight: 1 },
          ],
        },
      },
    ];
    const first = await asOperator(path(m.merchantId), { rules, default_connector: c });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toEqual({
      object: "routing_config",
      merchant: m.merchantId,
      version: 1,
      rules: [rules[0], { ...rules[1], conditions: {} }],
      default_connector: c,
      created: expect.any(Number),
    });
    expect((await asOperator(path(m.merchantId))).body).toEqual(first.body);

    // The stored version routes as declared.
    const stored = await latestRouting(await dbOf(m.merchantId), m.merchantId);
    const facts = { amount: 20_000, currency: "eur", brand: "visa", country: "FR", bin: "424242", metadata: {} };
    expect(candidates(stored, { ...facts, metadata: { tier: "gold" } }, 0).map((x) => x.connector)).toEqual([a, c]);
    expect(candidates(stored, facts, 3).map((x) => x.connector)).toEqual([b, a, c]);

    // Form-encoded, as the other operator routes take it: weights arrive as strings.
    const encoded = form({
      "rules[0][id]": "all",
      "rules[0][action][type]": "split",
      "rules[0][action][split][0][connector]": b,
      "rules[0][action][split][0][weight]": "1",
      "rules[0][action][split][1][connector]": c,
      "rules[0][action][split][1][weight]": "2",
    });
    const second = await call(path(m.merchantId), {
      ...encoded,
      headers: { ...encoded.headers, ...operatorHeaders() },
    });
    const secondBody = (await second.json()) as { version: number; rules: unknown; default_connector: unknown };
    expect(second.status, JSON.stringify(secondBody)).toBe(200);
    expect(secondBody).toMatchObject({
      version: 2,
      default_connector: null,
      rules: [
        {
          id: "all",
          conditions: {},
          action: {
            type: "split",
            split: [
              { connector: b, weight: 1 },
              { connector: c, weight: 2 },
            ],
          },
        },
      ],
    });

    const third = await asOperator(path(m.merchantId), { rules: [], default_connector: null });
    expect(third.body).toMatchObject({ version: 3, rules: [], default_connector: null });

    const versions = await asOperator(path(m.merchantId, "/versions"));
    expect(versions.body.data.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    expect(versions.body.data[2]).toEqual(first.body);
    const latest = await asOperator(path(m.merchantId, "/versions?limit=1"));
    expect(latest.body.data.map((v: { version: number }) => v.version)).toEqual([3]);

    const audits = await controlDb(env)
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetId, m.merchantId), eq(auditLog.action, "merchant.routing.updated")))
      .all();
    expect(audits.map((x) => [x.actor, JSON.parse(x.details).version])).toEqual([
      ["root", 1],
      ["root", 2],
      ["root", 3],
    ]);
  });

  it("records the named operator who set a version", async () => {
    const { m, a } = await merchantWithConnectors();
    const op = await operator<{ id: string; secret: string }>("/admin/v1/operators", {
      name: `routing-${crypto.randomUUID().slice(0, 8)}`,
    });
    const res = await as({ authorization: `Bearer ${op.secret}` }, path(m.merchantId), {
      rules: [],
      default_connector: a,
    });
    expect(res.status).toBe(200);
    const stored = await latestRouting(await dbOf(m.merchantId), m.merchantId);
    expect(stored?.createdBy).toBe(op.id);
  });
});

describe("routing: errors", () => {
  const rule = (over: Record<string, unknown> = {}, conditions: Record<string, unknown> = {}) => ({
    id: "r",
    conditions,
    action: { type: "connector", connector: "CONN" },
    ...over,
  });
  const split = (members: unknown[]) => ({ id: "s", action: { type: "split", split: members } });

  it("refuses each invalid field with a 400 naming it, storing nothing", async () => {
    const { m, a, b } = await merchantWithConnectors();
    const cases: [unknown, string, string?][] = [
      [{}, "rules", "parameter_missing"],
      [{ rules: "x" }, "rules"],
      [{ rules: [], colour: "red" }, "colour", "parameter_unknown"],
      [{ rules: [rule({ id: "Bad Id" })] }, "rules[0][id]"],
      [{ rules: [rule({ id: "x".repeat(41) })] }, "rules[0][id]"],
      [{ rules: [rule(), rule({ id: "s" }), rule()] }, "rules[2][id]"],
      [{ rules: [rule({}, { currencies: ["USD"] })] }, "rules[0][conditions][currencies][0]"],
      [{ rules: [rule({}, { currencies: ["xyz"] })] }, "rules[0][conditions][currencies][0]"],
      [{ rules: [rule({}, { currencies: [] })] }, "rules[0][conditions][currencies]"],
      [{ rules: [rule({}, { brands: ["visa", "bogus"] })] }, "rules[0][conditions][brands][1]"],
      [{ rules: [rule({}, { countries: ["us"] })] }, "rules[0][conditions][countries][0]"],
      [{ rules: [rule({}, { countries: ["USA"] })] }, "rules[0][conditions][countries][0]"],
      [{ rules: [rule({}, { amount_gte: -1 })] }, "rules[0][conditions][amount_gte]"],
      [{ rules: [rule({}, { amount_gte: 1.5 })] }, "rules[0][conditions][amount_gte]", "parameter_invalid_integer"],
      [{ rules: [rule({}, { amount_gte: 200, amount_lte: 100 })] }, "rules[0][conditions][amount_lte]"],
      [
        { rules: [rule({}, { bin_ranges: [{ from: "42424", to: "42424" }] })] },
        "rules[0][conditions][bin_ranges][0][from]",
      ],
      [
        { rules: [rule({}, { bin_ranges: [{ from: "424242", to: "42424x" }] })] },
        "rules[0][conditions][bin_ranges][0][to]",
      ],
      [
        { rules: [rule({}, { bin_ranges: [{ from: "424243", to: "424242" }] })] },
        "rules[0][conditions][bin_ranges][0][to]",
      ],
      [
        { rules: [rule({}, { bin_ranges: [{ from: "424242", to: "4242429" }] })] },
        "rules[0][conditions][bin_ranges][0][to]",
      ],
      [
        { rules: [rule({}, { bin_ranges: [{ from: "4".repeat(9), to: "4".repeat(9) }] })] },
        "rules[0][conditions][bin_ranges][0][from]",
      ],
      [
        { rules: [rule({}, { metadata: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, "v"])) })] },
        "rules[0][conditions][metadata]",
      ],
      [{ rules: [rule({}, { metadata: { k: "v".repeat(501) } })] }, "rules[0][conditions][metadata][k]"],
      [{ rules: [rule({}, { metadata: { k: "" } })] }, "rules[0][conditions][metadata][k]", "parameter_invalid_empty"],
      [{ rules: [rule({}, { colour: "red" })] }, "rules[0][conditions][colour]", "parameter_unknown"],
      [{ rules: [rule({ action: { type: "bogus", connector: a } })] }, "rules[0][action][type]"],
      [{ rules: [rule({ action: { type: "connector" } })] }, "rules[0][action][connector]", "parameter_missing"],
      [{ rules: [split([{ connector: a, weight: 1 }])] }, "rules[0][action][split]"],
      [
        { rules: [split(Array.from({ length: 11 }, (_, i) => ({ connector: `mca_${i}`, weight: 1 })))] },
        "rules[0][action][split]",
      ],
      [
        {
          rules: [
            rule({ id: "x" }),
            rule({ id: "y" }),
            split([
              { connector: a, weight: 0 },
              { connector: b, weight: 1 },
            ]),
          ],
        },
        "rules[2][action][split][0][weight]",
      ],
      [
        {
          rules: [
            split([
              { connector: a, weight: 1 },
              { connector: b, weight: 10_001 },
            ]),
          ],
        },
        "rules[0][action][split][1][weight]",
      ],
      [
        {
          rules: [
            split([
              { connector: a, weight: 1 },
              { connector: b, weight: "2.5" },
            ]),
          ],
        },
        "rules[0][action][split][1][weight]",
        "parameter_invalid_integer",
      ],
      [
        {
          rules: [
            split([
              { connector: a, weight: 1 },
              { connector: a, weight: 1 },
            ]),
          ],
        },
        "rules[0][action][split][1][connector]",
      ],
      [{ rules: Array.from({ length: 51 }, (_, i) => rule({ id: `r${i}` })) }, "rules"],
      [{ rules: [], default_connector: 7 }, "default_connector"],
    ];
    for (const [body, param, code] of cases) {
      const text = JSON.stringify(body).replaceAll("CONN", a);
      const res = await asOperator(path(m.merchantId), JSON.parse(text));
      expect([res.status, res.body.error?.param], text.slice(0, 200)).toEqual([400, param]);
      expect(res.body.error.code, text.slice(0, 200)).toBe(code ?? "parameter_invalid");
    }
    expect((await asOperator(path(m.merchantId))).body.version).toBe(0);
  });

  it("refuses a connector that is not one of this merchant's accounts, naming where it was", async () => {
    const { m, a, b } = await merchantWithConnectors();
    // Another merchant on the same shard, so only the merchant filter keeps its account out.
    let other = await newMerchant();
    while ((await shardIndexOf(other.merchantId)) !== (await shardIndexOf(m.merchantId))) other = await newMerchant();
    const foreign = (
      await operator<{ id: string }>(`/admin/v1/merchants/${other.merchantId}/connector_accounts`, {
        kind: "simulator",
        mode: "test",
      })
    ).id;
    const disabled = (
      await operator<{ id: string }>(`/admin/v1/merchants/${m.merchantId}/connector_accounts`, {
        kind: "simulator",
        mode: "test",
        status: "disabled",
      })
    ).id;
    const connectorRule = (connector: string) => ({ id: "r", action: { type: "connector", connector } });
    for (const [body, param] of [
      [{ rules: [connectorRule(foreign)] }, "rules[0][action][connector]"],
      [{ rules: [connectorRule("mca_nope")] }, "rules[0][action][connector]"],
      [
        {
          rules: [
            connectorRule(a),
            {
              id: "s",
              action: {
                type: "split",
                split: [
                  { connector: b, weight: 1 },
                  { connector: foreign, weight: 1 },
                ],
              },
            },
          ],
        },
        "rules[1][action][split][1][connector]",
      ],
      [{ rules: [connectorRule(a)], default_connector: foreign }, "default_connector"],
    ] as const) {
      const res = await asOperator(path(m.merchantId), body);
      expect([res.status, res.body.error?.param], JSON.stringify(body)).toEqual([400, param]);
    }
    expect((await asOperator(path(m.merchantId))).body.version).toBe(0);
    expect((await asOperator(path(other.merchantId))).body.version).toBe(0);
    // A disabled account of the merchant may be named (routing skips it while it is disabled).
    const ok = await asOperator(path(m.merchantId), { rules: [connectorRule(disabled)], default_connector: a });
    expect([ok.status, ok.body.version]).toEqual([200, 1]);
  });

  it("answers 404 for an unknown merchant", async () => {
    for (const id of ["mer_nope", "mer_4242424242424242"]) {
      const get = await asOperator(path(id));
      const post = await asOperator(path(id), { rules: [] });
      const versions = await asOperator(path(id, "/versions"));
      expect([get.status, post.status, versions.status]).toEqual([404, 404, 404]);
      expect([get.body.error.param, post.body.error.param]).toEqual(["id", "id"]);
      expect(JSON.stringify([get.body, post.body, versions.body])).not.toContain("4242424242424242");
    }
  });

  it("gives concurrent writes distinct versions", async () => {
    const { m, a, b, c } = await merchantWithConnectors();
    const defaults = [a, b, c, a, b, c, a, b];
    const answers = await Promise.all(
      defaults.map((d) => asOperator(path(m.merchantId), { rules: [], default_connector: d })),
    );
    expect(answers.map((r) => r.status)).toEqual(defaults.map(() => 200));
    expect(answers.map((r) => r.body.version).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const listed = (await asOperator(path(m.merchantId, "/versions"))).body.data;
    expect(listed.map((v: { version: number }) => v.version)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    // Each answer is the version it stored.
    for (const r of answers) {
      expect(listed.find((v: { version: number }) => v.version === r.body.version)).toEqual(r.body);
    }
  });

  it("numbers versions inside the insert, whatever interleaves with it (storage)", async () => {
    const m = await newMerchant();
    const db = await dbOf(m.merchantId);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        insertRouting(db, m.merchantId, { rules: [], default_connector: `mca_${i}` }, "root", 1),
      ),
    );
    const versions = results.map((r) => (r.ok ? r.routing.version : -1)).sort((x, y) => x - y);
    expect(versions).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await routingVersions(db, m.merchantId, 3)).map((v) => v.version)).toEqual([10, 9, 8]);
    expect(await latestRouting(db, "mer_other")).toBeNull();
  });
});

describe("routing: security", () => {
  it("takes operator credentials only: no token, a wrong one, a merchant's token or secret key, a disabled operator", async () => {
    const { m, a } = await merchantWithConnectors();
    const secretKey = await newKey(m.merchantId, "secret");
    const op = await operator<{ id: string; secret: string }>("/admin/v1/operators", {
      name: `routing-${crypto.randomUUID().slice(0, 8)}`,
    });
    await operator(`/admin/v1/operators/${op.id}/disable`, {});
    for (const headers of [
      {},
      { authorization: "Bearer nope" },
      m.headers,
      secretKey.headers,
      { authorization: `Bearer ${op.secret}` },
    ]) {
      const get = await as(headers, path(m.merchantId));
      const post = await as(headers, path(m.merchantId), { rules: [], default_connector: a });
      const versions = await as(headers, path(m.merchantId, "/versions"));
      expect([get.status, post.status, versions.status], JSON.stringify(headers)).toEqual([401, 401, 401]);
    }
    expect((await asOperator(path(m.merchantId))).body.version).toBe(0);
  });
});
