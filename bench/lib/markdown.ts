/**
 * Renders a run's figures as Markdown between the `bench:results` markers of bench/README.md, and
 * its latency model between the `bench:latency` markers, so the README always shows the last full
 * run (method and targets around them are written by hand).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { renderLatencyModel } from "./latency.ts";
import { type BenchResults, describeCounts, explainCpu, failedCell, tailRatio } from "./report.ts";
import type { StartupProfile } from "./startup.ts";

const f = (n: number | null | undefined, d = 2) =>
  n === null || n === undefined || Number.isNaN(n) ? "-" : n.toFixed(d);
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const active = (p: StartupProfile | string) => (typeof p === "string" ? p : `${p.activeMs.toFixed(1)} ms`);

/** The Markdown block for one run. */
export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const out = [
    `Run of ${r.startedAt.slice(0, 16).replace("T", " ")} UTC, ${r.mode} mode, commit \`${r.git.commit}\`` +
      `${r.git.dirty ? " (uncommitted changes)" : ""}, ${r.plan.seconds} s per scenario after ${r.plan.warmupSeconds} s warm-up.`,
    `Machine: ${m.nproc} vCPU (${m.cpuModel}), ${m.memGiB} GiB RAM, Node ${m.node}, load average ${m.loadAvgAtStart.join(" / ")} at start` +
      " (shared with other work, so absolute figures are noisy; read the ratios).",
    "",
    "| scenario | c | req/s | p50 ms | p99 ms | p99/p50 | x floor | CPU ms/req | CPU over floor | failed |",
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  for (const x of r.floor) {
    out.push(
      `| floor: ${x.scenario} | ${x.concurrency} | ${f(x.rps, 0)} | ${f(x.p50Ms)} | ${f(x.p99Ms)} | ${tailRatio(x)} | 1.00 | ${f(x.cpuMsPerRequest, 3)} | | ${x.failed} |`,
    );
  }
  for (const s of r.scenarios) {
    if (s.status !== "measured") {
      out.push(`| ${s.name} | | **${s.status}**: ${s.reason ?? ""} | | | | | | | |`);
      continue;
    }
    for (const x of s.runs) {
      out.push(
        `| ${s.name} | ${x.concurrency} | ${f(x.rps, 0)} | ${f(x.p50Ms)} | ${f(x.p99Ms)} | ${tailRatio(x)} | ${f(x.floorRatio)} (${x.floor}) | ${f(x.cpuMsPerRequest, 3)} | ${f(x.cpuOverFloorMs, 3)} | ${failedCell(x)} |`,
      );
    }
  }
  out.push("");
  out.push(
    `- Bundle: gateway ${kib(r.bundle.gateway.rawBytes)} raw, **${kib(r.bundle.gateway.gzipBytes)} gzipped**; floor ${kib(r.bundle.floor.gzipBytes)} gzipped.`,
  );
  out.push(
    `- Startup (\`wrangler check startup\`, active CPU of the startup profile): gateway ${active(r.startup.gateway)}, floor ${active(r.startup.floor)}.` +
      ` Fresh workerd to its first answer (median of ${r.startup.cold.gateway.runs}, includes workerd's boot): gateway ${f(r.startup.cold.gateway.firstResponseMs, 0)} ms wall / ${f(r.startup.cold.gateway.cpuMs, 0)} ms CPU, floor ${f(r.startup.cold.floor.firstResponseMs, 0)} ms / ${f(r.startup.cold.floor.cpuMs, 0)} ms.`,
  );
  out.push(
    "- Storage calls per request (counting build; depth = sequential storage hops before the response, deferred = calls finishing after it):",
  );
  out.push(...describeCounts(r.perRequest, (c) => `\`${c}\``).map((l) => `  - ${l}`));
  const cpuLines = explainCpu(r);
  if (cpuLines.length > 0) {
    out.push("- CPU per request, modelled (each D1 round trip and DO RPC priced at the floor's cost over hello):");
    for (const l of cpuLines) out.push(`  - ${l}`);
  }
  out.push(`- Seed: ${r.setup.seeded}; merchant rate limit: ${r.setup.rateLimit ?? "-"}.`);
  out.push("");
  out.push("| target | this run | verdict |");
  out.push("|---|---|---|");
  for (const t of r.targets)
    out.push(`| ${t.target} | ${t.value} | ${t.met === null ? "n/a" : t.met ? "met" : "**missed**"} |`);
  return out.join("\n");
}

/** `text` with the lines between the `bench:<name>` markers replaced by `body`. */
export function replaceBlock(text: string, name: string, body: string): string {
  const START = `<!-- bench:${name}:start -->`;
  const END = `<!-- bench:${name}:end -->`;
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  if (start < 0 || end < start) throw new Error(`bench/README.md lacks the ${START} … ${END} markers`);
  return `${text.slice(0, start + START.length)}\n${body}\n${text.slice(end)}`;
}

/** The latency-model block: the table and where its "now" column comes from. */
export function renderLatencyBlock(r: BenchResults): string {
  return (
    `Now: ${r.mode} run of ${r.startedAt.slice(0, 16).replace("T", " ")} UTC, commit \`${r.git.commit}\`` +
    `${r.git.dirty ? " (uncommitted changes)" : ""}. Each cell is before → now; modelled p50 in ms.\n\n${renderLatencyModel(r)}`
  );
}

/** Replaces the figures and the latency model in `file` with this run's. */
export function updateReadme(file: string, r: BenchResults): void {
  const text = replaceBlock(readFileSync(file, "utf8"), "results", renderMarkdown(r));
  writeFileSync(file, replaceBlock(text, "latency", renderLatencyBlock(r)));
}
