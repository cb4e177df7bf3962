/**
 * What an error message may repeat of the request. Anything taken from the client (a path, an id,
 * a parameter name) is repeated only when it is short and holds no run of 12+ digits, which could
 * be a card number; otherwise it is described without being repeated.
 */

/** A run of digits long enough to be (part of) a card number. */
const CARD_LIKE = /\d{12}/;

/** True when `text` may appear in an error message: at most `maxLength` characters, no card-like digit run. */
export function mayEcho(text: string, maxLength = 200): boolean {
  return text.length <= maxLength && !CARD_LIKE.test(text);
}

/**
 * `text` made safe to repeat: each card-like digit run becomes `[redacted]` and anything past
 * `maxLength` characters is cut (marked with `…`). Used where a value must still be named, such as
 * the `param` of a validation error built from a client's own key.
 */
export function redacted(text: string, maxLength = 200): string {
  const masked = text.replace(/\d{12,}/g, "[redacted]");
  return masked.length > maxLength ? `${masked.slice(0, maxLength - 1)}…` : masked;
}
