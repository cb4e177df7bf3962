/**
 * Envelope encryption of card secrets (PCI DSS 3.5, 3.6). Each record gets a fresh random AES-256
 * data key (DEK); the PAN and the optional CVC are sealed under it with AES-256-GCM (fresh random
 * 96-bit IV, 128-bit tag), and the DEK is wrapped by the current KEK, also with AES-256-GCM.
 *
 * Associated data binds every ciphertext to its purpose (`dek`, `pan`, `cvc`), merchant,
 * payment-method id and KEK version, so a ciphertext moved to another row, field or version fails.
 *
 * Message counts: a DEK encrypts at most two messages (PAN, CVC) and is never reused, since
 * re-encryption draws a new one; a KEK wraps one DEK per record written under it, and is rotated
 * long before 2^32 wraps (see README). Stored blobs are base64url(IV ‖ ciphertext ‖ tag).
 */
import { fromBase64Url, toBase64Url, utf8 } from "./encoding";
import type { Keyring } from "./keyring";

const IV_BYTES = 12;
const TAG_BITS = 128;
const AAD_LABEL = "edgepay-vault/v1";

/** Where a sealed record lives; part of every ciphertext's associated data. */
export interface RecordContext {
  merchantId: string;
  paymentMethodId: string;
}

/** The plaintext card secrets of one record. */
export interface CardSecrets {
  pan: string;
  cvc: string | null;
}

/** The stored, encrypted form of one record's card secrets. */
export interface SealedCard {
  keyVersion: number;
  wrappedKey: string;
  pan: string;
  cvc: string | null;
}

/** Thrown whenever a record cannot be opened: unknown key version, tampering, or a moved ciphertext. */
export class VaultDecryptError extends Error {
  constructor() {
    super("vault record could not be decrypted");
    this.name = "VaultDecryptError";
  }
}

function aad(purpose: "dek" | "pan" | "cvc", ctx: RecordContext, keyVersion: number): Uint8Array<ArrayBuffer> {
  // NUL never occurs in ids, so the fields cannot run into each other.
  return utf8([AAD_LABEL, purpose, ctx.merchantId, ctx.paymentMethodId, String(keyVersion)].join("\0"));
}

function gcm(iv: Uint8Array<ArrayBuffer>, additionalData: Uint8Array<ArrayBuffer>): SubtleCryptoEncryptAlgorithm {
  return { name: "AES-GCM", iv, additionalData, tagLength: TAG_BITS };
}

function join(iv: Uint8Array, body: ArrayBuffer): string {
  const out = new Uint8Array(iv.length + body.byteLength);
  out.set(iv);
  out.set(new Uint8Array(body), iv.length);
  return toBase64Url(out);
}

function split(blob: string): { iv: Uint8Array<ArrayBuffer>; body: Uint8Array<ArrayBuffer> } {
  const bytes = fromBase64Url(blob);
  if (bytes.length < IV_BYTES + TAG_BITS / 8) throw new VaultDecryptError();
  return { iv: bytes.slice(0, IV_BYTES), body: bytes.slice(IV_BYTES) };
}

async function encrypt(key: CryptoKey, text: string, additionalData: Uint8Array<ArrayBuffer>): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  return join(iv, await crypto.subtle.encrypt(gcm(iv, additionalData), key, utf8(text)));
}

async function decrypt(key: CryptoKey, blob: string, additionalData: Uint8Array<ArrayBuffer>): Promise<string> {
  const { iv, body } = split(blob);
  return new TextDecoder().decode(await crypto.subtle.decrypt(gcm(iv, additionalData), key, body));
}

/** Seals a record's secrets under a fresh DEK wrapped by the keyring's current KEK. */
export async function sealCard(ring: Keyring, ctx: RecordContext, secrets: CardSecrets): Promise<SealedCard> {
  const keyVersion = ring.current;
  const kek = ring.key(keyVersion) as CryptoKey;
  const dek = (await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt"])) as CryptoKey;
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const wrapped = await crypto.subtle.wrapKey("raw", dek, kek, gcm(iv, aad("dek", ctx, keyVersion)));
  return {
    keyVersion,
    wrappedKey: join(iv, wrapped),
    pan: await encrypt(dek, secrets.pan, aad("pan", ctx, keyVersion)),
    cvc: secrets.cvc === null ? null : await encrypt(dek, secrets.cvc, aad("cvc", ctx, keyVersion)),
  };
}

/** Opens a sealed record; any failure (missing KEK, bad tag, wrong context) throws VaultDecryptError. */
export async function openCard(ring: Keyring, ctx: RecordContext, sealed: SealedCard): Promise<CardSecrets> {
  const kek = ring.key(sealed.keyVersion);
  if (!kek) throw new VaultDecryptError();
  try {
    const { iv, body } = split(sealed.wrappedKey);
    const dek = await crypto.subtle.unwrapKey(
      "raw",
      body,
      kek,
      gcm(iv, aad("dek", ctx, sealed.keyVersion)),
      { name: "AES-GCM" },
      false,
      ["decrypt"],
    );
    return {
      pan: await decrypt(dek, sealed.pan, aad("pan", ctx, sealed.keyVersion)),
      cvc: sealed.cvc === null ? null : await decrypt(dek, sealed.cvc, aad("cvc", ctx, sealed.keyVersion)),
    };
  } catch {
    throw new VaultDecryptError();
  }
}
