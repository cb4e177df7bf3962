/**
 * Finds the system Chromium the browser tests drive (playwright-core downloads no browser). CI installs
 * Debian's `chromium` in .ci/run; a developer can point CHROMIUM_PATH at any Chromium or Chrome.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** Names tried on PATH, in order, when CHROMIUM_PATH is not set. */
export const CHROMIUM_NAMES = ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"] as const;

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Chromium to launch: CHROMIUM_PATH if set (it must be executable), else the first of CHROMIUM_NAMES on PATH. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CHROMIUM_PATH) {
    if (!executable(env.CHROMIUM_PATH)) throw new Error(`CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable`);
    return env.CHROMIUM_PATH;
  }
  const dirs = (env.PATH ?? "").split(delimiter).filter((d) => d !== "");
  for (const name of CHROMIUM_NAMES) {
    for (const dir of dirs) {
      const path = join(dir, name);
      if (executable(path)) return path;
    }
  }
  return undefined;
}
