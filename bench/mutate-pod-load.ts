// Benchmark: the pod webhook under direct load over loopback. The production
// HTTPS server and admission routes (the shipped build, dist/, built first when
// missing or with --build) run in a process of their own on one CPU
// (taskset, where available); autocannon, on the other CPU, posts
// AdmissionReviews of a pod that 10 of 100 SidecarSets (`SIDECARSETS`) inject over keep-alive
// connections, 1 to 64 at a time: first the same pod every time (as the pods
// of one ReplicaSet arrive, whose answer the webhook reuses within a second),
// then a different pod every time. Prints admissions per second, the server's
// CPU time per admission, and latency percentiles (autocannon's histogram
// counts whole milliseconds). Then the control: a bare Node.js HTTPS server on
// the same CPU answering every request with the webhook's own answer bytes,
// i.e. the cost of TLS, HTTP and the bytes alone; the difference is the
// webhook's work. Last, both at 10 admissions per second on one connection,
// as a cluster's API server calls a webhook most of the time: with the CPU
// idle between requests an admission takes several times its time under load
// (the bare server's too), and that is what the API server's ≤ 5 ms bucket
// sees (bench/cluster/admission.ts). Then four side by side, in 3 s
// blocks taken in turn: the webhook with pods that all differ, the bare
// control, the server control (the webhook's own server and worker thread
// answering the bare control's bytes: above the bare control, what the
// server itself costs; below the webhook, what admitting costs), and an
// allocation control that parses each request and copies,
// stringifies and base64-encodes the webhook's own patch (work that allocates
// tens of kilobytes, as an admission does). The machine's speed for such work
// moves from one moment to the next while the bare control's does not; the
// blocks show how far, with nothing else changing.
import { Agent, request } from "node:https";
import { performance } from "node:perf_hooks";
import autocannon from "autocannon";
import { createCertBundle, servingNames } from "../src/webhook/cert-issue.js";
import { MUTATE_POD_PATH } from "../src/webhook/handlers/index.js";
import { pinned, review, runLoadOnSecondCpu, startServer, timedPost, type Server } from "./support/mutate-pod-client.js";
import { ensureShippedBuild } from "./support/shipped-build.js";
import { printTable } from "./support/table.js";

const CONNECTIONS = [1, 4, 16, 64];
const SECONDS = Number(process.env.LOAD_SECONDS ?? 5);
/** The SidecarSets the webhook caches (`SIDECARSETS`), 10 of which inject the pod whatever their number. */
const SIDECARSET_COUNT = Number(process.env.SIDECARSETS ?? 100);
const TARGET = { perSecond: 5_000, p99Ms: 2 };
runLoadOnSecondCpu(import.meta.url);
ensureShippedBuild();

/**
 * What the load sends: the same pod every time (the pods of one ReplicaSet arrive identical, and the
 * webhook reuses an answer within a second), or a different pod each time (nothing to reuse).
 */
type Bodies = { same: string } | { distinct: string[] };

/** One admission, to check the setup: allowed, with a patch. Returns the answer. */
function checkOnce(port: number, ca: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: MUTATE_POD_PATH, method: "POST", ca, headers: { "content-type": "application/json" } }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => {
        const answer = JSON.parse(text) as { response?: { allowed?: boolean; patch?: string } };
        if (res.statusCode === 200 && answer.response?.allowed && answer.response.patch) resolve(text);
        else reject(new Error(`benchmark setup is wrong: ${res.statusCode} ${text.slice(0, 300)}`));
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

function load(port: number, ca: string, bodies: Bodies, connections: number, seconds: number): Promise<autocannon.Result> {
  let next = 0;
  const each =
    "same" in bodies
      ? { body: bodies.same }
      : { requests: [{ setupRequest: (req: autocannon.Request) => ({ ...req, body: bodies.distinct[next++ % bodies.distinct.length] }) }] };
  return autocannon({
    url: `https://127.0.0.1:${port}${MUTATE_POD_PATH}`,
    method: "POST",
    headers: { "content-type": "application/json" },
    ...each,
    connections,
    duration: seconds,
    tlsOptions: { ca },
  } as autocannon.Options);
}


async function measure(title: string, server: Server, ca: string, body: Bodies): Promise<void> {
  await load(server.port, ca, body, 16, 2); // warm-up: JIT and connections
  const rows = [["CONNECTIONS", "ADMISSIONS/S", "SERVER CPU µs/ADM", "P50 MS", "P99 MS", "MAX MS", "NON-2XX", "ERRORS", "TARGET"]];
  for (const c of CONNECTIONS) {
    const cpuBefore = await server.cpuMicros();
    const r = await load(server.port, ca, body, c, SECONDS);
    // When other work slows the shared machine, the rate drops with it; the CPU per answer moves much less.
    const cpuPerAdmission = (await server.cpuMicros()) - cpuBefore;
    const met = r.requests.average >= TARGET.perSecond && r.latency.p99 <= TARGET.p99Ms ? "met" : "not met";
    rows.push([
      String(c),
      r.requests.average.toFixed(0),
      (cpuPerAdmission / Math.max(1, r.requests.total)).toFixed(0),
      String(r.latency.p50),
      String(r.latency.p99),
      String(r.latency.max),
      String(r.non2xx),
      String(r.errors),
      `≥ ${TARGET.perSecond}/s, p99 ≤ ${TARGET.p99Ms} ms: ${met}`,
    ]);
  }
  process.stdout.write(`${title}\n`);
  printTable(rows);
}

const PACED = { perSecond: 10, count: 200, warmUp: 10, settleMs: 10_000 };

/**
 * PACED.count requests at PACED.perSecond on one keep-alive connection, each a different pod when `bodies`
 * has several; prints the latency percentiles to a hundredth of a millisecond (autocannon counts whole ones).
 * The server's CPU time per admission is printed too: the same work costs several times more when the CPU
 * was idle before each request than under load, for the bare control as much as for the webhook.
 */
async function paced(title: string, server: Server, ca: string, bodies: string[]): Promise<void> {
  // The garbage of the load before is collected in the seconds after it; that is not this row's work.
  await new Promise((r) => setTimeout(r, PACED.settleMs));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let cpuBefore = 0;
  const start = performance.now();
  for (let i = 0; i < PACED.count + PACED.warmUp; i++) {
    const wait = start + (i * 1000) / PACED.perSecond - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    if (i === PACED.warmUp) cpuBefore = await server.cpuMicros();
    const ms = await timedPost(server.port, ca, agent, bodies[i % bodies.length]!);
    if (i >= PACED.warmUp) latencies.push(ms);
  }
  const cpuPerAdmission = ((await server.cpuMicros()) - cpuBefore) / PACED.count;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.floor(q * (latencies.length - 1))]!.toFixed(2);
  process.stdout.write(`${title}: p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms; server CPU ${cpuPerAdmission.toFixed(0)} µs/adm\n`);
}

const ALTERNATED = { rounds: 4, seconds: 3, connections: 4 };

interface Kind {
  title: string;
  server: Server;
  bodies: Bodies;
}

/** ALTERNATED.rounds blocks of each kind, taken in turn; prints each block's rate and server CPU per request. */
async function alternated(kinds: readonly Kind[], ca: string): Promise<void> {
  for (const k of kinds) await load(k.server.port, ca, k.bodies, 16, 2); // warm-up: JIT and connections
  const blocks = kinds.map(() => [] as { rate: number; cpu: number; met: boolean }[]);
  for (let round = 0; round < ALTERNATED.rounds; round++) {
    for (const [i, k] of kinds.entries()) {
      const before = await k.server.cpuMicros();
      const r = await load(k.server.port, ca, k.bodies, ALTERNATED.connections, ALTERNATED.seconds);
      const cpu = ((await k.server.cpuMicros()) - before) / Math.max(1, r.requests.total);
      blocks[i]!.push({ rate: r.requests.average, cpu, met: r.requests.average >= TARGET.perSecond && r.latency.p99 <= TARGET.p99Ms });
    }
  }
  const rows = [["SERVER", "REQUESTS/S, BLOCK BY BLOCK", "SERVER CPU µs/REQUEST, BLOCK BY BLOCK", "SLOWEST / FASTEST", `BLOCKS AT ≥ ${TARGET.perSecond}/S, P99 ≤ ${TARGET.p99Ms} MS`]];
  for (const [i, k] of kinds.entries()) {
    const cpu = blocks[i]!.map((b) => b.cpu);
    rows.push([
      k.title,
      blocks[i]!.map((b) => b.rate.toFixed(0)).join(" "),
      cpu.map((c) => c.toFixed(0)).join(" "),
      (Math.max(...cpu) / Math.min(...cpu)).toFixed(2),
      `${blocks[i]!.filter((b) => b.met).length} of ${blocks[i]!.length}`,
    ]);
  }
  process.stdout.write(`alternated ${ALTERNATED.seconds} s blocks, ${ALTERNATED.connections} connections, ${ALTERNATED.rounds} rounds; every server in its own process on the same CPU\n`);
  printTable(rows);
}

const bundle = await createCertBundle(servingNames("sidecarset-webhook", "sidecarset-system", "127.0.0.1"), new Date());
const body = review("00000000-0000-4000-8000-000000000001");
const where = pinned ? "server pinned to CPU 0, load on CPU 1" : "server and load unpinned (no taskset)";
let answer: string;
// Every body differs by one label, which no SidecarSet reads: the same work, but no answer to reuse.
const distinct = Array.from({ length: 20_000 }, (_, i) => review("00000000-0000-4000-8000-000000000001", { "pod-template-hash": `t${i}` }));
const webhook = await startServer({ cert: bundle.cert, key: bundle.key, sidecarSets: SIDECARSET_COUNT });
try {
  answer = await checkOnce(webhook.port, bundle.caCert, body);
  await measure(`/mutate-pod over loopback, ${SECONDS} s per row; ${where}; ${SIDECARSET_COUNT} SidecarSets cached; request ${body.length} B, answer ${answer.length} B; the same pod each time`, webhook, bundle.caCert, { same: body });
  await measure("/mutate-pod, a different pod each time (no answer reused)", webhook, bundle.caCert, { distinct });
  await paced(`/mutate-pod at ${PACED.perSecond}/s on one connection, a different pod each time`, webhook, bundle.caCert, distinct);
} finally {
  webhook.child.kill("SIGTERM");
}
const control = await startServer({ cert: bundle.cert, key: bundle.key, answer });
try {
  await measure("control: a bare Node.js HTTPS server writing the same answer bytes, no admission work", control, bundle.caCert, { same: body });
  await paced(`control at ${PACED.perSecond}/s on one connection`, control, bundle.caCert, [body]);
} finally {
  control.child.kill("SIGTERM");
}
const patch: unknown = JSON.parse(Buffer.from((JSON.parse(answer) as { response: { patch: string } }).response.patch, "base64").toString());
const servers = await Promise.all([
  startServer({ cert: bundle.cert, key: bundle.key, sidecarSets: SIDECARSET_COUNT }),
  startServer({ cert: bundle.cert, key: bundle.key, answer }),
  startServer({ cert: bundle.cert, key: bundle.key, answer, answerThroughWebhookServer: true }),
  startServer({ cert: bundle.cert, key: bundle.key, patch }),
]);
try {
  const [hook, bare, ownServer, copying] = servers as [Server, Server, Server, Server];
  await alternated(
    [
      { title: "/mutate-pod, a different pod each time", server: hook, bodies: { distinct } },
      { title: "control: the same answer bytes", server: bare, bodies: { same: body } },
      { title: "server control: the webhook's server, the same answer bytes", server: ownServer, bodies: { distinct } },
      { title: "allocation control: the same patch copied and encoded", server: copying, bodies: { distinct } },
    ],
    bundle.caCert,
  );
} finally {
  for (const s of servers) s.child.kill("SIGTERM");
}
