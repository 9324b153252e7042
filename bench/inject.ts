// Benchmark: the pod webhook's core decision — one pod against 100
// SidecarSets of which 10 match. Prints µs per injected pod; never fails a build.
import { performance } from "node:perf_hooks";
import { injectPod } from "../src/core/inject/inject.js";
import { pod, sidecarSets } from "./support/admission-workload.js";
import { printTable } from "./support/table.js";

const NOW = new Date("2026-01-01T00:00:00Z");
const TARGET_US = 200;

const sets = sidecarSets();
const input = { sidecarSets: sets, namespaceLabels: () => ({ "kubernetes.io/metadata.name": "demo" }), revisions: [], now: NOW, random: () => 0.5 };
const template = pod();

const first = injectPod({ ...input, pod: template });
if (first.kind !== "injected" || first.injected.length !== 10) {
  throw new Error(`benchmark setup is wrong: expected 10 SidecarSets injected, got ${JSON.stringify(first.kind)}`);
}

const WARMUP = 2_000;
const RUNS = 20_000;
for (let i = 0; i < WARMUP; i++) injectPod({ ...input, pod: template });
const batches: number[] = [];
const BATCH = 1_000;
for (let b = 0; b < RUNS / BATCH; b++) {
  const t0 = performance.now();
  for (let i = 0; i < BATCH; i++) injectPod({ ...input, pod: template });
  batches.push(((performance.now() - t0) * 1000) / BATCH);
}
batches.sort((a, b) => a - b);
const median = batches[Math.floor(batches.length / 2)]!;
const best = batches[0]!;
const rows = [
  ["SIDECARSETS", "MATCHING", "PATCH OPS", "MEDIAN µs/POD", "BEST µs/POD", "TARGET µs", "WITHIN TARGET"],
  ["100", "10", String(first.patch.length), median.toFixed(1), best.toFixed(1), String(TARGET_US), median <= TARGET_US ? "yes" : "no"],
];
process.stdout.write(`injectPod: ${RUNS} pods in batches of ${BATCH}, one core\n`);
printTable(rows);
