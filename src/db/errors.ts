/** Recognising D1 constraint failures, which the storage layer turns into results (never HTTP errors). */

/**
 * A claim was refused because the intent already holds a claim under the same request
 * Idempotency-Key: the request is a re-run, and its first run's operation is recorded (see
 * `recordedAnswer`).
 */
export class RequestAlreadyRan extends Error {
  /** The recorded key the claim collided on (see `claimKey`). */
  readonly requestKey: string;
  constructor(requestKey: string) {
    super("this request already claimed an operation on the intent");
    this.name = "RequestAlreadyRan";
    this.requestKey = requestKey;
  }
}

/**
 * What a claim records as its request's key: the claim's kind and the Idempotency-Key, as the
 * gate scopes keys by route (the same key sent to capture and then to cancel is two requests).
 */
export function claimKey(kind: string, idempotencyKey: string): string {
  return `${kind}:${idempotencyKey}`;
}

/** True when a D1 error is a UNIQUE (or PRIMARY KEY) violation on `table` (the message names the table), or on `table.column`. */
export function isUniqueViolation(err: unknown, table: string): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const named = table.includes(".") ? table : `${table}.`;
    if (e.message.includes("UNIQUE constraint failed") && e.message.includes(named)) return true;
  }
  return false;
}

/**
 * True when a batch was aborted by a guard: a statement whose key is `(select … where <guard>)`
 * inserts NULL into a NOT NULL column when the guard is false, which rolls the whole batch back.
 */
export function isGuardMiss(err: unknown, column: string): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e.message.includes("NOT NULL constraint failed") && e.message.includes(column)) return true;
  }
  return false;
}
