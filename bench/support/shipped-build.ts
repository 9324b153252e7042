// The shipped build (dist/, what `npm run build` makes and the package ships):
// benchmarks measure it rather than the sources run through tsx, whose
// transform adds work at every function a request creates.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "../../test/support/environment.js";

export const DIST = join(REPO_ROOT, "dist");

/** Builds dist/ when it is missing or the command line asks (`--build`); returns the manager's entry. */
export function ensureShippedBuild(): string {
  const entry = join(DIST, "cli/main.js");
  if (!existsSync(entry) || process.argv.includes("--build")) {
    console.log("building dist/ (npm run build)…");
    const built = spawnSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "inherit" });
    if (built.status !== 0) throw new Error("npm run build failed");
  }
  return entry;
}

/** A module of the shipped build, by its path under dist/ (typed by the caller after its source). */
export function importShipped<T>(module: string): Promise<T> {
  return import(pathToFileURL(join(DIST, module)).href) as Promise<T>;
}
