/** SHA-256 digests of canonical request text, used as idempotency fingerprints. */

/** Lowercase hex SHA-256 of `text` (UTF-8). Not a secret-keyed MAC: it only has to tell requests apart. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}
