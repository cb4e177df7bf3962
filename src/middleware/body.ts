/**
 * Reads request bodies once, under a size cap, and parses JSON and bracket-nested form bodies
 * into the same plain object (`c.var.body`). Form requests are then re-presented to the zod
 * validators as JSON, so every route validates one schema whatever the client sent.
 * Why not hono/body-limit: see CONTRIBUTING.md ("Hand-written on purpose").
 */
import { createMiddleware } from "hono/factory";
import { ApiError } from "../errors";
import { type BodyProblem, bodyProblem, MAX_BODY_DEPTH, MAX_BODY_KEYS } from "../lib/body-limits";
import { redacted } from "../lib/echo";
import { decodeForm, FormEncodingError, FormShapeError } from "../lib/form";
import type { AppEnv } from "../types";

const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** A parameter name built from the client's own keys, as an error may show it. */
const shown = (param: string) => redacted(param, 100);

/** Factory for the body middleware; `maxBytes` is checked when the app is built, not per request. */
export function parseBody(maxBytes: number) {
  if (!Number.isInteger(maxBytes) || maxBytes <= 0) throw new Error("parseBody: maxBytes must be a positive integer");
  return createMiddleware<AppEnv>(async (c, next) => {
    c.set("body", {});
    if (!METHODS_WITH_BODY.has(c.req.method)) return next();

    const declared = Number(c.req.header("content-length") ?? "0");
    if (declared > maxBytes) throw tooLarge(maxBytes);
    const bytes = declared > 0 ? await readDeclared(c.req.raw, maxBytes) : await readCapped(c.req.raw.body, maxBytes);
    const text = decodeUtf8(bytes);
    const mediaType = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";

    const body = parse(text, mediaType);
    const problem = bodyProblem(body);
    if (problem) throw refused(problem);
    c.set("body", body);
    // Hand the validators a JSON request carrying the normalized object.
    const headers = new Headers(c.req.raw.headers);
    headers.set("content-type", "application/json");
    headers.delete("content-length");
    c.req.raw = new Request(c.req.raw.url, { method: c.req.method, headers, body: JSON.stringify(body) });
    c.req.bodyCache = {};
    return next();
  });
}

function parse(text: string, mediaType: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  if (mediaType === "application/json" || mediaType.endsWith("+json")) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new ApiError("body_malformed", "The request body is not valid JSON.");
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new ApiError("body_malformed", "The request body must be a JSON object.");
    }
    return value as Record<string, unknown>;
  }
  if (mediaType === "application/x-www-form-urlencoded" || mediaType === "") {
    try {
      return decodeForm(text);
    } catch (err) {
      if (err instanceof FormShapeError) {
        throw new ApiError("parameter_invalid", "A form parameter has an invalid or conflicting shape.", {
          param: shown(err.param),
        });
      }
      if (err instanceof FormEncodingError) throw notUtf8();
      throw err;
    }
  }
  throw new ApiError(
    "unsupported_media_type",
    "Send the body as application/x-www-form-urlencoded or application/json.",
  );
}

/** The body as text; bytes that are not valid UTF-8 are refused, never replaced. */
function decodeUtf8(bytes: Uint8Array): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    throw notUtf8();
  }
}

function notUtf8(): ApiError {
  return new ApiError("body_malformed", "The request body is not valid UTF-8.");
}

/**
 * A body that declares its length (within the cap, checked before) in one native read: the
 * runtime's HTTP framing ends the body at that length, and what was read is checked against the
 * cap again, so a body longer than it declared is still refused. Cheaper than the stream reader
 * for the small bodies of the API.
 */
async function readDeclared(request: Request, maxBytes: number): Promise<Uint8Array> {
  let buffer: ArrayBuffer;
  try {
    buffer = await request.arrayBuffer();
  } catch {
    throw new ApiError("body_malformed", "The request body could not be read in full.");
  }
  if (buffer.byteLength > maxBytes) throw tooLarge(maxBytes);
  return new Uint8Array(buffer);
}

/** A body of undeclared length, read chunk by chunk and refused as soon as it passes the cap. */
async function readCapped(stream: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array> {
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      // The client went away, the chunked framing broke, or Content-Length promised more than came.
      throw new ApiError("body_malformed", "The request body could not be read in full.");
    }
    const { done, value } = chunk;
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** The 400 for a parsed body that breaks one of the limits in lib/body-limits. */
function refused(problem: BodyProblem): ApiError {
  switch (problem.reason) {
    case "too_deep":
      return new ApiError("parameter_invalid", `The request body is nested deeper than ${MAX_BODY_DEPTH} levels.`, {
        ...(problem.param && { param: shown(problem.param) }),
      });
    case "too_many_keys":
      return new ApiError("body_malformed", `The request body has more than ${MAX_BODY_KEYS} keys and elements.`);
    case "forbidden_key":
      return new ApiError("parameter_invalid", "The keys __proto__, constructor and prototype are not accepted.", {
        param: shown(problem.param),
      });
    case "lone_surrogate":
      return new ApiError("parameter_invalid", "Strings must be valid Unicode: this one has an unpaired surrogate.", {
        ...(problem.param && { param: shown(problem.param) }),
      });
  }
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError("body_too_large", `The request body exceeds the limit of ${maxBytes} bytes.`);
}
