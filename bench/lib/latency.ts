/**
 * The latency model (issue 12): what a merchant far from the database would see at p50, from the
 * counting build's critical-path depth and the run's local time. For each payment path,
 *
 *   modelled p50 = depth × hop cost + local time                      (Worker near the merchant)
 *   modelled p50 = distance + depth × PLACED_HOP_MS + local time       (Smart Placement)
 *
 * where local time is the run's p50 at c = 1. "Before" is a fixed reference measured at main 0f833fa
 * with this same counting build, so the table shows what the changes since then bought.
 */
import { type PerRequestCounts, perRequest } from "./per-request.ts";
import type { BenchResults } from "./report.ts";

/** Round-trip time from the Worker to the storage, per placement of the merchant (assumptions). */
export const DISTANCES = [
  { name: "near the database", hopMs: 5 },
  { name: "one ocean away", hopMs: 80 },
  { name: "antipodal", hopMs: 200 },
] as const;

/** A storage hop when Smart Placement runs the Worker next to D1 (assumption). */
export const PLACED_HOP_MS = 2;

/** The paths the model covers, in table order. */
export const PATHS = ["authorize_manual", "authorize_automatic", "capture", "refund", "tokenize", "list"] as const;

/** One path's inputs to the model: sequential storage hops and local time (ms). */
export interface PathFigures {
  depth: number;
  localMs: number;
}

/**
 * The reference: main at 0f833fa, counted with this counting build and timed by a quick run on the
 * bench machine (p50 at c = 1, 2026-12-01 00:46 UTC, load average 4 at start, so the local times are
 * inflated). Authorize is the deeper of its two payment-method modes (fresh pm: 8 and 11 hops; with a
 * reused pm 7 and 10).
 */
export const BEFORE: { commit: string; paths: Record<(typeof PATHS)[number], PathFigures> } = {
  commit: "0f833fa",
  paths: {
    authorize_manual: { depth: 8, localMs: 22.15 },
    authorize_automatic: { depth: 11, localMs: 53.7 },
    capture: { depth: 7, localMs: 52.92 },
    refund: { depth: 7, localMs: 69.53 },
    tokenize: { depth: 3, localMs: 16.25 },
    list: { depth: 2, localMs: 12.31 },
  },
};

/** This run's figures for a path: the deepest count of the path and its p50 at c = 1, or null. */
export function figuresNow(r: Pick<BenchResults, "perRequest" | "scenarios">, path: string): PathFigures | null {
  const counts: PerRequestCounts = r.perRequest;
  const depths = typeof counts === "string" ? [] : counts.filter((c) => c.scenario === path).map((c) => c.depth);
  const local = r.scenarios.find((s) => s.name === path)?.runs.find((m) => m.concurrency === 1)?.p50Ms;
  if (depths.length === 0 || local === undefined) return null;
  return { depth: Math.max(...depths), localMs: local };
}

const ms = (x: number) => `${Math.round(x)}`;

function cells(f: PathFigures): string[] {
  return [
    ...DISTANCES.map((d) => ms(f.depth * d.hopMs + f.localMs)),
    ...DISTANCES.map((d) => ms(d.hopMs + f.depth * PLACED_HOP_MS + f.localMs)),
  ];
}

/** The model as a Markdown table: hops and modelled p50 (ms) per placement, "before → now" in each cell. */
export function renderLatencyModel(r: Pick<BenchResults, "perRequest" | "scenarios">): string {
  const head = [
    "path",
    "hops",
    "local ms (c=1 p50)",
    ...DISTANCES.map((d) => `${d.name} (${d.hopMs} ms/hop)`),
    ...DISTANCES.map((d) => `Smart Placement, ${d.name}`),
  ];
  const out = [
    `| ${head.join(" | ")} |`,
    `|---|${head
      .slice(1)
      .map(() => "--:")
      .join("|")}|`,
  ];
  for (const path of PATHS) {
    const before = BEFORE.paths[path];
    const now = figuresNow(r, path);
    const pair = (a: string, b: string | undefined) => (b === undefined ? `${a} → ?` : `${a} → ${b}`);
    const beforeCells = [perRequest(before.depth), before.localMs.toFixed(1), ...cells(before)];
    const nowCells = now ? [perRequest(now.depth), now.localMs.toFixed(1), ...cells(now)] : [];
    out.push(`| ${path} | ${beforeCells.map((b, i) => pair(b, nowCells[i])).join(" | ")} |`);
  }
  return out.join("\n");
}
