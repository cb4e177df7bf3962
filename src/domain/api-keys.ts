/**
 * Stripe-style API keys: the three kinds, their prefixes, the shape of a key, the scopes each kind
 * carries and the rules of a roll. Pure: generation, hashing and storage live elsewhere
 * (crypto/secrets.ts, db/api-keys.ts, api-keys/manage.ts).
 */
import { SCOPES, type Scope } from "./scopes";

/** The kinds of key: secret (every scope), restricted (chosen scopes), publishable (browser-safe routes only). */
export const API_KEY_KINDS = ["secret", "restricted", "publishable"] as const;

/** One kind of key. */
export type ApiKeyKind = (typeof API_KEY_KINDS)[number];

/** The deployment's mode, which every key names in its prefix. */
export type KeyMode = "test" | "live";

const KIND_PREFIX = { secret: "sk", restricted: "rk", publishable: "pk" } as const satisfies Record<ApiKeyKind, string>;

/** Random base62 characters after the prefix: 48 × log2(62) ≈ 285 bits, more than 32 bytes. */
export const API_KEY_RANDOM_CHARS = 48;

/** What a publishable key may do wherever a route admits it (see `allowPublishable`): tokenize a card. */
export const PUBLISHABLE_SCOPES: readonly Scope[] = ["payment_methods:write"];

/** A roll's default grace period for the old key, in seconds (24 h). */
export const ROLL_DEFAULT_EXPIRES_IN = 24 * 3600;
/** The longest grace period a roll may give the old key, in seconds (7 days). */
export const ROLL_MAX_EXPIRES_IN = 7 * 24 * 3600;

/** The visible prefix of a key of `kind` in `mode`, e.g. `sk_test_`. */
export function keyPrefix(kind: ApiKeyKind, mode: KeyMode): string {
  return `${KIND_PREFIX[kind]}_${mode}_`;
}

/** The deployment's key mode from EDGEPAY_MODE: anything but `live` is test. */
export function keyMode(edgepayMode: string): KeyMode {
  return edgepayMode === "live" ? "live" : "test";
}

const SHAPE = new RegExp(`^(sk|rk|pk)_(test|live)_[0-9A-Za-z]{${API_KEY_RANDOM_CHARS}}$`);
const KIND_OF = { sk: "secret", rk: "restricted", pk: "publishable" } as const;

/** True when `credential` claims to be an API key (by its prefix), well formed or not. */
export function looksLikeApiKey(credential: string): boolean {
  return /^(sk|rk|pk)_/.test(credential);
}

/** A presented key's kind, or why it cannot be one of this deployment's keys (never which part was wrong, to a caller). */
export type ParsedKey = { ok: true; kind: ApiKeyKind } | { ok: false; reason: "malformed" | "wrong_mode" };

/** Checks a presented key's shape and that its mode is the deployment's, before any lookup. */
export function parseApiKey(key: string, mode: KeyMode): ParsedKey {
  const m = SHAPE.exec(key);
  if (!m) return { ok: false, reason: "malformed" };
  if (m[2] !== mode) return { ok: false, reason: "wrong_mode" };
  return { ok: true, kind: KIND_OF[m[1] as keyof typeof KIND_OF] };
}

/** The scopes a key of `kind` carries: every scope, its stored subset, or the browser-safe ones. */
export function keyScopes(kind: ApiKeyKind, stored: readonly Scope[]): readonly Scope[] {
  switch (kind) {
    case "secret":
      return SCOPES;
    case "restricted":
      return stored;
    case "publishable":
      return PUBLISHABLE_SCOPES;
  }
}

/** The first of `wanted` that `held` lacks: what stops a caller from minting or managing a broader key. */
export function missingScope(held: ReadonlySet<string>, wanted: readonly Scope[]): Scope | undefined {
  return wanted.find((s) => !held.has(s));
}

/** The display form of a key: its prefix, an ellipsis and its last four characters. */
export function redactedKey(prefix: string, last4: string): string {
  return `${prefix}…${last4}`;
}
