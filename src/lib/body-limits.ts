/**
 * Limits on a parsed request body beyond its size: nesting depth, total key count, keys that
 * could reach an object's prototype, and strings with unpaired UTF-16 surrogates (which cannot
 * be stored and answered back unchanged). The walk is iterative, so hostile nesting cannot
 * exhaust the stack; every later recursive walk over the body relies on these caps.
 */

/** Deepest nesting of objects and arrays a body may have (the body itself is depth 1). */
export const MAX_BODY_DEPTH = 32;
/** Most object keys plus array elements a body may hold in total. */
export const MAX_BODY_KEYS = 1000;

/** Keys refused anywhere in a body, since they name or reach an object's prototype. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a body was refused, and the parameter to name when one can be named. */
export type BodyProblem =
  | { reason: "too_deep"; param: string }
  | { reason: "too_many_keys" }
  | { reason: "forbidden_key"; param: string }
  | { reason: "lone_surrogate"; param: string };

/** True when `s` holds a high surrogate without its low half, or a low one without its high half. */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

/** The first limit `body` breaks, or undefined when it keeps all of them. */
export function bodyProblem(body: unknown): BodyProblem | undefined {
  const stack: { value: unknown; depth: number; path: string }[] = [{ value: body, depth: 0, path: "" }];
  let keys = 0;
  for (let item = stack.pop(); item; item = stack.pop()) {
    const { value, depth, path } = item;
    if (typeof value === "string") {
      if (hasLoneSurrogate(value)) return { reason: "lone_surrogate", param: path };
      continue;
    }
    if (value === null || typeof value !== "object") continue;
    if (depth + 1 > MAX_BODY_DEPTH) return { reason: "too_deep", param: topLevel(path) };
    keys += Array.isArray(value) ? value.length : Object.keys(value).length;
    if (keys > MAX_BODY_KEYS) return { reason: "too_many_keys" };
    const entries = Array.isArray(value)
      ? value.map((v, i) => [String(i), v] as const)
      : Object.entries(value as Record<string, unknown>);
    for (const [k, v] of entries) {
      const childPath = path === "" ? k : `${path}[${k}]`;
      if (FORBIDDEN_KEYS.has(k)) return { reason: "forbidden_key", param: childPath };
      if (hasLoneSurrogate(k)) return { reason: "lone_surrogate", param: topLevel(path) };
      stack.push({ value: v, depth: depth + 1, path: childPath });
    }
  }
  return undefined;
}

/** The top-level parameter of a bracketed path (`metadata[a][b]` → `metadata`). */
function topLevel(path: string): string {
  const open = path.indexOf("[");
  return open === -1 ? path : path.slice(0, open);
}
