// Benchmark: what idle connections cost the webhook server, with its
// connection limit and without. The production WebhookServer of the shipped
// build (dist/) runs in a bare Node.js process of its own (no TypeScript
// loader, nothing else loaded); this process opens connections
// to it one after another, each answered once (GET /healthz) and then left
// idle, as a client inside the cluster could. Prints, per limit and number of
// connections: how many stay open, and the server's RSS before, right after
// the last connection, and 20 s later (the memory of closed connections
// returns once V8 collects them). IDLE_CONNECTIONS (default "2000,8000") sets
// the numbers of connections.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import { pathToFileURL } from "node:url";
import { createCertBundle, servingNames } from "../src/webhook/cert-issue.js";
import { DIST, ensureShippedBuild, importShipped } from "./support/shipped-build.js";
import { printTable } from "./support/table.js";

const SETTLE_MS = 20_000;
const COUNTS = (process.env.IDLE_CONNECTIONS ?? "2000,8000").split(",").map(Number);

interface ServeInput {
  cert: string;
  key: string;
  maxConnections: number;
}

/** The server's program: reads a ServeInput as JSON on stdin, prints its port. */
const SERVE = `
import { WebhookServer } from ${JSON.stringify(pathToFileURL(join(DIST, "webhook/server.js")).href)};
let text = "";
for await (const chunk of process.stdin) text += chunk;
const input = JSON.parse(text);
const server = new WebhookServer({ port: 0, host: "127.0.0.1", certificate: input, routes: {}, maxConnections: input.maxConnections });
console.log(await server.start());
`;

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
}

function idleConnection(port: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => socket.write("GET /healthz HTTP/1.1\r\nHost: webhook\r\n\r\n"));
    socket.once("error", reject);
    socket.once("data", () => {
      socket.off("error", reject);
      socket.on("error", () => {});
      resolve(socket);
    });
  });
}

async function measure(maxConnections: number, count: number, pair: { cert: string; key: string }): Promise<string[]> {
  const child = spawn(process.execPath, ["--input-type=module", "--eval", SERVE], { stdio: ["pipe", "pipe", "inherit"] });
  try {
    child.stdin.end(JSON.stringify({ ...pair, maxConnections } satisfies ServeInput));
    const port = await new Promise<number>((resolve) => child.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))));
    await new Promise((r) => setTimeout(r, 1_000));
    const before = rssMb(child.pid!);
    const sockets: tls.TLSSocket[] = [];
    for (let i = 0; i < count; i++) {
      sockets.push(await idleConnection(port));
      if (process.stdout.isTTY && (i + 1) % 500 === 0) process.stdout.write(`  ${i + 1} of ${count} connections\r`);
    }
    await new Promise((r) => setTimeout(r, 1_000));
    const open = sockets.filter((s) => !s.destroyed).length;
    const during = rssMb(child.pid!);
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const later = rssMb(child.pid!);
    for (const s of sockets) s.destroy();
    return [maxConnections >= 1_000_000 ? "none" : String(maxConnections), String(count), String(open), before.toFixed(0), during.toFixed(0), later.toFixed(0)];
  } finally {
    child.kill();
  }
}

ensureShippedBuild();
const { MAX_OPEN_CONNECTIONS } = await importShipped<typeof import("../src/webhook/server.js")>("webhook/server.js");
const bundle = await createCertBundle(servingNames("sidecarset-webhook", "sidecarset-system", "127.0.0.1"), new Date());
const pair = { cert: bundle.cert, key: bundle.key };
const rows = [["Limit", "Connections opened", "Still open", "RSS before, MB", "RSS after the last, MB", `RSS ${SETTLE_MS / 1000} s later, MB`]];
for (const count of COUNTS) {
  for (const limit of [MAX_OPEN_CONNECTIONS, 1_000_000]) {
    console.log(`limit ${limit >= 1_000_000 ? "none" : limit}: ${count} idle connections…`);
    rows.push(await measure(limit, count, pair));
  }
}
printTable(rows);
