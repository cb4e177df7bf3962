/**
 * The meter of one request: what the request log line and the metrics need that only code deep in
 * the request knows (storage calls made, time waiting for processors, the error code, the outcome
 * of an authorization). It lives in an AsyncLocalStorage for the request's duration, so the payment
 * services and the storage wrappers (monitoring/metered-env.ts) report to it without every
 * signature carrying it; outside a request (the cron, queues) there is none and reporting is a no-op.
 * Telemetry only: nothing reads the meter to decide anything.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { AuthOutcome, Point } from "../domain/metrics";

/** What one request measured so far. */
export interface Meter {
  d1Calls: number;
  doCalls: number;
  /** Milliseconds spent waiting for processors, or null when none was called. */
  processorMs: number | null;
  /** The error envelope's `code`, when the answer is an error. */
  errorCode: string | null;
  /** The last authorization this request ran to an outcome. */
  authorization: Point["authorization"];
  /** The merchant of that authorization: names it for requests with no merchant credential (hosted checkout, 3-D Secure). */
  merchant: string | null;
}

const storage = new AsyncLocalStorage<Meter>();

/** A fresh meter. */
export function newMeter(): Meter {
  return { d1Calls: 0, doCalls: 0, processorMs: null, errorCode: null, authorization: null, merchant: null };
}

/** Runs `fn` with `meter` as the current request's meter. */
export function withMeter<T>(meter: Meter, fn: () => T): T {
  return storage.run(meter, fn);
}

/** The current request's meter, or undefined outside a request. */
export function currentMeter(): Meter | undefined {
  return storage.getStore();
}

/** Notes the error code of the request's answer. */
export function meterError(code: string): void {
  const meter = storage.getStore();
  if (meter) meter.errorCode = code;
}

/**
 * Notes the outcome of an authorization this request ran for `intent`'s merchant (the last one
 * wins: a failover's final attempt).
 */
export function meterAuthorization(
  intent: { merchantId: string; amount: number; currency: string },
  outcome: AuthOutcome,
  declineCode: string | null = null,
): void {
  const meter = storage.getStore();
  if (!meter) return;
  meter.authorization = { outcome, declineCode, amount: intent.amount, currency: intent.currency };
  meter.merchant = intent.merchantId;
}

/** Times a processor call into the current meter. */
export async function meterProcessor<T>(call: () => Promise<T>): Promise<T> {
  const meter = storage.getStore();
  if (!meter) return call();
  const started = Date.now();
  try {
    return await call();
  } finally {
    meter.processorMs = (meter.processorMs ?? 0) + (Date.now() - started);
  }
}
