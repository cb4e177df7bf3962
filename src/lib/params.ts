/**
 * Reusable zod parameter schemas for the wire format: form bodies carry numbers and booleans
 * as strings, so integers and booleans accept both forms, strictly.
 */
import { z } from "@hono/zod-openapi";
import { invalidParam } from "../errors";

/**
 * An integer sent as a JSON number or a decimal string (`"1000"`); `"10.5"`, `"1e3"`, `" 1"` and
 * unsafe integers are rejected with `parameter_invalid_integer`. Pipe into `z.int()` for bounds.
 */
export function intParam() {
  return z
    .union([z.number(), z.string()])
    .transform((v, ctx) => {
      const n = typeof v === "number" ? v : /^-?\d{1,16}$/.test(v) ? Number(v) : Number.NaN;
      if (!Number.isSafeInteger(n)) {
        ctx.issues.push({
          code: "custom",
          message: "must be an integer",
          input: v,
          params: { code: "parameter_invalid_integer" },
        });
        return z.NEVER;
      }
      return n;
    })
    .openapi({ type: "integer" });
}

/** A boolean sent as JSON `true`/`false` or the form strings `"true"`/`"false"`. */
export function boolParam() {
  return z
    .union([z.boolean(), z.enum(["true", "false"])])
    .transform((v) => v === true || v === "true")
    .openapi({ type: "boolean" });
}

/** Most keys an object's metadata may hold, after every update. */
export const MAX_METADATA_KEYS = 50;

/** Stripe's metadata rules: ≤ 50 keys, keys ≤ 40 chars without brackets, string values ≤ 500 chars. */
export const metadataParam = z
  .record(
    z
      .string()
      .min(1)
      .max(40)
      .regex(/^[^[\]]+$/, "must not contain brackets"),
    z.string().max(500),
  )
  .refine((m) => Object.keys(m).length <= MAX_METADATA_KEYS, "at most 50 keys")
  .openapi("Metadata", {
    description: 'Up to 50 string key/value pairs. Keys ≤ 40 characters, values ≤ 500. Set a key to "" to remove it.',
    example: { order_id: "6735" },
  });

/** Set of key/value pairs attached to an object, as stored and returned. */
export type Metadata = Record<string, string>;

/**
 * Applies a metadata update to the stored JSON (keys set to "" are removed) and returns the new
 * JSON; the result must still hold at most 50 keys, or the update is a 400 naming `metadata`.
 */
export function mergeMetadata(stored: string, update: Metadata | undefined): string {
  const out = new Map(Object.entries(JSON.parse(stored) as Metadata));
  for (const [k, v] of Object.entries(update ?? {})) {
    if (v === "") out.delete(k);
    else out.set(k, v);
  }
  if (out.size > MAX_METADATA_KEYS) {
    throw invalidParam("parameter_invalid", `Metadata can have at most ${MAX_METADATA_KEYS} keys.`, "metadata");
  }
  return JSON.stringify(Object.fromEntries(out));
}
