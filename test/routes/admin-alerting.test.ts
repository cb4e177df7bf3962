/**
 * Operator alerting API: read the hook and the rule states, create the hook (its secret shown once,
 * stored sealed), change it, every write audited (happy path); every invalid field a 400 naming
 * its parameter, the URL checks of webhook endpoints in both modes (errors); operator credentials
 * only, nothing written otherwise, no secret or URL query in the audit log (security).
 */
import { env } from "cloudflare:workers";
import { desc, eq, like } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/client";
import { alertHook, auditLog } from "../../src/db/schema";
import { ALERT_RULES } from "../../src/domain/alerts";
import { alerting, configureHook, resetAlerting } from "../helpers/alerting";
import { newKey } from "../helpers/api-keys";
import { call, form } from "../helpers/http";
import { newMerchant, operator, operatorHeaders } from "../helpers/merchants";
import { liveApp, tableResolver } from "../helpers/webhooks";

const db = () => controlDb(env);
const audits = () =>
  db().select().from(auditLog).where(like(auditLog.action, "alerting.%")).orderBy(desc(auditLog.created)).all();
const live = liveApp(tableResolver({ "alerts.example.com": ["93.184.216.34"], "intranet.example.com": ["10.0.0.7"] }));

beforeEach(async () => {
  await resetAlerting();
  await db().delete(auditLog).where(like(auditLog.action, "alerting.%"));
});

describe("alerting: happy path", () => {
  it("starts unconfigured, every rule ok with its threshold", async () => {
    const res = await alerting();
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      object: "alerting",
      url: null,
      enabled: false,
      created: null,
      updated: null,
      rules: [
        {
          rule: "authorization_rate_drop",
          state: "ok",
          since: null,
          last_notified: null,
          threshold: 20,
          unit: "percentage_points",
          minimum_volume: 20,
        },
        {
          rule: "error_rate_5xx",
          state: "ok",
          since: null,
          last_notified: null,
          threshold: 2,
          unit: "percent",
          minimum_volume: 50,
        },
        {
          rule: "latency_p99",
          state: "ok",
          since: null,
          last_notified: null,
          threshold: 2000,
          unit: "ms",
          minimum_volume: 50,
        },
      ],
    });
  });

  it("creates the hook with a whsec_ secret shown once, stored sealed, and audits it", async () => {
    const created = await configureHook("http://127.0.0.1:9/alerts?token=abc");
    expect(created).toMatchObject({ object: "alerting", url: "http://127.0.0.1:9/alerts?token=abc", enabled: true });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.created).toBe(created.updated);
    expect(created.rules.map((r) => r.rule)).toEqual([...ALERT_RULES]);

    const read = await alerting();
    expect(read.body.secret).toBeUndefined();
    expect(read.body).toMatchObject({ url: created.url, enabled: true, created: created.created });

    const row = await db().select().from(alertHook).get();
    expect(row?.id).toMatch(/^alh_/);
    expect(row?.secretSealed).not.toContain(created.secret.slice(6));
    expect(JSON.stringify(row)).not.toContain(created.secret);

    const [entry] = await audits();
    expect(entry).toMatchObject({ action: "alerting.hook.created", actor: "root", targetId: row?.id });
    expect(JSON.parse(entry?.details ?? "{}")).toEqual({ url_host: "127.0.0.1:9", enabled: true });
  });

  it("changes url and enabled (JSON or form) without a new secret, audited; an empty body changes nothing", async () => {
    const created = await configureHook("http://127.0.0.1:9/a");
    const sealed = (await db().select().from(alertHook).get())?.secretSealed;
    const off = await alerting({ enabled: false });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ url: "http://127.0.0.1:9/a", enabled: false });
    expect(off.body.secret).toBeUndefined();

    const res = await call("/admin/v1/alerting", {
      ...form({ url: "http://localhost:9/b", enabled: "true" }),
      headers: { ...form({}).headers, ...operatorHeaders() },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ url: "http://localhost:9/b", enabled: true, created: created.created });
    expect((await db().select().from(alertHook).get())?.secretSealed).toBe(sealed);

    const before = (await audits()).length;
    expect((await alerting({})).body).toMatchObject({ url: "http://localhost:9/b", enabled: true });
    const after = await audits();
    expect(after.length).toBe(before);
    expect(after.map((a) => a.action).sort()).toEqual([
      "alerting.hook.created",
      "alerting.hook.updated",
      "alerting.hook.updated",
    ]);
  });

  it("makes one hook of two concurrent first configurations: one answer has the secret, the other is an update", async () => {
    const answers = await Promise.all([
      alerting({ url: "http://127.0.0.1:9/one" }),
      alerting({ url: "http://127.0.0.1:9/two" }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(answers.filter((a) => typeof a.body.secret === "string")).toHaveLength(1);
    expect(await db().select().from(alertHook).all()).toHaveLength(1);
    expect((await audits()).map((a) => a.action).sort()).toEqual(["alerting.hook.created", "alerting.hook.updated"]);
  });

  it("takes a public https URL in live mode, and can be created disabled", async () => {
    const res = await alerting({ url: "https://alerts.example.com/edgepay", enabled: false }, operatorHeaders(), live);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ url: "https://alerts.example.com/edgepay", enabled: false });
    expect(res.body.secret).toMatch(/^whsec_/);
  });
});

describe("alerting: errors", () => {
  it("needs a url the first time", async () => {
    const res = await alerting({ enabled: true });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "parameter_missing", param: "url" });
    expect((await alerting()).body.url).toBeNull();
  });

  it.each([
    ["ftp://alerts.example.com/x", "url_invalid"],
    ["not a url", "url_invalid"],
    ["http://user:pw@127.0.0.1/x", "url_invalid"],
    ["http://10.0.0.1/x", "url_invalid"],
    [`http://127.0.0.1/${"a".repeat(2100)}`, "parameter_invalid"],
    ["", "parameter_invalid_empty"],
  ])("refuses url %s with %s naming url", async (url, code) => {
    const res = await alerting({ url });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code, param: "url" });
    expect(JSON.stringify(res.body)).not.toContain("user:pw");
  });

  it("is https only, to public addresses, in live mode", async () => {
    for (const url of [
      "http://alerts.example.com/x",
      "https://127.0.0.1/x",
      "https://localhost/x",
      "https://intranet.example.com/x",
      "https://unknown.example.com/x",
    ]) {
      const res = await alerting({ url }, operatorHeaders(), live);
      expect(res.status, url).toBe(400);
      expect(res.body.error).toMatchObject({ code: "url_invalid", param: "url" });
    }
    expect((await alerting()).body.url).toBeNull();
  });

  it("names an unknown or malformed field", async () => {
    const unknown = await alerting({ url: "http://127.0.0.1/x", secret: "whsec_mine" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.param).toBe("secret");
    const enabled = await alerting({ url: "http://127.0.0.1/x", enabled: "maybe" });
    expect(enabled.status).toBe(400);
    expect(enabled.body.error.param).toBe("enabled");
    const query = await call("/admin/v1/alerting?verbose=1", { headers: operatorHeaders() });
    expect(query.status).toBe(400);
    expect(((await query.json()) as { error: { param: string } }).error.param).toBe("verbose");
  });

  it("refuses other methods", async () => {
    expect((await call("/admin/v1/alerting", { method: "DELETE", headers: operatorHeaders() })).status).toBe(405);
  });
});

describe("alerting: security", () => {
  it("takes operator credentials only: no token, a wrong one, a merchant's token or secret key, a disabled operator", async () => {
    const m = await newMerchant();
    const secretKey = await newKey(m.merchantId, "secret");
    const op = await operator<{ id: string; secret: string }>("/admin/v1/operators", {
      name: `alerting-${crypto.randomUUID().slice(0, 8)}`,
    });
    await operator(`/admin/v1/operators/${op.id}/disable`, {});
    for (const headers of [
      {},
      { authorization: "Bearer nope" },
      m.headers,
      secretKey.headers,
      { authorization: `Bearer ${op.secret}` },
    ]) {
      const get = await alerting(undefined, headers);
      const post = await alerting({ url: "http://127.0.0.1:9/x" }, headers);
      for (const res of [get, post]) {
        expect(res.status).toBe(401);
        expect(res.body.error.request_id).toMatch(/^req_/);
      }
    }
    expect(await db().select().from(alertHook).all()).toEqual([]);
    expect(await audits()).toEqual([]);
  });

  it("lets a named operator configure it, audited under that operator", async () => {
    const op = await operator<{ id: string; secret: string }>("/admin/v1/operators", {
      name: `alerting-${crypto.randomUUID().slice(0, 8)}`,
    });
    const res = await alerting({ url: "http://127.0.0.1:9/x" }, { authorization: `Bearer ${op.secret}` });
    expect(res.status).toBe(200);
    const [entry] = await audits();
    expect(entry?.actor).toBe(op.id);
    expect((await db().select().from(alertHook).get())?.updatedBy).toBe(op.id);
  });

  it("keeps the secret and the URL's path and query out of the audit log", async () => {
    const created = await configureHook("http://127.0.0.1:9/hooks/secret-path?token=abc123");
    await alerting({ url: "http://127.0.0.1:9/other?key=zzz999" });
    const logged = JSON.stringify(await db().select().from(auditLog).where(like(auditLog.action, "alerting.%")).all());
    for (const leak of [created.secret, created.secret.slice(6), "abc123", "secret-path", "zzz999"]) {
      expect(logged).not.toContain(leak);
    }
    const row = await db().select().from(alertHook).where(eq(alertHook.slot, "default")).get();
    expect(row?.secretSealed).not.toContain(created.secret.slice(6));
  });
});
