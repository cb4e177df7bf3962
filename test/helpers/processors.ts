/**
 * Processors for failure tests, built on the real simulator through the dependency seam
 * (payments/deps.ts): the call really reaches the simulator (or deliberately does not), and the
 * answer the gateway sees is replaced. No binding is mocked and no row is edited.
 *
 * The simulator keeps no record of ordinary cards, so the processor side of a test is observed
 * here: `recordedProcessor` is the real simulator, noting every key it approved (an approval is
 * money moved; a key approved twice moved it once). Tests that count processor operations run
 * their apps and sweeps on it (directly, or under `Faults`).
 */
import { BUILTIN_CONNECTOR } from "../../src/domain/payment-state";
import { ConnectorUnreachable, type FollowUpRequest, type ProcessorConnector } from "../../src/processor/connector";
import { type ProcessorFactory, processorFor } from "../../src/processor/index";

/** A processor operation. */
export type Operation = "authorize" | "capture" | "void" | "refund";

/** Every processor key the simulator approved in this test file, with its operation. */
const approved = new Map<string, Operation>();

/** The operations the simulator approved for keys starting with `prefix`, one per key, sorted. */
export function approvedOps(prefix: string): Operation[] {
  return [...approved]
    .filter(([key]) => key.startsWith(prefix))
    .map(([, op]) => op)
    .sort();
}

/** The real simulator (`processorFor`), noting each approval for `approvedOps`. */
export const recordedProcessor: ProcessorFactory = (vault, claimed, defer, connector) => {
  const real = processorFor(vault, claimed, defer, connector);
  const noted =
    <R extends { key: string }>(op: Operation, call: (req: R) => Promise<unknown>) =>
    async (req: R): Promise<unknown> => {
      const answer = await call(req);
      if ((answer as { status?: unknown } | null)?.status === "approved") approved.set(req.key, op);
      return answer;
    };
  return {
    authorize: noted("authorize", (req) => real.authorize(req)),
    capture: noted("capture", (req: FollowUpRequest) => real.capture(req)),
    void: noted("void", (req: FollowUpRequest) => real.void(req)),
    refund: noted("refund", (req: FollowUpRequest) => real.refund(req)),
  };
};

/** What the gateway is made to see for an operation. */
export type Fault =
  /** A definite refusal, before the simulator is called (nothing moves). */
  | { kind: "refuse"; reason: "authorization_gone" | "declined" }
  /** The simulator acts, then the answer is lost (a timeout as the gateway sees it). */
  | { kind: "lose_answer" }
  /** The call never reaches the simulator, and the gateway sees a timeout. */
  | { kind: "lose_request" }
  /** The simulator acts, then the Worker "crashes": the call throws something that is not an answer. */
  | { kind: "crash_after" }
  /** The simulator answers after `ms`: widens the window in which other requests race the call. */
  | { kind: "slow"; ms: number }
  /** The connector cannot be reached: nothing is sent, and the gateway knows it (a connection refused). */
  | { kind: "unreachable" }
  /** The connector answers this decline without calling the simulator (e.g. `processing_error`). */
  | { kind: "decline"; code: string; declineCode: string };

/** A switchboard of faults per operation, changeable while a test runs. */
export class Faults {
  readonly #faults = new Map<string, Fault>();
  /** Calls per connector and operation (`authorize@mca_…`), whether or not they reached the simulator. */
  readonly calls = new Map<string, number>();
  /** Calls that reached the simulator, per operation. */
  readonly reached = new Map<Operation, number>();

  /** Makes every call of `op` see `fault` (null: none), on every connector. */
  set(op: Operation, fault: Fault | null): this {
    if (fault) this.#faults.set(op, fault);
    else this.#faults.delete(op);
    return this;
  }

  /** Makes calls of `op` on connector `connector` (an `mca_` id or `builtin`) see `fault`; wins over `set`. */
  setOn(connector: string, op: Operation, fault: Fault | null): this {
    const key = `${op}@${connector}` as Operation;
    if (fault) this.#faults.set(key, fault);
    else this.#faults.delete(key);
    return this;
  }

  clear(): this {
    this.#faults.clear();
    return this;
  }

  /** The processor factory to hand to `paymentDeps` or `createApp({ payments: { processor } })`. */
  readonly factory: ProcessorFactory = (vault, claimed, defer, connector = BUILTIN_CONNECTOR) => {
    const real = recordedProcessor(vault, claimed, defer, connector);
    const wrap =
      <R>(op: Operation, call: (req: R) => Promise<unknown>) =>
      async (req: R): Promise<unknown> => {
        const on = `${op}@${connector}`;
        this.calls.set(on, (this.calls.get(on) ?? 0) + 1);
        const fault = this.#faults.get(on) ?? this.#faults.get(op);
        if (fault?.kind === "refuse") return { status: "refused", reason: fault.reason };
        if (fault?.kind === "decline") return { status: "declined", code: fault.code, decline_code: fault.declineCode };
        if (fault?.kind === "unreachable") throw new ConnectorUnreachable();
        if (fault?.kind === "lose_request") throw new Error("timeout");
        if (fault?.kind === "slow") await scheduler.wait(fault.ms);
        this.reached.set(op, (this.reached.get(op) ?? 0) + 1);
        const answer = await call(req);
        if (fault?.kind === "lose_answer") throw new Error("timeout");
        if (fault?.kind === "crash_after") throw new TypeError("worker crashed");
        return answer;
      };
    const wrapped: ProcessorConnector = {
      authorize: wrap("authorize", (req) => real.authorize(req)),
      capture: wrap("capture", (req: FollowUpRequest) => real.capture(req)),
      void: wrap("void", (req: FollowUpRequest) => real.void(req)),
      refund: wrap("refund", (req: FollowUpRequest) => real.refund(req)),
    };
    return wrapped;
  };
}
