/**
 * The leak test: tokenize, read, claim, detokenize, forget, rotate and detach cards of every brand
 * (and the simulator's outcome cards), provoke card errors, then scan every D1 table, every
 * Durable Object's storage, every captured console line and every response body for any full card
 * number or CVC. Payments are not on main yet, so the payment flow is exercised through the exact
 * vault interface it will call (claimPaymentMethod, detokenize, forgetCvc).
 */
import { listDurableObjectIds, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, type MockInstance, vi } from "vitest";
import { getDb } from "../../src/db/client";
import { paymentMethods } from "../../src/db/schema";
import { claimPaymentMethod, detokenize, forgetCvc } from "../../src/vault";
import { CARDS, pmForm, withAuth } from "../helpers/cards";
import { call, form, json } from "../helpers/http";
import { newMerchant } from "../helpers/merchants";

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
    expect(leaksIn(`{"id":"pm_a123b","created":1795123456}`)).toEqual([]);
  });

  it("after the full card life cycle", async () => {
    const a = await newMerchant();
    const b = await newMerchant();
    const pmIds: string[] = [];
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
      // What the payment flow does: claim, hand the card to the connector, forget the CVC.
      const claimed = await claimPaymentMethod(env, a.merchantId, i % 2 ? tokId : pmId);
      const secret = await detokenize(env, a.merchantId, claimed.id);
      expect(secret.number).toBe(card.number);
      await forgetCvc(env, a.merchantId, claimed.id);
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
    // An operator rotation batch and a health check (which touches a Durable Object) also log and store.
    await send("/admin/v1/vault/rotate", {
      ...json({}),
      headers: { "content-type": "application/json", authorization: `Bearer ${env.OPERATOR_TOKEN}` },
    });
    await send("/health");

    // D1: every table the database has.
    const tables = await env.DB.prepare(
      "select name from sqlite_master where type = 'table' and name not glob 'sqlite_*' and name not glob '_cf_*'",
    ).all<{ name: string }>();
    const names = tables.results.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["payment_methods", "tokens", "merchants", "api_clients"]));
    const dump: string[] = [];
    for (const name of names) {
      const rows = await env.DB.prepare(`select * from "${name}"`).all();
      dump.push(JSON.stringify({ [name]: rows.results }));
    }
    const d1Text = dump.join("\n");
    // Sanity: the vault rows are there, with their last4, and ciphertext in place of the rest.
    expect(d1Text).toContain('"last4":"4242"');
    expect((await getDb(env).select().from(paymentMethods).all()).length).toBe(ALL.length * 2);

    // Durable Object storage: every object this test file created, KV and SQL.
    const doDump: string[] = [];
    const ids = await listDurableObjectIds(env.MERCHANT_GATE);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) {
      await runInDurableObject(env.MERCHANT_GATE.get(id), async (_instance, state) => {
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
    expect(bodies.length).toBeGreaterThan(ALL.length * 5);

    expect(leaksIn(d1Text)).toEqual([]);
    expect(leaksIn(doDump.join("\n"))).toEqual([]);
    expect(leaksIn(logLines.join("\n"))).toEqual([]);
    for (const body of bodies) expect(leaksIn(body)).toEqual([]);
  });
});
