/**
 * Decoding of `application/x-www-form-urlencoded` bodies with Stripe's bracket nesting
 * (`metadata[order]=42`, `card[number]=…`, `expand[0]=x`, `expand[]=x`) into plain objects,
 * so form and JSON bodies validate against one schema.
 * Why not qs: see CONTRIBUTING.md ("Hand-written on purpose").
 */

/** Nested value produced by the decoder: strings, arrays and plain objects. */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };

/** Thrown for a key the decoder cannot place (e.g. `a[b]` after `a=1`); the caller maps it to a 400. */
export class FormShapeError extends Error {
  constructor(readonly param: string) {
    super(`Invalid form key: ${param}`);
  }
}

/** Thrown when a form name or value, once percent-decoded, is not valid UTF-8. */
export class FormEncodingError extends Error {
  constructor() {
    super("Invalid UTF-8 in a form body");
  }
}

const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const UTF8 = new TextEncoder();
const MAX_DEPTH = 8;
const FORBIDDEN = new Set(["__proto__", "prototype", "constructor"]);

/** Splits `card[number]` into `["card", "number"]`; returns null for keys that are not well formed. */
export function splitKey(key: string): string[] | null {
  const open = key.indexOf("[");
  if (open === -1) return [key];
  const parts = [key.slice(0, open)];
  let rest = key.slice(open);
  while (rest.length > 0) {
    const m = /^\[([^[\]]*)\]/.exec(rest);
    if (!m) return null;
    parts.push(m[1] ?? "");
    rest = rest.slice(m[0].length);
  }
  return parts;
}

/** Decodes a form body into a nested object. Arrays come from `x[]` or consecutive `x[0]`, `x[1]` keys. */
export function decodeForm(body: string): Record<string, FormValue> {
  const root: Record<string, FormValue> = Object.create(null);
  for (const [key, value] of formPairs(body)) {
    const path = splitKey(key);
    if (!path || path[0] === "" || path.length > MAX_DEPTH || path.some((p) => FORBIDDEN.has(p))) {
      throw new FormShapeError(key);
    }
    assign(root, path, value, key);
  }
  return toPlain(root) as Record<string, FormValue>;
}

function assign(root: Record<string, FormValue>, path: string[], value: string, key: string): void {
  let node: Record<string, FormValue> | FormValue[] = root;
  for (let i = 0; i < path.length; i++) {
    const last = i === path.length - 1;
    let part = path[i] as string;
    if (Array.isArray(node)) {
      // `x[]` appends; `x[3]` must be the next index so arrays stay dense.
      const index = part === "" ? node.length : Number(part);
      if (!/^\d*$/.test(part) || index > node.length) throw new FormShapeError(key);
      part = String(index);
    }
    const container = node as Record<string, FormValue>;
    if (last) {
      if (container[part] !== undefined) throw new FormShapeError(key);
      container[part] = value;
      return;
    }
    const nextIsIndex = /^\d*$/.test(path[i + 1] as string);
    let child = container[part];
    if (child === undefined) {
      child = nextIsIndex ? [] : Object.create(null);
      container[part] = child as FormValue;
    }
    if (typeof child === "string") throw new FormShapeError(key);
    if (Array.isArray(child) && !nextIsIndex) throw new FormShapeError(key);
    node = child as Record<string, FormValue> | FormValue[];
  }
}

function toPlain(value: FormValue): FormValue {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(toPlain);
  const out: Record<string, FormValue> = {};
  for (const [k, v] of Object.entries(value)) out[k] = toPlain(v);
  return out;
}

/**
 * The name/value pairs of an `application/x-www-form-urlencoded` body, parsed as the URL Standard
 * does except that bytes which are not valid UTF-8 (`%FF`, an encoded surrogate) are refused with
 * FormEncodingError instead of being replaced by U+FFFD: what is stored is what the client sent.
 */
function formPairs(body: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const part of body.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    pairs.push(
      eq === -1 ? [percentDecode(part), ""] : [percentDecode(part.slice(0, eq)), percentDecode(part.slice(eq + 1))],
    );
  }
  return pairs;
}

function percentDecode(text: string): string {
  const spaced = text.replaceAll("+", " ");
  if (!spaced.includes("%")) return spaced;
  const bytes = UTF8.encode(spaced);
  const out = new Uint8Array(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const hex = bytes[i] === 0x25 ? String.fromCharCode(bytes[i + 1] ?? 0, bytes[i + 2] ?? 0) : "";
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      out[n++] = Number.parseInt(hex, 16);
      i += 2;
    } else {
      out[n++] = bytes[i] ?? 0;
    }
  }
  try {
    return STRICT_UTF8.decode(out.subarray(0, n));
  } catch {
    throw new FormEncodingError();
  }
}
