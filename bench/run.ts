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
const files = readdirSync(here).filter((f) => f.endsWith(".ts") && f !== "run.ts");
// Arguments naming a benchmark select it; the others (such as `--pods 100`) go to each benchmark.
const args = process.argv.slice(2).filter((a) => a !== "--cluster");
const isName = (a: string): boolean => !a.startsWith("-") && files.some((f) => f.startsWith(a));
const only = args.filter(isName);
const passThrough = args.filter((a) => !isName(a));
const benches = files.filter((f) => only.length === 0 || only.some((o) => f.startsWith(o))).sort();
for (const file of benches) {
  const shown = cluster ? `cluster/${file}` : file;
  process.stdout.write(`\n== bench/${shown}\n`);
  // --expose-gc: benchmarks that report memory collect first, so they read what is held, not garbage.
  const r = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", join(here, file), ...passThrough], { stdio: "inherit" });
  if (r.status !== 0) process.stdout.write(`(bench/${shown} exited ${r.status})\n`);
}
