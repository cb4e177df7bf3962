/**
 * Which scope a route guard checks, readable from the guard itself: `requireScope(scope)` marks the
 * middleware it builds, and the OpenAPI document (lib/openapi-document.ts) reads the mark from the
 * app's handler table, so the scope a page documents is the value the guard enforces, not a copy.
 */
import type { Scope } from "../domain/scopes";

/** What a guard admits: the scope it requires, and whether a publishable key passes it (then checked by the handler). */
export interface ScopeMark {
  scope: Scope;
  publishable: boolean;
}

const marks = new WeakMap<object, ScopeMark>();

/** Records that `guard` requires `mark.scope`; returns the guard unchanged. */
export function markScope<T extends object>(guard: T, mark: ScopeMark): T {
  marks.set(guard, mark);
  return guard;
}

/** The mark of a guard built by `requireScope` or `requireScopeOrPublishable`, or undefined for any other middleware. */
export function scopeMarkOf(middleware: unknown): ScopeMark | undefined {
  return typeof middleware === "function" ? marks.get(middleware) : undefined;
}
