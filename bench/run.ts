// Runs every benchmark in its own process, one after another, so one's heap
// and JIT state do not colour the next's figures.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// `--cluster` runs the benchmarks in bench/cluster/, which start a control
// plane and the manager (minutes each; not part of `npm run bench`).
const cluster = process.argv.includes("--cluster");
const here = join(dirname(fileURLToPath(import.meta.url)), cluster ? "cluster" : "");
const only = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith("--") && a !== "--cluster");
const benches = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts")
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
for (const file of benches) {
  const shown = cluster ? `cluster/${file}` : file;
  process.stdout.write(`\n== bench/${shown}\n`);
  const r = spawnSync(process.execPath, ["--import", "tsx", join(here, file), ...passThrough], { stdio: "inherit" });
  if (r.status !== 0) process.stdout.write(`(bench/${shown} exited ${r.status})\n`);
}
