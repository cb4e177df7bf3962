/**
 * The targets (issues 7 and 12) judged against one run: authorize throughput and CPU against the
 * `authorize_floor`, the critical-path depth of each payment path from the counting build, the tail
 * at c = 16 and the bundle size. Each verdict is met, missed, or n/a (could not be judged).
 */
import { countLabel, perRequest } from "./per-request.ts";
import type { BenchResults, TargetVerdict } from "./report.ts";

/** Authorize throughput as a share of the authorize floor's, worst run. */
export const MIN_AUTHORIZE_RATIO = 0.75;
/** workerd CPU per authorize over the authorize floor's, in ms, worst run. */
export const MAX_AUTHORIZE_CPU_OVER_MS = 0.5;
/** Sequential storage hops before the response, per path (issue 12). */
export const MAX_DEPTH: Readonly<Record<string, number>> = {
  authorize_manual: 3,
  authorize_automatic: 3,
  capture: 3,
  refund: 3,
  tokenize: 2,
  list: 2,
};

const fmt = (n: number | null | undefined, digits = 2) =>
  n === null || n === undefined || Number.isNaN(n) ? "-" : n.toFixed(digits);

function authorizeTargets(r: Omit<BenchResults, "targets">): TargetVerdict[] {
  const runs = r.scenarios
    .filter((s) => s.name.startsWith("authorize") && s.status === "measured")
    .flatMap((s) => s.runs);
  const ratioTarget = `authorize throughput >= ${MIN_AUTHORIZE_RATIO}x authorize_floor (both scenarios, every c)`;
  const cpuTarget = `authorize CPU <= ${MAX_AUTHORIZE_CPU_OVER_MS} ms/request over authorize_floor (workerd CPU)`;
  if (runs.length === 0) {
    return [ratioTarget, cpuTarget].map((target) => ({ target, value: "authorize not measured", met: null }));
  }
  const worstRatio = Math.min(...runs.map((x) => x.floorRatio ?? 0));
  // workerd's CPU includes the local D1 and Durable Object storage engines, which Workers bills no CPU for;
  // subtracting the authorize floor (which does the irreducible storage work) leaves the gateway's own CPU.
  const worstCpu = Math.max(...runs.map((x) => x.cpuOverFloorMs ?? Number.POSITIVE_INFINITY));
  return [
    {
      target: ratioTarget,
      value: `worst ${fmt(worstRatio)}x (${runs.map((x) => `${x.scenario} c=${x.concurrency} ${fmt(x.floorRatio)}x`).join(", ")})`,
      met: worstRatio >= MIN_AUTHORIZE_RATIO,
    },
    {
      target: cpuTarget,
      value:
        `worst ${fmt(worstCpu)} ms over floor ` +
        `(${runs.map((x) => `${x.scenario} c=${x.concurrency} ${fmt(x.cpuOverFloorMs)} of ${fmt(x.cpuMsPerRequest)} total`).join(", ")})`,
      met: worstCpu <= MAX_AUTHORIZE_CPU_OVER_MS,
    },
  ];
}

function depthTarget(r: Omit<BenchResults, "targets">): TargetVerdict {
  const target =
    "critical-path depth (counting build): " +
    Object.entries(MAX_DEPTH)
      .map(([path, max]) => `${path} <= ${max}`)
      .join(", ");
  if (typeof r.perRequest === "string") return { target, value: r.perRequest, met: null };
  const judged = r.perRequest.filter((c) => MAX_DEPTH[c.scenario] !== undefined);
  const missing = Object.keys(MAX_DEPTH).filter((path) => !judged.some((c) => c.scenario === path));
  const over = judged.filter((c) => c.depth > (MAX_DEPTH[c.scenario] ?? 0));
  const value = judged.map((c) => `${countLabel(c)} ${perRequest(c.depth)}`).join(", ");
  return {
    target,
    value: missing.length > 0 ? `${value}; not counted: ${missing.join(", ")}` : value,
    met: missing.length > 0 ? null : over.length === 0,
  };
}

/** Judges every target; authorize means both authorize scenarios and the worst run counts. */
export function judgeTargets(r: Omit<BenchResults, "targets">): TargetVerdict[] {
  const at16 = r.scenarios.flatMap((s) => s.runs).filter((x) => x.concurrency === 16 && x.ok > 0);
  const tails = at16.filter((x) => x.p99Ms > 3 * x.p50Ms);
  const kib = r.bundle.gateway.gzipBytes / 1024;
  return [
    ...authorizeTargets(r),
    depthTarget(r),
    {
      target: "p99 <= 3x p50 at c=16 (every gateway run with answers; p99/p50 per run in the table)",
      value:
        at16.length === 0
          ? "no c=16 runs"
          : tails.length === 0
            ? `all ${at16.length} within (max ${fmt(Math.max(...at16.map((x) => x.p99Ms / x.p50Ms)))}x)`
            : `over: ${tails.map((x) => `${x.scenario} ${fmt(x.p99Ms / x.p50Ms)}x`).join(", ")}`,
      met: at16.length === 0 ? null : tails.length === 0,
    },
    { target: "bundle <= 250 KiB gzipped", value: `${fmt(kib, 1)} KiB`, met: kib <= 250 },
  ];
}
