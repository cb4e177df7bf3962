/** Prefixed random object ids (`pi_…`, `pm_…`) and other random tokens. */
import { mayEcho } from "./echo";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** The object-id prefixes in use, so a typo in a prefix is a type error. */
export type IdPrefix =
  | "mer"
  | "cli"
  | "cus"
  | "pm"
  | "tok"
  | "pi"
  | "ch"
  | "re"
  | "po"
  | "txn"
  | "le"
  | "req"
  | "aud"
  | "evt"
  | "we"
  | "whatt"
  | "whsec"
  | "opr"
  | "key"
  | "rsl"
  | "rsli"
  | "rule"
  | "prv"
  | "rci"
  | "mca"
  | "li"
  | "alh";

/** Random bytes drawn from the CSPRNG a pool at a time: one `getRandomValues` call serves many ids. */
const pool = new Uint8Array(4096);
let poolAt = pool.length;

function randomByte(): number {
  if (poolAt === pool.length) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  return pool[poolAt++] as number;
}

/** Random base62 string of `length` characters (about 5.95 bits each, rejection-sampled, unbiased). */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    const b = randomByte();
    // 248 = 62 * 4: drop the top values so every character is equally likely.
    if (b < 248) out += ALPHABET[b % 62];
  }
  return out;
}

/** A new object id such as `pi_3fX…`: the prefix, an underscore and 24 base62 characters (~142 bits). */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBase62(24)}`;
}

/** Random characters of a checkout session id: the id is the page's only capability (48 base62, ~285 bits). */
export const SESSION_ID_CHARS = 48;

/** A new Checkout Session id, `cs_test_…` or `cs_live_…` as Stripe's, long and random. */
export function newSessionId(live: boolean): string {
  return `cs_${live ? "live" : "test"}_${randomBase62(SESSION_ID_CHARS)}`;
}

/** True when `id` has the shape of a Checkout Session id (so it may be echoed and looked up). */
export function isSessionId(id: string): boolean {
  return /^cs_(test|live)_[0-9A-Za-z]{1,64}$/.test(id);
}

/** True when `id` looks like an id with the given prefix; used to reject foreign ids early. */
export function hasPrefix(id: string, prefix: IdPrefix): boolean {
  return id.startsWith(`${prefix}_`) && /^[a-z]+_[0-9A-Za-z]{1,64}$/.test(id);
}

/** True when `id` has the shape of one of our ids (any prefix), so repeating it in a message echoes nothing else. */
export function isWellFormedId(id: string): boolean {
  return /^[a-z]+_[0-9A-Za-z]{1,64}$/.test(id);
}

/**
 * The text of a 404 for `id`: `No such refund: 're_…'` when the id is well formed (with `prefix`,
 * when given), else `No such refund.`, so a card number or hostile text sent as an id is never echoed.
 */
export function noSuchMessage(what: string, id: string, prefix?: IdPrefix): string {
  // A random id holds a card-like digit run with a chance of about 3·10⁻¹⁰, and then is just not named.
  const safe = (prefix ? hasPrefix(id, prefix) : isWellFormedId(id)) && mayEcho(id);
  return safe ? `No such ${what}: '${id}'` : `No such ${what}.`;
}
