/**
 * The dependencies of the payment services, built once per request (and once per sweep): the
 * database, the processor, the clock, and the bindings the vault reads its keys from. Tests build
 * it with a processor that refuses, times out or crashes, or a clock that jumps; nothing in
 * src/payments reaches for `getDb`, `processorFor` or `Date.now` itself.
 */
import { type Db, getDb } from "../db/client";
import type { ProcessorConnector } from "../processor/connector";
import { type ProcessorFactory, processorFor } from "../processor/index";
import type { ClaimedCard } from "../vault";

/** What the payment services run on. */
export interface PaymentDeps {
  /** Bindings for the vault (keys) and anything else that is per deployment. */
  env: Env;
  db: Db;
  /** The connector for one call; `claimed` is a card record the request already read. */
  processor: (claimed?: ClaimedCard) => ProcessorConnector;
  /** Unix seconds. */
  now: () => number;
}

/** Replacements for the defaults, for tests and for a future per-merchant connector choice. */
export interface PaymentOverrides {
  processor?: ProcessorFactory;
  now?: () => number;
}

/** Builds the dependencies for one request (or one sweep) from the environment. */
export function paymentDeps(env: Env, overrides: PaymentOverrides = {}): PaymentDeps {
  const factory = overrides.processor ?? processorFor;
  return {
    env,
    db: getDb(env),
    processor: (claimed) => factory(env, claimed),
    now: overrides.now ?? (() => Math.floor(Date.now() / 1000)),
  };
}
