/**
 * `node scripts/vendor-assets.ts` (the `postinstall` script, so `npm install` and `npm ci` run it):
 * copies uPlot's browser build (the `uplot` devDependency, MIT) into public/admin/vendor/, where the
 * operator dashboard loads it from the gateway's own origin (its CSP allows no other). The copies
 * are git-ignored: the lockfile pins the version. Without the package (an install that left out
 * devDependencies) it warns and leaves the dashboard without charts rather than failing the install.
 */
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The files the dashboard loads, from node_modules/uplot/dist/. */
export const VENDORED = ["uPlot.iife.min.js", "uPlot.min.css"] as const;

/** Copies the vendored files from `root`'s node_modules into its public/admin/vendor/; false when uplot is not installed. */
export function vendorAssets(root: string): boolean {
  const from = join(root, "node_modules/uplot/dist");
  if (!existsSync(from)) return false;
  const to = join(root, "public/admin/vendor");
  mkdirSync(to, { recursive: true });
  for (const file of VENDORED) copyFileSync(join(from, file), join(to, file));
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (vendorAssets(ROOT)) console.log(`vendor-assets: copied ${VENDORED.join(", ")} into public/admin/vendor/`);
  else console.warn("vendor-assets: node_modules/uplot is missing; the operator dashboard will have no charts");
}
