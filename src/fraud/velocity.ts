/**
 * The velocity counters of one authorization: which keys it is counted under, and asking their
 * RiskCounter objects in parallel (one round trip however many keys). Only the card's network key
 * is shared by merchants; the others are the merchant's own. Keys other than card fingerprints are
 * digested with a keyed HMAC first, so no object name holds an email or an IP.
 */
import { velocityDigest } from "../crypto/fingerprint";
import { isSharedTestBin } from "../domain/bins";
import { sourceKey } from "../domain/limits";
import type { Attempt, Velocity } from "../durable/risk-counter";

/** The keys an attempt is counted under (absent ones are not counted). */
export interface VelocityKeys {
  /** The card across the network (`networkKey`). */
  network: string;
  merchantId: string;
  /** The merchant-scoped fingerprint: the card at this merchant. */
  card: string;
  /** The shopper's address (counted by its /64 when IPv6, see `ipVelocityKey`). */
  ip: string | null;
  email: string | null;
  customer: string | null;
}

/** The counted scopes. */
export type VelocityScope = "network" | "card" | "ip" | "email" | "customer";

/** Each scope's counts, null where the key is absent. */
export type VelocityCounts = Record<VelocityScope, Velocity | null>;

/**
 * The network key of a card: its internal cross-merchant fingerprint. Public test numbers are shared
 * by every developer, so in test mode a shared test BIN's card is counted per merchant instead.
 * The screen and the operator's velocity read both name the counter by it.
 */
export function networkKey(
  card: { internalFingerprint: string; bin: string | null },
  merchantId: string,
  live: boolean,
) {
  return !live && isSharedTestBin(card.bin) ? `${card.internalFingerprint}:${merchantId}` : card.internalFingerprint;
}

/**
 * The key an IP is counted under: an IPv6 address by its /64 (one subscriber's block, which it can
 * rotate through freely; the rate limiter's `sourceKey`), an IPv4 address as is. An address
 * `sourceKey` cannot read is counted as itself.
 */
export function ipVelocityKey(ip: string): string {
  const key = sourceKey(ip);
  return key === "unknown" ? ip : key;
}

/** The object names of an attempt's keys (digested where they could identify a person). */
export async function counterNames(secret: string, keys: VelocityKeys): Promise<Record<VelocityScope, string | null>> {
  const digest = (scope: VelocityScope, value: string | null) =>
    value === null ? null : velocityDigest(secret, `${scope}\0${value}`).then((d) => `${scope}:${d}`);
  // Every key but the network's is the merchant's own: what a merchant's rules read of them is its
  // own traffic, and nothing another merchant does can move it.
  const mine = (value: string | null) => (value === null ? null : `${keys.merchantId}\0${value}`);
  const [ip, email, customer] = await Promise.all([
    digest("ip", mine(keys.ip === null ? null : ipVelocityKey(keys.ip))),
    digest("email", mine(keys.email?.trim().toLowerCase() ?? null)),
    digest("customer", mine(keys.customer)),
  ]);
  return { network: `network:${keys.network}`, card: `card:${keys.merchantId}:${keys.card}`, ip, email, customer };
}

function counter(env: Env, name: string) {
  return env.RISK_COUNTER.getByName(name);
}

/** What an attempt's counters answered. */
export interface Observed {
  /** Each scope's counts, null where the key is absent or its counter did not answer. */
  counts: VelocityCounts;
  /** The scopes whose counter did not answer (their counts are unavailable, not zero). */
  failed: VelocityScope[];
  /** The verdict pinned on the attempt by its first run (JSON), null if none (or unreadable). */
  pinned: string | null;
  /** Whether any counter had seen the attempt before: this run is a retry. */
  retry: boolean;
}

/**
 * Records the attempt under every key and answers each key's counts before it, all in parallel.
 * Each counter is settled on its own: one that fails leaves its scope unavailable, never the rest.
 */
export async function observeVelocity(
  env: Env,
  names: Record<VelocityScope, string | null>,
  attempt: Attempt,
): Promise<Observed> {
  const scopes = Object.keys(names) as VelocityScope[];
  const settled = await Promise.allSettled(
    scopes.map((s) => {
      const name = names[s];
      if (name === null) return null;
      // The network counts an attempt only once it is sent to the processor (`pinVerdict`).
      return s === "network" ? counter(env, name).preview(attempt) : counter(env, name).observe(attempt);
    }),
  );
  const counts = {} as VelocityCounts;
  const failed: VelocityScope[] = [];
  let retry = false;
  scopes.forEach((s, i) => {
    const r = settled[i];
    if (r?.status === "fulfilled") {
      counts[s] = r.value ?? null;
      if (r.value?.repeat) retry = true;
    } else {
      counts[s] = null;
      failed.push(s);
    }
  });
  return {
    counts,
    failed,
    pinned: counts.network?.pinned ?? null,
    retry,
  };
}

/**
 * Marks the attempt declined under every key (after the answer; not on the critical path). A
 * block is a merchant's own decision (its rules and lists), so it is not counted as a decline of
 * the card across the network: only an issuer's decline is (`issuer`).
 */
export async function recordDecline(
  env: Env,
  names: Record<VelocityScope, string | null>,
  id: string,
  issuer: boolean,
): Promise<void> {
  await Promise.all(
    (Object.entries(names) as [VelocityScope, string | null][]).map(([scope, name]) =>
      name === null || (scope === "network" && !issuer) ? undefined : counter(env, name).declined(id),
    ),
  );
}

/** Marks the attempt approved by the processor under every key (after the answer; not on the critical path). */
export async function recordApproval(env: Env, names: Record<VelocityScope, string | null>, id: string): Promise<void> {
  await Promise.all(Object.values(names).map((name) => (name === null ? undefined : counter(env, name).approved(id))));
}

/** The network-wide velocity of a card (its `networkKey`) now, recording nothing. */
export function networkVelocity(env: Env, key: string, now: number) {
  return counter(env, `network:${key}`).peek(now);
}

/**
 * Counts an attempt sent to the processor on its network counter and pins the verdict (JSON) first
 * given on it there, for its retries. A blocked attempt is never counted across the network.
 */
export function pinVerdict(
  env: Env,
  names: Record<VelocityScope, string | null>,
  attempt: Attempt,
  verdict: string,
): Promise<void> {
  return names.network === null ? Promise.resolve() : counter(env, names.network).pin(attempt, verdict);
}
