// Benchmark behind docs/adr/0005-admission-event-loop.md: pod-admission latency
// on loopback while the manager's main event loop is busy with synchronous work
// (a stand-in for reconciles over many pods: 200 ms busy, 50 ms free, repeated),
// for three ways to place the webhook server:
//   same-loop      the server on the main event loop (the layout before the ADR);
//   worker-thread  the manager's WebhookThread (its own caches, fed by a stub API server);
//   child-process  the same server in a separate Node.js process.
// `--one-cpu` runs each variant on one CPU (taskset), the load on another: the
// main thread's spinning then competes with the webhook thread for that CPU, as
// in a container with a one-CPU limit.
// Each variant runs in its own process; the load comes from yet another
// process at a fixed rate, so a blocked event loop cannot slow the sender.
// Prints a table; never fails a build.
import { fork, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { defaultSidecarSet } from "../src/api/defaults.js";
import type { SidecarSet } from "../src/api/types.js";
import { WebhookThread } from "../src/manager/webhook-thread.js";
import { createMetrics } from "../src/observability/metrics.js";
import { silentLogger } from "../src/observability/logger.js";
import { createCertBundle } from "../src/webhook/cert-issue.js";
import { admissionRoutes } from "../src/webhook/handlers/index.js";
import { WebhookServer } from "../src/webhook/server.js";
import { StubApiServer } from "../test/unit/kube/stub-apiserver.js";

const SELF = fileURLToPath(import.meta.url);
const VARIANTS = ["same-loop", "worker-thread", "child-process"] as const;
const ONE_CPU = process.env.BENCH_ONE_CPU === "1" || process.argv.includes("--one-cpu");

/** The command and arguments that run Node.js with `args`, pinned to `cpu` in --one-cpu mode. */
function pinned(cpu: number, args: string[]): [string, string[]] {
  return ONE_CPU ? ["taskset", ["-c", String(cpu), process.execPath, ...args]] : [process.execPath, args];
}
type Variant = (typeof VARIANTS)[number];
const RATE_PER_S = 200;
const DURATION_MS = 5_000;
const BUSY_MS = 200;
const FREE_MS = 50;

/** 100 SidecarSets, every tenth selecting app=web (as bench/inject.ts). */
function sidecarSets(): SidecarSet[] {
  return Array.from({ length: 100 }, (_, i) =>
    defaultSidecarSet({
      metadata: { name: `sidecar-${String(i).padStart(3, "0")}`, resourceVersion: "1" },
      spec: {
        selector: { matchLabels: { app: i % 10 === 0 ? "web" : `other-${i}` } },
        containers: [{ name: `agent-${i}`, image: `registry.local/agent-${i}:1.0`, volumeMounts: [{ name: `data-${i}`, mountPath: `/var/lib/agent-${i}` }] }],
        volumes: [{ name: `data-${i}`, emptyDir: {} }],
      },
    } as SidecarSet),
  );
}

function admissionBody(i: number): string {
  const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: `web-${i}`, namespace: "demo", labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "web:1" }] } };
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: { uid: `uid-${i}`, kind: { group: "", version: "v1", kind: "Pod" }, resource: { group: "", version: "v1", resource: "pods" }, namespace: "demo", operation: "CREATE", userInfo: { username: "bench" }, object: pod },
  });
}

/** A WebhookServer with the real admission routes over in-memory lists. */
async function startInProcessServer(cert: { cert: string; key: string }): Promise<WebhookServer> {
  const sets = sidecarSets();
  const routes = admissionRoutes({
    cache: { sidecarSets: () => sets, namespaceLabels: () => ({}), revisions: () => [], whitelist: () => undefined },
    now: () => new Date(),
    random: Math.random,
    logger: silentLogger(),
  });
  const server = new WebhookServer({ port: 0, host: "127.0.0.1", certificate: cert, routes });
  await server.start();
  return server;
}

// ---- roles ---------------------------------------------------------------

/** The load process: a fixed rate of admissions for DURATION_MS; prints latencies (ms) as JSON. */
async function load(port: number, ca: string): Promise<void> {
  const agent = new https.Agent({ keepAlive: true, maxSockets: 16 });
  let latencies: number[] = [];
  let failures = 0;
  const send = (i: number) =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = https.request({ host: "127.0.0.1", port, path: "/mutate-pod", method: "POST", ca, agent, headers: { "content-type": "application/json" } }, (res) => {
        res.resume();
        res.on("end", () => {
          if (res.statusCode === 200) latencies.push(performance.now() - started);
          else failures++;
          resolve();
        });
      });
      req.on("error", () => {
        failures++;
        resolve();
      });
      req.end(admissionBody(i));
    });
  // Warm-up (not measured): open the keep-alive connections, so TLS handshakes do not count.
  // Enough rounds for the handlers to be compiled by the JIT as well.
  for (let round = 0; round < 64; round++) await Promise.all(Array.from({ length: 16 }, (_, i) => send(i)));
  latencies = [];
  failures = 0;
  const inFlight: Promise<void>[] = [];
  const total = (RATE_PER_S * DURATION_MS) / 1000;
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / RATE_PER_S;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(send(i));
  }
  await Promise.all(inFlight);
  agent.destroy();
  process.stdout.write(JSON.stringify({ latencies, failures }));
}

/** The child-process variant's server: reports its port over IPC. */
async function serveChild(): Promise<void> {
  const cert = JSON.parse(process.env.BENCH_CERT ?? "{}") as { cert: string; key: string };
  const server = await startInProcessServer(cert);
  process.send?.({ port: server.port() });
  process.on("message", (m) => {
    if (m === "rss") process.send?.({ rss: process.memoryUsage().rss });
    if (m === "stop") void server.stop(100).then(() => process.exit(0));
  });
}

function runLoad(port: number, ca: string): Promise<{ latencies: number[]; failures: number }> {
  return new Promise((resolve, reject) => {
    const [command, args] = pinned(1, ["--import", "tsx", SELF, "--role=load", String(port)]);
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as { latencies: number[]; failures: number }) : reject(new Error(`load exited ${code}`))));
    child.stdin.end(ca);
  });
}

/**
 * Blocks the main loop BUSY_MS, frees it FREE_MS, until `stop` is set: a
 * controller that holds the main loop 80 % of the time. "spin" burns a core
 * meanwhile (a reconcile does); "sleep" blocks without using the CPU, which
 * separates waiting for the loop from competing for the machine's two cores.
 */
async function blockMainLoop(how: "spin" | "sleep", stop: { done: boolean }): Promise<void> {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (!stop.done) {
    if (how === "sleep") Atomics.wait(cell, 0, 0, BUSY_MS);
    else {
      const until = performance.now() + BUSY_MS;
      while (performance.now() < until) {
        /* spin */
      }
    }
    await new Promise((r) => setTimeout(r, FREE_MS));
  }
}

/** One variant in this process: idle run, blocked run, memory. Prints one JSON line. */
async function variant(name: Variant): Promise<void> {
  const bundle = await createCertBundle({ dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"] }, new Date());
  const cert = { cert: bundle.cert, key: bundle.key };
  const rssBefore = process.memoryUsage().rss;
  let port: number;
  let extraRss = async () => 0;
  let stop: () => Promise<void>;
  if (name === "same-loop") {
    const server = await startInProcessServer(cert);
    port = server.port();
    stop = () => server.stop(100);
  } else if (name === "worker-thread") {
    const api = new StubApiServer();
    await api.start();
    const sets = sidecarSets();
    api.onRequest((req) => ({ body: { kind: "List", metadata: { resourceVersion: "1" }, items: req.path.endsWith("/sidecarsets") ? sets : [] } }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-isolation-"));
    fs.writeFileSync(path.join(dir, "kubeconfig"), api.kubeConfig().exportConfig());
    const thread = await WebhookThread.start({
      config: {
        kubeconfig: path.join(dir, "kubeconfig"),
        namespace: "sidecarset-system",
        port: 0,
        host: "127.0.0.1",
        certificate: cert,
        logLevel: "warn",
        sortInjectedContainersByName: false,
        allowPatchPodMetadataWithoutWhitelist: false,
        nativeSidecarInPlaceUpgrade: false,
        admissionWarmUp: 0,
      },
      logger: silentLogger(),
      metrics: createMetrics(),
    });
    port = thread.port;
    stop = async () => {
      await thread.stop();
      await api.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    };
  } else {
    const child: ChildProcess = fork(SELF, ["--role=server"], { execArgv: ["--import", "tsx"], env: { ...process.env, BENCH_CERT: JSON.stringify(cert) } });
    port = await new Promise<number>((resolve) => child.once("message", (m) => resolve((m as { port: number }).port)));
    extraRss = () =>
      new Promise<number>((resolve) => {
        child.once("message", (m) => resolve((m as { rss: number }).rss));
        child.send("rss");
      });
    stop = async () => {
      child.send("stop");
      await new Promise((r) => child.once("exit", r));
    };
  }
  const idle = await runLoad(port, bundle.caCert);
  const blockedWhile = async (how: "spin" | "sleep") => {
    const flag = { done: false };
    const blocking = blockMainLoop(how, flag);
    const r = await runLoad(port, bundle.caCert);
    flag.done = true;
    await blocking;
    return r;
  };
  const sleeping = await blockedWhile("sleep");
  const spinning = await blockedWhile("spin");
  const rss = process.memoryUsage().rss - rssBefore + (await extraRss());
  await stop();
  process.stdout.write(`${JSON.stringify({ name, idle: summary(idle), sleeping: summary(sleeping), spinning: summary(spinning), addedRssMb: Math.round(rss / 1e6) })}\n`);
}

function summary(r: { latencies: number[]; failures: number }) {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
  const within = (ms: number) => sorted.filter((l) => l <= ms).length / Math.max(1, sorted.length);
  return { n: sorted.length, failures: r.failures, p50: q(0.5), p99: q(0.99), max: sorted.at(-1) ?? NaN, le5ms: within(5) };
}

async function main(): Promise<void> {
  const role = process.argv.find((a) => a.startsWith("--role="))?.slice(7);
  if (role === "load") {
    let ca = "";
    for await (const c of process.stdin) ca += c;
    return load(Number(process.argv.at(-1)), ca);
  }
  if (role === "server") return serveChild();
  if (role === "variant") return variant(process.argv.at(-1) as Variant);
  const only = process.argv.slice(2).filter((a) => !a.startsWith("--"));
  console.log(`pod admissions at ${RATE_PER_S}/s for ${DURATION_MS / 1000} s each; the main event loop idle, or blocked ${BUSY_MS} ms of every ${BUSY_MS + FREE_MS} ms (sleeping or spinning)`);
  console.log("variant        | main loop | answered  | p50 ms | p99 ms | max ms | ≤ 5 ms | added RSS");
  for (const name of VARIANTS.filter((v) => only.length === 0 || only.includes(v))) {
    const out = await new Promise<string>((resolve, reject) => {
      const [command, args] = pinned(0, ["--import", "tsx", SELF, "--role=variant", name]);
      const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, BENCH_ONE_CPU: ONE_CPU ? "1" : "" } });
      let text = "";
      child.stdout.on("data", (d: Buffer) => (text += d.toString()));
      child.on("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`${name} exited ${code}`))));
    });
    type Summary = ReturnType<typeof summary>;
    const r = JSON.parse(out.trim().split("\n").at(-1)!) as { name: string; idle: Summary; sleeping: Summary; spinning: Summary; addedRssMb: number };
    for (const [label, s] of [["idle", r.idle], ["sleeping", r.sleeping], ["spinning", r.spinning]] as const) {
      console.log(
        `${name.padEnd(14)} | ${label.padEnd(9)} | ${String(s.n).padStart(4)}/${s.n + s.failures} | ${s.p50.toFixed(2).padStart(6)} | ${s.p99.toFixed(2).padStart(6)} | ${s.max.toFixed(1).padStart(6)} | ${(s.le5ms * 100).toFixed(0).padStart(4)} % | ${label === "idle" ? `${r.addedRssMb} MB` : ""}`,
      );
    }
  }
}

await main();
