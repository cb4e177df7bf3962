/**
 * Routing at claim time: which connector an authorization goes to, and which it fails over to.
 *
 * The merchant's routing snapshot (its newest routing configuration and its connector accounts) is
 * read once per isolate per ROUTING_CACHE_TTL_MS (5 s), so a payment normally reads nothing for it;
 * the operator routes that change either forget it in their isolate (`forgetRouting`), and other
 * isolates follow within the TTL. The choice itself is pure (domain/routing.ts): the candidates of
 * the first matching rule (a weighted split seeded by the intent id, so a retry of the same intent
 * routes the same way), then the default; filtered by what each account accepts (active, the
 * deployment's mode, currency, brand); connectors cooling down (connectors/health.ts) go last.
 * The first is the route, the next one the fallback. Without a routing configuration every active
 * account of the deployment's mode is a candidate, oldest first; a test deployment whose merchant
 * has neither a routing configuration nor a test connector account uses the built-in simulator. No candidate is a 400
 * `connector_unavailable` (noEffect: nothing was claimed).
 */

import { sha256Hex } from "../crypto/digest";
import type { Db } from "../db/client";
import { listConnectorAccounts } from "../db/connector-accounts";
import { latestRouting } from "../db/routing";
import { BUILTIN_CONNECTOR, type RouteChoice } from "../domain/payment-state";
import { accepts, candidates, type RoutingConfig, type RoutingFacts, seedOf } from "../domain/routing";
import { TtlCache } from "../lib/ttl-cache";
import { connectorHealthy } from "./health";
import { connectorUnavailable } from "./live-guard";

/** How long one isolate trusts a merchant's routing snapshot, in milliseconds. */
export const ROUTING_CACHE_TTL_MS = 5_000;

/** What an account offers routing. */
interface AccountFacts {
  id: string;
  status: "active" | "disabled";
  mode: "test" | "live";
  currencies: string[];
  brands: string[];
}

/** A merchant's routing configuration (null: never set) and connector accounts, oldest first. */
export interface RoutingSnapshot {
  config: RoutingConfig | null;
  accounts: AccountFacts[];
}

const cache = new TtlCache<string, Promise<RoutingSnapshot>>({ maxEntries: 1000, ttlMs: ROUTING_CACHE_TTL_MS });

/** Drops this isolate's snapshot of `merchantId` (after a routing or connector account write). */
export function forgetRouting(merchantId: string): void {
  cache.delete(merchantId);
}

/** The merchant's routing snapshot, from this isolate's cache or one parallel read of both tables. */
export function routingSnapshot(db: Db, merchantId: string): Promise<RoutingSnapshot> {
  const cached = cache.get(merchantId);
  if (cached) return cached;
  const read = Promise.all([latestRouting(db, merchantId), listConnectorAccounts(db, merchantId)]).then(
    ([config, accounts]) => ({
      config: config ?? null,
      accounts: accounts.map((a) => ({
        id: a.id,
        status: a.status,
        mode: a.mode,
        currencies: JSON.parse(a.currencies) as string[],
        brands: JSON.parse(a.brands) as string[],
      })),
    }),
  );
  cache.set(merchantId, read);
  read.catch(() => cache.delete(merchantId));
  return read;
}

/** True when the snapshot's choice can depend on the card (brand, country or BIN): the card must be read first. */
export function routesByCard(snapshot: RoutingSnapshot): boolean {
  const byRule = (snapshot.config?.rules ?? []).some(
    (r) =>
      r.conditions.brands !== undefined ||
      r.conditions.countries !== undefined ||
      r.conditions.bin_ranges !== undefined,
  );
  return byRule || snapshot.accounts.some((a) => a.brands.length > 0);
}

/** True when a test deployment serves the merchant with the built-in simulator. */
function builtin(snapshot: RoutingSnapshot, mode: "test" | "live"): boolean {
  return mode === "test" && snapshot.config === null && !snapshot.accounts.some((a) => a.mode === "test");
}

/**
 * Refuses at once, before anything is read or made, a payment no connector could take whatever its
 * card: no active account of the deployment's mode (unless the built-in simulator serves it).
 */
export function requireConnector(snapshot: RoutingSnapshot, mode: "test" | "live"): void {
  if (builtin(snapshot, mode)) return;
  if (snapshot.accounts.some((a) => a.status === "active" && a.mode === mode)) return;
  throw connectorUnavailable(
    mode === "live"
      ? "This merchant has no active live connector account, so live payments cannot be authorized."
      : "This merchant has no active test connector account, so payments cannot be authorized.",
  );
}

/** Where an authorization goes, and where it fails over to (if anywhere). */
export interface Route {
  route: RouteChoice;
  fallback: RouteChoice | undefined;
}

/**
 * Chooses the route of an authorization of intent `intentId` with `facts` from `snapshot` on a
 * `mode` deployment. Throws `connector_unavailable` when no connector accepts the payment.
 */
export async function chooseRoute(
  env: Env,
  snapshot: RoutingSnapshot,
  intentId: string,
  facts: RoutingFacts,
  mode: "test" | "live",
): Promise<Route> {
  if (builtin(snapshot, mode)) {
    return { route: { connector: BUILTIN_CONNECTOR, rule: null, version: 0 }, fallback: undefined };
  }
  const version = snapshot.config?.version ?? 0;
  const listed = snapshot.config
    ? candidates(snapshot.config, facts, seedOf(await sha256Hex(intentId)))
    : snapshot.accounts.map((a) => ({ connector: a.id, rule: null }));
  const byId = new Map(snapshot.accounts.map((a) => [a.id, a]));
  const eligible = listed.filter((c) => {
    const account = byId.get(c.connector);
    return account !== undefined && accepts(account, facts, mode);
  });
  if (eligible.length === 0) {
    throw connectorUnavailable(
      "No connector account of this merchant accepts this payment (its currency or card brand).",
    );
  }
  // Health matters only when there is a choice; a connector cooling down goes last, never out.
  const ordered =
    eligible.length === 1
      ? eligible
      : await Promise.all(eligible.map(async (c) => ({ c, ok: await connectorHealthy(env, c.connector) }))).then(
          (checked) => [...checked.filter((x) => x.ok), ...checked.filter((x) => !x.ok)].map((x) => x.c),
        );
  const [first, second] = ordered;
  if (!first) throw new Error("unreachable: no eligible connector");
  return {
    route: { connector: first.connector, rule: first.rule, version },
    fallback: second && { connector: second.connector, rule: second.rule, version },
  };
}
