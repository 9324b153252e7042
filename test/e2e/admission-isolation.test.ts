// Admission never waits for the controller (docs/adr/0005-admission-event-loop.md):
// a replica that does not hold the Lease serves admissions through the API
// server without ever listing or watching a pod (after warming its admission
// path up on made-up pods), and admissions keep being answered while the
// controller works through a burst of pod events.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Pod } from "../../src/api/kube-types.js";
import { managerFlags, MANAGER_NAMESPACE, REPO_ROOT, useEnvironment, waitFor, type Environment } from "../support/environment.js";
import { compiledCliBuilt } from "../support/compiled-cli.js";
import { apiErrorCode, createNamespace, MERGE_PATCH, rawRequest } from "../support/kube.js";
import { freePorts } from "../support/ports.js";
import { metricValue, scrapeMetrics } from "../support/prometheus-text.js";
import { waitForStatus } from "../support/rollout.js";
import { postSidecarSet, waitForObserved } from "../support/sidecarsets.js";

const env = useEnvironment({ managerArgs: ["--leader-elect"] });

const LEASE = "sidecarset-manager";

async function leaseHolder(e: Environment): Promise<string | undefined> {
  try {
    const lease = await e.clients.coordination.readNamespacedLease({ name: LEASE, namespace: MANAGER_NAMESPACE });
    return lease.spec?.holderIdentity || undefined;
  } catch (err) {
    if (apiErrorCode(err) === 404) return undefined;
    throw err;
  }
}

function podObject(name: string, labels: Record<string, string>): Record<string, unknown> {
  return { metadata: { name, labels }, spec: { containers: [{ name: "app", image: "registry.local/app:1" }] } };
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function inParallel<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A namespace `name` and a SidecarSet `name` injecting "agent" into its pods labelled app=`name`, observed by the manager. */
async function agentForApp(name: string): Promise<string> {
  await createNamespace(env().clients, name);
  await postSidecarSet(env(), name, {
    namespace: name,
    selector: { matchLabels: { app: name } },
    containers: [{ name: "agent", image: "registry.local/agent:1" }],
  });
  await waitForObserved(env(), name);
  return name;
}

const range = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

test("admissions keep being answered and injected while the controller works through a burst of pod events", async () => {
  const ns = "burst";
  const sets = range(4, "burst");
  await waitFor("the manager to hold the Lease", () => leaseHolder(env()));
  await createNamespace(env().clients, ns);
  // Several SidecarSets select every pod, so each pod event costs the controller one reconcile per set.
  for (const [i, name] of sets.entries()) {
    await postSidecarSet(env(), name, {
      namespace: ns,
      selector: { matchLabels: { app: "burst" } },
      containers: [{ name: `agent-${i}`, image: "registry.local/agent:1" }],
    });
  }
  for (const name of sets) await waitForObserved(env(), name);
  const sidecars = sets.map((_, i) => `agent-${i}`);
  const create = (name: string) => rawRequest<Pod>(env().clients.kc, "POST", `/api/v1/namespaces/${ns}/pods`, podObject(name, { app: "burst" }));

  // The burst: many pods at once (each an admission, then an add event, then
  // the fake kubelet's binding and status updates) ...
  const first = await inParallel(range(120, "first"), 24, create);
  // ... and while the controller works through them, every one is relabelled
  // (an update event per pod) as more pods are admitted.
  const [, late] = await Promise.all([
    inParallel(first, 24, (p) =>
      rawRequest(env().clients.kc, "PATCH", `/api/v1/namespaces/${ns}/pods/${p.metadata?.name}`, { metadata: { labels: { round: "2" } } }, MERGE_PATCH),
    ),
    inParallel(range(40, "late"), 8, create),
  ]);
  for (const pod of [...first, ...late]) {
    const names = pod.spec?.containers.map((c) => c.name) ?? [];
    for (const sidecar of sidecars) assert.ok(names.includes(sidecar), `${pod.metadata?.name} was admitted with ${sidecar}: ${names.join(", ")}`);
  }
  // The controller did see the whole burst: every set counts every pod.
  for (const name of sets) await waitForStatus(env(), name, { matchedPods: 160 }, { timeoutMs: 180_000 });
});

test("a replica that loses the Lease drops its pod cache and keeps admitting pods, and caches pods again once it leads again", async () => {
  const leader = await waitFor("the manager to hold the Lease", () => leaseHolder(env()));
  const controllerPods = async () => metricValue(await scrapeMetrics(env().metricsPort), "sidecarset_informer_objects", { side: "controller", informer: "pods" });
  await waitFor("the Lease holder to cache pods", async () => ((await controllerPods()) ?? 0) > 0);
  const ns = await agentForApp("handover");
  const statusSeries = async () =>
    (await scrapeMetrics(env().metricsPort)).split("\n").filter((l) => /^(sidecarset_status_|kruise_sidecarset_)\w*\{/.test(l) && l.includes('sidecarset="handover"'));
  await waitFor("the holder to report the SidecarSet's status", async () => (await statusSeries()).length > 0);

  // Another candidate takes the Lease over, as one would once this replica had failed to renew in time.
  const path = `/apis/coordination.k8s.io/v1/namespaces/${MANAGER_NAMESPACE}/leases/${LEASE}`;
  const lease = await rawRequest<{ metadata: Record<string, unknown>; spec: Record<string, unknown> }>(env().clients.kc, "GET", path);
  const now = new Date().toISOString().replace("Z", "000Z");
  await rawRequest(env().clients.kc, "PUT", path, {
    ...lease,
    spec: { ...lease.spec, holderIdentity: "another-replica", acquireTime: now, renewTime: now, leaseDurationSeconds: 15, leaseTransitions: Number(lease.spec.leaseTransitions ?? 0) + 1 },
  });
  await waitFor("the former holder to drop its pod cache", async () => (await controllerPods()) === undefined, { timeoutMs: 60_000 });
  // Nor does it go on reporting the SidecarSet's status beside the new holder's.
  assert.deepEqual(await statusSeries(), [], "the former holder dropped the SidecarSet's status series");
  const pod = await rawRequest<Pod>(env().clients.kc, "POST", `/api/v1/namespaces/${ns}/pods`, podObject("p", { app: "handover" }));
  assert.deepEqual(pod.spec?.containers.map((c) => c.name), ["agent", "app"], "pods are still injected without the Lease");

  // Nobody renews for "another-replica": the manager takes the Lease back and its controller caches pods again.
  await waitFor("the manager to lead again", async () => (await leaseHolder(env())) === leader, { timeoutMs: 90_000 });
  await waitFor("the controller to cache pods again", async () => ((await controllerPods()) ?? 0) > 0, { timeoutMs: 60_000 });
  await waitForStatus(env(), "handover", { matchedPods: 1 });
  await waitFor("the status series reported again", async () => (await statusSeries()).some((l) => l.startsWith('sidecarset_status_matched_pods{sidecarset="handover"} ')));
});

test("a replica that does not hold the Lease (the compiled build) serves admissions through the API server and never lists or watches a pod", async () => {
  const leader = await waitFor("the manager to hold the Lease", () => leaseHolder(env()));
  const [webhookPort, metricsPort] = (await freePorts(2)) as [number, number];
  const log = join(env().cluster.dir, "standby-manager.log");
  // A second replica, from the compiled build as it ships (so does the first
  // under the e2e runner; a file run by itself runs the first from the
  // sources); in out-of-cluster mode it points the webhook configurations at
  // itself when it starts.
  if (!compiledCliBuilt()) {
    const built = spawnSync("npm", ["run", "build"], { cwd: REPO_ROOT, encoding: "utf8" });
    assert.equal(built.status, 0, `npm run build: ${built.stdout}${built.stderr}`);
  }
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, "dist/cli/main.js"), ...managerFlags(env().cluster.restrictedKubeconfigPath, webhookPort, metricsPort), "--log-level", "debug", "--leader-elect"],
    { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  const out = createWriteStream(log, { flags: "a" });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  try {
    await waitFor(
      "the standby replica to be ready",
      async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined))?.ok,
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    assert.equal(await leaseHolder(env()), leader, "the first replica still leads");

    const ns = await agentForApp("standby");
    // The API server switches to the new webhook URL once it has seen the
    // updated configuration: dry runs go through the webhook and create nothing.
    await waitFor("the API server to call the standby replica's webhook", async () => {
      await rawRequest(env().clients.kc, "POST", `/api/v1/namespaces/${ns}/pods?dryRun=All`, podObject("dry", { app: "standby" }));
      return (metricValue(await scrapeMetrics(metricsPort), "controller_runtime_webhook_requests_total", { webhook: "/mutate-pod", code: "200" }) ?? 0) > 0;
    });
    const pod = await rawRequest<Pod>(env().clients.kc, "POST", `/api/v1/namespaces/${ns}/pods`, podObject("p", { app: "standby" }));
    assert.deepEqual(pod.spec?.containers.map((c) => c.name), ["agent", "app"], "the pod is injected");

    const standby = await scrapeMetrics(metricsPort);
    assert.equal(metricValue(standby, "sidecarset_injections_total", { sidecarset: "standby" }), 1, "the standby replica injected it");
    assert.equal(metricValue(standby, "leader_election_master_status", { name: LEASE }), 0);
    assert.ok((metricValue(standby, "sidecarset_informer_objects", { side: "webhook", informer: "sidecarsets" }) ?? 0) >= 1, "its webhook caches hold the SidecarSets");
    assert.equal(metricValue(standby, "sidecarset_informer_objects", { informer: "pods" }), undefined, "it caches no pods");
    assert.doesNotMatch(standby, /^sidecarset_informer_objects\{side="controller"/m, "it runs no controller caches");
    assert.equal(metricValue(standby, "sidecarset_cache_synced", { side: "webhook" }), 1, "its webhook caches synced");
    assert.equal(metricValue(standby, "sidecarset_cache_synced", { side: "controller" }), undefined, "it has no controller side to sync");
    const heapUsed = metricValue(standby, "sidecarset_webhook_heap_bytes", { stat: "used" }) ?? 0;
    const heapTotal = metricValue(standby, "sidecarset_webhook_heap_bytes", { stat: "total" }) ?? 0;
    assert.ok(heapUsed > 2 ** 20 && heapUsed <= heapTotal, `the webhook thread reports its own heap: used ${heapUsed}, total ${heapTotal}`);
    const leading = await scrapeMetrics(env().metricsPort);
    assert.ok((metricValue(leading, "sidecarset_informer_objects", { side: "controller", informer: "pods" }) ?? 0) >= 1, "the Lease holder does cache pods");
    assert.equal(metricValue(leading, "sidecarset_cache_synced", { side: "controller" }), 1);
    // Every informer logs its list calls at debug level; the standby's never named pods.
    const informers = new Set(
      readFileSync(log, "utf8")
        .split("\n")
        .filter((l) => l.includes('"informer"'))
        .map((l) => (JSON.parse(l) as { informer: string }).informer),
    );
    assert.ok(informers.has("sidecarsets"), `the standby's informers logged: ${[...informers].join(", ")}`);
    assert.ok(!informers.has("pods"), "the standby never listed or watched pods");
    // Before it served, it ran made-up admissions through its own HTTPS port (--admission-warm-up), which
    // count as none of the cluster's.
    const warmed = readFileSync(log, "utf8")
      .split("\n")
      .filter((l) => l.includes('"admission path warmed up'))
      .map((l) => JSON.parse(l) as { admissions: number; sent: number; injected: number; level: string });
    assert.equal(warmed.length, 1, "the standby warmed its admission path up once");
    assert.ok(warmed[0]!.admissions > 0 && warmed[0]!.sent === warmed[0]!.admissions, `all through its own port: ${JSON.stringify(warmed[0])}`);
    assert.doesNotMatch(standby, /warm-up/, "no metric series of the warm-up's requests or made-up SidecarSets");

    child.kill("SIGTERM");
    assert.equal(await exited, 0, "the standby drains and exits cleanly on SIGTERM");
  } finally {
    child.kill("SIGKILL");
    await exited;
    // Point the webhook configurations back at the first replica.
    await env().restartManager();
  }
});
