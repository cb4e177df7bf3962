/**
 * The vault's key-encrypting keys (KEKs) from the `VAULT_KEKS` secret: a JSON array of
 * `{version, key}` with 32-byte base64url AES keys. The highest version wraps new data keys; every
 * listed version can still unwrap. Keys never leave this module as bytes, only as non-extractable
 * CryptoKeys.
 */
import { fromBase64Url } from "./encoding";

/** The parsed KEK set: the version that wraps new records and a lookup for unwrapping. */
export interface Keyring {
  /** Highest version: wraps every new data key. */
  readonly current: number;
  /** The KEK of a version, or undefined once that version has been retired. */
  key(version: number): CryptoKey | undefined;
  /** Every version present, ascending. */
  readonly versions: readonly number[];
}

const cache = new Map<string, Promise<Keyring>>();

/** Parses and imports `VAULT_KEKS` once per isolate and secret value; throws on a malformed secret. */
export function loadKeyring(secret: string): Promise<Keyring> {
  let ring = cache.get(secret);
  if (!ring) {
    ring = importKeyring(secret);
    // A failed import is not cached, so a fixed secret takes effect without a restart.
    ring.catch(() => cache.delete(secret));
    cache.set(secret, ring);
  }
  return ring;
}

async function importKeyring(secret: string): Promise<Keyring> {
  let entries: unknown;
  try {
    entries = JSON.parse(secret);
  } catch {
    throw new Error("VAULT_KEKS is not valid JSON");
  }
  if (!Array.isArray(entries) || entries.length === 0) throw new Error("VAULT_KEKS must be a non-empty array");
  const keys = new Map<number, CryptoKey>();
  for (const entry of entries) {
    const { version, key } = (entry ?? {}) as { version?: unknown; key?: unknown };
    if (!Number.isSafeInteger(version) || (version as number) < 1 || typeof key !== "string") {
      throw new Error("VAULT_KEKS entries need an integer version >= 1 and a key");
    }
    const raw = fromBase64Url(key);
    if (raw.length !== 32) throw new Error("VAULT_KEKS keys must be 32 bytes");
    if (keys.has(version as number)) throw new Error("VAULT_KEKS versions must be unique");
    keys.set(
      version as number,
      await crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["wrapKey", "unwrapKey"]),
    );
  }
  const versions = [...keys.keys()].sort((a, b) => a - b);
  return { current: versions[versions.length - 1] as number, versions, key: (v) => keys.get(v) };
}
