/**
 * Results: the JSON shape written to bench/out/ (and, with --record, bench/results/; bench/lib/targets.ts judges it), the human
 * table printed on stdout, and the short history kept next to latest.json.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Measurement } from "./load.ts";
import { countFor, countLabel, describeCalls, type PerRequestCounts, perRequest } from "./per-request.ts";
import type { ColdStart, StartupProfile } from "./startup.ts";

/** One gateway measurement with its comparison to the floor at the same concurrency. */
export interface Compared extends Measurement {
  floor: string;
  /** Requests/s of the scenario divided by requests/s of its floor scenario. */
  floorRatio: number | null;
  /** CPU per request of the scenario minus that of its floor scenario, in ms. */
  cpuOverFloorMs: number | null;
}

/** A gateway scenario's outcome: measured, missing (routes not served), failing (probe not 2xx) or skipped (nothing to consume). */
export interface ScenarioOutcome {
  name: string;
  title: string;
  status: "measured" | "missing" | "failing" | "skipped";
  reason?: string;
  runs: Compared[];
}

/** One target of the issue and whether this run met it (null: could not be judged). */
export interface TargetVerdict {
  target: string;
  value: string;
  met: boolean | null;
}

/** Everything one run measured; written as bench/out/latest.json. */
export interface BenchResults {
  mode: "quick" | "full";
  startedAt: string;
  finishedAt: string;
  git: { commit: string; branch: string; dirty: boolean };
  machine: { nproc: number; cpuModel: string; memGiB: number; node: string; loadAvgAtStart: number[] };
  plan: { concurrencies: number[]; seconds: number; warmupSeconds: number };
  setup: { seeded: string; rateLimit: number | string | null; paymentMethodReuse: boolean | null };
  bundle: { gateway: { rawBytes: number; gzipBytes: number }; floor: { rawBytes: number; gzipBytes: number } };
  startup: {
    method: string;
    gateway: StartupProfile | string;
    floor: StartupProfile | string;
    cold: { gateway: ColdStart; floor: ColdStart };
  };
  perRequest: PerRequestCounts;
  floor: Measurement[];
  scenarios: ScenarioOutcome[];
  targets: TargetVerdict[];
}

/** Compares a gateway measurement with the floor measurement of the same concurrency. */
export function compare(m: Measurement, floorName: string, floor: readonly Measurement[]): Compared {
  const f = floor.find((x) => x.scenario === floorName && x.concurrency === m.concurrency);
  return {
    ...m,
    floor: floorName,
    floorRatio: f && f.rps > 0 ? m.rps / f.rps : null,
    cpuOverFloorMs:
      f && m.cpuMsPerRequest !== null && f.cpuMsPerRequest !== null ? m.cpuMsPerRequest - f.cpuMsPerRequest : null,
  };
}

const fmt = (n: number | null | undefined, digits = 2) =>
  n === null || n === undefined || Number.isNaN(n) ? "-" : n.toFixed(digits);

/** p99 over p50 of a run: how far the tail reaches. */
export const tailRatio = (m: Measurement): string => fmt(m.p99Ms / m.p50Ms, 1);

/** One line per counted scenario: round trips, RPCs, depth, deferred calls, and the calls by hop. */
export function describeCounts(counts: PerRequestCounts, quote?: (s: string) => string): string[] {
  if (typeof counts === "string") return [counts];
  return counts.map(
    (c) =>
      `${countLabel(c)}: depth ${perRequest(c.depth)}, ${perRequest(c.deferred)} deferred; ${perRequest(c.d1Calls)} D1 / ${perRequest(c.doCalls)} DO: ` +
      describeCalls(c.calls, quote),
  );
}

/** The failed count, flagged with `!` (and the statuses) when over 1% of the answers. */
export function failedCell(m: Measurement): string {
  if (m.failed === 0) return "0";
  const share = m.failed / (m.ok + m.failed);
  if (share <= 0.01) return String(m.failed);
  const statuses = Object.entries(m.statusCodes)
    .filter(([code]) => !code.startsWith("2"))
    .map(([code, n]) => `${code}x${n}`)
    .join(" ");
  return `${m.failed}! ${statuses}`.trim();
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
}

/** The human table: floor, then every gateway scenario (missing ones named), then the targets. */
export function renderTable(r: BenchResults): string {
  const header = [
    "scenario",
    "c",
    "req/s",
    "p50 ms",
    "p99 ms",
    "p99/p50",
    "x floor",
    "CPU ms/req",
    "over floor",
    "failed",
  ];
  const lines: string[][] = [];
  for (const m of r.floor) {
    lines.push([
      `floor/${m.scenario}`,
      String(m.concurrency),
      fmt(m.rps, 0),
      fmt(m.p50Ms),
      fmt(m.p99Ms),
      tailRatio(m),
      "1.00",
      fmt(m.cpuMsPerRequest, 3),
      "",
      String(m.failed),
    ]);
  }
  for (const s of r.scenarios) {
    if (s.status !== "measured") {
      lines.push([s.name, "", `${s.status.toUpperCase()}: ${s.reason ?? ""}`, "", "", "", "", "", "", ""]);
      continue;
    }
    for (const m of s.runs) {
      lines.push([
        s.name,
        String(m.concurrency),
        fmt(m.rps, 0),
        fmt(m.p50Ms),
        fmt(m.p99Ms),
        tailRatio(m),
        `${fmt(m.floorRatio)} ${m.floor}`,
        fmt(m.cpuMsPerRequest, 3),
        fmt(m.cpuOverFloorMs, 3),
        failedCell(m),
      ]);
    }
  }
  const widths = header.map((h, i) =>
    Math.max(h.length, ...lines.filter((l) => l[3] !== "").map((l) => (l[i] ?? "").length)),
  );
  const out = [
    row(header, widths),
    row(
      widths.map((w) => "-".repeat(w)),
      widths,
    ),
  ];
  for (const l of lines) out.push(l[3] === "" && l[1] === "" ? `${l[0]}  ${l[2]}` : row(l, widths));
  const g = r.bundle.gateway;
  out.push("");
  out.push(
    `bundle: gateway ${fmt(g.rawBytes / 1024, 1)} KiB raw, ${fmt(g.gzipBytes / 1024, 1)} KiB gzipped; floor ${fmt(r.bundle.floor.gzipBytes / 1024, 1)} KiB gzipped`,
  );
  const su = r.startup;
  const active = (p: StartupProfile | string) => (typeof p === "string" ? p : `${fmt(p.activeMs, 1)} ms`);
  out.push(`startup (wrangler check startup, active CPU): gateway ${active(su.gateway)}, floor ${active(su.floor)}`);
  out.push(
    `fresh workerd to first answer (median of ${su.cold.gateway.runs}): gateway ${fmt(su.cold.gateway.firstResponseMs, 0)} ms wall / ${fmt(su.cold.gateway.cpuMs, 0)} ms CPU, floor ${fmt(su.cold.floor.firstResponseMs, 0)} ms / ${fmt(su.cold.floor.cpuMs, 0)} ms`,
  );
  out.push("storage calls per request (counting build; depth = sequential hops before the response):");
  out.push(...describeCounts(r.perRequest).map((l) => `  ${l}`));
  const cpuLines = explainCpu(r);
  if (cpuLines.length > 0) out.push("CPU per request, modelled:", ...cpuLines.map((l) => `  ${l}`));
  out.push(`seed: ${r.setup.seeded}; merchant rate limit: ${r.setup.rateLimit ?? "-"}`);
  out.push("");
  out.push("targets:");
  for (const t of r.targets)
    out.push(`  [${t.met === null ? "n/a " : t.met ? "met " : "MISS"}] ${t.target}: ${t.value}`);
  return out.join("\n");
}

/** Writes latest.json and a timestamped copy under history/, keeping the newest `keep`. */
export function writeResults(dir: string, r: BenchResults, keep = 10): string {
  const history = join(dir, "history");
  mkdirSync(history, { recursive: true });
  const json = `${JSON.stringify(r, null, 2)}\n`;
  writeFileSync(join(dir, "latest.json"), json);
  const stamp = r.startedAt.replace(/[:.]/g, "-");
  writeFileSync(join(history, `${stamp}-${r.mode}.json`), json);
  const files = readdirSync(history)
    .filter((f) => f.endsWith(".json"))
    .sort();
  for (const old of files.slice(0, Math.max(0, files.length - keep))) rmSync(join(history, old));
  return join(dir, "latest.json");
}

/**
 * Where the CPU of each payment-path run goes, from a simple model: every D1 round trip costs what the
 * floor's d1_batch costs over hello, every DO RPC what do_write costs over hello (both at the same
 * concurrency); what remains is the gateway's own work (routing, validation, JWT, crypto, JSON).
 */
export function explainCpu(r: Omit<BenchResults, "targets">): string[] {
  const lines: string[] = [];
  for (const s of r.scenarios) {
    const calls = countFor(r.perRequest, s.name, r.setup.paymentMethodReuse);
    if (!calls) continue;
    for (const m of s.runs) {
      const at = (name: string) => r.floor.find((f) => f.scenario === name && f.concurrency === m.concurrency);
      const hello = at("hello")?.cpuMsPerRequest;
      const d1 = at("d1_batch")?.cpuMsPerRequest;
      const durable = at("do_write")?.cpuMsPerRequest;
      if (m.cpuMsPerRequest === null || hello == null || d1 == null || durable == null) continue;
      const storage = calls.d1Calls * (d1 - hello) + calls.doCalls * (durable - hello);
      lines.push(
        `${s.name} c=${m.concurrency}: ${fmt(m.cpuMsPerRequest)} ms = ${fmt(calls.d1Calls, 1)} D1 x ${fmt(d1 - hello)}` +
          ` + ${fmt(calls.doCalls, 1)} DO x ${fmt(durable - hello)} (local storage, ${fmt(storage)} ms)` +
          ` + ${fmt(m.cpuMsPerRequest - storage)} ms gateway code and request handling`,
      );
    }
  }
  return lines;
}
