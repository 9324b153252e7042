// The webhook thread of bench/support/mutate-pod-server.ts: the shipped build's
// WebhookServer and admission routes over a fixed cache of the SidecarSets it is
// handed, in a worker thread as the manager runs them. Posts the port it
// listens on, after the warm-up the manager runs when asked for one. With
// `fixedAnswer` the same server answers those bytes to every request: what the
// server itself (TLS, HTTP, its own steps, parsing the request) costs.
import { parentPort, workerData } from "node:worker_threads";
import type { SidecarSet } from "../../src/api/types.js";
import { importShipped } from "./shipped-build.js";

const { silentLogger } = await importShipped<typeof import("../../src/observability/logger.js")>("observability/logger.js");
const { admissionRoutes, MUTATE_POD_PATH } = await importShipped<typeof import("../../src/webhook/handlers/index.js")>("webhook/handlers/index.js");
const { WebhookServer } = await importShipped<typeof import("../../src/webhook/server.js")>("webhook/server.js");
const { WARM_UP_BUDGET_MS, warmUpPodAdmission, warmUpThroughServer } = await importShipped<typeof import("../../src/webhook/admission-warm-up.js")>("webhook/admission-warm-up.js");

const { certificate, sets, warmUp, fixedAnswer } = workerData as {
  certificate: { cert: string; key: string };
  sets: SidecarSet[];
  warmUp: { admissions: number; inProcess: boolean };
  /** When given, the route answers these bytes to every request instead of admitting: the server's own cost. */
  fixedAnswer?: string;
};
const admitting = admissionRoutes({
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
const routes = fixedAnswer === undefined ? admitting : { [MUTATE_POD_PATH]: () => ({ status: 200, body: undefined, json: fixedAnswer }) };
const server = new WebhookServer({ port: 0, host: "127.0.0.1", certificate, routes });
// "stop" from the main thread: drain and end the thread (a --cpu-prof profile is written then).
parentPort!.on("message", (message) => {
  if (message === "stop") void server.stop(1_000).then(() => process.exit(0));
});
const port = await server.start();
// As the manager's webhook thread does while its caches sync, before it reports serving.
const started = performance.now();
if (warmUp.admissions > 0 && warmUp.inProcess) await warmUpPodAdmission({ admissions: warmUp.admissions, budgetMs: WARM_UP_BUDGET_MS });
else if (warmUp.admissions > 0) await warmUpThroughServer({ admissions: warmUp.admissions, server: { routes, bindAddress: "127.0.0.1", port } });
parentPort!.postMessage({ port, warmUpMs: performance.now() - started });
