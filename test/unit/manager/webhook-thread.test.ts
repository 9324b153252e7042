// The webhook thread answers admissions on its own event loop: while the main
// thread is blocked outright, pods are still injected; its metrics reach the
// main registry and its logs the main logger; certificates can be swapped; it
// reads no pods from the API server.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import tls from "node:tls";
import { Worker } from "node:worker_threads";
import { defaultSidecarSet } from "../../../src/api/defaults.js";
import type { SidecarSet } from "../../../src/api/types.js";
import { resolveCredentials } from "../../../src/kube/relayed-credentials.js";
import { createMetrics } from "../../../src/observability/metrics.js";
import { WebhookThread } from "../../../src/manager/webhook-thread.js";
import { createLocalServingCertificate, type ServingCertificate } from "../../support/certs.js";
import { SIDECARSET_COLLECTION_PATH } from "../../../src/api/storage-version.js";
import { StubApiServer } from "../kube/stub-apiserver.js";
import { capturingLogger, podReview } from "../webhook/handlers/fixtures.js";
import { WARM_UP_PATH } from "../../../src/webhook/admission-warm-up.js";

const MANAGER_NAMESPACE = "sidecarset-system";

const logAgent = defaultSidecarSet({
  // Served as the API server stores it, at the storage version.
  apiVersion: "apps.kruise.io/v1beta1",
  kind: "SidecarSet",
  metadata: { name: "log-agent", resourceVersion: "1", uid: "uid-log-agent", generation: 3 },
  spec: { selector: { matchLabels: { app: "web" } }, containers: [{ name: "logtail", image: "logtail:1.0" }] },
} as SidecarSet);

const LISTS: Record<string, unknown[]> = {
  [SIDECARSET_COLLECTION_PATH]: [logAgent],
  "/api/v1/namespaces": [{ metadata: { name: "default", resourceVersion: "1" } }],
  [`/apis/apps/v1/namespaces/${MANAGER_NAMESPACE}/controllerrevisions`]: [],
  [`/api/v1/namespaces/${MANAGER_NAMESPACE}/configmaps`]: [],
};

const api = new StubApiServer();
let dir: string;
let certA: ServingCertificate;
let certB: ServingCertificate;
const metrics = createMetrics();
const log = capturingLogger();
/** Made-up admissions before serving: the counts below must not include them. */
const WARM_UP = 200;
let thread: WebhookThread;

before(async () => {
  await api.start();
  api.onRequest((req) => {
    const items = LISTS[req.path];
    if (!items) return { status: 404, body: { kind: "Status", code: 404, reason: "NotFound", message: req.path } };
    return { body: { kind: "List", metadata: { resourceVersion: "1" }, items } };
  });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "webhook-thread-"));
  certA = await createLocalServingCertificate();
  certB = await createLocalServingCertificate();
  thread = await WebhookThread.start({
    config: {
      credentials: (await resolveCredentials(api.kubeConfig("first-token")))!,
      namespace: MANAGER_NAMESPACE,
      port: 0,
      host: "127.0.0.1",
      certificate: { cert: certA.certPem, key: certA.keyPem },
      logLevel: "info",
      sortInjectedContainersByName: false,
      allowPatchPodMetadataWithoutWhitelist: false,
      nativeSidecarInPlaceUpgrade: false,
      admissionWarmUp: WARM_UP,
    },
    logger: log.logger,
    metrics,
  });
});

after(async () => {
  await thread?.stop();
  await api.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

// Sends the admissions from another thread and raises `flag` when every one
// was answered; plain JavaScript so the thread needs no loader.
const CLIENT = `
const { workerData, parentPort } = require("node:worker_threads");
const https = require("node:https");
const { port, ca, bodies, flag } = workerData;
const agent = new https.Agent({ keepAlive: true, maxSockets: 8 });
const results = [];
const sockets = new Set();
Promise.all(bodies.map((body, i) => new Promise((resolve) => {
  const req = https.request({ host: "127.0.0.1", port, path: "/mutate-pod", method: "POST", ca, agent, headers: { "content-type": "application/json" } }, (res) => {
    let data = "";
    res.on("data", (c) => (data += c));
    res.on("end", () => { results[i] = { status: res.statusCode, body: data }; resolve(); });
  });
  req.on("socket", (socket) => sockets.add(socket));
  req.on("error", (e) => { results[i] = { error: e.message }; resolve(); });
  req.end(body);
}))).then(() => {
  agent.destroy();
  parentPort.postMessage({ results, connections: sockets.size });
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;

test("admissions are answered and injected while the main thread is blocked, and their metrics reach the main registry afterwards", async () => {
  const count = 40;
  const bodies = Array.from({ length: count }, (_, i) =>
    JSON.stringify(
      podReview(
        { apiVersion: "v1", kind: "Pod", metadata: { name: `web-${i}`, namespace: "default", labels: { app: "web" } }, spec: { containers: [{ name: "app", image: "app:1" }] } },
        { uid: `uid-${i}` },
      ),
    ),
  );
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const client = new Worker(CLIENT, { eval: true, execArgv: [], workerData: { port: thread.port, ca: certA.caPem, bodies, flag } });
  const sent = new Promise<{ results: { status?: number; body?: string; error?: string }[]; connections: number }>((resolve) => client.once("message", resolve));
  // The main thread now blocks until the client has every answer (or gives up
  // after a generous deadline): nothing on this event loop can serve them.
  const outcome = Atomics.wait(flag, 0, 0, 60_000);
  assert.notEqual(outcome, "timed-out", "every admission was answered while the main thread was blocked");
  const { results: answers, connections } = await sent;
  await client.terminate();
  for (const [i, a] of answers.entries()) {
    assert.equal(a.status, 200, `admission ${i}: ${a.error ?? a.body}`);
    const response = (JSON.parse(a.body!) as { response: { uid: string; allowed: boolean; patch?: string } }).response;
    assert.equal(response.uid, `uid-${i}`);
    assert.equal(response.allowed, true);
    assert.match(Buffer.from(response.patch ?? "", "base64").toString("utf8"), /"name":"logtail"/, `admission ${i} injects the sidecar`);
  }

  const state = await thread.state();
  assert.equal(state.synced, true);
  assert.equal(state.serving, true);
  assert.equal(state.cached.pods, undefined, "the webhook thread has no pod informer");
  assert.equal(state.cached.sidecarsets, 1);
  const injections = (await metrics.injections.get()).values.find((v) => v.labels.sidecarset === "log-agent")?.value;
  assert.equal(injections, count, "every injection is counted in the main registry");
  const latencyCount = (await metrics.webhookLatency.get()).values.find((v) => v.metricName?.endsWith("_count") && v.labels.webhook === "/mutate-pod")?.value;
  assert.equal(latencyCount, count, "every admission is in the latency histogram");
  const accepted = (await metrics.webhookConnections.get()).values[0]?.value;
  assert.ok(connections >= 1);
  assert.equal(accepted, connections, "the client's connections are counted, and the warm-up's own connection is not");
});

test("the webhook thread lists and watches exactly the SidecarSets, Namespaces, ControllerRevisions and the whitelist ConfigMap, never pods", () => {
  const paths = new Set(api.requests.map((r) => r.path));
  assert.deepEqual([...paths].sort(), Object.keys(LISTS).sort());
  const configMaps = api.requests.filter((r) => r.path.endsWith("/configmaps"));
  assert.ok(configMaps.every((r) => r.query.get("fieldSelector") === "metadata.name=sidecarset-configuration"));
});

test("the webhook thread reports which SidecarSets its cache holds, at which generation", async () => {
  const at = (generation: number, uid = "uid-log-agent"): SidecarSet => ({ ...logAgent, metadata: { ...logAgent.metadata, generation, uid } });
  for (let i = 0; i < 100 && !thread.held.holds(at(3)); i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(thread.held.holds(at(3)), true);
  assert.equal(thread.held.holds(at(2)), true, "an older generation is held too");
  assert.equal(thread.held.holds(at(4)), false, "a newer generation is not held yet");
  assert.equal(thread.held.holds(at(3, "uid-recreated")), false, "a re-created SidecarSet of the same name is another object");
  assert.equal(thread.held.holds({ ...logAgent, metadata: { name: "other", uid: "u", generation: 1 } }), false);
});

test("the webhook thread's log lines come out of the main logger, marked as the webhook thread's", () => {
  const synced = log.lines().find((l) => l.msg === "webhook caches synced");
  assert.ok(synced, "the thread logged that its caches synced");
  assert.equal(synced.thread, "webhook");
  assert.equal(synced.level, "info");
  assert.deepEqual(synced.cached, { sidecarsets: 1, namespaces: 1, controllerrevisions: 0, configmaps: 0 });
});

test("the webhook thread warms its admission path up, on made-up pods counted nowhere", async () => {
  const warmed = log.lines().find((l) => l.msg === "admission path warmed up");
  assert.ok(warmed, "the thread logged its warm-up");
  assert.equal(warmed.thread, "webhook");
  assert.equal(warmed.admissions, WARM_UP);
  assert.equal(warmed.injected, (WARM_UP * 3) / 4, "three made-up pods of four get sidecars");
  assert.equal(warmed.sent, WARM_UP, "every one went through the thread's own HTTPS port");
  // The admissions test above counts exactly its own injections and latencies: none of the warm-up's.
  const latencyPaths = (await metrics.webhookLatency.get()).values.map((v) => v.labels.webhook);
  assert.ok(!latencyPaths.includes(WARM_UP_PATH), `no latency recorded for ${WARM_UP_PATH}: ${[...new Set(latencyPaths)].join(", ")}`);
});

function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fp);
    });
    socket.on("error", reject);
  });
}

test("a renewed certificate handed to the webhook thread is served to new connections", async () => {
  assert.equal(await servedFingerprint(thread.port), new X509Certificate(certA.certPem).fingerprint256);
  thread.setCertificate({ cert: certB.certPem, key: certB.keyPem });
  // The swap is a message to the thread: the state answer comes after it.
  await thread.state();
  assert.equal(await servedFingerprint(thread.port), new X509Certificate(certB.certPem).fingerprint256);
});

test("the webhook thread uses the API credentials the main thread resolved, and new ones once handed over", async () => {
  const tokens = () => new Set(api.requests.map((r) => r.headers.authorization));
  assert.deepEqual([...tokens()], ["Bearer first-token"]);
  thread.setCredentials((await resolveCredentials(api.kubeConfig("rotated-token")))!);
  await thread.state();
  // The informers' next calls (after their watches end) carry the new token.
  const open = api.watches.filter((w) => !w.closed);
  for (const w of open) w.end();
  await waitUntil(() => tokens().has("Bearer rotated-token"));
  const after = api.requests.slice(-1)[0]!;
  assert.equal(after.headers.authorization, "Bearer rotated-token");
});

async function waitUntil(probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error("condition not met before the deadline");
    await new Promise((r) => setTimeout(r, 20));
  }
}
