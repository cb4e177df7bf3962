/**
 * `expand[]` for route modules. A route that answers with an object (or a list page) of a type
 * with expandable fields puts `expandable(type)` in its middleware, which checks the request's
 * paths before anything runs, and answers `c.json(await expanded(c, answer), 200)`. With no
 * `expand[]` in the request, `expanded` returns the answer untouched and reads nothing.
 * The parameter's schemas (body and query) are in params.ts.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { isLive } from "../payments/serialize";
import type { AppEnv } from "../types";
import { applyPlan } from "./apply";
import { requestedPaths } from "./params";
import { planExpand } from "./plan";
import type { ObjectType } from "./registry";

export { expandableId, expandBodyParam, queryWithExpand } from "./params";
export type { ObjectType } from "./registry";

/**
 * Route middleware: the request's `expand[]` paths (a GET's query, any other method's body),
 * checked for an answer of `type` (`list`: a page of them, paths under `data.`) and kept for
 * `expanded`. A bad path is refused here, before the route changes anything.
 */
export function expandable(type: ObjectType, opts: { list?: boolean } = {}) {
  const list = opts.list ?? false;
  return createMiddleware<AppEnv>(async (c, next) => {
    const paths = requestedPaths(c);
    c.set("expand", paths === undefined ? undefined : planExpand(type, list, paths, c.var.auth));
    return next();
  });
}

/** `answer` with the expansions its request asked for (see `expandable`); `answer` itself when none were. */
export async function expanded<T extends object>(c: Context<AppEnv>, answer: T): Promise<T> {
  const plan = c.var.expand;
  if (plan === undefined) return answer;
  await applyPlan(c.var.merchantDb, c.var.auth.merchantId, isLive(c.env), plan, answer as Record<string, unknown>);
  return answer;
}
