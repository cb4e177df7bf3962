/**
 * The built-in deterministic processor. It behaves like an acquirer's API as far as the gateway can
 * tell: idempotent on the request key, authorization references, follow-ups bounded by the
 * authorized amount, and the scripted failures of test-cards.ts.
 *
 * Ordinary cards (approved, declined, slow) make no storage call: every answer is a function of the
 * request. An authorization's reference is `auth_<h>_<amount>`, h being 96 bits of SHA-256(key) in
 * hex, and a follow-up's is `<kind>_<h>` of its own key. So a repeated key gets the same answer by
 * construction and moves nothing twice, and a follow-up refuses from the reference alone what an
 * acquirer would: a reference it never issued (`authorization_gone`) and an amount above the
 * authorization (`declined`). What needs an authorization's history (a second capture, a capture
 * after a void, refunds beyond the capture) is not refused here: the gateway refuses it before
 * calling, from its own rows, and tests inject such refusals with `Faults` (test/helpers/processors.ts).
 *
 * Scripted cards need memory (a retry must find the recorded answer; a lost first attempt must be
 * completable): the SimulatorMemory Durable Object, one object per such authorization, whose
 * reference carries `_t` so its follow-ups know to ask it. Only those cards pay for it.
 *
 * The connector contract says a repeated key is answered before the card is read. An ordinary
 * authorization is not remembered, so its repeated key reads the card again; if the card was
 * detached in between, the repeat is refused (`payment_method_unavailable`) although the first
 * attempt was approved. That is safe here because the simulator holds no money: nothing is left
 * behind. A scripted authorization keeps the contract: an unreadable card asks its memory first.
 *
 * Settlement: every capture and refund the simulator approves (money moved, even when the answer
 * is then lost) is handed to `settle`, which records it in the merchant's SimulatorLedger in the
 * background: the answer never waits for it. That ledger is the simulator's daily settlement file
 * (settlement-file.ts), which reconciliation matches against the gateway's balance transactions.
 */
import { sha256Hex } from "../crypto/digest";
import type { SettlementLine } from "../durable/simulator-ledger";
import type { SimulatorMemory } from "../durable/simulator-memory";
import {
  type AuthorizeRequest,
  CardUnavailable,
  type FollowUpRequest,
  type ProcessorConnector,
  ProcessorTimeout,
} from "./connector";
import { behaviourFor, SLOW_PROCESSOR_MS } from "./test-cards";

/** Reads the card number of a payment method; in production this is the vault's `detokenize`. */
export type CardReader = (merchantId: string, paymentMethod: string) => Promise<{ number: string }>;

/** The memory object of one scripted authorization, by its digest; in production `SIMULATOR_MEMORY.getByName`. */
export type MemoryFor = (digest: string) => Pick<SimulatorMemory, "attempt" | "recall">;

/**
 * Hands a settled operation of merchant `merchantId` to the settlement ledger without waiting for
 * it (in production a deferred `SIMULATOR_LEDGER` call); must not throw.
 */
export type Settle = (merchantId: string, line: SettlementLine) => void;

type FollowUp = "capture" | "void" | "refund";

/** What an authorization reference carries: the key's digest, the amount, and whether the card is scripted. */
interface Authorization {
  digest: string;
  amount: number;
  scripted: boolean;
}

const REFERENCE = /^auth_([0-9a-f]{24})_(0|[1-9][0-9]{0,14})(_t)?$/;

/** The reference handed out for an authorization. */
function referenceOf(a: Authorization): string {
  return `auth_${a.digest}_${a.amount}${a.scripted ? "_t" : ""}`;
}

/** The authorization a reference names, or null if the simulator never issues such a reference. */
function parseReference(reference: string): Authorization | null {
  const m = REFERENCE.exec(reference);
  if (!m) return null;
  return { digest: m[1] as string, amount: Number(m[2]), scripted: m[3] !== undefined };
}

/** The settlement line of an approved capture or refund, dated by the simulator's clock now. */
function settlementLine(type: "capture" | "refund", req: FollowUpRequest, operation: string): SettlementLine {
  const now = Date.now();
  return {
    key: req.key,
    date: new Date(now).toISOString().slice(0, 10),
    type,
    reference: req.reference,
    operation,
    amount: type === "capture" ? req.amount : -req.amount,
    currency: req.currency,
    settled: Math.floor(now / 1000),
  };
}

/** 96 bits of SHA-256 of a processor key, as hex. */
async function digestOf(key: string): Promise<string> {
  return (await sha256Hex(key)).slice(0, 24);
}

/** The simulator as a ProcessorConnector over a card reader and the scripted cards' memory. */
export class SimulatedProcessor implements ProcessorConnector {
  readonly #memory: MemoryFor;
  readonly #readCard: CardReader;
  readonly #settle: Settle;

  constructor(memory: MemoryFor, readCard: CardReader, settle: Settle = () => {}) {
    this.#memory = memory;
    this.#readCard = readCard;
    this.#settle = settle;
  }

  async authorize(req: AuthorizeRequest): Promise<unknown> {
    const digest = await digestOf(req.key);
    let number: string;
    try {
      ({ number } = await this.#readCard(req.merchantId, req.paymentMethod));
    } catch (err) {
      if (!(err instanceof CardUnavailable)) throw err;
      // Only a scripted authorization can have been recorded under this key; anything else is refused.
      const recorded = await this.#memory(digest).recall(req.key);
      if (recorded === null) throw err;
      return JSON.parse(recorded);
    }
    const behaviour = behaviourFor(number);
    const approved = (scripted: boolean) => ({
      status: "approved",
      reference: referenceOf({ digest, amount: req.amount, scripted }),
      amount: req.amount,
    });
    switch (behaviour.kind) {
      case "decline":
        return { status: "declined", code: behaviour.code, decline_code: behaviour.declineCode };
      case "approve":
        return approved(false);
      case "slow":
        await scheduler.wait(SLOW_PROCESSOR_MS);
        return approved(false);
      case "timeout_after_processing":
        return this.#scripted(digest, req.key, approved(true), false);
      case "timeout_before_processing":
        return this.#scripted(digest, req.key, approved(true), true);
    }
  }

  capture(req: FollowUpRequest): Promise<unknown> {
    return this.#followUp("capture", req);
  }

  void(req: FollowUpRequest): Promise<unknown> {
    return this.#followUp("void", req);
  }

  refund(req: FollowUpRequest): Promise<unknown> {
    return this.#followUp("refund", req);
  }

  /** A capture, void or refund: bounded by the authorized amount; a scripted authorization's go through its memory. */
  async #followUp(kind: FollowUp, req: FollowUpRequest): Promise<unknown> {
    const auth = parseReference(req.reference);
    if (!auth) return { status: "refused", reason: "authorization_gone" };
    if (req.amount > auth.amount) return { status: "refused", reason: "declined" };
    const answer = { status: "approved", reference: `${kind}_${await digestOf(req.key)}`, amount: req.amount };
    if (kind !== "void") this.#settle(req.merchantId, settlementLine(kind, req, answer.reference));
    // edgepay's timeout cards also lose the first answer of every follow-up call: the money moved.
    return auth.scripted ? this.#scripted(auth.digest, req.key, answer, false) : answer;
  }

  /** Answers a scripted card's call from its memory; its first attempt times out (see SimulatorMemory.attempt). */
  async #scripted(digest: string, key: string, answer: object, lost: boolean): Promise<unknown> {
    const given = await this.#memory(digest).attempt(key, JSON.stringify(answer), lost);
    if (given === null) throw new ProcessorTimeout();
    return JSON.parse(given);
  }
}
