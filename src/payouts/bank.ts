/**
 * The bank transfer connector contract, the gateway's side of every call (a timeout and strict
 * validation of the answer), and the deterministic simulator edgepay ships. A connector must be
 * idempotent on the payout id: sending the same payout twice moves money once, and `status` is
 * asked by the payout id, so a send whose answer was lost is found again (or answered `unknown`,
 * and sent again under the same id). Tests inject a connector that refuses, times out or throws
 * through `BankFactory` (payoutShard's options).
 */
import { z } from "@hono/zod-openapi";
import { failureMessage, PAYOUT_FAILURE_CODES, type PayoutFailureCode } from "../domain/payouts";

/** What the bank is asked to transfer: the payout as the gateway stored it. */
export interface BankTransfer {
  id: string;
  merchantId: string;
  amount: number;
  currency: string;
  arrivalDate: number;
  bankLast4: string | null;
  statementDescriptor: string | null;
}

/** The answer to a send: accepted (on its way), or refused at once. */
export type SendAnswer =
  | { status: "in_transit"; reference: string }
  | { status: "failed"; code: PayoutFailureCode; message: string };

/** What the bank says about a payout it was sent: on its way, arrived, returned, or never received. */
export type StatusAnswer =
  | { status: "in_transit" }
  | { status: "paid" }
  | { status: "failed"; code: PayoutFailureCode; message: string }
  | { status: "unknown" };

/** What a bank connector offers; answers are `unknown` input until `callBank` validates them. */
export interface BankConnector {
  send(transfer: BankTransfer): Promise<unknown>;
  status(transfer: BankTransfer, now: number): Promise<unknown>;
}

/** The merchant's bank terms a connector is built for. */
export interface BankTerms {
  bankLast4: string | null;
  bankBehaviour: "succeeds" | "no_account" | "account_closed" | null;
}

/** Builds the connector for one merchant's bank account. */
export type BankFactory = (terms: BankTerms) => BankConnector;

/** How long the gateway waits for the bank before treating the call as unanswered (retried next run). */
export const BANK_TIMEOUT_MS = 8000;

const failed = z.strictObject({
  status: z.literal("failed"),
  code: z.enum(PAYOUT_FAILURE_CODES),
  message: z.string().max(500),
});
const SendSchema = z.discriminatedUnion("status", [
  z.strictObject({ status: z.literal("in_transit"), reference: z.string().regex(/^[A-Za-z0-9_]{1,64}$/) }),
  failed,
]);
const StatusSchema = z.discriminatedUnion("status", [
  z.strictObject({ status: z.literal("in_transit") }),
  z.strictObject({ status: z.literal("paid") }),
  failed,
  z.strictObject({ status: z.literal("unknown") }),
]);

/** Thrown when the bank did not answer in time, threw, or answered something that does not parse. */
export class BankUnavailable extends Error {
  constructor(reason: string) {
    super(`bank unavailable: ${reason}`);
    this.name = "BankUnavailable";
  }
}

async function answered<T>(schema: z.ZodType<T>, call: () => Promise<unknown>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BankUnavailable("timeout")), BANK_TIMEOUT_MS);
  });
  try {
    const raw = await Promise.race([call(), timeout]).catch((err: unknown) => {
      throw err instanceof BankUnavailable ? err : new BankUnavailable("error");
    });
    const parsed = schema.safeParse(raw);
    if (!parsed.success) throw new BankUnavailable("malformed answer");
    return parsed.data;
  } finally {
    clearTimeout(timer);
  }
}

/** Sends `transfer` through `bank`, validated; throws BankUnavailable when the outcome is not known. */
export function sendTransfer(bank: BankConnector, transfer: BankTransfer): Promise<SendAnswer> {
  return answered(SendSchema, () => bank.send(transfer));
}

/** Asks `bank` where `transfer` stands, validated; throws BankUnavailable when it does not say. */
export function transferStatus(bank: BankConnector, transfer: BankTransfer, now: number): Promise<StatusAnswer> {
  return answered(StatusSchema, () => bank.status(transfer, now));
}

/**
 * The simulated bank: accepts every transfer (reference `sim_<payout id suffix>`), and on or after
 * its arrival date answers by the account's behaviour: `succeeds` (or none) → paid; `no_account` and
 * `account_closed` → failed with that code. Stateless and deterministic, so repeating a call is safe.
 */
export function simulatedBank(terms: BankTerms): BankConnector {
  return {
    async send(transfer) {
      return { status: "in_transit", reference: `sim_${transfer.id.slice(transfer.id.indexOf("_") + 1)}` };
    },
    async status(transfer, now) {
      if (now < transfer.arrivalDate) return { status: "in_transit" };
      const behaviour = terms.bankBehaviour ?? "succeeds";
      if (behaviour === "succeeds") return { status: "paid" };
      return { status: "failed", code: behaviour, message: failureMessage(behaviour) };
    },
  };
}
