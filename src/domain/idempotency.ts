/**
 * Idempotency rules as pure functions: key validation, the canonical request form that is
 * fingerprinted, and the decision an admission makes for a key given what is stored for it.
 */

/** Longest accepted `Idempotency-Key`, as in Stripe and the IETF draft. */
export const MAX_KEY_LENGTH = 255;

/** How long a saved response is kept and replayed, in milliseconds (24 h). */
export const RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * How long an admitted request holds its key before another attempt may take over, in ms (60 s).
 * It must outlast a legitimate request (Workers wait on the processor and D1; processor calls
 * time out well under 30 s), and it bounds how long a key stays blocked after a Worker dies
 * mid-request or its `complete`, sent after the answer (waitUntil), is lost: the stripe SDK's retries (0.5–5 s backoff) see 409 during the lease, and a later
 * retry takes over. Exactly-once effects never depend on the lease: the create handlers' unique
 * (merchant_id, idempotency_key) index makes a takeover find the first attempt's object.
 */
export const LEASE_MS = 60 * 1000;

/** What the gate stores about a key, as far as the decision needs. */
export interface KeyRecord {
  fingerprint: string;
  state: "running" | "done";
  leaseUntil: number;
  expires: number;
}

/** What to do with a request that carries a key. */
export type KeyDecision = "begin" | "replay" | "mismatch" | "in_use";

/** Why a header value is not a usable key, or null when it is one. */
export function keyProblem(key: string): string | null {
  if (key.length === 0) return "The Idempotency-Key header is empty.";
  if (key.length > MAX_KEY_LENGTH) return `The Idempotency-Key header is longer than ${MAX_KEY_LENGTH} characters.`;
  return null;
}

/**
 * Decides for a request whose fingerprint is `fingerprint`: an unknown or pruned key, or one whose
 * holder's lease ran out, begins; a finished one replays; a different request is a mismatch; a
 * live one is in use. A mismatch wins over in-use so a wrong reuse is reported as such.
 */
export function decide(record: KeyRecord | undefined, fingerprint: string, now: number): KeyDecision {
  if (!record || record.expires <= now) return "begin";
  if (record.fingerprint !== fingerprint) return "mismatch";
  if (record.state === "done") return "replay";
  return record.leaseUntil > now ? "in_use" : "begin";
}

/**
 * The canonical text of a request, the input of its fingerprint: method, path, the caller's scopes
 * and the body with object keys sorted and scalars as strings, so a form body and the equivalent
 * JSON body (`amount=100` and `{"amount":100}`) are the same request, as they are to the validators.
 * The scopes are part of it so a token that may not make the request cannot read its saved answer.
 */
export function canonicalRequest(
  method: string,
  path: string,
  body: Record<string, unknown>,
  scopes: Iterable<string> = [],
): string {
  return JSON.stringify([method.toUpperCase(), path, [...scopes].sort(), canonical(body)]);
}

/**
 * Deepest nesting `canonical` walks. The body middleware already refuses bodies nested deeper than
 * 32 levels, so this only keeps the recursion bounded should a caller skip that check.
 */
const MAX_CANONICAL_DEPTH = 64;

function canonical(value: unknown, depth = 0): unknown {
  if (depth > MAX_CANONICAL_DEPTH) throw new RangeError("canonicalRequest: body nested too deeply");
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map((v) => canonical(v, depth + 1));
  if (typeof value === "object") {
    // Sorted insertion; JSON.stringify then emits keys in one order (integer-like keys first, as JS does).
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v, depth + 1)]));
  }
  return String(value);
}
