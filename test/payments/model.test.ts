/**
 * Model-based property test: random sequences of create, confirm, capture, cancel, refund, update,
 * sweep, settlement runs with their automatic payouts, manual payouts and idempotent replays across two merchants and three currencies (two-, zero- and
 * three-decimal), run through the real Worker and compared with a small model after every step.
 *
 * The model predicts every answer, including
 * - decline cards (402 with code and decline_code, the intent back to requires_payment_method);
 * - the timeout card 4000000000007080: the authorization's answer is lost (200 `processing`), and
 *   so is the first answer of every follow-up call on that authorization. The model holds such an
 *   intent (or refund) as *unknown* until a retry of its own operation, another action on the
 *   intent (which finishes the pending operation first) or the sweep resolves it;
 * - the 3-D Secure card 4000002760003184: the intent waits in requires_action (confirm again and
 *   cancel allowed, capture and amount updates refused) until a challenge command completes it
 *   (authorized, captured when automatic) or fails it (requires_payment_method), answered once;
 * - processor refusals injected through a Faults processor (capture declined / authorization gone,
 *   void declined, refund declined);
 * - updates of metadata (merge, "" removes, at most 50 keys after every merge) and amount (only
 *   before confirmation);
 * - Idempotency-Keys: a keyed request repeated exactly replays (same status and body, header
 *   Idempotent-Replayed: true); a keyed request refused by validation, then sent corrected under
 *   the same key, runs.
 * Invariants after every step, for each merchant the step sent requests for (all after a sweep):
 * GET (lists of intents and refunds) agrees with the model, captured ≤
 * authorized, refunded ≤ captured, the ledger has no problem (ledgerProblems), nothing is
 * `processing`/`pending` unless the model says its outcome is unknown, and the balance's
 * `authorized`, `pending` and `available` equal the model (settlement moves captured funds from
 * pending to available), and the balance transactions match the ledger (settlementProblems). Each run ends with a
 * sweep after which nothing may be unfinished.
 * Runs: 50 by default (about 85 s on 2 cores with maxCommands 16); set PROPERTY_RUNS=500 (for
 * example) for a longer search.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import type { IntentStatus, PendingOp } from "../../src/domain/payment-state";
import { EDGEPAY_CARDS } from "../../src/processor/test-cards";
import { eventProblems } from "../helpers/events";
import { call } from "../helpers/http";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { get, ledgerProblems, paymentMethod, post, unfinished } from "../helpers/payments";
import { Faults } from "../helpers/processors";
import { setTerms, settleAsOf, settlementProblems } from "../helpers/settlement";
import { sweepAll } from "../helpers/shards";

type Status = IntentStatus;
type Op = PendingOp["kind"];
interface ModelIntent {
  id: string;
  merchant: number;
  currency: string;
  amount: number;
  manual: boolean;
  status: Status;
  capturable: number;
  received: number;
  /** Reserved by refunds that are pending or succeeded (what `amount_refunded` shows). */
  refunded: number;
  metadata: Record<string, string>;
  /** decline_code of last_payment_error, or null. */
  lastError: string | null;
  /** The operation whose outcome is unknown (the intent is `processing`), or null. */
  pending: Op | null;
  pendingAmount: number;
  /** Authorized with a timeout card: the first answer of every processor call on it is lost. */
  flaky: boolean;
  /** Its capture was made available by a settlement run (the funds moved from pending to available). */
  settled: boolean;
}
interface ModelRefund {
  id: string;
  merchant: number;
  intent: string;
  currency: string;
  amount: number;
  status: "pending" | "succeeded" | "failed";
}
/** The last keyed request whose answer the gate saved: repeating it must replay that answer. */
interface Saved {
  merchant: number;
  path: string;
  fields: Record<string, string | number>;
  key: string;
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: a saved response body.
  body: any;
}
interface Model {
  intents: ModelIntent[];
  refunds: ModelRefund[];
  saved?: Saved;
  /** Paid out (automatic and manual payouts), per `<merchant>/<currency>`. */
  paidOut: Record<string, number>;
}
interface Real {
  merchants: { m: TestMerchant; pms: Map<string, string> }[];
  faults: Faults;
  app: ReturnType<typeof createApp>;
  keys: number;
  /** Merchants a step sent requests for: the ones checked after it. */
  touched: Set<number>;
}

const CURRENCIES = ["usd", "jpy", "kwd"];
const RUNS = Number(env.PROPERTY_RUNS) || 50;
/** A failing run's seed to replay (PROPERTY_SEED), or undefined for a fresh one. */
const SEED = env.PROPERTY_SEED ? Number(env.PROPERTY_SEED) : undefined;
/** Amounts that are valid in every test currency: ≥ 500 and multiples of 10. */
const tens = (n: number) => Math.floor(n / 10) * 10;
const GOOD = "4242424242424242";
/** Decline cards: number, code, decline_code. */
const DECLINES: [string, string, string][] = [
  ["4000000000000002", "card_declined", "generic_decline"],
  ["4000000000009995", "card_declined", "insufficient_funds"],
  ["4000000000000069", "expired_card", "expired_card"],
  ["4000000000000127", "incorrect_cvc", "incorrect_cvc"],
  ["4000000000000119", "processing_error", "processing_error"],
];
/** A 3-D Secure card (always challenged; authorized once the challenge is completed). */
const THREE_DS = "4000002760003184";
/** "none" (no payment method), "good", "timeout" (4000000000007080), "3ds" (THREE_DS) or "d<n>" (DECLINES[n]). */
type Card = string;
const cardArb = fc.constantFrom<Card>("none", "good", "good", "timeout", "3ds", "3ds", "d0", "d1", "d2", "d3", "d4");
const UNCONFIRMED: Status[] = ["requires_payment_method", "requires_confirmation"];
/** Where a confirm starts a new attempt and a cancel moves no money: also while a challenge waits. */
const CONFIRMABLE: Status[] = [...UNCONFIRMED, "requires_action"];
/** Error codes the gate never saves under a key (the request changed nothing). */
const NO_EFFECT = [
  "parameter_invalid",
  "parameter_missing",
  "parameter_unknown",
  "parameter_invalid_integer",
  "parameter_invalid_empty",
  "amount_too_small",
  "amount_too_large",
  "lock_timeout",
];

function pick(model: Model, index: number): ModelIntent | undefined {
  return model.intents.length === 0 ? undefined : model.intents[index % model.intents.length];
}

function merchantOf(real: Real, n: number) {
  const r = real.merchants[n];
  if (!r) throw new Error("merchant");
  return r;
}

/** The merchant's pm_ for `card` (tokenized on first use). */
async function pmFor(real: Real, n: number, card: Card): Promise<string> {
  const r = merchantOf(real, n);
  const number =
    card === "good"
      ? GOOD
      : card === "timeout"
        ? EDGEPAY_CARDS.timeoutAfterProcessing
        : card === "3ds"
          ? THREE_DS
          : decline(card)[0];
  const known = r.pms.get(number);
  if (known) return known;
  const pm = await paymentMethod(r.m, number);
  r.pms.set(number, pm);
  return pm;
}

function decline(card: Card): [string, string, string] {
  const d = DECLINES[Number(card.slice(1))];
  if (!d) throw new Error(`card ${card}`);
  return d;
}

interface Res {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields.
  body: any;
}

/** Sends a POST through the Faults app; a keyed one that the gate saves becomes `model.saved`. */
async function send(
  model: Model,
  real: Real,
  merchant: number,
  path: string,
  fields: Record<string, string | number>,
  key: string | undefined,
): Promise<Res> {
  real.touched.add(merchant);
  const res = await post(merchantOf(real, merchant).m, path, fields, { app: real.app, idempotencyKey: key });
  if (key) {
    expect(res.headers.get("idempotent-replayed")).toBeNull();
    const saved = res.status < 400 || !NO_EFFECT.includes(res.body.error?.code);
    if (saved) model.saved = { merchant, path, fields, key, status: res.status, body: res.body };
  }
  return res;
}

function expectError(res: Res, status: number, code: string, param?: string) {
  expect([res.status, res.body.error?.code, res.body.error?.param]).toEqual([status, code, param]);
}

function expectOk(res: Res, i: ModelIntent) {
  expect([res.status, res.body.error?.code, res.body.id, res.body.status]).toEqual([200, undefined, i.id, i.status]);
}

/** A 402/400 that names the intent and its status after the outcome. */
function expectRefused(res: Res, status: number, code: string, i: ModelIntent, declineCode?: string) {
  expect([res.status, res.body.error?.code, res.body.error?.decline_code, res.body.error?.payment_intent]).toEqual([
    status,
    code,
    declineCode,
    { id: i.id, status: i.status },
  ]);
}

/** An authorization approved now (not a timeout card): automatic capture follows at once. */
function authorized(i: ModelIntent) {
  i.lastError = null;
  if (i.manual) Object.assign(i, { status: "requires_capture", capturable: i.amount });
  else Object.assign(i, { status: "succeeded", received: i.amount, capturable: 0 });
}

/** Applies the outcome of the authorization `card` attempts (the claim already happened). */
function authorizeWith(i: ModelIntent, card: Card) {
  if (card === "good") return authorized(i);
  if (card === "3ds") return Object.assign(i, { status: "requires_action", lastError: null });
  if (card === "timeout") {
    return Object.assign(i, { status: "processing", pending: "authorize", flaky: true, lastError: null });
  }
  Object.assign(i, { status: "requires_payment_method", lastError: decline(card)[2] });
}

/**
 * The pending operation finished with its key (the processor replays its first answer: approved).
 * An approved authorization of an automatic intent claims its capture, whose first answer is lost
 * too (timeout card): the intent stays `processing` with the capture pending.
 */
function resolvePending(i: ModelIntent) {
  switch (i.pending) {
    case "authorize":
      Object.assign(i, { capturable: i.amount, lastError: null });
      if (i.manual) Object.assign(i, { status: "requires_capture", pending: null });
      else Object.assign(i, { pending: "capture", pendingAmount: i.amount });
      return;
    case "capture":
      Object.assign(i, { status: "succeeded", pending: null, received: i.pendingAmount, capturable: 0 });
      return;
    case "void":
      Object.assign(i, { status: "canceled", pending: null, capturable: 0 });
      return;
    case null:
      return;
  }
}

/** Finishes a pending operation that is not the request's own: true if the intent is still processing. */
function finishOther(i: ModelIntent): boolean {
  resolvePending(i);
  return i.status === "processing";
}

function newKey(real: Real): string {
  real.keys += 1;
  return `key-${real.keys}`;
}

/** A request that must fail validation (changing nothing), and what it is answered. */
interface Bad {
  merchant: number;
  path: string;
  fields: Record<string, string | number>;
  code: string;
  param: string;
}

/** A command that can run under a given key, and build a validation-failing twin of its request. */
abstract class Keyed implements fc.AsyncCommand<Model, Real> {
  constructor(readonly keyed: boolean) {}
  check = (m: Readonly<Model>) => m.intents.length > 0;
  run(model: Model, real: Real) {
    return this.exec(model, real, this.keyed ? newKey(real) : undefined);
  }
  abstract exec(model: Model, real: Real, key: string | undefined): Promise<void>;
  abstract bad(model: Model): Bad | undefined;
  abstract describe(): string;
  toString = () => `${this.describe()}${this.keyed ? "+key" : ""}`;
}

class Create extends Keyed {
  constructor(
    readonly merchant: number,
    readonly currency: number,
    readonly units: number,
    readonly manual: boolean,
    readonly card: Card,
    keyed: boolean,
  ) {
    super(keyed);
  }
  override check = () => true;
  fields(): Record<string, string | number> {
    return {
      amount: 500 + this.units * 10,
      currency: CURRENCIES[this.currency] ?? "usd",
      capture_method: this.manual ? "manual" : "automatic",
    };
  }
  async exec(model: Model, real: Real, key: string | undefined) {
    const fields = this.fields();
    if (this.card !== "none") {
      Object.assign(fields, { payment_method: await pmFor(real, this.merchant, this.card), confirm: "true" });
    }
    const res = await send(model, real, this.merchant, "/v1/payment_intents", fields, key);
    const id = res.status === 402 ? res.body.error?.payment_intent?.id : res.body.id;
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
      metadata: {},
      lastError: null,
      pending: null,
      pendingAmount: 0,
      flaky: false,
      settled: false,
    };
    if (this.card !== "none") authorizeWith(i, this.card);
    if (this.card.startsWith("d")) {
      const [, code, declineCode] = decline(this.card);
      expectRefused(res, 402, code, i, declineCode);
    } else expectOk(res, i);
    model.intents.push(i);
  }
  bad(): Bad {
    // Alternately an amount under the minimum and a confirm without a payment method.
    return this.units % 2 === 0
      ? {
          merchant: this.merchant,
          path: "/v1/payment_intents",
          fields: { ...this.fields(), amount: 0 },
          code: "amount_too_small",
          param: "amount",
        }
      : {
          merchant: this.merchant,
          path: "/v1/payment_intents",
          fields: { ...this.fields(), confirm: "true" },
          code: "parameter_missing",
          param: "payment_method",
        };
  }
  describe = () =>
    `create(m${this.merchant}, ${CURRENCIES[this.currency]}, ${500 + this.units * 10}, ${this.manual ? "manual" : "auto"}, ${this.card})`;
}

class Confirm extends Keyed {
  constructor(
    readonly index: number,
    readonly card: Card,
    keyed: boolean,
  ) {
    super(keyed);
  }
  async exec(model: Model, real: Real, key: string | undefined) {
    const i = pick(model, this.index);
    if (!i) throw new Error("intent");
    const fields: Record<string, string> = {};
    if (this.card !== "none") fields.payment_method = await pmFor(real, i.merchant, this.card);
    const res = await send(model, real, i.merchant, `/v1/payment_intents/${i.id}/confirm`, fields, key);
    if (i.pending) {
      // A retry naming no card, or the card the pending authorization uses (only the timeout card
      // leaves one pending), is that authorization's (or its automatic capture's) own.
      const sameCard = this.card === "none" || (this.card === "timeout" && i.flaky);
      const own = sameCard && (i.pending === "authorize" || (i.pending === "capture" && !i.manual));
      if (own) {
        resolvePending(i);
        return expectOk(res, i);
      }
      finishOther(i);
      return expectError(res, 400, "payment_intent_unexpected_state");
    }
    if (!CONFIRMABLE.includes(i.status)) return expectError(res, 400, "payment_intent_unexpected_state");
    if (this.card === "none" && i.status !== "requires_action") {
      return expectError(res, 400, "parameter_missing", "payment_method");
    }
    // Confirmed again while a challenge waits, naming no card: a new attempt with the same 3-D Secure card.
    if (this.card === "none") return expectOk(res, i);
    authorizeWith(i, this.card);
    if (this.card.startsWith("d")) {
      const [, code, declineCode] = decline(this.card);
      return expectRefused(res, 402, code, i, declineCode);
    }
    expectOk(res, i);
  }
  bad(model: Model): Bad | undefined {
    const i = pick(model, this.index);
    return (
      i && {
        merchant: i.merchant,
        path: `/v1/payment_intents/${i.id}/confirm`,
        fields: { payment_method: "card_4242" },
        code: "parameter_invalid",
        param: "payment_method",
      }
    );
  }
  describe = () => `confirm(#${this.index}, ${this.card})`;
}

type CaptureFault = "none" | "declined" | "authorization_gone";

class Capture extends Keyed {
  constructor(
    readonly index: number,
    readonly quarters: number,
    readonly fault: CaptureFault,
    keyed: boolean,
  ) {
    super(keyed);
  }
  async exec(model: Model, real: Real, key: string | undefined) {
    const i = pick(model, this.index);
    if (!i) throw new Error("intent");
    // quarters 1–4 capture part or all; 5 asks for more than is capturable.
    const amount = this.quarters === 5 ? i.capturable + 10 : Math.max(10, tens((i.capturable * this.quarters) / 4));
    // A refusal is injected only for a fresh capture call (not for finishing a pending operation).
    const fault = i.pending ? "none" : this.fault;
    if (fault !== "none") real.faults.set("capture", { kind: "refuse", reason: fault });
    let res: Res;
    try {
      res = await send(
        model,
        real,
        i.merchant,
        `/v1/payment_intents/${i.id}/capture`,
        { amount_to_capture: amount },
        key,
      );
    } finally {
      real.faults.clear();
    }
    // Checked against what the authorization holds before anything else.
    if (amount > (i.capturable || i.amount)) return expectError(res, 400, "amount_too_large", "amount_to_capture");
    if (i.pending) {
      // Any pending capture of the amount asked for is the request's own, whatever the capture method
      // (decideCapture): finishing it moves the money once, as the pending operation would have.
      const own = i.pending === "capture" && amount === i.pendingAmount;
      if (own) {
        resolvePending(i);
        return expectOk(res, i);
      }
      if (finishOther(i)) return expectError(res, 400, "payment_intent_unexpected_state");
    }
    if (i.status !== "requires_capture") return expectError(res, 400, "payment_intent_unexpected_state");
    if (amount > i.capturable) return expectError(res, 400, "amount_too_large", "amount_to_capture");
    switch (fault) {
      case "declined":
        // The authorization still stands: capturable again, nothing captured.
        return expectRefused(res, 402, "processing_error", i);
      case "authorization_gone":
        Object.assign(i, { status: "canceled", capturable: 0 });
        return expectRefused(res, 400, "charge_expired_for_capture", i);
      case "none":
        if (i.flaky) Object.assign(i, { status: "processing", pending: "capture", pendingAmount: amount });
        else Object.assign(i, { status: "succeeded", received: amount, capturable: 0 });
        return expectOk(res, i);
    }
  }
  bad(model: Model): Bad | undefined {
    const i = pick(model, this.index);
    return (
      i && {
        merchant: i.merchant,
        path: `/v1/payment_intents/${i.id}/capture`,
        fields: { amount_to_capture: i.amount + 10 },
        code: "amount_too_large",
        param: "amount_to_capture",
      }
    );
  }
  describe = () => `capture(#${this.index}, ${this.quarters}/4${this.fault === "none" ? "" : `, ${this.fault}`})`;
}

class Cancel extends Keyed {
  constructor(
    readonly index: number,
    readonly refuse: boolean,
    keyed: boolean,
  ) {
    super(keyed);
  }
  async exec(model: Model, real: Real, key: string | undefined) {
    const i = pick(model, this.index);
    if (!i) throw new Error("intent");
    const refuse = this.refuse && !i.pending;
    if (refuse) real.faults.set("void", { kind: "refuse", reason: "declined" });
    let res: Res;
    try {
      res = await send(model, real, i.merchant, `/v1/payment_intents/${i.id}/cancel`, {}, key);
    } finally {
      real.faults.clear();
    }
    if (i.pending) {
      if (i.pending === "void") {
        resolvePending(i);
        return expectOk(res, i);
      }
      if (finishOther(i)) return expectError(res, 400, "payment_intent_unexpected_state");
    }
    if (CONFIRMABLE.includes(i.status)) {
      i.status = "canceled";
      return expectOk(res, i);
    }
    if (i.status !== "requires_capture") return expectError(res, 400, "payment_intent_unexpected_state");
    // A refused void leaves the authorization capturable.
    if (refuse) return expectRefused(res, 402, "processing_error", i);
    if (i.flaky) Object.assign(i, { status: "processing", pending: "void" });
    else Object.assign(i, { status: "canceled", capturable: 0 });
    expectOk(res, i);
  }
  bad(model: Model): Bad | undefined {
    const i = pick(model, this.index);
    return (
      i && {
        merchant: i.merchant,
        path: `/v1/payment_intents/${i.id}/cancel`,
        fields: { cancellation_reason: "bored" },
        code: "parameter_invalid",
        param: "cancellation_reason",
      }
    );
  }
  describe = () => `cancel(#${this.index}${this.refuse ? ", void declined" : ""})`;
}

class Refund extends Keyed {
  constructor(
    readonly index: number,
    readonly quarters: number,
    readonly refuse: boolean,
    keyed: boolean,
  ) {
    super(keyed);
  }
  async exec(model: Model, real: Real, key: string | undefined) {
    const i = pick(model, this.index);
    if (!i) throw new Error("intent");
    const remaining = i.received - i.refunded;
    const amount = this.quarters === 5 ? remaining + 10 : Math.max(10, tens((remaining * this.quarters) / 4));
    if (this.refuse) real.faults.set("refund", { kind: "refuse", reason: "declined" });
    let res: Res;
    try {
      res = await send(model, real, i.merchant, "/v1/refunds", { payment_intent: i.id, amount }, key);
    } finally {
      real.faults.clear();
    }
    // Refunds never finish a pending intent operation: a processing intent is not refundable.
    if (i.status !== "succeeded") return expectError(res, 400, "payment_intent_unexpected_state");
    if (remaining === 0) return expectError(res, 400, "charge_already_refunded");
    if (amount > remaining) return expectError(res, 400, "amount_too_large", "amount");
    const status = this.refuse ? "failed" : i.flaky ? "pending" : "succeeded";
    expect([res.status, res.body.status, res.body.amount, res.body.payment_intent]).toEqual([
      200,
      status,
      amount,
      i.id,
    ]);
    // A failed refund gives its reservation back in the same batch.
    if (status !== "failed") i.refunded += amount;
    model.refunds.push({ id: res.body.id, merchant: i.merchant, intent: i.id, currency: i.currency, amount, status });
  }
  bad(model: Model): Bad | undefined {
    const i = pick(model, this.index);
    return (
      i && {
        merchant: i.merchant,
        path: "/v1/refunds",
        fields: { payment_intent: i.id, reason: "bored" },
        code: "parameter_invalid",
        param: "reason",
      }
    );
  }
  describe = () => `refund(#${this.index}, ${this.quarters}/4${this.refuse ? ", declined" : ""})`;
}

/** What an update changes: a few metadata keys ("" removes), up to exactly 50 or 51 keys, or the amount. */
type UpdateKind =
  | { kind: "metadata"; entries: [number, string][] }
  | { kind: "fill" }
  | { kind: "overflow" }
  | { kind: "amount"; units: number };

class Update extends Keyed {
  constructor(
    readonly index: number,
    readonly change: UpdateKind,
    keyed: boolean,
  ) {
    super(keyed);
  }
  /** The metadata the update sends, given the intent's current metadata. */
  metadata(current: Record<string, string>): Record<string, string> | undefined {
    const size = Object.keys(current).length;
    const fresh = (prefix: string, n: number) =>
      Object.fromEntries(Array.from({ length: Math.max(0, n) }, (_, k) => [`${prefix}${size}_${k}`, "v"]));
    switch (this.change.kind) {
      case "metadata":
        return Object.fromEntries(this.change.entries.map(([k, v]) => [`k${k}`, v]));
      case "fill":
        return fresh("f", 50 - size);
      case "overflow":
        return fresh("o", 51 - size);
      case "amount":
        return undefined;
    }
  }
  async exec(model: Model, real: Real, key: string | undefined) {
    const i = pick(model, this.index);
    if (!i) throw new Error("intent");
    const metadata = this.metadata(i.metadata);
    const fields: Record<string, string | number> = {};
    for (const [k, v] of Object.entries(metadata ?? {})) fields[`metadata[${k}]`] = v;
    const amount = this.change.kind === "amount" ? 500 + this.change.units * 10 : undefined;
    if (amount !== undefined) fields.amount = amount;
    const res = await send(model, real, i.merchant, `/v1/payment_intents/${i.id}`, fields, key);
    // More than 50 keys in the request itself fails validation before anything is looked at.
    if (metadata && Object.keys(metadata).length > 50) return expectError(res, 400, "parameter_invalid", "metadata");
    if (i.status === "canceled") return expectError(res, 400, "payment_intent_unexpected_state");
    if (amount !== undefined && !UNCONFIRMED.includes(i.status)) {
      return expectError(res, 400, "payment_intent_unexpected_state");
    }
    const merged = { ...i.metadata };
    for (const [k, v] of Object.entries(metadata ?? {})) {
      if (v === "") delete merged[k];
      else merged[k] = v;
    }
    // At most 50 keys after the merge; nothing changes otherwise.
    if (Object.keys(merged).length > 50) return expectError(res, 400, "parameter_invalid", "metadata");
    i.metadata = merged;
    if (amount !== undefined) i.amount = amount;
    // The write goes through the engine, which finishes a pending operation it finds.
    resolvePending(i);
    expectOk(res, i);
    expect(res.body.metadata).toEqual(i.metadata);
  }
  bad(model: Model): Bad | undefined {
    const i = pick(model, this.index);
    if (!i) return undefined;
    if (UNCONFIRMED.includes(i.status) && this.change.kind === "amount") {
      return {
        merchant: i.merchant,
        path: `/v1/payment_intents/${i.id}`,
        fields: { amount: 0 },
        code: "amount_too_small",
        param: "amount",
      };
    }
    // Over 50 keys after the merge (or in the request itself when the intent is canceled or empty).
    const size = i.status === "canceled" ? 0 : Object.keys(i.metadata).length;
    const fields: Record<string, string> = {};
    for (let k = 0; k < 51 - size; k++) fields[`metadata[x${k}]`] = "v";
    return {
      merchant: i.merchant,
      path: `/v1/payment_intents/${i.id}`,
      fields,
      code: "parameter_invalid",
      param: "metadata",
    };
  }
  describe = () => `update(#${this.index}, ${JSON.stringify(this.change)})`;
}

/** Repeats the last keyed request whose answer was saved: the same answer comes back, replayed. */
class Replay implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>) => m.saved !== undefined;
  async run(model: Model, real: Real) {
    const s = model.saved;
    if (!s) throw new Error("saved");
    real.touched.add(s.merchant);
    const res = await post(merchantOf(real, s.merchant).m, s.path, s.fields, { app: real.app, idempotencyKey: s.key });
    expect([res.status, res.headers.get("idempotent-replayed"), res.body]).toEqual([s.status, "true", s.body]);
  }
  toString = () => "replay";
}

/** A keyed request refused by validation, then sent corrected under the same key: the corrected one runs. */
class Corrected implements fc.AsyncCommand<Model, Real> {
  constructor(readonly inner: Keyed) {}
  check = (m: Readonly<Model>) => this.inner.check(m);
  async run(model: Model, real: Real) {
    const bad = this.inner.bad(model);
    if (!bad) throw new Error("bad request");
    const key = newKey(real);
    const res = await send(model, real, bad.merchant, bad.path, bad.fields, key);
    expectError(res, 400, bad.code, bad.param);
    await this.inner.exec(model, real, key);
  }
  toString = () => `corrected(${this.inner.describe()})`;
}

/** The scheduled sweep, run "later": every operation and refund whose outcome was unknown is finished. */
class Sweep implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(model: Model, real: Real) {
    for (const n of real.merchants.keys()) real.touched.add(n);
    await sweepAll({ at: Math.floor(Date.now() / 1000) + 120 });
    for (const i of model.intents) {
      // Expected: after the sweep no intent is processing (an automatic capture claimed by the
      // authorization the sweep finished is finished too).
      while (i.pending) resolvePending(i);
    }
    for (const r of model.refunds) if (r.status === "pending") r.status = "succeeded";
  }
  toString = () => "sweep";
}

/**
 * The shopper answers the 3-D Secure challenge of an intent waiting in requires_action: complete authorizes (and captures, automatic), fail returns it to
 * requires_payment_method; a second answer to the same challenge changes nothing.
 */
class Challenge implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly index: number,
    readonly complete: boolean,
    readonly twice: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.intents.some((i) => i.status === "requires_action");
  async run(model: Model, real: Real) {
    const waiting = model.intents.filter((i) => i.status === "requires_action");
    const i = waiting[this.index % waiting.length];
    if (!i) throw new Error("no intent waits for a challenge");
    real.touched.add(i.merchant);
    const got = await get(merchantOf(real, i.merchant).m, `/v1/payment_intents/${i.id}`, real.app);
    const path = new URL(got.body.next_action.redirect_to_url.url).pathname;
    const post = () => call(`${path}/${this.complete ? "complete" : "fail"}`, { method: "POST", body: "" }, real.app);
    const res = await post();
    if (this.twice) expect((await post()).status).toBe(200);
    expect(res.status).toBe(200);
    if (this.complete) authorized(i);
    else Object.assign(i, { status: "requires_payment_method", lastError: null });
    expect(await res.text()).toContain(this.complete ? "succeeded" : "failed");
  }
  toString = () => `challenge(${this.index}, ${this.complete ? "complete" : "fail"}${this.twice ? ", twice" : ""})`;
}

/** The model's available balance of merchant `n` in `currency`: settled captures less refunds and payouts. */
function availableOf(model: Model, n: number, currency: string): number {
  const here = model.intents.filter((i) => i.merchant === n && i.currency === currency);
  const settled = here.filter((i) => i.settled).reduce((s, i) => s + i.received, 0);
  const refunded = here.reduce((s, i) => s + i.refunded, 0);
  return settled - refunded - (model.paidOut[`${n}/${currency}`] ?? 0);
}

/**
 * A manual payout (`POST /v1/payouts`) of a share of the model's available balance, or of more
 * than it (`over`): paid when the available balance covers it, else `400 balance_insufficient`
 * with nothing written.
 */
class ManualPayout implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly merchant: number,
    readonly currency: string,
    readonly quarters: number,
  ) {}
  check = () => true;
  async run(model: Model, real: Real) {
    real.touched.add(this.merchant);
    const available = availableOf(model, this.merchant, this.currency);
    const amount =
      this.quarters === 5 ? Math.max(10, tens(available) + 10) : Math.max(10, tens((available * this.quarters) / 4));
    const res = await post(merchantOf(real, this.merchant).m, "/v1/payouts", { amount, currency: this.currency });
    if (amount > available) {
      expect([res.status, res.body.error?.code]).toEqual([400, "balance_insufficient"]);
      return;
    }
    expect([res.status, res.body.object, res.body.amount, res.body.automatic]).toEqual([200, "payout", amount, false]);
    const key = `${this.merchant}/${this.currency}`;
    model.paidOut[key] = (model.paidOut[key] ?? 0) + amount;
  }
  toString = () => `payout(m${this.merchant}, ${this.currency}, ${this.quarters}/4)`;
}

/** Days past now each settlement run is "as of": a new cut-off every run, so every run has its own key. */
let settlements = 0;

/**
 * A settlement run as of a cut-off far enough ahead that every capture recorded so far is due, then
 * the day's automatic payouts: in the model, every captured intent's funds become available, and
 * each positive available balance is paid out whole (the merchants have a bank account).
 */
class Settle implements fc.AsyncCommand<Model, Real> {
  check = () => true;
  async run(model: Model, real: Real) {
    for (const n of real.merchants.keys()) real.touched.add(n);
    settlements += 1;
    await settleAsOf(Math.floor(Date.now() / 1000) + (10 + settlements) * 86_400);
    for (const i of model.intents) if (i.received > 0) i.settled = true;
    for (const n of real.merchants.keys()) {
      for (const currency of CURRENCIES) {
        const available = availableOf(model, n, currency);
        const key = `${n}/${currency}`;
        if (available > 0) model.paidOut[key] = (model.paidOut[key] ?? 0) + available;
      }
    }
  }
  toString = () => "settle";
}

/** Compares every intent, refund and balance of the touched merchants with the model, and checks the ledger. */
async function checkInvariants(model: Model, real: Real) {
  const touched = [...real.touched];
  real.touched.clear();
  await Promise.all(
    touched.map(async (n) => {
      const r = merchantOf(real, n);
      const [intents, refunds, balance, problems, open, eventIssues, settlement] = await Promise.all([
        get(r.m, "/v1/payment_intents?limit=100"),
        get(r.m, "/v1/refunds?limit=100"),
        get(r.m, "/v1/balance"),
        ledgerProblems(r.m.merchantId),
        unfinished(r.m.merchantId),
        eventProblems(r.m.merchantId),
        settlementProblems(r.m.merchantId),
      ]);
      // The balance transactions match the ledger's pending and available balances exactly.
      expect(settlement).toEqual([]);
      // Every change has exactly its events (written in its batch), whatever faults and races happened.
      expect(eventIssues).toEqual([]);
      const mine = model.intents.filter((i) => i.merchant === n);
      const byId = <T extends { id: string }>(list: T[]) => [...list].sort((a, b) => (a.id < b.id ? -1 : 1));
      // biome-ignore lint/suspicious/noExplicitAny: API objects.
      const gotIntents = byId(intents.body.data as any[]).map((got) => {
        expect(got.amount_received).toBeLessThanOrEqual(got.amount);
        expect(got.amount_refunded).toBeLessThanOrEqual(got.amount_received);
        return {
          id: got.id,
          status: got.status,
          amount: got.amount,
          capturable: got.amount_capturable,
          received: got.amount_received,
          refunded: got.amount_refunded,
          metadata: got.metadata,
          lastError: got.last_payment_error?.decline_code ?? null,
        };
      });
      expect(gotIntents).toEqual(
        byId(mine).map((i) => ({
          id: i.id,
          status: i.status,
          amount: i.amount,
          capturable: i.capturable,
          received: i.received,
          refunded: i.refunded,
          metadata: i.metadata,
          lastError: i.lastError,
        })),
      );
      // Every refund that exists was answered 200 to its request (the model knows exactly those).
      // biome-ignore lint/suspicious/noExplicitAny: API objects.
      const gotRefunds = byId(refunds.body.data as any[]).map((f) => ({
        id: f.id,
        intent: f.payment_intent,
        amount: f.amount,
        status: f.status,
      }));
      const myRefunds = model.refunds.filter((f) => f.merchant === n);
      expect(gotRefunds).toEqual(
        byId(myRefunds).map((f) => ({ id: f.id, intent: f.intent, amount: f.amount, status: f.status })),
      );
      expect(problems).toEqual([]);
      // Nothing is processing or pending unless its outcome is unknown to the model.
      const unknown = [
        ...mine.filter((i) => i.pending).map((i) => i.id),
        ...myRefunds.filter((f) => f.status === "pending").map((f) => f.id),
      ];
      expect([...open].sort()).toEqual(unknown.sort());
      for (const currency of CURRENCIES) {
        const amountIn = (list: { amount: number; currency: string }[]) =>
          list.find((b) => b.currency === currency)?.amount ?? 0;
        const here = mine.filter((i) => i.currency === currency);
        expect(amountIn(balance.body.authorized)).toBe(here.reduce((s, i) => s + i.capturable, 0));
        // Captures stay pending until a settlement run (these merchants pay no fee); refunds are
        // taken from the available balance when reserved and given back if they fail.
        const captured = (settled: boolean) =>
          here.filter((i) => i.settled === settled).reduce((s, i) => s + i.received, 0);
        expect(amountIn(balance.body.pending)).toBe(captured(false));
        expect(amountIn(balance.body.available)).toBe(availableOf(model, n, currency));
        expect(
          captured(true) - here.reduce((s, i) => s + i.refunded, 0) - (model.paidOut[`${n}/${currency}`] ?? 0),
        ).toBe(availableOf(model, n, currency));
      }
    }),
  );
}

const index = fc.nat({ max: 50 });
const keyed = fc.boolean();
const createArb = fc
  .tuple(fc.nat({ max: 1 }), fc.nat({ max: 2 }), fc.nat({ max: 300 }), fc.boolean(), cardArb, keyed)
  .map(([m, c, u, manual, card, k]) => new Create(m, c, u, manual, card, k));
const confirmArb = fc.tuple(index, cardArb, keyed).map(([i, card, k]) => new Confirm(i, card, k));
const captureArb = fc
  .tuple(
    index,
    fc.integer({ min: 1, max: 5 }),
    fc.constantFrom<CaptureFault>("none", "none", "declined", "authorization_gone"),
    keyed,
  )
  .map(([i, q, f, k]) => new Capture(i, q, f, k));
const cancelArb = fc.tuple(index, fc.boolean(), keyed).map(([i, refuse, k]) => new Cancel(i, refuse, k));
const refundArb = fc
  .tuple(index, fc.integer({ min: 1, max: 5 }), fc.boolean(), keyed)
  .map(([i, q, refuse, k]) => new Refund(i, q, refuse, k));
const updateArb = fc
  .tuple(
    index,
    fc.oneof(
      fc
        .array(fc.tuple(fc.nat({ max: 5 }), fc.constantFrom("", "a", "b")), { minLength: 1, maxLength: 4 })
        .map((entries) => ({ kind: "metadata" as const, entries })),
      fc.constant({ kind: "fill" as const }),
      fc.constant({ kind: "overflow" as const }),
      fc.nat({ max: 300 }).map((units) => ({ kind: "amount" as const, units })),
    ),
    keyed,
  )
  .map(([i, change, k]) => new Update(i, change, k));
const challengeArb = fc
  .tuple(index, fc.boolean(), fc.boolean())
  .map(([i, complete, twice]) => new Challenge(i, complete, twice));
const commands = fc.commands(
  [
    createArb,
    createArb,
    confirmArb,
    captureArb,
    cancelArb,
    refundArb,
    updateArb,
    challengeArb,
    challengeArb,
    challengeArb,
    fc.constant(new Replay()),
    fc.constant(new Sweep()),
    fc.constant(new Settle()),
    fc
      .tuple(fc.nat({ max: 1 }), fc.constantFrom(...CURRENCIES), fc.integer({ min: 1, max: 5 }))
      .map(([m, c, q]) => new ManualPayout(m, c, q)),
    fc.oneof(createArb, confirmArb, captureArb, cancelArb, refundArb, updateArb).map((c) => new Corrected(c)),
  ],
  { maxCommands: 16, size: "max" },
);

// One app for the file: its processor is the simulator behind a switchboard each command sets and clears.
const faults = new Faults();
const app = createApp({ payments: { processor: faults.factory } });

describe("payments model", () => {
  it(
    `agrees with the model after every step (${RUNS} runs)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(commands, async (cmds) => {
          faults.clear();
          const merchants = [];
          for (let n = 0; n < 2; n++) {
            // Commands run back to back; a high limit keeps this a payments test, not a rate-limit test.
            const m = await newMerchant({ rateLimit: 1000 });
            // A bank account, so settlement runs pay out and manual payouts can be made.
            await setTerms(m.merchantId, { bank_account: { account_number: "000123456789" } });
            merchants.push({ m, pms: new Map<string, string>() });
          }
          const real: Real = { merchants, faults, app, keys: 0, touched: new Set() };
          const model: Model = { intents: [], refunds: [], paidOut: {} };
          await fc.asyncModelRun(() => ({ model, real }), wrapped(cmds));
          // The end of every run: a sweep leaves nothing unfinished.
          await new Sweep().run(model, real);
          for (const r of merchants) expect(await unfinished(r.m.merchantId)).toEqual([]);
          await checkInvariants(model, real);
        }),
        { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
      );
    },
    Math.max(900_000, RUNS * 5_000),
  );
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
