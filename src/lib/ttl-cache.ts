/**
 * A small bounded map whose entries expire after a fixed time. Used for per-isolate caches that
 * must never grow without limit: once `maxEntries` is reached, the oldest insertion is dropped.
 * Why not lru-cache: see CONTRIBUTING.md ("Hand-written on purpose").
 */

/** Options of a TtlCache; `now` is injectable so tests can move the clock. */
export interface TtlCacheOptions {
  maxEntries: number;
  ttlMs: number;
  now?: () => number;
}

/** A bounded, expiring key/value map for one isolate. */
export class TtlCache<K, V> {
  readonly #entries = new Map<K, { value: V; expires: number }>();
  readonly #max: number;
  readonly #ttl: number;
  readonly #now: () => number;

  constructor(options: TtlCacheOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1) throw new Error("TtlCache: bad maxEntries");
    if (!(options.ttlMs > 0)) throw new Error("TtlCache: bad ttlMs");
    this.#max = options.maxEntries;
    this.#ttl = options.ttlMs;
    this.#now = options.now ?? (() => Date.now());
  }

  /** The live value for `key`, or undefined when absent or expired. */
  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Stores `value` for the TTL (or `ttlMs`, never longer), evicting the oldest entry when full. */
  set(key: K, value: V, ttlMs = this.#ttl): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expires: this.#now() + Math.min(ttlMs, this.#ttl) });
  }

  /** Removes `key`. */
  delete(key: K): void {
    this.#entries.delete(key);
  }

  /** Removes every entry whose value matches `predicate`. */
  deleteWhere(predicate: (value: V) => boolean): void {
    for (const [key, entry] of this.#entries) if (predicate(entry.value)) this.#entries.delete(key);
  }

  /** Number of entries held, expired ones included until they are read or evicted. */
  get size(): number {
    return this.#entries.size;
  }
}
