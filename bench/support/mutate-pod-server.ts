// The pod webhook alone, for bench/mutate-pod-load.ts: the production
// WebhookServer and admission routes of the shipped build, in a worker thread
// as in the manager (mutate-pod-worker.ts), over a fixed cache holding the
// shared admission workload's 100 SidecarSets. Reads its certificate pair as
// JSON on stdin and prints the port it listens on; its CPU time counts both
// threads.
//
// With `warmUp`, the webhook first runs that many made-up admissions, as the
// manager does at start (`--admission-warm-up`): through its own port, or with
// `warmUpInProcess` by calling the route directly.
// With `answer` in that JSON it is the control instead: a bare Node.js HTTPS
// server that reads each request and writes back those bytes, so that the
// figures show what TLS, HTTP and moving the bytes cost on this machine. With
// `answerThroughWebhookServer` too, the webhook's own server (in its worker
// thread) answers those bytes: the server control, whose cost above the bare
// control is the server's own, and below the webhook's the admission's.
// With `patch` (the webhook's JSON patch, decoded) it is the allocation
// control: per request it parses the review, copies the patch's operations,
// and stringifies and base64-encodes them into an answer, as a naive webhook
// would with no matching or injection: work that allocates and reads tens of
// kilobytes, as an admission does.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import { sidecarSets } from "./admission-workload.js";
import type { ServerInput } from "./mutate-pod-client.js";
import { importShipped } from "./shipped-build.js";

const input = JSON.parse(readFileSync(0, "utf8")) as ServerInput;

/**
 * The webhook as the manager serves it: in a worker thread with the webhook thread's heap limits (a small
 * young generation, which decides how often an admission's garbage is collected).
 */
async function serveWebhook(
  certificate: { cert: string; key: string },
  warmUp: { admissions: number; inProcess: boolean },
  count: number,
  fixedAnswer?: string,
): Promise<{ port: number; warmUpMs: number }> {
  const { WEBHOOK_HEAP_LIMITS } = await importShipped<typeof import("../../src/manager/webhook-thread.js")>("manager/webhook-thread.js");
  // A worker does not get tsx's module hooks on Node.js 20: it registers them before importing its entry.
  const entry = new URL("./mutate-pod-worker.ts", import.meta.url).href;
  const tsx = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  // Profiling flags given to the server (--cpu-prof…) profile the webhook thread too.
  const execArgv = process.execArgv.filter((a) => a.startsWith("--cpu-prof"));
  const worker = new Worker(bootstrap, { eval: true, execArgv, workerData: { certificate, sets: sidecarSets(count), warmUp, fixedAnswer }, resourceLimits: WEBHOOK_HEAP_LIMITS });
  process.on("SIGTERM", () => {
    worker.once("exit", () => process.exit(0));
    worker.postMessage("stop");
  });
  return new Promise((resolve, reject) => {
    worker.once("message", (m: { port: number; warmUpMs: number }) => resolve(m));
    worker.once("error", reject);
  });
}

function listen(server: Server): Promise<number> {
  server.keepAliveTimeout = 30_000;
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

function serveFixedAnswer(certificate: { cert: string; key: string }, answer: Buffer): Promise<number> {
  const server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    req.on("data", () => undefined);
    req.on("end", () => {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": answer.length });
      res.end(answer);
    });
  });
  return listen(server);
}

function serveCopiedPatch(certificate: { cert: string; key: string }, patch: unknown): Promise<number> {
  const server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const review = JSON.parse(Buffer.concat(chunks).toString()) as { request?: { uid?: string } };
      const encoded = Buffer.from(JSON.stringify(structuredClone(patch))).toString("base64");
      const response = { uid: review.request?.uid ?? "", allowed: true, patchType: "JSONPatch", patch: encoded };
      const answer = Buffer.from(JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response }));
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": answer.length });
      res.end(answer);
    });
  });
  return listen(server);
}

async function serve(): Promise<{ port: number; warmUpMs: number }> {
  if (input.answer !== undefined && input.answerThroughWebhookServer) {
    return serveWebhook({ cert: input.cert, key: input.key }, { admissions: 0, inProcess: false }, 0, input.answer);
  }
  if (input.answer !== undefined) return { port: await serveFixedAnswer(input, Buffer.from(input.answer)), warmUpMs: 0 };
  if (input.patch !== undefined) return { port: await serveCopiedPatch(input, input.patch), warmUpMs: 0 };
  return serveWebhook({ cert: input.cert, key: input.key }, { admissions: input.warmUp ?? 0, inProcess: input.warmUpInProcess === true }, input.sidecarSets ?? 100);
}

// The first line: the port, and how long the webhook's warm-up took before it listened for the load (ms).
const { port, warmUpMs } = await serve();
process.stdout.write(`${port} ${warmUpMs.toFixed(1)}\n`);
// SIGUSR2 asks for the CPU time this process has used so far (µs, one line),
// so that the load side can tell the server's cost per admission apart from
// the time it waited for a CPU on a shared machine.
process.on("SIGUSR2", () => {
  const { user, system } = process.cpuUsage();
  process.stdout.write(`${user + system}\n`);
});
