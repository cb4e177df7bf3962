/**
 * The operator's alert hook: configuring it (URL checked as webhook endpoint URLs are, a `whsec_…`
 * secret drawn and sealed on creation and shown only then, every write audited) and delivering one
 * alert to it, signed with the Standard Webhooks scheme of webhooks/sign.ts. A delivery never
 * throws for what the receiver or the network does, and nothing here logs the secret or the URL.
 */
import { openSecret, sealSecret } from "../crypto/sealed-secret";
import { type AlertHookRow, getAlertHook, insertAlertHook, updateAlertHook } from "../db/alerts";
import type { Db } from "../db/client";
import type { AuditEntry } from "../db/merchants";
import type { AlertRule } from "../domain/alerts";
import { invalidParam } from "../errors";
import { newId } from "../lib/ids";
import { USER_AGENT } from "./deliver";
import { newWebhookSecret } from "./secrets";
import { standardSignature } from "./sign";
import { checkDeliveryUrl, type Resolver, refusalMessage, type UrlMode } from "./url-safety";

export type { AlertHookRow } from "../db/alerts";

/** The record kind leading the sealed secret's binding: it opens as nothing else. */
const PURPOSE = "alert_hook_secret";

/** What configuring the hook runs on. */
export interface AlertHookDeps {
  env: Env;
  /** The control database. */
  db: Db;
  now: () => number;
  resolve: Resolver;
  mode: UrlMode;
}

/** A change the operator asked for (validated); absent fields stay as they are. */
export interface AlertHookInput {
  url?: string;
  enabled?: boolean;
}

/** The hook after a change and, when the change created it, its secret (shown this once). */
export interface ConfiguredHook {
  row: AlertHookRow;
  secret: string | null;
}

/** Builds the audit entry of an action on the hook (the route's operatorAudit). */
export type AuditOf = (action: string, targetId: string, details: Record<string, unknown>) => AuditEntry;

/** The checked, normalized URL, or the 400 `url_invalid` naming `url`. */
async function checkedUrl(deps: AlertHookDeps, url: string): Promise<string> {
  const check = await checkDeliveryUrl(url, deps.mode, deps.resolve);
  if (!check.ok) throw invalidParam("url_invalid", refusalMessage(check.reason, deps.mode), "url");
  return check.url;
}

/** What the audit log keeps of a URL: its host, never its path or query (they may carry tokens). */
function hostOf(url: string): string {
  return new URL(url).host;
}

/**
 * Creates the hook (a `url` is required then; `enabled` defaults to true) or changes it. A body
 * with nothing to change answers the hook as it is and audits nothing.
 */
export async function configureAlertHook(
  deps: AlertHookDeps,
  input: AlertHookInput,
  audit: AuditOf,
): Promise<ConfiguredHook> {
  const url = input.url === undefined ? undefined : await checkedUrl(deps, input.url);
  const existing = await getAlertHook(deps.db);
  if (!existing) {
    if (url === undefined) {
      throw invalidParam("parameter_missing", "The first alerting configuration needs a url.", "url");
    }
    const id = newId("alh");
    const secret = newWebhookSecret();
    const enabled = input.enabled ?? true;
    const entry = audit("alerting.hook.created", id, { url_host: hostOf(url), enabled });
    const now = deps.now();
    const row = {
      id,
      url,
      enabled,
      secretSealed: await sealSecret(deps.env, [PURPOSE, id], secret),
      created: now,
      updated: now,
      updatedBy: entry.actor,
    };
    if (await insertAlertHook(deps.db, row, entry)) return { row: { ...row, slot: "default" }, secret };
    // Another request created it first: this one is an update of that one.
  }
  const current = existing ?? (await getAlertHook(deps.db));
  if (!current) throw new Error("alert hook vanished");
  if (url === undefined && input.enabled === undefined) return { row: current, secret: null };
  const entry = audit("alerting.hook.updated", current.id, {
    ...(url === undefined ? {} : { url_host: hostOf(url) }),
    ...(input.enabled === undefined ? {} : { enabled: input.enabled }),
  });
  const updated = await updateAlertHook(
    deps.db,
    { url, enabled: input.enabled, updated: deps.now(), updatedBy: entry.actor },
    entry,
  );
  return { row: updated ?? current, secret: null };
}

/** The body of one alert. */
export interface AlertPayload {
  type: "alert.firing" | "alert.resolved";
  rule: AlertRule;
  value: number | null;
  threshold: number;
  /** The 5-minute window evaluated, unix seconds. */
  window: { from: number; to: number };
  /** Unix seconds of the evaluation that sent it. */
  fired_at: number;
}

/** How one delivery ended: a 2xx, or why not (never the URL, never the response body). */
export type AlertDelivery =
  | { ok: true; status: number }
  | { ok: false; reason: "url_refused" | "status" | "timeout" | "network_error"; status: number | null };

/** What a delivery may be given: its time limit and the resolver of the URL check. */
export interface AlertSendOptions {
  timeoutMs: number;
  resolve: Resolver;
  mode: UrlMode;
}

/**
 * POSTs `payload` to the hook once, signed with its secret (`webhook-id` is `messageId`, the same
 * on every retry of one transition, so a receiver can drop a repeat). Redirects are not followed.
 */
export async function sendAlert(
  env: Env,
  hook: AlertHookRow,
  messageId: string,
  payload: AlertPayload,
  options: AlertSendOptions,
): Promise<AlertDelivery> {
  const url = await checkDeliveryUrl(hook.url, options.mode, options.resolve);
  if (!url.ok) return { ok: false, reason: "url_refused", status: null };
  const body = JSON.stringify(payload);
  const secret = await openSecret(env, [PURPOSE, hook.id], hook.secretSealed);
  const signature = await standardSignature(messageId, payload.fired_at, body, [secret]);
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const res = await fetch(url.url, {
      method: "POST",
      headers: {
        "webhook-id": messageId,
        "webhook-timestamp": String(payload.fired_at),
        "webhook-signature": signature,
        "User-Agent": USER_AGENT,
        "Content-Type": "application/json",
      },
      body,
      redirect: "manual",
      signal,
    });
    await res.body?.cancel().catch(() => undefined);
    return res.status >= 200 && res.status < 300
      ? { ok: true, status: res.status }
      : { ok: false, reason: "status", status: res.status };
  } catch (err) {
    const timeout = err instanceof Error && (err.name === "TimeoutError" || signal.aborted);
    return { ok: false, reason: timeout ? "timeout" : "network_error", status: null };
  }
}
