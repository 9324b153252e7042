// Hostile bodies sent straight to the running manager's webhook port (past
// the API server), from the generators of the unit suite
// (docs/reliability.md, "Hostile input"): every one gets a well-formed
// answer or a 4xx, and afterwards the same manager process still injects a
// pod created through the API server.
import assert from "node:assert/strict";
import { test } from "node:test";
import tls from "node:tls";
import fc from "fast-check";
import type { Pod } from "../../src/api/kube-types.js";
import { MUTATE_POD_PATH, MUTATE_SIDECARSET_PATH, VALIDATE_SIDECARSET_PATH } from "../../src/manifests/webhook.js";
import { DEFAULT_BODY_BUDGET } from "../../src/webhook/body-budget.js";
import { DEFAULT_MAX_BODY_BYTES, MAX_OPEN_CONNECTIONS } from "../../src/webhook/server.js";
import { answerProblem } from "../support/admission-answers.js";
import { createNamespace, rawRequest, useEnvironment, waitFor } from "../support/environment.js";
import {
  brokenText,
  deeplyNested,
  describeBody,
  hostileSeeds,
  malformedReviews,
  oversized,
  podReviews,
  randomJson,
  sidecarSetReviews,
  wrongContentType,
  type HostileBody,
} from "../support/hostile-bodies.js";
import { metricValue, scrapeMetrics } from "../support/prometheus-text.js";
import { createSidecarSet } from "../support/sidecarsets.js";
import { heldBody, idleConnection } from "../support/hostile-connections.js";
import { connectionsFromOthersTo } from "../support/tcp-connections.js";
import { sendBody } from "../support/webhook-client.js";

const env = useEnvironment();

const COUNT = Number(process.env.HOSTILE_E2E_BODIES ?? 300);
const PATHS = [MUTATE_POD_PATH, MUTATE_SIDECARSET_PATH, VALIDATE_SIDECARSET_PATH];
const SET_PATHS = [MUTATE_SIDECARSET_PATH, VALIDATE_SIDECARSET_PATH];
const APP = "hostile-e2e";

/** Seeds whose pods the SidecarSet of this test selects, so hostile pods reach the manager's injection. */
function seedsSelectedHere() {
  const seeds = hostileSeeds();
  const pods = seeds.pods.map((p) => ({ ...p, metadata: { ...p.metadata, labels: { ...(p.metadata?.labels ?? {}), app: APP } } }));
  return { ...seeds, pods };
}

function hostileBodies(count: number): HostileBody[] {
  const seeds = seedsSelectedHere();
  const pods = podReviews([MUTATE_POD_PATH, MUTATE_POD_PATH, ...SET_PATHS], seeds.pods);
  const sets = sidecarSetReviews([...SET_PATHS, MUTATE_POD_PATH], seeds.rawSidecarSets, seeds.sidecarSets);
  const any = fc.oneof(
    { weight: 3, arbitrary: pods },
    { weight: 2, arbitrary: sets },
    { weight: 2, arbitrary: malformedReviews(PATHS, seeds) },
    { weight: 1, arbitrary: randomJson(PATHS) },
    { weight: 1, arbitrary: brokenText(PATHS, fc.oneof(pods, sets)) },
    { weight: 1, arbitrary: deeplyNested(PATHS, seeds) },
    { weight: 1, arbitrary: wrongContentType(PATHS, sets) },
  );
  const seed = Number(process.env.HOSTILE_SEED ?? 20_260_101);
  return [...fc.sample(any, { numRuns: count, seed }), ...fc.sample(oversized(PATHS, DEFAULT_MAX_BODY_BYTES), { numRuns: 4, seed })];
}

async function processStart(): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${env().metricsPort}/metrics`);
  assert.equal(res.status, 200);
  const line = (await res.text()).split("\n").find((l) => l.startsWith("process_start_time_seconds "));
  assert.ok(line, "the manager exports process_start_time_seconds");
  return line;
}

test(`${COUNT} hostile bodies to the manager's webhook port all get a well-formed answer or a 4xx, and the same process still injects pods`, async () => {
  await createNamespace(env().clients, "hostile");
  await createSidecarSet(env(), "hostile-agent", {
    selector: { matchLabels: { app: APP } },
    containers: [{ name: "agent", image: "registry.local/agent:1" }],
  });
  const startedBefore = await processStart();

  const problems: string[] = [];
  const statuses = new Map<number, number>();
  for (const body of hostileBodies(COUNT)) {
    const reply = await sendBody({ port: env().webhookPort, deadlineMs: 30_000 }, body);
    statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
    const problem = answerProblem(body, reply, { maxBodyBytes: DEFAULT_MAX_BODY_BYTES });
    if (problem) problems.push(`${problem}\n  body: ${describeBody(body).slice(0, 300)}\n  answer ${reply.status}: ${reply.body.slice(0, 300)}`);
  }
  assert.deepEqual(problems.slice(0, 5), [], `${problems.length} bad answers`);
  assert.ok((statuses.get(200) ?? 0) > 0 && [...statuses.keys()].some((s) => s >= 400), `a mix of reviews and 4xx: ${JSON.stringify([...statuses])}`);

  const ready = await fetch(`http://127.0.0.1:${env().metricsPort}/readyz`);
  assert.equal(ready.status, 200, "the manager is still ready");
  assert.equal(await processStart(), startedBefore, "the same manager process answered throughout");

  const pod = await rawRequest<Pod>(env().clients.kc, "POST", "/api/v1/namespaces/hostile/pods", {
    metadata: { name: "after-hostile", labels: { app: APP } },
    spec: { containers: [{ name: "app", image: "registry.local/app:1" }] },
  });
  assert.deepEqual(pod.spec?.containers.map((c) => c.name), ["agent", "app"], "a pod created through the API server is still injected");
});

test("a client that opens more connections than the webhook server keeps and leaves them idle: the longest idle are closed, the open ones stay at the limit, and pods are still injected", async () => {
  await createNamespace(env().clients, "idle-flood");
  await createSidecarSet(env(), "idle-flood-agent", {
    selector: { matchLabels: { app: "idle-flood" } },
    containers: [{ name: "agent", image: "registry.local/agent:1" }],
  });
  const closedBefore = metricValue(await scrapeMetrics(env().metricsPort), "sidecarset_webhook_connection_limit_closes_total") ?? 0;
  const extra = 88;
  const flood: tls.TLSSocket[] = [];
  try {
    // One at a time, each after one request: the order they went idle in is the order they were opened in.
    for (let i = 0; i < MAX_OPEN_CONNECTIONS + extra; i++) flood.push(await idleConnection(env().webhookPort));
    const open = () => flood.filter((c) => !c.destroyed).length + connectionsFromOthersTo(env().webhookPort).size;
    await waitFor(`at most ${MAX_OPEN_CONNECTIONS} connections open to the webhook`, () => open() <= MAX_OPEN_CONNECTIONS, { timeoutMs: 10_000 });
    const closedIndexes = flood.flatMap((c, i) => (c.destroyed ? [i] : []));
    assert.ok(closedIndexes.length >= extra - connectionsFromOthersTo(env().webhookPort).size, `${closedIndexes.length} of the flood's connections closed`);
    assert.deepEqual(closedIndexes, [...closedIndexes.keys()], "the connections idle the longest were closed first");
    const counted = await waitFor("the closes counted in the metrics", async () => {
      const n = metricValue(await scrapeMetrics(env().metricsPort), "sidecarset_webhook_connection_limit_closes_total") ?? 0;
      return n - closedBefore >= closedIndexes.length ? n - closedBefore : undefined;
    });
    assert.ok(counted >= closedIndexes.length);
    const held = await scrapeMetrics(env().metricsPort);
    const [openGauge, idleGauge] = ["open", "idle"].map((stat) => metricValue(held, "sidecarset_webhook_connections", { stat }) ?? -1) as [number, number];
    const floodOpen = flood.filter((c) => !c.destroyed).length;
    assert.ok(openGauge <= MAX_OPEN_CONNECTIONS && openGauge >= floodOpen, `the server reports ${openGauge} open connections; the flood holds ${floodOpen}`);
    assert.ok(idleGauge >= floodOpen && idleGauge <= openGauge, `the server reports ${idleGauge} idle of ${openGauge}`);

    const pod = await rawRequest<Pod>(env().clients.kc, "POST", "/api/v1/namespaces/idle-flood/pods", {
      metadata: { name: "during-flood", labels: { app: "idle-flood" } },
      spec: { containers: [{ name: "app", image: "registry.local/app:1" }] },
    });
    assert.deepEqual(pod.spec?.containers.map((c) => c.name), ["agent", "app"], "a pod created through the API server is injected");
    const ready = await fetch(`http://127.0.0.1:${env().metricsPort}/readyz`);
    assert.equal(ready.status, 200, "the manager is still ready");
  } finally {
    for (const c of flood) c.destroy();
  }
});

test("clients that send large bodies slowly get 503 once the webhook server holds its share of large bodies, while a pod created through the API server is still injected", async () => {
  await createNamespace(env().clients, "slow-bodies");
  await createSidecarSet(env(), "slow-bodies-agent", {
    selector: { matchLabels: { app: "slow-bodies" } },
    containers: [{ name: "agent", image: "registry.local/agent:1" }],
  });
  const startedBefore = await processStart();
  const declared = DEFAULT_MAX_BODY_BYTES - 1024;
  const sent = declared - 64 * 1024;
  // Enough to pass the large bodies' share of the budget, each held open without its last 64 KiB.
  const count = Math.ceil(DEFAULT_BODY_BUDGET.largeTotalBytes / sent) + 2;
  const held = Array.from({ length: count }, () => heldBody(env().webhookPort, MUTATE_POD_PATH, declared, sent));
  try {
    const statuses = await Promise.all(held.map((h) => Promise.race([h.status, new Promise<"held">((r) => setTimeout(() => r("held"), 3_000))])));
    const refused = statuses.filter((s) => s === 503).length;
    const stillHeld = statuses.filter((s) => s === "held").length;
    assert.ok(refused >= 2, `some large bodies refused with 503: ${JSON.stringify(statuses)}`);
    assert.ok(stillHeld * sent <= DEFAULT_BODY_BUDGET.largeTotalBytes, `the held ones fit the large bodies' share: ${JSON.stringify(statuses)}`);
    assert.equal(refused + stillHeld, count, JSON.stringify(statuses));

    const pod = await rawRequest<Pod>(env().clients.kc, "POST", "/api/v1/namespaces/slow-bodies/pods", {
      metadata: { name: "during-slow-bodies", labels: { app: "slow-bodies" } },
      spec: { containers: [{ name: "app", image: "registry.local/app:1" }] },
    });
    assert.deepEqual(pod.spec?.containers.map((c) => c.name), ["agent", "app"], "a pod created through the API server is injected");
  } finally {
    for (const h of held) h.socket.destroy();
  }
  const ready = await fetch(`http://127.0.0.1:${env().metricsPort}/readyz`);
  assert.equal(ready.status, 200, "the manager is still ready");
  assert.equal(await processStart(), startedBefore, "the same manager process answered throughout");
});
