/**
 * The dependencies of the payment services, built once per request (and once per shard for a
 * sweep): the merchant's database (its shard, resolved by merchant authentication from the
 * access-status cache), the processor, the clock, and the bindings the vault reads its keys from.
 * Tests build it with a processor that refuses, times out or crashes, or a clock that jumps;
 * nothing in src/payments reaches for a database binding, `processorFor` or `Date.now` itself.
 */
import type { Db } from "../db/client";
import type { EventOrigin } from "../db/events";
import type { ClientFacts } from "../fraud/screen";
import { log } from "../lib/log";
import type { ProcessorConnector } from "../processor/connector";
import { type ProcessorFactory, processorFor } from "../processor/index";
import type { ReportsFactory } from "../processor/settlement-file";
import type { ClaimedCard } from "../vault";

/** What the payment services run on. */
export interface PaymentDeps {
  /** Bindings for the vault (keys) and anything else that is per deployment. */
  env: Env;
  /** The database holding the merchant's objects (for a sweep: the shard being swept). */
  db: Db;
  /**
   * The connector for one call: `connector` is a connector account id of the merchant, or `builtin`
   * (the default); `claimed` is a card record the request already read.
   */
  processor: (claimed?: ClaimedCard, connector?: string) => ProcessorConnector;
  /** Unix seconds. */
  now: () => number;
  /** The request the events of its changes name (`request.id`, `idempotency_key`); null for the sweep. */
  origin: EventOrigin | null;
  /** Where the request came from, for the fraud screen; null for the sweep. */
  client: ClientFacts | null;
  /** Runs work after the answer is sent (the request's waitUntil); failures are logged, never thrown. */
  defer: (work: Promise<unknown>) => void;
  /** Whether authorizations are screened for fraud first (`FRAUD_SCREEN = "on"`). */
  fraudScreen: boolean;
}

/** `defer` without a request: the work runs unawaited, its failure logged. */
function unawaited(work: Promise<unknown>): void {
  work.catch((err: unknown) =>
    log("error", "deferred_work_failed", { error: err instanceof Error ? err.name : "unknown" }),
  );
}

/** Replacements for the defaults, for tests and for a future per-merchant connector choice. */
export interface PaymentOverrides {
  processor?: ProcessorFactory;
  /** The processor's reports (its settlement files) that reconciliation reads. */
  reports?: ReportsFactory;
  now?: () => number;
}

/**
 * Builds the dependencies for one request (or one shard's sweep, `origin` and `request` null) on
 * the merchant's database `db`.
 */
export function paymentDeps(
  env: Env,
  db: Db,
  overrides: PaymentOverrides = {},
  origin: EventOrigin | null = null,
  request: { client: ClientFacts; defer: (work: Promise<unknown>) => void } | null = null,
): PaymentDeps {
  const factory = overrides.processor ?? processorFor;
  const defer = request?.defer ?? unawaited;
  return {
    env,
    db,
    processor: (claimed, connector) => factory({ env, db }, claimed, defer, connector),
    now: overrides.now ?? (() => Math.floor(Date.now() / 1000)),
    origin,
    client: request?.client ?? null,
    defer,
    fraudScreen: env.FRAUD_SCREEN === "on",
  };
}
