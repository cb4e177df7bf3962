/**
 * Envelope encryption of the secrets the gateway must be able to read again: card data (PCI DSS
 * 3.5, 3.6) and webhook signing secrets. Each record gets a fresh random AES-256 data key (DEK);
 * its fields are sealed under it with AES-256-GCM (fresh random 96-bit IV, 128-bit tag), and the
 * DEK is wrapped by the current KEK, also with AES-256-GCM.
 *
 * Associated data binds every ciphertext to its field (`dek`, `pan`, `cvc`, `secret`), its record's
 * binding (the ids of the row it belongs to, led by the record kind for every kind but cards, which
 * predate it) and the KEK version, so a ciphertext moved to another row, field, kind or version fails.
 *
 * Message counts: a DEK encrypts at most a record's few fields and is never reused, since
 * re-encryption draws a new one; a KEK wraps one DEK per record written under it, and is rotated
 * long before 2^32 wraps (see README). Stored blobs are base64url(IV ‖ ciphertext ‖ tag).
 */
import { fromBase64Url, toBase64Url, utf8 } from "./encoding";
import type { Keyring } from "./keyring";

const IV_BYTES = 12;
const TAG_BITS = 128;
const AAD_LABEL = "edgepay-vault/v1";
/** The field name of the wrapped data key in the associated data; no sealed field may take it. */
const DEK = "dek";

/** Where a sealed card record lives; part of every ciphertext's associated data. */
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

/** One sealed record of any kind: the KEK version, the wrapped DEK and each field's ciphertext (null stays null). */
export interface Envelope<F extends string> {
  keyVersion: number;
  wrappedKey: string;
  fields: Record<F, string | null>;
}

/** Thrown whenever a record cannot be opened: unknown key version, tampering, or a moved ciphertext. */
export class VaultDecryptError extends Error {
  constructor() {
    super("vault record could not be decrypted");
    this.name = "VaultDecryptError";
  }
}

function aad(field: string, binding: readonly string[], keyVersion: number): Uint8Array<ArrayBuffer> {
  // NUL never occurs in ids or kinds, so the parts cannot run into each other.
  return utf8([AAD_LABEL, field, ...binding, String(keyVersion)].join("\0"));
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

/**
 * Seals a record's fields under a fresh DEK wrapped by the keyring's current KEK. `binding` names
 * the record (e.g. `["webhook_secret", merchantId, endpointId]`) and must be given again to open it.
 */
export async function sealEnvelope<F extends string>(
  ring: Keyring,
  binding: readonly string[],
  fields: Record<F, string | null>,
): Promise<Envelope<F>> {
  if (Object.hasOwn(fields, DEK)) throw new Error(`sealEnvelope: "${DEK}" is not a field name`);
  const keyVersion = ring.current;
  const kek = ring.key(keyVersion) as CryptoKey;
  const dek = (await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt"])) as CryptoKey;
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const wrapped = await crypto.subtle.wrapKey("raw", dek, kek, gcm(iv, aad(DEK, binding, keyVersion)));
  const sealed = {} as Record<F, string | null>;
  for (const [name, text] of Object.entries(fields) as [F, string | null][]) {
    sealed[name] = text === null ? null : await encrypt(dek, text, aad(name, binding, keyVersion));
  }
  return { keyVersion, wrappedKey: join(iv, wrapped), fields: sealed };
}

/** Opens a sealed record; any failure (missing KEK, bad tag, wrong binding or field) throws VaultDecryptError. */
export async function openEnvelope<F extends string>(
  ring: Keyring,
  binding: readonly string[],
  sealed: Envelope<F>,
): Promise<Record<F, string | null>> {
  const kek = ring.key(sealed.keyVersion);
  if (!kek) throw new VaultDecryptError();
  try {
    const { iv, body } = split(sealed.wrappedKey);
    const dek = await crypto.subtle.unwrapKey(
      "raw",
      body,
      kek,
      gcm(iv, aad(DEK, binding, sealed.keyVersion)),
      { name: "AES-GCM" },
      false,
      ["decrypt"],
    );
    const open = {} as Record<F, string | null>;
    for (const [name, blob] of Object.entries(sealed.fields) as [F, string | null][]) {
      open[name] = blob === null ? null : await decrypt(dek, blob, aad(name, binding, sealed.keyVersion));
    }
    return open;
  } catch {
    throw new VaultDecryptError();
  }
}

/** A card record's binding: merchant and payment method (cards predate the record kind, so none leads it). */
function cardBinding(ctx: RecordContext): readonly string[] {
  return [ctx.merchantId, ctx.paymentMethodId];
}

/** Seals a record's card secrets under a fresh DEK wrapped by the keyring's current KEK. */
export async function sealCard(ring: Keyring, ctx: RecordContext, secrets: CardSecrets): Promise<SealedCard> {
  const { keyVersion, wrappedKey, fields } = await sealEnvelope(ring, cardBinding(ctx), {
    pan: secrets.pan,
    cvc: secrets.cvc,
  });
  return { keyVersion, wrappedKey, pan: fields.pan as string, cvc: fields.cvc };
}

/** Opens a sealed card record; any failure (missing KEK, bad tag, wrong context) throws VaultDecryptError. */
export async function openCard(ring: Keyring, ctx: RecordContext, sealed: SealedCard): Promise<CardSecrets> {
  const { keyVersion, wrappedKey, pan, cvc } = sealed;
  const open = await openEnvelope(ring, cardBinding(ctx), { keyVersion, wrappedKey, fields: { pan, cvc } });
  if (open.pan === null) throw new VaultDecryptError();
  return { pan: open.pan, cvc: open.cvc };
}
