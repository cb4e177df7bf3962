/**
 * `node scripts/vendor-assets.ts` (the `postinstall` script, so `npm install` and `npm ci` run it):
 * copies the browser builds that pages load from the gateway's own origin (their CSPs allow no
 * other) out of node_modules into public/: uPlot (the `uplot` devDependency, MIT) for the operator
 * dashboard, and Scalar's standalone API reference (`@scalar/api-reference`, MIT) for `/docs`. The
 * copies are git-ignored: the lockfile pins the versions. Without a package (an install that left
 * out devDependencies) it warns and leaves that page without it rather than failing the install.
 */
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** What is copied: from each package's folder, its files, into a folder of public/. */
export const VENDORED = [
  {
    name: "uplot",
    from: "node_modules/uplot/dist",
    files: ["uPlot.iife.min.js", "uPlot.min.css"],
    to: "public/admin/vendor",
    without: "the operator dashboard will have no charts",
  },
  {
    name: "@scalar/api-reference",
    from: "node_modules/@scalar/api-reference/dist/browser",
    files: ["standalone.js"],
    to: "public/docs/vendor",
    without: "/docs will show no API reference",
  },
] as const;

/** Copies every vendored file from `root`'s node_modules into its public/; returns the entries whose package is missing. */
export function vendorAssets(root: string): (typeof VENDORED)[number][] {
  const missing: (typeof VENDORED)[number][] = [];
  for (const entry of VENDORED) {
    const from = join(root, entry.from);
    if (!existsSync(from)) {
      missing.push(entry);
      continue;
    }
    const to = join(root, entry.to);
    mkdirSync(to, { recursive: true });
    for (const file of entry.files) copyFileSync(join(from, file), join(to, file));
  }
  return missing;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const missing = vendorAssets(ROOT);
  for (const entry of VENDORED) {
    if (missing.includes(entry)) console.warn(`vendor-assets: node_modules/${entry.name} is missing; ${entry.without}`);
    else console.log(`vendor-assets: copied ${entry.files.join(", ")} into ${entry.to}/`);
  }
}
