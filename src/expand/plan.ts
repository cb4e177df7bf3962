/**
 * Checks the `expand[]` paths of a request against the registry and turns them into a tree of
 * fields to expand, before the request does anything: an unknown or too deep path is a 400 naming
 * `expand[<i>]`, a path into objects the caller's scopes cannot read is a 403, and a publishable
 * key may expand nothing (its client secret admits one intent, not the objects around it).
 */
import { ApiError, invalidParam } from "../errors";
import { redacted } from "../lib/echo";
import type { MerchantAuth } from "../types";
import { EXPANDABLE, type ExpandableField, type ObjectType, READ_SCOPE } from "./registry";

/** Most objects one path may expand, one inside the other (Stripe's limit). */
export const MAX_EXPAND_DEPTH = 4;

/** The expansions under one object of `type`: each expandable field to expand, with the expansions below it. */
export interface ExpandNode {
  type: ObjectType;
  children: Map<string, { field: ExpandableField; node: ExpandNode }>;
}

/** What a request asked to expand, checked: the tree under its answer's type; `list` when the answer is a list page. */
export interface ExpandPlan {
  list: boolean;
  root: ExpandNode;
}

/** What the plan needs to know of the caller. */
export type Caller = Pick<MerchantAuth, "scopes" | "credential">;

const node = (type: ObjectType): ExpandNode => ({ type, children: new Map() });

/**
 * The checked plan of `paths` (in the order sent, `expand[0]` first) for an answer of `type`, or
 * undefined when nothing is to be expanded. List answers take paths under `data.`.
 */
export function planExpand(
  type: ObjectType,
  list: boolean,
  paths: readonly string[],
  caller: Caller,
): ExpandPlan | undefined {
  if (paths.length === 0) return undefined;
  const root = node(type);
  paths.forEach((path, i) => {
    const param = `expand[${i}]`;
    if (caller.credential === "publishable_key") {
      throw new ApiError("publishable_key_not_allowed", "A publishable key cannot expand properties.", {
        param,
        noEffect: true,
      });
    }
    addPath(root, list, path, param, caller);
  });
  return { list, root };
}

function addPath(root: ExpandNode, list: boolean, path: string, param: string, caller: Caller): void {
  const segments = path.split(".");
  if (list && segments.shift() !== "data") throw notExpandable(path, param);
  if (segments.length === 0) throw notExpandable(path, param);
  let at = root;
  let depth = 0;
  while (segments.length > 0) {
    const found = EXPANDABLE[at.type].find((f) => f.path.every((part, k) => segments[k] === part));
    if (!found) throw notExpandable(path, param);
    if (++depth > MAX_EXPAND_DEPTH) {
      throw invalidParam(
        "parameter_invalid",
        `You cannot expand more than ${MAX_EXPAND_DEPTH} levels of a property. Property: ${shown(path)}`,
        param,
      );
    }
    const scope = READ_SCOPE[found.target];
    if (!caller.scopes.has(scope)) {
      throw new ApiError(
        "insufficient_scope",
        `This access token or API key lacks the required scope to expand ${shown(path)}: ${scope}.`,
        { param, noEffect: true, extra: { required_scope: scope } },
      );
    }
    segments.splice(0, found.path.length);
    const key = found.path.join(".");
    let child = at.children.get(key);
    if (!child) {
      child = { field: found, node: node(found.target) };
      at.children.set(key, child);
    }
    at = child.node;
  }
}

function notExpandable(path: string, param: string): ApiError {
  return invalidParam("parameter_invalid", `This property cannot be expanded (${shown(path)}).`, param);
}

/** A client's path as a message may repeat it. */
const shown = (path: string) => redacted(path, 100);
