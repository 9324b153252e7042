// The pod webhook alone, for bench/mutate-pod-load.ts: the production
// WebhookServer and admission routes of the shipped build over a fixed cache holding the shared
// admission workload's 100 SidecarSets. Reads its certificate pair as JSON on
// stdin and prints the port it listens on.
//
// With `answer` in that JSON it is the control instead: a bare Node.js HTTPS
// server that reads each request and writes back those bytes, so that the
// figures show what TLS, HTTP and moving the bytes cost on this machine.
import { readFileSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { sidecarSets } from "./admission-workload.js";
import { DIST } from "./shipped-build.js";

// The shipped build's server and routes (the load side builds dist/ first).
const shipped = <T>(module: string): Promise<T> => import(pathToFileURL(join(DIST, module)).href) as Promise<T>;
const { silentLogger } = await shipped<typeof import("../../src/observability/logger.js")>("observability/logger.js");
const { admissionRoutes } = await shipped<typeof import("../../src/webhook/handlers/index.js")>("webhook/handlers/index.js");
const { WebhookServer } = await shipped<typeof import("../../src/webhook/server.js")>("webhook/server.js");

const input = JSON.parse(readFileSync(0, "utf8")) as { cert: string; key: string; answer?: string };

async function serveWebhook(certificate: { cert: string; key: string }): Promise<number> {
  const sets = sidecarSets();
  const routes = admissionRoutes({
    cache: {
      sidecarSets: () => sets,
      namespaceLabels: (name) => ({ "kubernetes.io/metadata.name": name }),
      revisions: () => [],
      whitelist: () => undefined,
      // Fixed content: one version for ever.
      version: () => 0,
    },
    now: () => new Date(),
    random: Math.random,
    logger: silentLogger(),
  });
  const server = new WebhookServer({ port: 0, host: "127.0.0.1", certificate, routes });
  process.on("SIGTERM", () => void server.stop(1_000).then(() => process.exit(0)));
  return server.start();
}

function serveFixedAnswer(certificate: { cert: string; key: string }, answer: Buffer): Promise<number> {
  const server = createServer({ cert: certificate.cert, key: certificate.key }, (req, res) => {
    req.on("data", () => undefined);
    req.on("end", () => {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": answer.length });
      res.end(answer);
    });
  });
  server.keepAliveTimeout = 30_000;
  process.on("SIGTERM", () => server.close(() => process.exit(0)));
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

const port = input.answer === undefined ? await serveWebhook(input) : await serveFixedAnswer(input, Buffer.from(input.answer));
process.stdout.write(`${port}\n`);
// SIGUSR2 asks for the CPU time this process has used so far (µs, one line),
// so that the load side can tell the server's cost per admission apart from
// the time it waited for a CPU on a shared machine.
process.on("SIGUSR2", () => {
  const { user, system } = process.cpuUsage();
  process.stdout.write(`${user + system}\n`);
});
