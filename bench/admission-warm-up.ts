// Benchmark: the first admissions of a new webhook process, with and without
// the warm-up the manager runs at start (`--admission-warm-up`,
// src/webhook/admission-warm-up.ts). Each round starts a fresh server of the
// shipped build (the webhook thread as the manager runs it, over the shared
// workload's 100 SidecarSets, in a process of its own pinned to one CPU, as in
// bench/mutate-pod-load.ts) with no warm-up, with the manager's default run in
// process (the route called directly) and run as the manager runs it (through
// the server's own HTTPS port), then sends it pods that all differ at 10 a second on one keep-alive
// connection, as an API server calls a webhook after a start. Prints, per
// server, how long its warm-up took, the first admission's latency (with the
// connection's TLS handshake), the next ones' and the later ones', and the
// median of each over the rounds.
import { Agent } from "node:https";
import { DEFAULT_MANAGER_OPTIONS } from "../src/manager/options.js";
import { createCertBundle, servingNames } from "../src/webhook/cert-issue.js";
import { pinned, review, runLoadOnSecondCpu, startServer, timedPost } from "./support/mutate-pod-client.js";
import { ensureShippedBuild } from "./support/shipped-build.js";
import { printTable } from "./support/table.js";

runLoadOnSecondCpu(import.meta.url);
ensureShippedBuild();

const ROUNDS = Number(process.env.WARM_UP_ROUNDS ?? 3);
const PACE = { perSecond: 10, count: 150, first: 25 };
interface Variant {
  title: string;
  warmUp: number;
  inProcess: boolean;
}

const DEFAULT = DEFAULT_MANAGER_OPTIONS.admissionWarmUp;
/** WARM_UP_COUNTS=0,250,1000 compares warm-ups of those sizes, each through the server's port. */
const COUNTS = process.env.WARM_UP_COUNTS?.split(",").map(Number);
const VARIANTS: Variant[] = COUNTS
  ? COUNTS.map((n) => ({ title: n === 0 ? "none" : `${n}, through its port${n === DEFAULT ? " (the manager's)" : ""}`, warmUp: n, inProcess: false }))
  : [
      { title: "none", warmUp: 0, inProcess: false },
      { title: `${DEFAULT}, in process`, warmUp: DEFAULT, inProcess: true },
      { title: `${DEFAULT}, through its port (the manager's)`, warmUp: DEFAULT, inProcess: false },
    ];

interface Reading {
  variant: Variant;
  warmUpMs: number;
  /** The first admission, which waits for the connection's TLS handshake too. */
  handshake: number;
  first: number[];
  later: number[];
}

const bundle = await createCertBundle(servingNames("sidecarset-webhook", "sidecarset-system", "127.0.0.1"), new Date());
// Every pod differs by one label no SidecarSet reads: the same work each time, no answer to reuse.
const bodies = Array.from({ length: PACE.count }, (_, i) => review(`00000000-0000-4000-8000-${String(i).padStart(12, "0")}`, { "pod-template-hash": `t${i}` }));

async function firstAdmissions(variant: Variant): Promise<Reading> {
  const server = await startServer({ cert: bundle.cert, key: bundle.key, warmUp: variant.warmUp, warmUpInProcess: variant.inProcess });
  try {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const latencies: number[] = [];
    const start = performance.now();
    for (let i = 0; i < PACE.count; i++) {
      const wait = start + (i * 1000) / PACE.perSecond - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      latencies.push(await timedPost(server.port, bundle.caCert, agent, bodies[i]!));
    }
    agent.destroy();
    return { variant, warmUpMs: server.warmUpMs, handshake: latencies[0]!, first: latencies.slice(1, PACE.first), later: latencies.slice(PACE.first) };
  } finally {
    server.child.kill("SIGTERM");
  }
}

const readings: Reading[] = [];
for (let round = 0; round < ROUNDS; round++) {
  // Taken in turn, so that the machine's drift reaches all alike.
  for (const variant of round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) readings.push(await firstAdmissions(variant));
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const quantile = (xs: readonly number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;
const median = (xs: readonly number[]) => quantile(xs, 0.5);
const ms = (x: number) => x.toFixed(2);

const where = pinned ? "server pinned to CPU 0, load on CPU 1" : "server and load unpinned (no taskset)";
const firstRange = `2–${PACE.first}`;
const laterRange = `${PACE.first + 1}–${PACE.count}`;
process.stdout.write(
  `a fresh /mutate-pod server, then ${PACE.count} pods that all differ at ${PACE.perSecond}/s on one connection; ${where}; ` +
    `${ROUNDS} rounds, the servers in turn; latency in ms\n`,
);
const header = ["WARM-UP", "ITS TIME MS", "ADMISSION 1 (WITH THE TLS HANDSHAKE)", `ADMISSIONS ${firstRange}: MEAN, P90`, `ADMISSIONS ${laterRange}: MEAN, P50, P90`];
const rows = [
  header,
  ...readings.map((r) => [
    r.variant.title,
    r.warmUpMs.toFixed(0),
    ms(r.handshake),
    `${ms(mean(r.first))}, ${ms(quantile(r.first, 0.9))}`,
    `${ms(mean(r.later))}, ${ms(quantile(r.later, 0.5))}, ${ms(quantile(r.later, 0.9))}`,
  ]),
];
printTable(rows);
process.stdout.write("\nmedian over the rounds\n");
const summary = [header];
for (const variant of VARIANTS) {
  const own = readings.filter((r) => r.variant === variant);
  summary.push([
    variant.title,
    median(own.map((r) => r.warmUpMs)).toFixed(0),
    ms(median(own.map((r) => r.handshake))),
    `${ms(median(own.map((r) => mean(r.first))))}, ${ms(median(own.map((r) => quantile(r.first, 0.9))))}`,
    `${ms(median(own.map((r) => mean(r.later))))}, ${ms(median(own.map((r) => quantile(r.later, 0.5))))}, ${ms(median(own.map((r) => quantile(r.later, 0.9))))}`,
  ]);
}
printTable(summary);
