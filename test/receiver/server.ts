/**
 * A real HTTP webhook receiver for the delivery tests, started once by vitest's globalSetup (in
 * Node, outside workerd) on 127.0.0.1 and a free port, given to tests as `inject("receiverPort")`.
 * What it answers is scripted by the path's last segment, so each test picks a fresh
 * `/r/<test id>/<script>` and never sees another test's requests:
 * - `ok`: 200; `fail-<n>`: 500 for the first n requests to that path, then 200; `always-500`: 500;
 * - `gone`: 410; `redirect`: 302 to `<path>-target` (which answers 200: a followed redirect shows);
 * - `slow-<ms>`: waits ms, then 200; `retry-after-<s>`: 503 with `Retry-After: <s>`;
 * - `big`: 500 with a 5,000-character body.
 * It records every request (headers, raw body, time); `GET /_requests?prefix=/r/<test id>` lists them.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the receiver saw. */
export interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

const received: Received[] = [];
const counts = new Map<string, number>();

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function answer(res: ServerResponse, status: number, body = "", headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "text/plain", ...headers });
  res.end(body);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  if (req.method === "GET" && url.pathname === "/_requests") {
    const prefix = url.searchParams.get("prefix") ?? "/";
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(received.filter((r) => r.path.startsWith(prefix))));
    return;
  }
  const body = await readBody(req);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(", ") : (v ?? "");
  received.push({ path: url.pathname, headers, body, at: Date.now() });
  const n = (counts.get(url.pathname) ?? 0) + 1;
  counts.set(url.pathname, n);
  const script = url.pathname.split("/").pop() ?? "";
  const [, kind = script, arg = ""] = /^(fail|slow|retry-after)-(\d+)$/.exec(script) ?? [];
  if (script === "ok" || script.endsWith("-target")) return answer(res, 200, "thanks");
  if (kind === "fail") return n <= Number(arg) ? answer(res, 500, "not yet") : answer(res, 200);
  if (script === "always-500") return answer(res, 500, "broken");
  if (script === "gone") return answer(res, 410, "gone");
  if (script === "redirect") return answer(res, 302, "", { location: `${url.pathname}-target` });
  if (kind === "slow") {
    await new Promise((r) => setTimeout(r, Number(arg)));
    return answer(res, 200, "late");
  }
  if (kind === "retry-after") return answer(res, 503, "busy", { "retry-after": arg });
  if (script === "big") return answer(res, 500, "x".repeat(5000));
  answer(res, 404, "no script");
}

/** vitest globalSetup: starts the receiver and provides its port; the returned function stops it. */
export default async function setup(project: { provide(key: "receiverPort", value: number): void }) {
  const server = createServer((req, res) => {
    handle(req, res).catch(() => answer(res, 500, "receiver error"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  project.provide("receiverPort", (server.address() as AddressInfo).port);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
