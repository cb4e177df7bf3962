/** Constant-time comparison of secrets (bearer tokens), so timing does not reveal a matching prefix. */
import { utf8 } from "./encoding";

/** True when two secret strings are equal; compares SHA-256 digests so lengths leak nothing either. */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", utf8(a)),
    crypto.subtle.digest("SHA-256", utf8(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db);
}
