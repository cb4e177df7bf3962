/**
 * Byte and text encodings: base64url (jose's codec), standard base64 and UTF-8. The one place that
 * turns bytes into base64 text and back; nothing else calls `btoa`/`atob` on bytes.
 */
import { base64url } from "jose";

/** Encodes bytes as unpadded base64url. */
export function toBase64Url(bytes: Uint8Array): string {
  return base64url.encode(bytes);
}

/**
 * Decodes unpadded (or padded) base64url; throws on anything outside the alphabet, whitespace
 * included (jose's decoder alone would skip whitespace).
 */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) throw new Error("invalid base64url");
  // jose returns a new array over its own ArrayBuffer; its types only say ArrayBufferLike.
  return base64url.decode(text) as Uint8Array<ArrayBuffer>;
}

/** One encoder for the isolate: it holds no state between calls. */
const UTF8 = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  // `encode` always returns a new array over its own ArrayBuffer; the lib types only say ArrayBufferLike.
  return UTF8.encode(text) as Uint8Array<ArrayBuffer>;
}

/** Encodes bytes as padded standard base64 (the alphabet with `+` and `/`). */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * Decodes standard base64 (`+` and `/`, padding optional, ASCII whitespace skipped: the browser's
 * forgiving `atob`); throws on anything else. For HTTP Basic credentials and `whsec_` secrets,
 * which are standard base64, not base64url.
 */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
}
