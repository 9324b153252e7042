// Benchmark: the pod webhook's own work for one admission (parse the review,
// inject with the webhook's kept objects, encode the patch; the shipped build),
// run back to back and then with a gap before each admission, as an API server
// calling at a few pods a second leaves. During a gap the thread either spins
// (the CPU never goes idle, no system call) or sleeps. Prints each stage's
// median and p90 per gap: how much slower the same work runs when the previous
// admission is further back, and whether an idle CPU is what makes it so.
import { performance } from "node:perf_hooks";
import { review } from "./support/mutate-pod-client.js";
import { admissionWork } from "./support/admission-work.js";
import { DIST, ensureShippedBuild } from "./support/shipped-build.js";
import { printTable } from "./support/table.js";

ensureShippedBuild();
const work = await admissionWork(DIST);

const ADMISSIONS = 200;
// Pods that all differ (a label no SidecarSet reads), as in bench/mutate-pod-load.ts.
const reviews = Array.from({ length: ADMISSIONS }, (_, i) => review(`uid-${i}`, { "pod-template-hash": `t${i}` }));

type Stages = [parse: number, inject: number, encode: number];

function admit(text: string): Stages {
  const started = performance.now();
  const parsed = work.parse(text);
  const afterParse = performance.now();
  const patch = work.inject(parsed, new Date());
  const injected = performance.now();
  work.encode(patch);
  return [afterParse - started, injected - afterParse, performance.now() - injected];
}

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function row(gapMs: number, sleeping: boolean): Promise<string[]> {
  const stages: Stages[] = [];
  for (let i = 0; i < ADMISSIONS; i++) {
    if (sleeping) await sleep(gapMs);
    else if (gapMs > 0) spin(gapMs);
    stages.push(admit(reviews[i]!));
  }
  const column = (pick: (s: Stages) => number) => {
    const xs = stages.map(pick).sort((a, b) => a - b);
    const at = (q: number) => Math.round(xs[Math.floor(q * (xs.length - 1))]! * 1000);
    return `${at(0.5)}, ${at(0.9)}`;
  };
  const gap = gapMs === 0 ? "none (back to back)" : `${gapMs} ms, ${sleeping ? "sleeping" : "spinning"}`;
  return [gap, column((s) => s[0]), column((s) => s[1]), column((s) => s[2]), column((s) => s[0] + s[1] + s[2])];
}

for (let i = 0; i < 3_000; i++) admit(reviews[i % ADMISSIONS]!);
const rows = [["GAP BEFORE EACH ADMISSION", "PARSE µs (P50, P90)", "INJECT µs", "ENCODE µs", "TOTAL µs"]];
for (let round = 0; round < 2; round++) {
  for (const gap of [0, 0.1, 1, 10, 100]) rows.push(await row(gap, false));
  rows.push(await row(100, true));
}
process.stdout.write(`one admission's work in process (100 SidecarSets, 10 injecting, pods that all differ), ${ADMISSIONS} per row, two rounds\n`);
printTable(rows);
