/**
 * Operator authentication for `/admin/v1/…`: `Authorization: Bearer <OPERATOR_TOKEN>`, compared in
 * constant time. The one place operator routes check their caller.
 */
import { createMiddleware } from "hono/factory";
import { constantTimeEqual } from "../crypto/secrets";
import { ApiError } from "../errors";
import type { AppEnv } from "../types";

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="edgepay-operator"' };

/** Admits only requests that carry the operator token. */
export const operatorAuth = createMiddleware<AppEnv>(async (c, next) => {
  const match = /^Bearer +(\S+)$/i.exec(c.req.header("authorization") ?? "");
  if (!match) {
    throw new ApiError("authentication_required", "Send the operator token as a Bearer token.", { headers: CHALLENGE });
  }
  if (!(await constantTimeEqual(match[1] as string, c.env.OPERATOR_TOKEN))) {
    throw new ApiError("invalid_token", "The operator token is not valid.", { headers: CHALLENGE });
  }
  await next();
});
