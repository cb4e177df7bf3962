/**
 * Maps zod validation failures onto the error envelope, naming the offending parameter the way
 * Stripe does (`card[number]`, `metadata[order]`, `expand[0]`).
 */
import type { z } from "@hono/zod-openapi";
import { ApiError, ERROR_CODES, type ErrorCode } from "../errors";
import { redacted } from "./echo";

function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CODES, value);
}

/**
 * Renders a zod path as a Stripe-style parameter name: `["card","number"]` → `card[number]`. Keys
 * are the client's own text, so the name is redacted (no card-like digit run, at most 100 characters).
 */
export function paramName(path: readonly PropertyKey[]): string {
  const [head, ...rest] = path.map(String);
  return redacted((head ?? "") + rest.map((p) => `[${p}]`).join(""), 100);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** Turns the first zod issue into an ApiError with a code, a safe message and `param`. */
export function validationError(error: z.ZodError, input: unknown): ApiError {
  const issue = error.issues[0];
  if (!issue) return new ApiError("parameter_invalid", "Invalid request.", { noEffect: true });
  if (issue.code === "unrecognized_keys") {
    const param = paramName([...issue.path, issue.keys[0] ?? ""]);
    return new ApiError("parameter_unknown", `Received unknown parameter: ${param}`, { param, noEffect: true });
  }
  const param = paramName(issue.path);
  const value = valueAt(input, issue.path);
  let code: ErrorCode = "parameter_invalid";
  let message = `Invalid value for ${param}: ${issue.message}`;
  if (value === undefined) {
    code = "parameter_missing";
    message = `Missing required param: ${param}.`;
  } else if (value === "") {
    code = "parameter_invalid_empty";
    message = `You passed an empty string for '${param}'. Omit the parameter or pass a value.`;
  } else if (issue.code === "custom" && isErrorCode(issue.params?.code)) {
    // Schemas name a specific code through `params.code` (e.g. intParam → parameter_invalid_integer).
    code = issue.params.code;
    message = code === "parameter_invalid_integer" ? `Invalid integer for ${param}.` : message;
  }
  return new ApiError(code, message, { param, noEffect: true });
}
