/**
 * Payment routing, pure: a merchant's ordered rules pick the connector accounts a payment should
 * try, first to last. The first rule whose conditions all hold decides (one connector, or a weighted
 * split whose member is chosen by a seed derived from the intent id, so a retry routes the same way);
 * the default connector comes after it. The caller filters the candidates with `accepts` (and by
 * health), takes the first as the primary and the next as the failover target. See docs/connectors.md.
 */

/** What routing knows of a payment. Unknown card facts are null and never match a rule that asks for them. */
export interface RoutingFacts {
  /** Minor units. */
  amount: number;
  /** Lowercase ISO 4217. */
  currency: string;
  brand: string | null;
  /** ISO 3166-1 alpha-2, uppercase: the card's issuing country. */
  country: string | null;
  /** The card's first 6 to 8 digits. */
  bin: string | null;
  metadata: Record<string, string>;
}

/** An inclusive BIN range: equal-length digit strings compared with the card's BIN cut to their length. */
export interface BinRange {
  from: string;
  to: string;
}

/** What a rule asks of a payment; every condition given must hold, an absent one holds for all. */
export interface RoutingConditions {
  currencies?: string[];
  /** Inclusive lower bound of the amount, minor units. */
  amount_gte?: number;
  /** Inclusive upper bound of the amount, minor units. */
  amount_lte?: number;
  brands?: string[];
  countries?: string[];
  bin_ranges?: BinRange[];
  /** Every pair must equal the payment's metadata value. */
  metadata?: Record<string, string>;
}

/** One member of a split: a connector account and its positive integer weight. */
export interface SplitMember {
  connector: string;
  weight: number;
}

/** What a matching rule does: send to one connector, or split by weight among 2 to 10. */
export type RoutingAction = { type: "connector"; connector: string } | { type: "split"; split: SplitMember[] };

/** One routing rule. */
export interface RoutingRule {
  /** `^[a-z0-9_-]{1,40}$`, unique in its config. */
  id: string;
  conditions: RoutingConditions;
  action: RoutingAction;
}

/** A merchant's routing: ordered rules (at most 50) and the connector tried after them. */
export interface RoutingConfig {
  /** 0 for "never set"; each stored replacement is the previous version + 1. */
  version: number;
  rules: RoutingRule[];
  default_connector: string | null;
}

/** A connector account routing proposes, and the rule that proposed it (null: the default). */
export interface Candidate {
  connector: string;
  rule: string | null;
}

/** What `accepts` needs of a connector account (its stored lists parsed). */
export interface AccountTerms {
  status: "active" | "disabled";
  mode: "test" | "live";
  currencies: readonly string[];
  brands: readonly string[];
}

/** Most rules a config may hold. */
export const MAX_RULES = 50;

/** Fewest and most members of a split. */
export const SPLIT_MEMBERS = { min: 2, max: 10 } as const;

/** Largest weight of a split member. */
export const MAX_WEIGHT = 10_000;

/** The routing of a merchant that never set one: no rules, no default. */
export const EMPTY_ROUTING: RoutingConfig = { version: 0, rules: [], default_connector: null };

/** True when the card's BIN falls within the range, on the range's own length of leading digits. */
export function binInRange(bin: string, range: BinRange): boolean {
  if (bin.length < range.from.length) return false;
  const prefix = bin.slice(0, range.from.length);
  return prefix >= range.from && prefix <= range.to;
}

/** True when every condition of the rule holds for the payment. */
export function ruleMatches(conditions: RoutingConditions, facts: RoutingFacts): boolean {
  const { currencies, amount_gte, amount_lte, brands, countries, bin_ranges, metadata } = conditions;
  if (currencies !== undefined && !currencies.includes(facts.currency)) return false;
  if (amount_gte !== undefined && facts.amount < amount_gte) return false;
  if (amount_lte !== undefined && facts.amount > amount_lte) return false;
  if (brands !== undefined && (facts.brand === null || !brands.includes(facts.brand))) return false;
  if (countries !== undefined && (facts.country === null || !countries.includes(facts.country))) return false;
  if (bin_ranges !== undefined) {
    const bin = facts.bin;
    if (bin === null || !bin_ranges.some((r) => binInRange(bin, r))) return false;
  }
  if (metadata !== undefined) {
    for (const [key, value] of Object.entries(metadata)) {
      if (!Object.hasOwn(facts.metadata, key) || facts.metadata[key] !== value) return false;
    }
  }
  return true;
}

/** The split member the seed picks: `seed % total weight`, walked through the members in declared order. */
export function pickMember(split: readonly SplitMember[], seed: number): number {
  const total = split.reduce((sum, m) => sum + m.weight, 0);
  let point = (seed >>> 0) % total;
  for (let i = 0; i < split.length; i++) {
    const weight = (split[i] as SplitMember).weight;
    if (point < weight) return i;
    point -= weight;
  }
  // Unreachable for positive weights: point < total = the sum of the weights walked.
  throw new Error("split weights must be positive");
}

/** The connectors the rule's action proposes, in the order to try them. */
function actionOrder(action: RoutingAction, seed: number): string[] {
  switch (action.type) {
    case "connector":
      return [action.connector];
    case "split": {
      const chosen = pickMember(action.split, seed);
      const first = action.split[chosen] as SplitMember;
      return [first.connector, ...action.split.filter((_, i) => i !== chosen).map((m) => m.connector)];
    }
  }
}

/**
 * The connector accounts to try for a payment, best first: the first matching rule's (a split's
 * seeded member, then its other members in declared order), then the default; each at most once.
 * `seed` is a uint32 derived from the intent id (`seedOf`).
 */
export function candidates(config: RoutingConfig | null, facts: RoutingFacts, seed: number): Candidate[] {
  if (config === null) return [];
  const out: Candidate[] = [];
  const add = (connector: string, rule: string | null) => {
    if (!out.some((c) => c.connector === connector)) out.push({ connector, rule });
  };
  const rule = config.rules.find((r) => ruleMatches(r.conditions, facts));
  if (rule !== undefined) for (const connector of actionOrder(rule.action, seed)) add(connector, rule.id);
  if (config.default_connector !== null) add(config.default_connector, null);
  return out;
}

/** True when the account may take the payment: active, of the deployment's mode, and its currency and brand lists allow it. */
export function accepts(account: AccountTerms, facts: RoutingFacts, mode: "test" | "live"): boolean {
  switch (account.status) {
    case "disabled":
      return false;
    case "active":
      break;
  }
  if (account.mode !== mode) return false;
  if (account.currencies.length > 0 && !account.currencies.includes(facts.currency)) return false;
  if (account.brands.length > 0 && (facts.brand === null || !account.brands.includes(facts.brand))) return false;
  return true;
}

/** The uint32 routing seed of a hex digest (its first 8 hex digits), e.g. of `sha256Hex(intentId)`. */
export function seedOf(digestHex: string): number {
  const head = digestHex.slice(0, 8);
  if (!/^[0-9a-fA-F]{8}$/.test(head)) throw new Error("seedOf takes a hex digest of at least 8 digits");
  return Number.parseInt(head, 16) >>> 0;
}
