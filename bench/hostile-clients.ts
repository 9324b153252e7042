// Benchmark: what hostile clients cost the webhook server's memory, with its
// limits and without. The production WebhookServer of the shipped build
// (dist/) runs in a bare Node.js process of its own (no TypeScript loader,
// nothing else loaded), answering its pod route with a fixed allowance.
// This process then acts as a client inside the cluster could:
// - idle connections: opens connections one after another, each answered once
//   (GET /healthz) and then left idle (IDLE_CONNECTIONS, default "2000,8000");
//   with the connection limit and without;
// - slow large bodies: sends requests that declare 3 MiB and hold back their
//   last 64 KiB, 150 of them at once (SLOW_BODIES), so the server would hold
//   every body read so far; with the body budget and without;
// - one held request: sends one body it never finishes, and meanwhile
//   QUICK_ANSWERS admissions (default 20000) over 16 keep-alive connections,
//   all answered before the held one times out: what answered requests leave
//   behind while an older one is still unanswered.
// Prints, per row: what the server kept (connections open, bodies held), and
// its RSS before, right after the client's last step, its peak, and 20 s later
// (the memory of closed connections returns once V8 collects them).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Agent, request } from "node:https";
import tls from "node:tls";
import { pathToFileURL } from "node:url";
import { createCertBundle, servingNames } from "../src/webhook/cert-issue.js";
import { heldBody, idleConnection } from "../test/support/hostile-connections.js";
import { DIST, ensureShippedBuild, importShipped } from "./support/shipped-build.js";
import { printTable } from "./support/table.js";

const SETTLE_MS = 20_000;
const IDLE_COUNTS = (process.env.IDLE_CONNECTIONS ?? "2000,8000").split(",").map(Number);
const SLOW_BODIES = Number(process.env.SLOW_BODIES ?? 150);
const QUICK_ANSWERS = Number(process.env.QUICK_ANSWERS ?? 20_000);
const BODY_BYTES = 3 * 1024 * 1024 - 1024;
const HELD_BACK_BYTES = 64 * 1024;
const UNBOUNDED = 1 << 30;

interface ServeInput {
  cert: string;
  key: string;
  maxConnections: number;
  bodyBudget?: { totalBytes: number; largeTotalBytes: number; largeBytes: number };
}

/** The server's program: reads a ServeInput as JSON on stdin, prints its port. */
const SERVE = `
import { WebhookServer } from ${JSON.stringify(pathToFileURL(join(DIST, "webhook/server.js")).href)};
let text = "";
for await (const chunk of process.stdin) text += chunk;
const input = JSON.parse(text);
const allow = { status: 200, body: { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: "", allowed: true } } };
const server = new WebhookServer({ port: 0, host: "127.0.0.1", certificate: input, routes: { "/mutate-pod": () => allow }, maxConnections: input.maxConnections, bodyBudget: input.bodyBudget });
console.log(await server.start());
`;

interface Memory {
  rss: number;
  peak: number;
}

function memoryMb(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)![1]);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

async function withServer<T>(input: ServeInput, work: (port: number, pid: number) => Promise<T>): Promise<T> {
  const child = spawn(process.execPath, ["--input-type=module", "--eval", SERVE], { stdio: ["pipe", "pipe", "inherit"] });
  try {
    child.stdin.end(JSON.stringify(input));
    const port = await new Promise<number>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))));
    await new Promise((r) => setTimeout(r, 1_000));
    return await work(port, child.pid!);
  } finally {
    child.kill();
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (n: number) => n.toFixed(0);

async function idleRow(pair: { cert: string; key: string }, maxConnections: number, count: number): Promise<string[]> {
  return withServer({ ...pair, maxConnections }, async (port, pid) => {
    const before = memoryMb(pid);
    const sockets: tls.TLSSocket[] = [];
    for (let i = 0; i < count; i++) {
      sockets.push(await idleConnection(port));
      if (process.stdout.isTTY && (i + 1) % 500 === 0) process.stdout.write(`  ${i + 1} of ${count} connections\r`);
    }
    await pause(1_000);
    const open = sockets.filter((s) => !s.destroyed).length;
    const after = memoryMb(pid);
    await pause(SETTLE_MS);
    const later = memoryMb(pid);
    for (const s of sockets) s.destroy();
    const limit = maxConnections >= UNBOUNDED ? "none" : `${maxConnections} connections`;
    return [limit, `${count} idle connections`, `${open} open`, mb(before.rss), mb(after.rss), mb(later.peak), mb(later.rss)];
  });
}

async function slowBodiesRow(pair: { cert: string; key: string }, maxConnections: number, budget: ServeInput["bodyBudget"], label: string): Promise<string[]> {
  return withServer({ ...pair, maxConnections, bodyBudget: budget }, async (port, pid) => {
    const before = memoryMb(pid);
    let refused = 0;
    const bodies = Array.from({ length: SLOW_BODIES }, () => heldBody(port, "/mutate-pod", BODY_BYTES, BODY_BYTES - HELD_BACK_BYTES));
    for (const b of bodies) void b.status.then(() => refused++);
    await pause(5_000);
    const after = memoryMb(pid);
    for (const b of bodies) b.socket.destroy();
    await pause(SETTLE_MS);
    const later = memoryMb(pid);
    return [label, `${SLOW_BODIES} slow 3 MiB bodies`, `${SLOW_BODIES - refused} held, ${refused} refused`, mb(before.rss), mb(after.rss), mb(later.peak), mb(later.rss)];
  });
}

/** QUICK_ANSWERS admissions over 16 keep-alive connections while one older request is held unanswered. */
async function heldBehindRow(pair: { cert: string; key: string }, maxConnections: number): Promise<string[]> {
  return withServer({ ...pair, maxConnections }, async (port, pid) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 16, rejectUnauthorized: false });
    const review = JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: "u", object: { metadata: { name: "p" } } } });
    const post = () =>
      new Promise<void>((resolve, reject) => {
        const call = request({ host: "127.0.0.1", port, path: "/mutate-pod", method: "POST", agent, headers: { "content-type": "application/json" } }, (answer) => {
          answer.resume();
          answer.on("end", resolve);
        });
        call.on("error", reject);
        call.end(review);
      });
    let sent = 0;
    const send = (count: number) => Promise.all(Array.from({ length: 16 }, async () => {
      while (sent < count) {
        sent++;
        await post();
      }
    }));
    await send(1_000);
    const before = memoryMb(pid);
    const held = heldBody(port, "/mutate-pod", 1_000, 500);
    await send(1_000 + QUICK_ANSWERS);
    const after = memoryMb(pid);
    held.socket.destroy();
    agent.destroy();
    await pause(SETTLE_MS);
    const later = memoryMb(pid);
    return ["request timeout", `1 held body, ${QUICK_ANSWERS} answered meanwhile`, "the held one", mb(before.rss), mb(after.rss), mb(later.peak), mb(later.rss)];
  });
}

ensureShippedBuild();
const { MAX_OPEN_CONNECTIONS } = await importShipped<typeof import("../src/webhook/server.js")>("webhook/server.js");
const bundle = await createCertBundle(servingNames("sidecarset-webhook", "sidecarset-system", "127.0.0.1"), new Date());
const pair = { cert: bundle.cert, key: bundle.key };
const rows = [["Limit", "Client", "Server kept", "RSS before, MB", "RSS after, MB", "Peak RSS, MB", `RSS ${SETTLE_MS / 1000} s later, MB`]];
for (const count of IDLE_COUNTS) {
  for (const limit of [MAX_OPEN_CONNECTIONS, UNBOUNDED]) {
    console.log(`${limit >= UNBOUNDED ? "no connection limit" : `at most ${limit} connections`}: ${count} idle connections…`);
    rows.push(await idleRow(pair, limit, count));
  }
}
console.log(`the body budget: ${SLOW_BODIES} slow bodies…`);
rows.push(await slowBodiesRow(pair, MAX_OPEN_CONNECTIONS, undefined, "body budget (64 MiB, 32 MiB for large bodies)"));
console.log(`no body budget: ${SLOW_BODIES} slow bodies…`);
rows.push(await slowBodiesRow(pair, MAX_OPEN_CONNECTIONS, { totalBytes: UNBOUNDED, largeTotalBytes: UNBOUNDED, largeBytes: 1 }, "none"));
console.log(`one request held while ${QUICK_ANSWERS} are answered…`);
rows.push(await heldBehindRow(pair, MAX_OPEN_CONNECTIONS));
printTable(rows);
