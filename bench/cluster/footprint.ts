// Cluster benchmark: memory of the shipped build (dist/) of the manager, for
// the Lease holder (webhooks + controller, pods cached) and a standby replica
// (webhooks only, no pods), idle, with 100 SidecarSets, and with 1k and 10k
// pods in the cluster (per replica its RSS 20 s and 40 s after each step, and
// the V8 heap each thread uses at 40 s); the 100 SidecarSets are applied as
// users write them, so that the replica's webhook defaults them;
// and the time a restarted Lease holder takes to be ready and to have its pod
// cache synced with 10k pods.
//
//   npm run bench:cluster -- footprint [--pods 1000,10000] [--manager-flag=F …]
import { managerFlagArgs } from "../support/manager-flag-args.js";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { ensureShippedBuild } from "../support/shipped-build.js";
import { performance } from "node:perf_hooks";
import { managerFlags, REPO_ROOT, startEnvironment, type Environment } from "../../test/support/environment.js";
import { createNamespace, rawRequest, waitFor } from "../../test/support/kube.js";
import { freePorts } from "../../test/support/ports.js";
import { sidecarSetManifest } from "../../test/support/rollout.js";
import { sidecarSetManifests } from "../support/admission-workload.js";
import { applyYaml } from "../../test/support/environment.js";
import { getSidecarSet, waitForObserved } from "../../test/support/sidecarsets.js";

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const STEPS = (arg("--pods") ?? "1000,10000").split(",").map(Number);
/** `--manager-flag F` (repeatable): a further flag for both replicas, e.g. `--manager-flag=--admission-warm-up=0` for a control run. */
const extraManagerFlags = managerFlagArgs();
const NS = "fleet";
/**
 * Each step is read twice, 20 s and 40 s after it: V8 gives back a thread's garbage (the admission warm-up's
 * among it) when its memory reducer runs, some 5–20 s after the thread went quiet, and a single reading
 * falls on either side of that by chance (idle standby: 72 or 81 MB).
 */
const SETTLE_MS = 20_000;

async function metric(port: number, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (want.every((w) => line.includes(w))) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

const rssMb = async (port: number): Promise<number> => ((await metric(port, "process_resident_memory_bytes")) ?? 0) / 2 ** 20;

/** A replica's RSS (`earlierRss`, read before, then now), and the V8 heap used by its main thread and by its webhook thread, in MB. */
async function replicaCells(port: number, earlierRss: number): Promise<[string, string]> {
  const mb = (bytes: number | undefined) => ((bytes ?? 0) / 2 ** 20).toFixed(0);
  const main = await metric(port, "nodejs_heap_size_used_bytes");
  const webhook = await metric(port, "sidecarset_webhook_heap_bytes", { stat: "used" });
  return [`${earlierRss.toFixed(0)} / ${(await rssMb(port)).toFixed(0)}`, `${mb(main)} / ${mb(webhook)}`];
}

async function startStandby(env: Environment, entry: string): Promise<{ child: ChildProcess; metricsPort: number }> {
  const [webhookPort, metricsPort] = (await freePorts(2)) as [number, number];
  const child = spawn(process.execPath, [entry, ...managerFlags(env.cluster.restrictedKubeconfigPath, webhookPort, metricsPort), "--leader-elect", "--log-level", "info", ...extraManagerFlags], {
    cwd: REPO_ROOT,
    stdio: "ignore",
  });
  await waitFor("the standby to be ready", async () => (await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined))?.ok, { timeoutMs: 120_000, intervalMs: 200 });
  return { child, metricsPort };
}

let created = 0;
async function createPods(env: Environment, upTo: number): Promise<void> {
  const next = async (): Promise<void> => {
    while (created < upTo) {
      const i = created++;
      await rawRequest(env.clients.kc, "POST", `/api/v1/namespaces/${NS}/pods`, {
        metadata: { name: `p-${i}`, labels: { app: NS } },
        spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "app", image: "registry.local/app:1" }] },
      });
    }
  };
  await Promise.all(Array.from({ length: 32 }, next));
}

/**
 * What a process holds before any manager code runs: Node.js alone, and with
 * the Kubernetes client library loaded (the main thread needs it to read
 * kubeconfigs and credentials), after a full GC.
 */
function controlRss(): { bare: string; clientNode: string } {
  const rss = (script: string): string => {
    const run = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", `${script}; gc(); console.log((process.memoryUsage().rss / 2 ** 20).toFixed(0))`], { cwd: REPO_ROOT, encoding: "utf8" });
    return run.stdout.trim() || `failed: ${run.stderr.trim().slice(0, 200)}`;
  };
  return { bare: rss(""), clientNode: rss("await import('@kubernetes/client-node')") };
}

async function main(): Promise<void> {
  const entry = ensureShippedBuild();
  const env = await startEnvironment({ managerEntry: entry, managerArgs: ["--leader-elect", "--log-level", "info"] });
  const standby = await startStandby(env, entry);
  const rows: string[] = [];
  const measure = async (pods: number | string) => {
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const [holderRss, standbyRss] = [await rssMb(env.metricsPort), await rssMb(standby.metricsPort)];
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const cells = [String(pods), ...(await replicaCells(env.metricsPort, holderRss)), ...(await replicaCells(standby.metricsPort, standbyRss))];
    cells.push(String((await metric(standby.metricsPort, "sidecarset_informer_objects", { informer: "pods" })) ?? 0));
    rows.push(cells.map((c, i) => c.padEnd(i === 0 ? 22 : 24)).join(""));
  };
  try {
    await measure(0);
    // The admission benchmarks' 100 SidecarSets (none selects the pods below), in every cache, as users write
    // them: the replica's webhook adds the defaults.
    for (const set of sidecarSetManifests()) await applyYaml(env.clients, JSON.stringify({ apiVersion: "apps.kruise.io/v1alpha1", kind: "SidecarSet", ...set }));
    await measure("0, 100 SidecarSets");
    await createNamespace(env.clients, NS);
    // A replica that starts re-points the webhook and conversion configuration at itself; the API server
    // may refuse writes for a moment after that (reported, then retried).
    let refused = 0;
    await waitFor("the SidecarSet to be created", async () => {
      try {
        await applyYaml(env.clients, sidecarSetManifest(NS, { namespace: NS, image: "registry.local/agent:1" }));
        return true;
      } catch (e) {
        if (refused++ === 0) console.log(`creating the SidecarSet was refused, retrying: ${String(e).slice(0, 300)}`);
        return false;
      }
    }, { timeoutMs: 120_000, intervalMs: 1_000 });
    if (refused > 0) console.log(`the SidecarSet was created after ${refused} refused attempt(s)`);
    await waitForObserved(env, NS);
    for (const n of STEPS) {
      await createPods(env, n);
      await waitFor(`${n} pods matched`, async () => (await getSidecarSet(env, NS)).status?.matchedPods === n, { timeoutMs: 1_800_000, intervalMs: 2_000 });
      await measure(n);
    }
    // The standby would take the Lease over from a stopping holder: stop it first.
    standby.child.kill("SIGTERM");
    const t0 = performance.now();
    await env.restartManager();
    const readyS = (performance.now() - t0) / 1000;
    await waitFor("the controller's caches to sync", async () => (await metric(env.metricsPort, "sidecarset_cache_synced", { side: "controller" })) === 1, { timeoutMs: 600_000, intervalMs: 100 });
    const syncedS = (performance.now() - t0) / 1000;
    console.log(["PODS", "HOLDER RSS MB 20/40 S", "HEAP MAIN/WEBHOOK", "STANDBY RSS MB 20/40 S", "HEAP MAIN/WEBHOOK", "STANDBY PODS CACHED"].map((c, i) => c.padEnd(i === 0 ? 22 : 24)).join(""));
    for (const r of rows) console.log(r);
    console.log(`restart of the Lease holder with ${created} pods: ready after ${readyS.toFixed(1)} s, pod cache synced after ${syncedS.toFixed(1)} s`);
    const floor = controlRss();
    console.log(`control (no manager): Node.js alone ${floor.bare} MB; Node.js with @kubernetes/client-node loaded ${floor.clientNode} MB`);
  } finally {
    standby.child.kill("SIGKILL");
    await env.stop();
  }
}

await main();
