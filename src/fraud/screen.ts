/**
 * The fraud screen of one authorization, run by the one authorize path before the processor is
 * called: it gathers the attempt's facts, asks the velocity counters (Durable Objects, in
 * parallel) and reads the merchant's rules and list hits (one D1 batch) at the same time, scores
 * the risk and decides (domain/risk.ts, domain/fraud-verdict.ts). A declined or blocked attempt is
 * counted as declined afterwards, off the critical path (`afterScreen`).
 *
 * A counter that fails leaves only its own counts unavailable (its signals and rule attributes are
 * missing); rules and lists still decide. Only rules and lists that cannot be read fail the screen
 * open. A retried authorization (same processor key) gets the verdict its first run pinned, whatever
 * else fails; a retry with nothing pinned is held for review and never blocked (`screenVerdict`).
 */
import type { Db } from "../db/client";
import type { IntentRow } from "../db/payment-intents";
import { allRules, listHitsOf } from "../db/radar";
import type { PaymentMethodRow } from "../db/vault";
import { radarTestCard } from "../domain/bins";
import type { Currency } from "../domain/currencies";
import { type FraudVerdict, fraudVerdict, screenVerdict } from "../domain/fraud-verdict";
import { type ParsedRule, parsePredicate, type RuleFacts, type RuleValue } from "../domain/radar-rules";
import { assessRisk, isSmallAmount } from "../domain/risk";
import { normalizeItem, type ValueListItemType } from "../domain/value-lists";
import type { Attempt } from "../durable/risk-counter";
import { log } from "../lib/log";
import { DEFAULT_RULES } from "../radar";
import {
  counterNames,
  networkKey,
  observeVelocity,
  pinVerdict,
  recordApproval,
  recordDecline,
  type VelocityCounts,
  type VelocityScope,
} from "./velocity";

/** Where the request came from, as Cloudflare tells it (null when unknown, e.g. the sweep). */
export interface ClientFacts {
  ip: string | null;
  /** ISO 3166 alpha-2 (`CF-IPCountry`). */
  country: string | null;
}

/**
 * The shopper's facts of a request: Cloudflare's `CF-Connecting-IP` and its country (`request.cf`,
 * else `CF-IPCountry`; Cloudflare's `XX` and `T1` say it is unknown or Tor), but only when the
 * request comes from the shopper's browser (a publishable key: tokenize, client-side confirm, the
 * card-testing vector). A request with a secret or restricted key comes from the merchant's
 * server, whose address says nothing of the shopper, so it has none.
 */
export function clientFacts(req: Request, credential: string): ClientFacts {
  if (credential !== "publishable_key") return { ip: null, country: null };
  const cf = (req as { cf?: { country?: unknown } }).cf;
  const raw = typeof cf?.country === "string" ? cf.country : req.headers.get("cf-ipcountry");
  const country = raw && /^[A-Za-z]{2}$/.test(raw) && raw.toUpperCase() !== "XX" ? raw.toUpperCase() : null;
  const rawIp = req.headers.get("cf-connecting-ip")?.trim().slice(0, 64) || null;
  // As list items store it (IPv6 in full), so `:ip_address: in @list` matches either spelling.
  const ip = rawIp && (normalizeItem("ip_address", rawIp) ?? rawIp);
  return { ip, country };
}

/** What the screen runs on. */
export interface ScreenDeps {
  env: Env;
  db: Db;
  client: ClientFacts | null;
  /** Unix seconds. */
  now: () => number;
}

/** A screened attempt: its verdict, and the counters to tell if it is declined. */
export interface Screening {
  verdict: FraudVerdict;
  /** The attempt as its counters record it (its id is the authorization's processor key). */
  attempt: Attempt;
  counters: Record<VelocityScope, string | null>;
  /** The verdict is the one a first run of this attempt gave (a retry reuses it, see `pinScreening`). */
  pinned: boolean;
}

const parsedRules = new Map<string, ParsedRule | null>();

/** A rule's parsed predicate, parsed once per isolate (a stored rule's text never changes). */
function parsed(rule: { id: string; action: string; predicate: string }): ParsedRule | null {
  const key = `${rule.id}\0${rule.predicate}`;
  let hit = parsedRules.get(key);
  if (hit === undefined) {
    const r = parsePredicate(rule.predicate);
    hit = r.ok ? { id: rule.id, action: rule.action as ParsedRule["action"], predicate: r.predicate } : null;
    if (parsedRules.size > 10_000) parsedRules.clear();
    parsedRules.set(key, hit);
  }
  return hit;
}

/** The email of an attempt: the card's billing email (the only one the gateway holds for a payment). */
function emailOf(card: PaymentMethodRow): string | null {
  const billing = JSON.parse(card.billingDetails) as { email?: string | null };
  return billing.email?.trim().toLowerCase() || null;
}

/**
 * The rule facts of an attempt, with its velocity. Every count a rule can read is the merchant's
 * own (its card, IP, email and customer counters): a rule cannot observe other merchants' traffic.
 */
function factsOf(row: IntentRow, card: PaymentMethodRow, client: ClientFacts | null, v: VelocityCounts): RuleFacts {
  return {
    amount: row.amount,
    currency: row.currency,
    card_brand: card.brand,
    card_funding: card.funding,
    card_country: card.country,
    card_bin: card.bin,
    card_fingerprint: card.fingerprint,
    ip_address: client?.ip ?? null,
    ip_country: client?.country ?? null,
    email: emailOf(card),
    customer: row.customer,
    total_charges_per_card_number_hourly: v.card?.hour.attempts ?? null,
    total_charges_per_card_number_daily: v.card?.day.attempts ?? null,
    declined_charges_per_card_number_hourly: v.card?.hour.declines ?? null,
    declined_charges_per_card_number_daily: v.card?.day.declines ?? null,
    total_charges_per_ip_address_hourly: v.ip?.hour.attempts ?? null,
    total_charges_per_ip_address_daily: v.ip?.day.attempts ?? null,
    declined_charges_per_ip_address_hourly: v.ip?.hour.declines ?? null,
    declined_charges_per_ip_address_daily: v.ip?.day.declines ?? null,
    card_count_for_ip_address_hourly: v.ip?.hour.cards ?? null,
    card_count_for_ip_address_daily: v.ip?.day.cards ?? null,
    total_charges_per_email_hourly: v.email?.hour.attempts ?? null,
    total_charges_per_email_daily: v.email?.day.attempts ?? null,
    card_count_for_email_daily: v.email?.day.cards ?? null,
    total_charges_per_customer_daily: v.customer?.day.attempts ?? null,
    card_count_for_customer_daily: v.customer?.day.cards ?? null,
  };
}

/** The values list items could hold for these facts, as stored (raw, and lowercased for `string` lists). */
function candidates(facts: RuleFacts): string[] {
  const out = new Set<string>();
  for (const v of Object.values(facts)) {
    if (typeof v !== "string") continue;
    out.add(v);
    out.add(v.toLowerCase());
  }
  return [...out];
}

/**
 * Whether a list (by alias) holds a value, from the hits of the attempt's candidates: the value is
 * normalized as the list's item type stores its items, so a `string` list matches any case and a
 * `case_sensitive_string` list only the exact value.
 */
function listLookup(hits: readonly { alias: string; itemType: string; value: string }[]) {
  const onList = new Set(hits.map((h) => `${h.alias}\0${h.value}`));
  const typeOf = new Map(hits.map((h) => [h.alias, h.itemType as ValueListItemType]));
  return (alias: string, value: RuleValue): boolean => {
    const type = typeOf.get(alias);
    const item = type === undefined ? null : normalizeItem(type, String(value));
    return item !== null && onList.has(`${alias}\0${item}`);
  };
}

/**
 * Screens the authorization `attemptId` (its processor key) of `row` with `card`. The counters
 * and the D1 reads run in parallel: the screen costs the authorize path one round trip.
 */
export async function screen(
  deps: ScreenDeps,
  row: IntentRow,
  card: PaymentMethodRow,
  attemptId: string,
  live: boolean,
): Promise<Screening> {
  const client = deps.client;
  const counters = await counterNames(deps.env.FINGERPRINT_KEY, {
    network: networkKey(card, row.merchantId, live),
    merchantId: row.merchantId,
    card: card.fingerprint,
    ip: client?.ip ?? null,
    email: emailOf(card),
    customer: row.customer,
  });
  const small = isSmallAmount(row.amount, row.currency as Currency);
  const attempt: Attempt = { id: attemptId, at: deps.now(), card: card.internalFingerprint, small };
  const preliminary = factsOf(row, card, client, {
    network: null,
    card: null,
    ip: null,
    email: null,
    customer: null,
  });
  // The counters are settled one by one (a failing one leaves its scope unavailable) and the pin
  // is read on its own, so no other failure hides it; the rules and lists are one D1 batch.
  const [observed, read] = await Promise.all([
    observeVelocity(deps.env, counters, attempt),
    deps.db
      .batch([allRules(deps.db, row.merchantId), listHitsOf(deps.db, row.merchantId, candidates(preliminary))])
      .then(
        (r) => ({ ok: true as const, rules: r[0], hits: r[1] }),
        (err: unknown) => ({ ok: false as const, err }),
      ),
  ]);
  if (observed.failed.length > 0) log("warn", "fraud_velocity_unavailable", { scopes: observed.failed.join(",") });
  // A retry of an attempt whose first run was screened gets that run's verdict: the processor may
  // already have answered it, so the verdict must not change between runs.
  const pinned = observed.pinned ? (JSON.parse(observed.pinned) as FraudVerdict) : null;
  const velocity = observed.counts;
  const test = live ? null : radarTestCard(card.bin, card.last4);
  const risk = assessRisk({
    amount: row.amount,
    currency: row.currency as Currency,
    network: velocity.network,
    card: velocity.card,
    ip: velocity.ip,
    email: velocity.email,
    customer: velocity.customer,
    cardCountry: card.country,
    ipCountry: client?.country ?? null,
    testCard: test === "highest" || test === "elevated" ? test : null,
  });
  let fresh: FraudVerdict | null = null;
  if (read.ok && !pinned) {
    const facts = factsOf(row, card, client, velocity);
    const inList = listLookup(read.hits);
    const ruleSet = [...DEFAULT_RULES, ...read.rules].flatMap((r) => parsed(r) ?? []);
    fresh = fraudVerdict(risk, ruleSet, facts, inList, test === "blocked");
  }
  const verdict = screenVerdict({ pinned, retry: observed.retry, risk, fresh });
  // A first run whose rules could not be read fails open (runPending sends it unscreened).
  if (!verdict) throw read.ok ? new Error("no verdict") : read.err;
  return { verdict, attempt, counters, pinned: verdict === pinned };
}

/**
 * Pins a first run's verdict on the attempt, for its retries: started together with the processor
 * call, so it costs no round trip of its own. Never throws (a lost pin is logged).
 */
export function pinScreening(env: Env, screening: Screening): Promise<void> {
  if (screening.pinned) return Promise.resolve();
  return pinVerdict(env, screening.counters, screening.attempt, JSON.stringify(screening.verdict)).catch(
    (err: unknown) => log("warn", "fraud_verdict_unpinned", { error: err instanceof Error ? err.name : "unknown" }),
  );
}

/**
 * Counts the attempt's answer on its counters (run it after the answer): an approval, or a decline
 * (an issuer's, or a block). Until then the attempt counts as not approved.
 */
export function afterScreen(env: Env, screening: Screening, answer: "approved" | "declined" | null): Promise<void> {
  switch (answer) {
    case "approved":
      return recordApproval(env, screening.counters, screening.attempt.id);
    case "declined":
      return recordDecline(env, screening.counters, screening.attempt.id, screening.verdict.action !== "block");
    case null:
      return Promise.resolve();
  }
}
