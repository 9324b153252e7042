// Benchmark: issuing the webhook's CA and serving certificate, as the manager
// does on first start and when the CA is renewed. The main event loop also
// runs leader election and the controller, so the figure that matters beside
// the time is how long issuing keeps that loop from running anything else.
// Prints milliseconds; never fails a build.
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { createCertBundle, servingNames } from "../src/webhook/cert-issue.js";
import { printTable } from "./support/table.js";

const RUNS = 20;
const names = servingNames("sidecarset-webhook", "sidecarset-system", "127.0.0.1");

interface Sample {
  ms: number;
  /** The longest the event loop waited during the sample, in ms. */
  blockMs: number;
}

async function sample(work: () => Promise<unknown>): Promise<Sample> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  await sleep(5); // the monitor records from its second tick on
  const t0 = performance.now();
  await work();
  const ms = performance.now() - t0;
  await sleep(5); // the monitor's timer fires once more, recording a block that ended the work
  delay.disable();
  return { ms, blockMs: delay.max / 1e6 };
}

const issue = async () => createCertBundle(names, new Date());
const cold = await sample(issue);
const warm: Sample[] = [];
for (let i = 0; i < RUNS; i++) warm.push(await sample(issue));
const idle: Sample[] = [];
for (let i = 0; i < RUNS; i++) idle.push(await sample(() => sleep(10)));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const max = (xs: number[]) => Math.max(...xs);
const rows = [
  ["", "MEDIAN MS", "MAX MS", "MEDIAN LOOP BLOCK MS", "MAX LOOP BLOCK MS"],
  ["first issue (cold)", cold.ms.toFixed(1), cold.ms.toFixed(1), cold.blockMs.toFixed(1), cold.blockMs.toFixed(1)],
  [`CA + serving cert (${RUNS} runs)`, ...[median, max].map((f) => f(warm.map((s) => s.ms)).toFixed(1)), ...[median, max].map((f) => f(warm.map((s) => s.blockMs)).toFixed(1))],
  [`idle 10 ms (${RUNS} runs)`, "", "", ...[median, max].map((f) => f(idle.map((s) => s.blockMs)).toFixed(1))],
];
process.stdout.write("webhook certificates: a new CA and a serving certificate for the Service names and 127.0.0.1\n");
process.stdout.write("LOOP BLOCK: longest event-loop delay seen by a 1 ms timer during the work (the idle row is the floor)\n");
printTable(rows);
