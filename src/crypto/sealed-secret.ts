/**
 * One secret string sealed for storage under the vault's KEKs (src/crypto/envelope.ts), bound to a
 * record: webhook signing secrets and connector credentials. Stored as JSON of the envelope,
 * `{"v": key version, "k": wrapped data key, "s": ciphertext}`. Nothing here logs or echoes a secret.
 */
import { openEnvelope, sealEnvelope, VaultDecryptError } from "./envelope";
import { loadKeyring } from "./keyring";

/** The stored form of one sealed secret. */
interface StoredSecret {
  v: number;
  k: string;
  s: string;
}

/** Seals `secret` bound to `binding` (the record kind first, then the ids of its row). */
export async function sealSecret(
  env: Pick<Env, "VAULT_KEKS">,
  binding: readonly string[],
  secret: string,
): Promise<string> {
  const ring = await loadKeyring(env.VAULT_KEKS);
  const sealed = await sealEnvelope(ring, binding, { secret });
  return JSON.stringify({
    v: sealed.keyVersion,
    k: sealed.wrappedKey,
    s: sealed.fields.secret as string,
  } satisfies StoredSecret);
}

/**
 * Opens a secret sealed by `sealSecret` with the same binding. Anything else (another record's
 * secret, a retired KEK, tampering, a malformed value) throws VaultDecryptError, which names no secret.
 */
export async function openSecret(
  env: Pick<Env, "VAULT_KEKS">,
  binding: readonly string[],
  sealed: string,
): Promise<string> {
  let stored: StoredSecret;
  try {
    stored = JSON.parse(sealed) as StoredSecret;
  } catch {
    throw new VaultDecryptError();
  }
  if (!Number.isSafeInteger(stored?.v) || typeof stored.k !== "string" || typeof stored.s !== "string") {
    throw new VaultDecryptError();
  }
  const ring = await loadKeyring(env.VAULT_KEKS);
  const open = await openEnvelope(ring, binding, {
    keyVersion: stored.v,
    wrappedKey: stored.k,
    fields: { secret: stored.s },
  });
  if (open.secret === null) throw new VaultDecryptError();
  return open.secret;
}

/** The KEK version a sealed secret is under, or null when the value is malformed. */
export function sealedVersion(sealed: string): number | null {
  try {
    const v = (JSON.parse(sealed) as Partial<StoredSecret> | null)?.v;
    return Number.isSafeInteger(v) ? (v as number) : null;
  } catch {
    return null;
  }
}
