/**
 * The built-in deterministic processor. It behaves like a real acquirer's API as far as the gateway
 * can tell: idempotent on the request key (a repeated key returns the recorded answer and moves no
 * money), authorization references, captures and voids bounded by the authorization, and the
 * scripted failures of test-cards.ts. Its memory is the `simulator_operations` table.
 */
import { asc, eq, or, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { simulatorOperations } from "../db/schema";
import { newId } from "../lib/ids";
import { type AuthorizeRequest, type FollowUpRequest, type ProcessorConnector, ProcessorTimeout } from "./connector";
import { behaviourFor, SLOW_PROCESSOR_MS } from "./test-cards";

/** Reads the card number of a payment method; in production this is the vault's `detokenize`. */
export type CardReader = (merchantId: string, paymentMethod: string) => Promise<{ number: string }>;

type Kind = "authorize" | "capture" | "void" | "refund";
type Row = typeof simulatorOperations.$inferSelect;

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The simulator as a ProcessorConnector over the given database and card reader. */
export class SimulatedProcessor implements ProcessorConnector {
  readonly #db: Db;
  readonly #readCard: CardReader;

  constructor(db: Db, readCard: CardReader) {
    this.#db = db;
    this.#readCard = readCard;
  }

  async authorize(req: AuthorizeRequest): Promise<unknown> {
    const seen = await this.#replay(req.key);
    if (seen) return seen;
    const { number } = await this.#readCard(req.merchantId, req.paymentMethod);
    const behaviour = behaviourFor(number);
    if (behaviour.kind === "decline") {
      const answer = { status: "declined", code: behaviour.code, decline_code: behaviour.declineCode };
      return this.#record(req.key, "authorize", "none", req.amount, false, answer);
    }
    if (behaviour.kind === "slow") await new Promise((r) => setTimeout(r, SLOW_PROCESSOR_MS));
    const flaky = behaviour.kind === "timeout_after_processing" || behaviour.kind === "timeout_before_processing";
    const answer = { status: "approved", reference: newId("ch").replace("ch_", "auth_"), amount: req.amount };
    if (behaviour.kind === "timeout_before_processing") {
      // The request is "lost": remember only that it arrived, so a retry with the same key proceeds.
      await this.#record(req.key, "authorize", answer.reference, req.amount, true, null);
      throw new ProcessorTimeout();
    }
    const stored = await this.#record(req.key, "authorize", answer.reference, req.amount, flaky, answer);
    if (flaky) throw new ProcessorTimeout();
    return stored;
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

  /** A stored answer for `key`; a "lost" first attempt is completed now, as a retry would be. */
  async #replay(key: string): Promise<unknown> {
    const row = await this.#db.select().from(simulatorOperations).where(eq(simulatorOperations.key, key)).get();
    return this.#answerOf(row);
  }

  /** The answer recorded in `row` (undefined if none); completes a "lost" first attempt. */
  async #answerOf(row: Row | undefined): Promise<unknown> {
    if (!row) return undefined;
    if (row.answer !== null) return JSON.parse(row.answer);
    const answer = { status: "approved", reference: row.reference, amount: row.amount };
    await this.#db
      .update(simulatorOperations)
      .set({ answer: JSON.stringify(answer) })
      .where(eq(simulatorOperations.key, row.key));
    return answer;
  }

  async #followUp(kind: Exclude<Kind, "authorize">, req: FollowUpRequest): Promise<unknown> {
    // One read: the row of this key (a replay) and every operation on the authorization.
    const rows = await this.#db
      .select()
      .from(simulatorOperations)
      .where(or(eq(simulatorOperations.key, req.key), eq(simulatorOperations.reference, req.reference)))
      .orderBy(asc(sql`rowid`))
      .all();
    const seen = await this.#answerOf(rows.find((r) => r.key === req.key));
    if (seen) return seen;
    const auth = rows.find((r) => r.reference === req.reference && r.kind === "authorize");
    if (!auth?.answer) return { status: "refused", reason: "authorization_gone" };
    const done = rows.filter((r) => r.reference === req.reference && r.kind !== "authorize");
    const refusal = refusalOf(kind, auth, done, req.amount);
    if (refusal) return { status: "refused", reason: refusal };
    const answer = { status: "approved", reference: newId("ch").replace("ch_", `${kind}_`), amount: req.amount };
    const stored = await this.#record(req.key, kind, req.reference, req.amount, false, answer);
    if (auth.flaky) {
      // edgepay's timeout cards also lose the first answer of every follow-up call: the money moved.
      throw new ProcessorTimeout();
    }
    return stored;
  }

  /** Stores an answer under `key` unless one exists, and returns the answer that won. */
  async #record(key: string, kind: string, reference: string, amount: number, flaky: boolean, answer: unknown) {
    const text = answer === null ? null : JSON.stringify(answer);
    const inserted = await this.#db
      .insert(simulatorOperations)
      .values({ key, kind, reference, amount, flaky: flaky ? 1 : 0, answer: text, created: nowSeconds() })
      .onConflictDoNothing()
      .returning({ key: simulatorOperations.key })
      .get();
    // Ours won: our answer is the one stored. Otherwise another attempt recorded first: read its answer.
    if (inserted) return text === null ? undefined : JSON.parse(text);
    const row = await this.#db.select().from(simulatorOperations).where(eq(simulatorOperations.key, key)).get();
    return row?.answer ? JSON.parse(row.answer) : undefined;
  }
}

/**
 * Why the simulator refuses a follow-up call, or null: captures and voids happen once per
 * authorization (after a void the authorization is gone), and refunds stay within what was captured.
 */
function refusalOf(
  kind: Exclude<Kind, "authorize">,
  auth: Row,
  done: Row[],
  amount: number,
): "authorization_gone" | "declined" | null {
  const captured = done.filter((r) => r.kind === "capture").reduce((s, r) => s + r.amount, 0);
  if (kind === "capture" || kind === "void") {
    if (done.some((r) => r.kind === "void")) return "authorization_gone";
    return done.some((r) => r.kind === "capture") || amount > auth.amount ? "declined" : null;
  }
  const refunded = done.filter((r) => r.kind === "refund").reduce((s, r) => s + r.amount, 0);
  return refunded + amount <= captured ? null : "declined";
}
