/**
 * Model-based property test: random sequences of create, confirm, capture, cancel and refund across
 * two merchants and three currencies (two-, zero- and three-decimal), run through the real Worker
 * and compared with a tiny model after every step. Invariants: every ledger transaction sums to 0,
 * captured ≤ authorized, refunded ≤ captured, GET agrees with the model, and the balance per
 * merchant and currency equals what the model says (never negative).
 * Runs: 10 in CI; set PROPERTY_RUNS=200 (for example) for a longer search.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { get, paymentMethod, post, unbalancedTransactions } from "../helpers/payments";

type Status = "requires_payment_method" | "requires_confirmation" | "requires_capture" | "succeeded" | "canceled";
interface ModelIntent {
  id: string;
  merchant: number;
  currency: string;
  amount: number;
  manual: boolean;
  status: Status;
  capturable: number;
  received: number;
  refunded: number;
}
interface Model {
  intents: ModelIntent[];
}
interface Real {
  merchants: { m: TestMerchant; good: string; bad: string }[];
}

const CURRENCIES = ["usd", "jpy", "kwd"];
const RUNS = Number(env.PROPERTY_RUNS) || 10;
/** Amounts that are valid in every test currency: ≥ 500 and multiples of 10. */
const tens = (n: number) => Math.floor(n / 10) * 10;

function pick(model: Model, index: number): ModelIntent | undefined {
  return model.intents.length === 0 ? undefined : model.intents[index % model.intents.length];
}

function expectError(res: { status: number; body: { error?: { code: string } } }, status: number, code: string) {
  expect([res.status, res.body.error?.code]).toEqual([status, code]);
}

/** Applies a successful authorization to the model. */
function authorized(i: ModelIntent) {
  if (i.manual) Object.assign(i, { status: "requires_capture", capturable: i.amount });
  else Object.assign(i, { status: "succeeded", received: i.amount, capturable: 0 });
}

class Create implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly merchant: number,
    readonly currency: number,
    readonly units: number,
    readonly manual: boolean,
    readonly card: "none" | "good" | "bad",
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    const r = real.merchants[this.merchant];
    if (!r) throw new Error("merchant");
    const fields: Record<string, string | number> = {
      amount: 500 + this.units * 10,
      currency: CURRENCIES[this.currency] ?? "usd",
      capture_method: this.manual ? "manual" : "automatic",
    };
    if (this.card !== "none")
      Object.assign(fields, { payment_method: this.card === "good" ? r.good : r.bad, confirm: "true" });
    const res = await post(r.m, "/v1/payment_intents", fields);
    const id = res.status === 402 ? res.body.error.payment_intent.id : res.body.id;
    const i: ModelIntent = {
      id,
      merchant: this.merchant,
      currency: String(fields.currency),
      amount: Number(fields.amount),
      manual: this.manual,
      status: "requires_payment_method",
      capturable: 0,
      received: 0,
      refunded: 0,
    };
    if (this.card === "good") authorized(i);
    expect(res.status).toBe(this.card === "bad" ? 402 : 200);
    model.intents.push(i);
  }
  toString = () =>
    `create(m${this.merchant}, ${CURRENCIES[this.currency]}, ${500 + this.units * 10}, ${this.manual ? "manual" : "auto"}, ${this.card})`;
}

class Confirm implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly index: number,
    readonly good: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.intents.length > 0;
  async run(model: Model, real: Real) {
    const i = pick(model, this.index);
    const r = i && real.merchants[i.merchant];
    if (!i || !r) throw new Error("intent");
    const res = await post(r.m, `/v1/payment_intents/${i.id}/confirm`, { payment_method: this.good ? r.good : r.bad });
    if (i.status !== "requires_payment_method" && i.status !== "requires_confirmation") {
      return expectError(res, 400, "payment_intent_unexpected_state");
    }
    if (!this.good) return expect(res.status).toBe(402);
    expect(res.status).toBe(200);
    authorized(i);
  }
  toString = () => `confirm(#${this.index}, ${this.good ? "good" : "bad"})`;
}

class Capture implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly index: number,
    readonly quarters: number,
  ) {}
  check = (m: Readonly<Model>) => m.intents.length > 0;
  async run(model: Model, real: Real) {
    const i = pick(model, this.index);
    const r = i && real.merchants[i.merchant];
    if (!i || !r) throw new Error("intent");
    // quarters 1–4 capture part or all; 5 asks for more than is capturable.
    const amount = this.quarters === 5 ? i.capturable + 10 : Math.max(10, tens((i.capturable * this.quarters) / 4));
    const res = await post(r.m, `/v1/payment_intents/${i.id}/capture`, { amount_to_capture: amount });
    if (i.status !== "requires_capture") return expectError(res, 400, "payment_intent_unexpected_state");
    if (amount > i.capturable) return expectError(res, 400, "amount_too_large");
    expect(res.status).toBe(200);
    Object.assign(i, { status: "succeeded", received: amount, capturable: 0 });
  }
  toString = () => `capture(#${this.index}, ${this.quarters}/4)`;
}

class Cancel implements fc.AsyncCommand<Model, Real> {
  constructor(readonly index: number) {}
  check = (m: Readonly<Model>) => m.intents.length > 0;
  async run(model: Model, real: Real) {
    const i = pick(model, this.index);
    const r = i && real.merchants[i.merchant];
    if (!i || !r) throw new Error("intent");
    const res = await post(r.m, `/v1/payment_intents/${i.id}/cancel`);
    if (i.status === "succeeded" || i.status === "canceled")
      return expectError(res, 400, "payment_intent_unexpected_state");
    expect(res.status).toBe(200);
    Object.assign(i, { status: "canceled", capturable: 0 });
  }
  toString = () => `cancel(#${this.index})`;
}

class Refund implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly index: number,
    readonly quarters: number,
  ) {}
  check = (m: Readonly<Model>) => m.intents.length > 0;
  async run(model: Model, real: Real) {
    const i = pick(model, this.index);
    const r = i && real.merchants[i.merchant];
    if (!i || !r) throw new Error("intent");
    const remaining = i.received - i.refunded;
    const amount = this.quarters === 5 ? remaining + 10 : Math.max(10, tens((remaining * this.quarters) / 4));
    const res = await post(r.m, "/v1/refunds", { payment_intent: i.id, amount });
    if (i.status !== "succeeded") return expectError(res, 400, "payment_intent_unexpected_state");
    if (remaining === 0) return expectError(res, 400, "charge_already_refunded");
    if (amount > remaining) return expectError(res, 400, "amount_too_large");
    expect([res.status, res.body.status]).toEqual([200, "succeeded"]);
    i.refunded += amount;
  }
  toString = () => `refund(#${this.index}, ${this.quarters}/4)`;
}

/** Compares every intent and every balance with the model, and checks the ledger. */
async function checkInvariants(model: Model, real: Real) {
  for (const i of model.intents) {
    const r = real.merchants[i.merchant];
    if (!r) throw new Error("merchant");
    const got = (await get(r.m, `/v1/payment_intents/${i.id}`)).body;
    expect({
      id: got.id,
      status: got.status,
      capturable: got.amount_capturable,
      received: got.amount_received,
      refunded: got.amount_refunded,
    }).toEqual({ id: i.id, status: i.status, capturable: i.capturable, received: i.received, refunded: i.refunded });
    expect(got.amount_received).toBeLessThanOrEqual(got.amount);
    expect(got.amount_refunded).toBeLessThanOrEqual(got.amount_received);
  }
  for (const [n, r] of real.merchants.entries()) {
    expect(await unbalancedTransactions(r.m.merchantId)).toEqual([]);
    const balance = (await get(r.m, "/v1/balance")).body;
    for (const currency of CURRENCIES) {
      const mine = model.intents.filter((i) => i.merchant === n && i.currency === currency);
      const amountIn = (list: { amount: number; currency: string }[]) =>
        list.find((b) => b.currency === currency)?.amount ?? 0;
      expect(amountIn(balance.pending)).toBe(mine.reduce((s, i) => s + i.received - i.refunded, 0));
      expect(amountIn(balance.authorized)).toBe(mine.reduce((s, i) => s + i.capturable, 0));
      expect(amountIn(balance.refunded)).toBe(mine.reduce((s, i) => s + i.refunded, 0));
      for (const list of [balance.pending, balance.authorized, balance.refunded, balance.available]) {
        expect(amountIn(list)).toBeGreaterThanOrEqual(0);
      }
    }
  }
}

const index = fc.nat({ max: 50 });
const commands = fc.commands(
  [
    fc
      .tuple(
        fc.nat({ max: 1 }),
        fc.nat({ max: 2 }),
        fc.nat({ max: 300 }),
        fc.boolean(),
        fc.constantFrom("none", "good", "good", "bad"),
      )
      .map(([m, c, u, manual, card]) => new Create(m, c, u, manual, card as "none" | "good" | "bad")),
    fc.tuple(index, fc.boolean()).map(([i, good]) => new Confirm(i, good)),
    fc.tuple(index, fc.integer({ min: 1, max: 5 })).map(([i, q]) => new Capture(i, q)),
    index.map((i) => new Cancel(i)),
    fc.tuple(index, fc.integer({ min: 1, max: 5 })).map(([i, q]) => new Refund(i, q)),
  ],
  { maxCommands: 24, size: "max" },
);

describe("payments model", () => {
  it(`agrees with the model after every step (${RUNS} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        const merchants = [];
        for (let n = 0; n < 2; n++) {
          // Commands run back to back; a high limit keeps this a payments test, not a rate-limit test.
          const m = await newMerchant({ rateLimit: 1000 });
          merchants.push({
            m,
            good: await paymentMethod(m, "4242424242424242"),
            bad: await paymentMethod(m, "4000000000000002"),
          });
        }
        const real: Real = { merchants };
        const model: Model = { intents: [] };
        await fc.asyncModelRun(() => ({ model, real }), wrapped(cmds));
      }),
      { numRuns: RUNS },
    );
  }, 600_000);
});

/** Wraps each command so the invariants are checked after it runs. */
function wrapped(cmds: Iterable<fc.AsyncCommand<Model, Real>>): Iterable<fc.AsyncCommand<Model, Real>> {
  return [...cmds].map((c) => ({
    check: (m: Readonly<Model>) => c.check(m),
    run: async (m: Model, r: Real) => {
      await c.run(m, r);
      await checkInvariants(m, r);
    },
    toString: () => c.toString(),
  }));
}
