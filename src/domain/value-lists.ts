/**
 * Value lists, pure: the item types a list may hold (Stripe's names), how a value of each type is
 * checked and normalized (so `Foo@Example.com` on a list matches `foo@example.com` in a payment),
 * and which rule attributes a list of each type can be looked up with.
 */
import type { RuleAttribute } from "./radar-rules";

/** The item types edgepay's lists hold (Stripe's names; the others it has are for other payment methods). */
export const VALUE_LIST_ITEM_TYPES = [
  "card_bin",
  "card_fingerprint",
  "case_sensitive_string",
  "country",
  "customer_id",
  "email",
  "ip_address",
  "string",
] as const;

/** One item type. */
export type ValueListItemType = (typeof VALUE_LIST_ITEM_TYPES)[number];

/** A list alias as rules write it (`@blocked_cards`): lowercase letters, digits and `_`. */
export const ALIAS_PATTERN = /^[a-z0-9_]{1,64}$/;

/** Longest item value, in characters. */
export const MAX_ITEM_LENGTH = 800;

function ipv4(v: string): string | null {
  const parts = v.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255)) return null;
  return parts.join(".");
}

function ipv6(v: string): string | null {
  if (!/^[0-9a-f:]{2,39}$/.test(v) || (v.match(/::/g) ?? []).length > 1) return null;
  const [head = "", tail] = v.split("::");
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const missing = 8 - h.length - t.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return null;
  const all = [...h, ...Array<string>(tail === undefined ? 0 : missing).fill("0"), ...t];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return all.map((g) => g.replace(/^0+(?=.)/, "")).join(":");
}

/** The normalized value of an item of `type`, or null when it is not a valid one. */
export function normalizeItem(type: ValueListItemType, raw: string): string | null {
  const v = raw.trim();
  if (v === "" || v.length > MAX_ITEM_LENGTH) return null;
  switch (type) {
    case "card_bin":
      // Six digits: the BIN the vault keeps of every card (an 8-digit item could never match).
      return /^[0-9]{6}$/.test(v) ? v : null;
    case "card_fingerprint":
      return /^[A-Za-z0-9_-]{16}$/.test(v) ? v : null;
    case "case_sensitive_string":
      return v;
    case "country":
      return /^[A-Za-z]{2}$/.test(v) ? v.toUpperCase() : null;
    case "customer_id":
      return /^cus_[0-9A-Za-z]{1,64}$/.test(v) ? v : null;
    case "email":
      return /^[^\s@]+@[^\s@]+$/.test(v) ? v.toLowerCase() : null;
    case "ip_address":
      return ipv4(v) ?? ipv6(v.toLowerCase());
    case "string":
      return v.toLowerCase();
  }
}

/** The item types a list looked up with `attribute` may have (empty: the attribute takes no list). */
export function listTypesFor(attribute: RuleAttribute): readonly ValueListItemType[] {
  switch (attribute) {
    case "card_bin":
      return ["card_bin", "string", "case_sensitive_string"];
    case "card_fingerprint":
      return ["card_fingerprint", "case_sensitive_string"];
    case "card_country":
    case "ip_country":
      return ["country", "string"];
    case "customer":
      return ["customer_id", "case_sensitive_string"];
    case "email":
      return ["email", "string"];
    case "ip_address":
      return ["ip_address", "string"];
    case "card_brand":
    case "card_funding":
    case "currency":
    case "risk_level":
      return ["string", "case_sensitive_string"];
    default:
      return [];
  }
}
