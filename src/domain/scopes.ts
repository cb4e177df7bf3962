/**
 * The closed set of scopes a merchant API client (or a restricted API key) can hold, and parsing of
 * the space-separated `scope` strings of RFC 6749 §3.3. Routes name the scope they need with
 * `requireScope(...)`.
 */

/** Every scope edgepay knows, in documentation order. */
export const SCOPES = [
  "payments:read",
  "payments:write",
  "refunds:read",
  "refunds:write",
  "payment_methods:read",
  "payment_methods:write",
  "customers:read",
  "customers:write",
  "checkout:read",
  "checkout:write",
  "radar:read",
  "radar:write",
  "balance:read",
  "payouts:read",
  "payouts:write",
  "reporting:read",
  "metrics:read",
  "events:read",
  "webhook_endpoints:read",
  "webhook_endpoints:write",
  "api_keys:read",
  "api_keys:write",
] as const;

/** One member of the scope set. */
export type Scope = (typeof SCOPES)[number];

const KNOWN: ReadonlySet<string> = new Set(SCOPES);

/** True when `value` is a known scope. */
export function isScope(value: string): value is Scope {
  return KNOWN.has(value);
}

/** Result of parsing a scope string: the distinct scopes in canonical order, or the first unknown one. */
export type ParsedScopes = { ok: true; scopes: Scope[] } | { ok: false; unknown: string };

/** Parses a space-separated scope string (or list); duplicates collapse, order becomes canonical. */
export function parseScopes(input: string | readonly string[]): ParsedScopes {
  const items = typeof input === "string" ? input.split(" ").filter((s) => s !== "") : input;
  const seen = new Set<string>();
  for (const item of items) {
    if (!isScope(item)) return { ok: false, unknown: item };
    seen.add(item);
  }
  return { ok: true, scopes: SCOPES.filter((s) => seen.has(s)) };
}

/** Serializes scopes as the space-separated OAuth2 `scope` string. */
export function formatScopes(scopes: Iterable<string>): string {
  return [...scopes].join(" ");
}
