/** Plain (unkeyed) digests: stable names derived from public values, never from secrets. */
import { utf8 } from "./encoding";

/** The SHA-256 of `text` (UTF-8) as lowercase hex. Not a MAC: anyone can compute it. */
export async function sha256Hex(text: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(text)));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
