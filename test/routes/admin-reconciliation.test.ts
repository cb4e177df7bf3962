/** The operator's reconciliation API: runs and mismatch listing (happy path, errors, security). */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { type ProcessorReports, type SettlementLine, simulatorReports } from "../../src/processor/settlement-file";
import { call, json } from "../helpers/http";
import { newMerchant, operatorHeaders } from "../helpers/merchants";
import { pay, post } from "../helpers/payments";

const today = () => new Date().toISOString().slice(0, 10);

/** The simulator's reports with every amount of `merchantId`'s file raised by 1 (each capture then differs). */
function inflated(merchantId: string): ProcessorReports {
  const real = simulatorReports(env);
  return {
    settlementFile: async (m, date, after, limit) => {
      const page = await real.settlementFile(m, date, after, limit);
      return m === merchantId ? page.map((l: SettlementLine) => ({ ...l, amount: l.amount + 1 })) : page;
    },
  };
}

async function until(check: () => Promise<boolean>) {
  for (let i = 0; i < 100 && !(await check()); i++) await scheduler.wait(20);
}

type App = ReturnType<typeof createApp>;

async function run(app: App | null, body: unknown, headers: Record<string, string> = operatorHeaders()) {
  const init = json(body);
  const res = await call(
    "/admin/v1/reconciliation/runs",
    { ...init, headers: { ...init.headers, ...headers } },
    app ?? undefined,
  );
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields.
  return { status: res.status, body: (await res.json()) as any };
}

async function items(query: string, headers: Record<string, string> = operatorHeaders()) {
  const res = await call(`/admin/v1/reconciliation/items?${query}`, { headers });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields.
  return { status: res.status, body: (await res.json()) as any };
}

describe("POST /admin/v1/reconciliation/runs and GET /admin/v1/reconciliation/items", () => {
  it("a run reports the day's mismatches (counts only), records them once, and the list pages through them", async () => {
    const m = await newMerchant();
    const a = await pay(m, "4242424242424242", { amount: 1000 });
    const b = await pay(m, "4242424242424242", { amount: 2500 });
    expect([a.body.status, b.body.status]).toEqual(["succeeded", "succeeded"]);
    await until(async () => (await simulatorReports(env).settlementFile(m.merchantId, today(), null, 10)).length >= 2);
    const app = createApp({ payments: { reports: () => inflated(m.merchantId) } });

    const first = await run(app, { date: today() });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      object: "reconciliation.run",
      date: today(),
      complete: true,
      found: { missing: 0, extra: 0, amount_differs: 2 },
      recorded: { missing: 0, extra: 0, amount_differs: 2 },
    });
    expect(JSON.stringify(first.body)).not.toContain(m.merchantId);
    const again = await run(app, { date: today() });
    expect(again.body.recorded).toEqual({ missing: 0, extra: 0, amount_differs: 0 });

    const page1 = await items(`date=${today()}&merchant=${m.merchantId}&limit=1`);
    expect(page1.status).toBe(200);
    expect(page1.body).toMatchObject({ object: "list", has_more: true });
    expect(page1.body.data).toHaveLength(1);
    const page2 = await items(
      `date=${today()}&merchant=${m.merchantId}&limit=1&starting_after=${page1.body.data[0].id}`,
    );
    expect(page2.body).toMatchObject({ has_more: false });
    const all = [...page1.body.data, ...page2.body.data];
    expect(all.map((i) => [i.object, i.kind, i.merchant, i.expected_amount, i.reported_amount]).sort()).toEqual([
      ["reconciliation.item", "amount_differs", m.merchantId, 1000, 1001],
      ["reconciliation.item", "amount_differs", m.merchantId, 2500, 2501],
    ]);
    expect(new Set(all.map((i) => i.source))).toEqual(new Set([a.body.latest_charge, b.body.latest_charge]));
    // Another day has none of them.
    expect((await items(`date=2020-01-01&merchant=${m.merchantId}`)).body.data).toEqual([]);
  });

  it("the real simulator's file reconciles the Worker's payments clean", async () => {
    const m = await newMerchant();
    const p = await pay(m, "4242424242424242", { amount: 800 });
    await post(m, "/v1/refunds", { payment_intent: p.body.id, amount: 100 });
    await until(async () => (await simulatorReports(env).settlementFile(m.merchantId, today(), null, 10)).length >= 2);
    expect((await run(null, { date: today() })).status).toBe(200);
    expect((await items(`date=${today()}&merchant=${m.merchantId}`)).body.data).toEqual([]);
  });

  it.each([
    [{}, "date"],
    [{ date: "2026-02-30" }, "date"],
    [{ date: "yesterday" }, "date"],
    [{ date: "2026-1-1" }, "date"],
    [{ date: today(), shard: 1 }, "shard"],
  ])("a run with %j is a 400 naming %s", async (body, param) => {
    const res = await run(null, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: "invalid_request_error", param });
  });

  it.each([
    ["", "date"],
    ["date=2026-13-01", "date"],
    [`date=${today()}&limit=0`, "limit"],
    [`date=${today()}&limit=101`, "limit"],
    [`date=${today()}&kind=missing`, "kind"],
  ])("listing with %s is a 400 naming %s", async (query, param) => {
    const res = await items(query);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ type: "invalid_request_error", param });
  });

  it("is operator only: no token, a wrong token or a merchant's token is refused", async () => {
    const m = await newMerchant();
    for (const headers of [{}, { authorization: "Bearer nope" }, m.headers]) {
      const r = await run(null, { date: today() }, headers);
      expect([401, 403]).toContain(r.status);
      const l = await items(`date=${today()}`, headers);
      expect([401, 403]).toContain(l.status);
      expect(JSON.stringify(l.body)).not.toContain("reconciliation.item");
    }
  });
});
