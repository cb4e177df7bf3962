/**
 * The leak test: tokenize, read, claim, detokenize, forget, rotate and detach cards of every brand
 * (and the simulator's outcome cards), provoke card errors, then scan every D1 table, every
 * Durable Object's storage, every captured console line and every response body for any full card
 * number or CVC. Every card is also paid with through the real payment flow (PaymentIntents
 * confirmed with a pm_ and with a tok_, a manual capture and a refund), and afterwards no CVC may
 * remain stored for a card that has been authorized (PCI DSS 3.3).
 */
import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { isNotNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from "vitest";
import { paymentMethods } from "../../src/db/schema";
import { flushMetrics } from "../../src/monitoring/flush";
import { CARDS, pmForm, withAuth } from "../helpers/cards";
import { call, form, json } from "../helpers/http";
import { newMerchant } from "../helpers/merchants";
import { shards } from "../helpers/shards";

const SIMULATOR = ["4000000000000002", "4000000000009995", "4000000000000127", "4100000000000019"];
const ALL = [...Object.values(CARDS), ...SIMULATOR.map((number, i) => ({ number, cvc: String(601 + i) }))];
const REJECTED = { number: "4242424242424241", cvc: "733" };
const PANS = [...ALL.map((c) => c.number), REJECTED.number];
const CVCS = [...ALL.map((c) => c.cvc), REJECTED.cvc];

/** Finds full PANs (also with separators) and CVCs standing alone as a value. */
function leaksIn(text: string): string[] {
  const found: string[] = [];
  const digitsOnly = text.replace(/[ -]/g, "");
  for (const pan of PANS) if (text.includes(pan) || digitsOnly.includes(pan)) found.push(`PAN ${pan.slice(-4)}`);
  for (const cvc of CVCS) {
    if (new RegExp(`(?<![0-9A-Za-z_-])${cvc}(?![0-9A-Za-z_-])`).test(text)) found.push(`CVC ${cvc}`);
  }
  return found;
}

/**
 * A log line with its measurements zeroed: `"latency_ms":123` is a request's time, not a CVC (a request
 * taking 123 ms once failed this suite). Only numbers under keys ending in `_ms` or `_calls`, which the
 * gateway measures and never takes from input, are zeroed.
 */
const withoutMeasurements = (line: string) =>
  line.replace(/("[a-z0-9_]+_(?:ms|calls)":)[0-9.]+/g, (_, key: string) => `${key}0`);

const METHODS = ["log", "info", "warn", "error", "debug"] as const;
const logLines: string[] = [];
const bodies: string[] = [];
let spies: MockInstance[] = [];

/** Sends a request through the Worker and keeps the response body for the scan. */
async function send(path: string, init?: RequestInit): Promise<Response> {
  const res = await call(path, init);
  bodies.push(await res.clone().text());
  return res;
}

beforeAll(() => {
  spies = METHODS.map((m) =>
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      logLines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    }),
  );
});
afterAll(() => {
  for (const s of spies) s.mockRestore();
});

describe("no card number or CVC leaks anywhere", () => {
  it("the scanner itself finds planted numbers and CVCs, and ignores look-alikes", () => {
    expect(leaksIn(`{"n":"4242 4242 4242 4242"}`)).toEqual(["PAN 4242"]);
    expect(leaksIn(`{"cvc":"9876"}`)).toEqual(["CVC 9876"]);
    expect(leaksIn(withoutMeasurements(`{"latency_ms":9876,"d1_calls":9876}`))).toEqual([]);
    expect(leaksIn(withoutMeasurements(`{"latency_ms":1,"amount":9876}`))).toEqual(["CVC 9876"]);
    expect(leaksIn(`{"id":"pm_a123b","created":1795123456}`)).toEqual([]);
  });

  it("after the full card life cycle", async () => {
    // It tokenizes every test card in a burst: more than the card-testing limit allows by default.
    const a = await newMerchant({ rateLimit: 1000 });
    const b = await newMerchant();
    const pmIds: string[] = [];
    const pay = (payment_method: string, extra: Record<string, string> = {}) =>
      send(
        "/v1/payment_intents",
        withAuth(form({ amount: "1500", currency: "usd", payment_method, confirm: "true", ...extra }), a),
      );
    for (const [i, card] of ALL.entries()) {
      const pm = await send("/v1/payment_methods", withAuth(form(pmForm(card.number, card.cvc)), a));
      expect(pm.status).toBe(200);
      const pmId = ((await pm.json()) as { id: string }).id;
      pmIds.push(pmId);
      const tok = await send(
        "/v1/tokens",
        withAuth(json({ card: { number: card.number, exp_month: 5, exp_year: 2044, cvc: card.cvc } }), a),
      );
      expect(tok.status).toBe(200);
      const tokId = ((await tok.json()) as { id: string }).id;
      await send(`/v1/payment_methods/${pmId}`, { headers: a.headers });
      await send(`/v1/tokens/${tokId}`, { headers: a.headers });
      await send(`/v1/payment_methods/${pmId}`, { headers: b.headers });
      // Pay with both; the token a second time (refused), and B with A's card (refused).
      const paid = await pay(pmId, i % 2 ? { capture_method: "manual" } : {});
      expect([200, 402]).toContain(paid.status);
      const intent = (await paid.json()) as {
        id?: string;
        status?: string;
        error?: { payment_intent?: { id: string } };
      };
      const intentId = intent.id ?? intent.error?.payment_intent?.id;
      if (intent.status === "requires_capture") {
        await send(`/v1/payment_intents/${intentId}/capture`, withAuth(form({}), a));
      }
      if (intent.status === "succeeded") {
        await send("/v1/refunds", withAuth(form({ payment_intent: intentId as string, amount: "500" }), a));
      }
      expect([200, 402]).toContain((await pay(tokId)).status);
      expect((await pay(tokId)).status).toBe(404);
      await send(
        "/v1/payment_intents",
        withAuth(form({ amount: "100", currency: "usd", payment_method: pmId, confirm: "true" }), b),
      );
      if (intentId) await send(`/v1/payment_intents/${intentId}`, { headers: a.headers });
      if (i % 3 === 0) await send(`/v1/payment_methods/${pmId}/detach`, { method: "POST", headers: a.headers });
    }
    // Card errors and request errors that carry card data in the request.
    await send("/v1/payment_methods", withAuth(form(pmForm(REJECTED.number, REJECTED.cvc)), a));
    await send("/v1/payment_methods", withAuth(form(pmForm("4242 4242 4242 4242", "12")), a));
    await send("/v1/tokens", withAuth(form({ "card[number]": CARDS.visa.number, "card[cvv]": CARDS.visa.cvc }), a));
    await send("/v1/tokens", withAuth(json({ card: { number: Number(CARDS.mastercard.number), cvc: 456 } }), a));
    await send(
      "/v1/payment_methods",
      withAuth(form({ ...pmForm(CARDS.amex.number, CARDS.amex.cvc), "card[x]": "1" }), a),
    );
    await send("/v1/payment_methods", form(pmForm(CARDS.jcb.number, CARDS.jcb.cvc)));
    await send(`/v1/payment_methods/${CARDS.visa.number}`, { headers: a.headers });
    // payment_method_data: the card inline on create and confirm (paid, saved to a customer, refused, malformed).
    const inline = (number: string, cvc: string, extra: Record<string, string> = {}) => ({
      amount: "1500",
      currency: "usd",
      confirm: "true",
      "payment_method_data[type]": "card",
      "payment_method_data[card][number]": number,
      "payment_method_data[card][exp_month]": "5",
      "payment_method_data[card][exp_year]": "2044",
      "payment_method_data[card][cvc]": cvc,
      ...extra,
    });
    const cus = ((await (await send("/v1/customers", withAuth(form({}), a))).json()) as { id: string }).id;
    const keyed = withAuth(
      form(inline(CARDS.visa.number, CARDS.visa.cvc, { customer: cus, setup_future_usage: "off_session" })),
      a,
    );
    await send("/v1/payment_intents", { ...keyed, headers: { ...keyed.headers, "idempotency-key": "leak-pmd" } });
    await send("/v1/payment_intents", { ...keyed, headers: { ...keyed.headers, "idempotency-key": "leak-pmd" } });
    await send("/v1/payment_intents", withAuth(form(inline(REJECTED.number, REJECTED.cvc)), a));
    await send("/v1/payment_intents", withAuth(form(inline(CARDS.amex.number, "12")), a));
    await send(
      "/v1/payment_intents",
      withAuth(form(inline(CARDS.mastercard.number, CARDS.mastercard.cvc, { payment_method: "pm_card_visa" })), a),
    );
    await send(
      "/v1/payment_intents",
      withAuth(form(inline(CARDS.jcb.number, CARDS.jcb.cvc, { "payment_method_data[card][x]": CARDS.jcb.number })), a),
    );
    const open = (await (
      await send("/v1/payment_intents", withAuth(form({ amount: "700", currency: "usd" }), a))
    ).json()) as { id: string };
    const { amount: _a, currency: _c, confirm: _f, ...onConfirm } = inline(CARDS.discover.number, CARDS.discover.cvc);
    await send(`/v1/payment_intents/${open.id}/confirm`, withAuth(form(onConfirm), a));
    // An operator rotation batch and a health check (which touches a Durable Object) also log and store.
    await send("/admin/v1/vault/rotate", {
      ...json({}),
      headers: { "content-type": "application/json", authorization: `Bearer ${env.OPERATOR_TOKEN}` },
    });
    await send("/health");

    // D1: every table of every database, the control database and each shard.
    const names: string[] = [];
    const dump: string[] = [];
    for (const database of [env.DB, ...shards().map((db) => db.$client)]) {
      const tables = await database
        .prepare(
          "select name from sqlite_master where type = 'table' and name not glob 'sqlite_*' and name not glob '_cf_*'",
        )
        .all<{ name: string }>();
      for (const { name } of tables.results) {
        names.push(name);
        const rows = await database.prepare(`select * from "${name}"`).all();
        dump.push(JSON.stringify({ [name]: rows.results }));
      }
    }
    expect(names).toEqual(expect.arrayContaining(["payment_methods", "tokens", "merchants", "api_clients"]));
    const d1Text = dump.join("\n");
    // Sanity: the vault rows and the payments are there, with last4 and ciphertext in place of the rest.
    expect(d1Text).toContain('"last4":"4242"');
    expect(names).toEqual(expect.arrayContaining(["payment_intents"]));
    const allMethods = await Promise.all(shards().map((db) => db.select().from(paymentMethods).all()));
    // Two of each card, and the two payment_method_data cards that were valid (the keyed one made once).
    expect(allMethods.flat().length).toBe(ALL.length * 2 + 2);
    // PCI DSS 3.3: every card has been through an authorization attempt, so no CVC is held any more.
    for (const db of shards()) {
      const heldCvcs = await db
        .select({ id: paymentMethods.id })
        .from(paymentMethods)
        .where(isNotNull(paymentMethods.cvcCiphertext));
      expect(heldCvcs).toEqual([]);
    }

    // Durable Object storage: every object this test file created, KV and SQL: the merchant gates
    // and the metrics rollups (this isolate's buffered metrics flushed first).
    await flushMetrics(env);
    const doDump: string[] = [];
    const objects = [];
    for (const ns of [env.MERCHANT_GATE, env.METRICS_ROLLUP] as DurableObjectNamespace[]) {
      const ids = await listDurableObjectIds(ns);
      expect(ids.length).toBeGreaterThan(0);
      objects.push(...ids.map((id) => ns.get(id)));
    }
    for (const stub of objects) {
      await runInDurableObject(stub, async (_instance, state) => {
        doDump.push(JSON.stringify([...(await state.storage.list()).entries()]));
        const sqlTables = state.storage.sql
          .exec<{ name: string }>("select name from sqlite_master where type = 'table' and name not glob '_cf_*'")
          .toArray();
        for (const { name } of sqlTables) {
          doDump.push(JSON.stringify(state.storage.sql.exec(`select * from "${name}"`).toArray()));
        }
      });
    }

    // The spy really captured the Worker's logs.
    expect(logLines.some((l) => l.includes("vault_rotation_batch"))).toBe(true);
    expect(logLines.some((l) => l.includes('"event":"request"'))).toBe(true);
    expect(bodies.length).toBeGreaterThan(ALL.length * 5);

    expect(leaksIn(d1Text)).toEqual([]);
    expect(leaksIn(doDump.join("\n"))).toEqual([]);
    expect(leaksIn(logLines.map(withoutMeasurements).join("\n"))).toEqual([]);
    for (const body of bodies) expect(leaksIn(body)).toEqual([]);
  });
});
