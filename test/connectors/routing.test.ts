/**
 * Routing through real payments: each condition sends the payment where its rule says, the charge
 * records the connector, the rule and the configuration's version, accounts that do not accept a
 * payment (currency, brand, disabled) are passed over, a weighted split spreads payments over its
 * members, and a new configuration takes effect at once in the isolate that wrote it. Every
 * connector here is a `simulator` account (the money really moves in the simulator).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { forgetHealth } from "../../src/connectors/health";
import { COOL_DOWN_MS, MIN_SAMPLES } from "../../src/domain/connector-health";
import { CARDS } from "../helpers/cards";
import { call, json } from "../helpers/http";
import { newMerchant, operator, operatorHeaders, type TestMerchant } from "../helpers/merchants";
import { get, ledgerProblems, paymentMethod, post, unfinished } from "../helpers/payments";
import { Faults } from "../helpers/processors";

/** A merchant with `n` test simulator accounts, oldest first, with optional restrictions. */
async function withConnectors(specs: Array<Record<string, unknown>>): Promise<{ m: TestMerchant; ids: string[] }> {
  const m = await newMerchant({ rateLimit: 1000 });
  const ids: string[] = [];
  for (const spec of specs) {
    ids.push(
      (
        await operator<{ id: string }>(`/admin/v1/merchants/${m.merchantId}/connector_accounts`, {
          kind: "simulator",
          mode: "test",
          ...spec,
        })
      ).id,
    );
  }
  return { m, ids };
}

/** Sets the merchant's routing configuration; returns its version. */
async function setRouting(m: TestMerchant, body: unknown): Promise<number> {
  const res = await call(`/admin/v1/merchants/${m.merchantId}/routing`, {
    ...json(body),
    headers: { ...operatorHeaders(), "content-type": "application/json" },
  });
  const out = (await res.json()) as { version: number };
  expect(res.status, JSON.stringify(out)).toBe(200);
  return out.version;
}

const faults = new Faults();
const app = createApp({ payments: { processor: faults.factory } });

/** Pays with `number`; returns the charge's routing. */
async function routed(m: TestMerchant, number: string, fields: Record<string, string | number> = {}) {
  const pm = await paymentMethod(m, number);
  const paid = await post(
    m,
    "/v1/payment_intents",
    { amount: 1000, currency: "usd", payment_method: pm, confirm: "true", ...fields },
    { app },
  );
  expect(paid.status, JSON.stringify(paid.body)).toBe(200);
  const charge = (await get(m, `/v1/charges/${paid.body.latest_charge}`)).body;
  return charge.routing as { connector: string; rule: string | null; version: number };
}

describe("routing real payments", () => {
  it("sends each payment where the first matching rule says, and records the rule and version on the charge", async () => {
    const { m, ids } = await withConnectors([{}, {}, {}]);
    const [a, b, c] = ids as [string, string, string];
    const version = await setRouting(m, {
      rules: [
        { id: "eur", conditions: { currencies: ["eur"] }, action: { type: "connector", connector: b } },
        { id: "big", conditions: { amount_gte: 50000 }, action: { type: "connector", connector: c } },
        { id: "mc", conditions: { brands: ["mastercard"] }, action: { type: "connector", connector: c } },
        {
          id: "bins",
          conditions: { bin_ranges: [{ from: "378282", to: "378282" }] },
          action: { type: "connector", connector: b },
        },
        { id: "vip", conditions: { metadata: { tier: "vip" } }, action: { type: "connector", connector: b } },
      ],
      default_connector: a,
    });
    expect(version).toBe(1);
    expect(await routed(m, CARDS.visa.number)).toEqual({ connector: a, rule: null, version: 1 });
    expect(await routed(m, CARDS.visa.number, { currency: "eur" })).toEqual({ connector: b, rule: "eur", version: 1 });
    expect(await routed(m, CARDS.visa.number, { amount: 50000 })).toEqual({ connector: c, rule: "big", version: 1 });
    expect(await routed(m, CARDS.visa.number, { amount: 49999 })).toEqual({ connector: a, rule: null, version: 1 });
    expect(await routed(m, CARDS.mastercard.number)).toEqual({ connector: c, rule: "mc", version: 1 });
    expect(await routed(m, CARDS.amex.number)).toEqual({ connector: b, rule: "bins", version: 1 });
    expect(await routed(m, CARDS.visa.number, { "metadata[tier]": "vip" })).toEqual({
      connector: b,
      rule: "vip",
      version: 1,
    });
    // The first match wins: a big euro payment is the euro rule's.
    expect(await routed(m, CARDS.visa.number, { currency: "eur", amount: 60000 })).toEqual({
      connector: b,
      rule: "eur",
      version: 1,
    });
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });

  it("passes over accounts that do not take the payment, and refuses one no account takes", async () => {
    const { m, ids } = await withConnectors([{ currencies: ["eur"] }, { brands: ["visa"] }, {}]);
    const [eurOnly, visaOnly, any] = ids as [string, string, string];
    // No routing: every account in age order, filtered by what it accepts.
    expect((await routed(m, CARDS.visa.number, { currency: "eur" })).connector).toBe(eurOnly);
    expect((await routed(m, CARDS.visa.number)).connector).toBe(visaOnly);
    expect((await routed(m, CARDS.mastercard.number)).connector).toBe(any);
    await operator(`/admin/v1/merchants/${m.merchantId}/connector_accounts/${any}`, { status: "disabled" });
    const pm = await paymentMethod(m, CARDS.mastercard.number);
    const refused = await post(
      m,
      "/v1/payment_intents",
      { amount: 1000, currency: "usd", payment_method: pm, confirm: "true" },
      { app },
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: "connector_unavailable" });
    expect(await unfinished(m.merchantId)).toEqual([]);
  });

  it("spreads a weighted split over its members, each payment recording the split rule", async () => {
    const { m, ids } = await withConnectors([{}, {}]);
    const [a, b] = ids as [string, string];
    await setRouting(m, {
      rules: [
        {
          id: "split",
          conditions: {},
          action: {
            type: "split",
            split: [
              { connector: a, weight: 3 },
              { connector: b, weight: 1 },
            ],
          },
        },
      ],
      default_connector: null,
    });
    const seen = { [a]: 0, [b]: 0 };
    for (let i = 0; i < 40; i++) {
      const r = await routed(m, CARDS.visa.number);
      expect(r.rule).toBe("split");
      seen[r.connector] = (seen[r.connector] ?? 0) + 1;
    }
    // 40 payments at 3:1 (a binomial with p = 0.75: 30 ± 2.7): both members carry traffic, a more.
    expect(seen[a]).toBeGreaterThan(seen[b] ?? 0);
    expect(seen[b]).toBeGreaterThan(0);
  });

  it("takes a new configuration at once, and a configuration naming only another merchant's account is refused", async () => {
    const { m, ids } = await withConnectors([{}, {}]);
    const [a, b] = ids as [string, string];
    expect((await routed(m, CARDS.visa.number)).connector).toBe(a);
    await setRouting(m, { rules: [], default_connector: b });
    expect(await routed(m, CARDS.visa.number)).toEqual({ connector: b, rule: null, version: 1 });
    const other = await withConnectors([{}]);
    const res = await call(`/admin/v1/merchants/${m.merchantId}/routing`, {
      ...json({ rules: [], default_connector: other.ids[0] }),
      headers: { ...operatorHeaders(), "content-type": "application/json" },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe("default_connector");
  });
});

describe("connector health in routing", () => {
  it("skips a connector that is cooling down, and sends to it again once its cool-down ends", async () => {
    const { m, ids } = await withConnectors([{}, {}]);
    const [a, b] = ids as [string, string];
    // 20 failed authorizations on a, recorded 59 s ago: a cools down for about one more second.
    const health = env.CONNECTOR_HEALTH.getByName(a);
    const at = Date.now() - COOL_DOWN_MS + 1500;
    for (let i = 0; i < MIN_SAMPLES; i++) await health.record(false, at);
    forgetHealth(a);
    expect((await health.status()).healthy).toBe(false);
    // a goes last: b takes the payment, with a as its fallback.
    expect((await routed(m, CARDS.visa.number)).connector).toBe(b);
    await scheduler.wait(1600);
    expect((await health.status()).healthy).toBe(true);
    expect((await routed(m, CARDS.visa.number)).connector).toBe(a);
  });

  it("records each authorization's result on its connector: a connector failing over trips after enough failures", async () => {
    const { m, ids } = await withConnectors([{}, {}]);
    const [a, b] = ids as [string, string];
    const local = new Faults().setOn(a, "authorize", { kind: "unreachable" });
    const failing = createApp({ payments: { processor: local.factory } });
    for (let i = 0; i < MIN_SAMPLES; i++) {
      const pm = await paymentMethod(m, CARDS.visa.number);
      const paid = await post(
        m,
        "/v1/payment_intents",
        { amount: 1000, currency: "usd", payment_method: pm, confirm: "true" },
        { app: failing },
      );
      expect(paid.body.status, JSON.stringify(paid.body)).toBe("succeeded");
    }
    // Reports are deferred: wait until the object has them all.
    await expect
      .poll(async () => (await env.CONNECTOR_HEALTH.getByName(a).status()).healthy, { timeout: 5000 })
      .toBe(false);
    forgetHealth(a);
    const before = faults.calls.get(`authorize@${a}`);
    expect((await routed(m, CARDS.visa.number)).connector).toBe(b);
    expect(faults.calls.get(`authorize@${a}`)).toBe(before);
    expect((await env.CONNECTOR_HEALTH.getByName(b).status()).errors).toBe(0);
  });
});
