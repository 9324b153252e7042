// Cluster benchmark: an in-place rollout of 1,000 pods with
// `maxUnavailable: 10%` on the project's real control plane, the shipped
// build of the manager (dist/) and a fake kubelet whose container restart
// takes 1 s. Prints the wall time from the SidecarSet update until a watch of
// the pods sees every pod updated and ready, its ratio to the physical limit
// (waves × restart time: a wave cannot start before the previous one is ready
// again), when the SidecarSet's status said so, the manager's pod writes per
// upgraded pod (API server request counts, less the kubelet's own status
// writes), and where the time went (rollout-timeline.ts; the manager's
// reconciles and CPU time from its metrics).
//
// `--control` runs the same rollout with the SidecarSet on NotUpdate and the
// bench itself as the controller: it keeps maxUnavailable pods in flight,
// patches the next pod's image the moment one is back, and writes the same two
// pod writes per pod. Nothing plans, records or waits, so its wall time is
// what this machine's control plane and kubelet allow; the difference to the
// manager's is ours.
//
//   npm run bench:cluster -- rollout [--pods N] [--control] [--cpu-prof DIR]
//
// `--cpu-prof DIR` writes the manager's CPU profiles (main and webhook thread,
// the whole run) into DIR.
import { ensureShippedBuild } from "../support/shipped-build.js";
import { apiServerMetrics } from "../support/api-server-metrics.js";
import { describeTimeline, RolloutTimeline } from "../support/rollout-timeline.js";
import { performance } from "node:perf_hooks";
import { applyYaml, startEnvironment, type Environment } from "../../test/support/environment.js";
import type { Pod } from "../../src/api/kube-types.js";
import { createNamespace, isPodReady, listPods, rawRequest, recordPodEvents, waitFor } from "../../test/support/kube.js";
import { deploymentManifest, SIDECAR, setSidecarImage, sidecarSetManifest, specImage, statusImage } from "../../test/support/rollout.js";
import { getSidecarSet, waitForObserved } from "../../test/support/sidecarsets.js";

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const PODS = Number(arg("--pods") ?? 1000);
const RESTART_MS = 1_000;
const NAME = "fleet";
const CONTROL = process.argv.includes("--control");
const CPU_PROFILE_DIR = arg("--cpu-prof");
const V1 = "registry.local/agent:1";
const V2 = "registry.local/agent:2";

/**
 * The control: an instant rollout driver with the manager's budget and the
 * same two writes per pod (the image by JSON patch, then a pod condition).
 * Resolves when every pod runs V2 and is ready.
 */
async function idealRollout(env: Environment, budget: number): Promise<void> {
  const pods = await listPods(env.clients.kc, NAME, `app=${NAME}`);
  const waiting = pods.map((p) => p.metadata!.name!).sort();
  const inFlight = new Set<string>();
  let done = 0;
  let failure: unknown;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const index = new Map(pods.map((p) => [p.metadata!.name!, p.spec!.containers.findIndex((c) => c.name === SIDECAR)]));
  const upgrade = async (name: string): Promise<void> => {
    const path = `/api/v1/namespaces/${NAME}/pods/${name}`;
    const i = index.get(name)!;
    await rawRequest(env.clients.kc, "PATCH", path, [
      { op: "test", path: `/spec/containers/${i}/name`, value: SIDECAR },
      { op: "replace", path: `/spec/containers/${i}/image`, value: V2 },
    ], "application/json-patch+json");
    const condition = { type: "SidecarSetUpgradable", status: "True", lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, "Z") };
    await rawRequest(env.clients.kc, "PATCH", `${path}/status`, { status: { conditions: [condition] } }, "application/strategic-merge-patch+json");
  };
  const pump = (): void => {
    while (inFlight.size < budget && waiting.length > 0) {
      const name = waiting.shift()!;
      inFlight.add(name);
      upgrade(name).catch((e: unknown) => {
        failure = e;
        finish();
      });
    }
  };
  const recorder = await recordPodEvents(
    env.clients.kc,
    NAME,
    undefined,
    (_type, pod: Pod) => {
      const name = pod.metadata?.name ?? "";
      if (!inFlight.has(name) || specImage(pod) !== V2 || statusImage(pod) !== V2 || !isPodReady(pod)) return;
      inFlight.delete(name);
      if (++done === pods.length) finish();
      pump();
    },
    (error) => {
      failure = new Error(`the pod watch driving the control ended after ${done} of ${pods.length} pods: ${String(error ?? "no error")}`);
      finish();
    },
  );
  try {
    pump();
    await finished;
    if (failure) throw failure;
  } finally {
    recorder.stop();
  }
}

/** PATCH and UPDATE requests on pods (main resource) and pods/status. */
async function podWrites(env: Environment): Promise<{ pods: number; status: number }> {
  const text = await apiServerMetrics(env);
  let pods = 0;
  let status = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    if (!/resource="pods"/.test(line) || !/verb="(PATCH|UPDATE)"/.test(line)) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    const sub = /subresource="([^"]*)"/.exec(line)?.[1] ?? "";
    if (sub === "") pods += value;
    else if (sub === "status") status += value;
  }
  return { pods, status };
}

/** The manager's reconciles so far and the CPU time its process used, from its own metrics. */
async function managerCounters(env: Environment): Promise<{ reconciles: number; cpuSeconds: number }> {
  const text = await (await fetch(`http://127.0.0.1:${env.metricsPort}/metrics`)).text();
  let reconciles = 0;
  let cpuSeconds = 0;
  for (const line of text.split("\n")) {
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (line.startsWith("controller_runtime_reconcile_total{")) reconciles += value;
    else if (line.startsWith("process_cpu_seconds_total ")) cpuSeconds = value;
  }
  return { reconciles, cpuSeconds };
}

async function main(): Promise<void> {
  const entry = ensureShippedBuild();
  const env = await startEnvironment({
    managerEntry: entry,
    managerArgs: ["--log-level", "info"],
    kubelet: { restartDelayMs: RESTART_MS },
    ...(CPU_PROFILE_DIR ? { managerNodeArgs: ["--cpu-prof", "--cpu-prof-dir", CPU_PROFILE_DIR] } : {}),
  });
  try {
    await createNamespace(env.clients, NAME);
    const updateStrategy = CONTROL ? { type: "NotUpdate" } : { maxUnavailable: "10%" };
    await applyYaml(env.clients, sidecarSetManifest(NAME, { namespace: NAME, image: V1, updateStrategy }));
    await waitForObserved(env, NAME);
    await applyYaml(env.clients, deploymentManifest(NAME, NAME, PODS, NAME));
    await waitFor(`${PODS} pods ready with the sidecar`, async () => (await getSidecarSet(env, NAME)).status?.readyPods === PODS, { timeoutMs: 900_000, intervalMs: 1_000 });

    const before = await podWrites(env);
    const managerBefore = await managerCounters(env);
    const kubeletBefore = env.kubelet.statusWrites();
    const budget = Math.ceil(PODS * 0.1);
    const timeline = new RolloutTimeline();
    const watch = await recordPodEvents(env.clients.kc, NAME, undefined, (_type, pod: Pod) => {
      const patched = specImage(pod) === V2;
      timeline.observe(pod.metadata?.name ?? "", performance.now(), { patched, done: patched && statusImage(pod) === V2 && isPodReady(pod) });
    });
    const t0 = performance.now();
    let statusMs: number | undefined;
    try {
      if (CONTROL) await idealRollout(env, budget);
      else {
        await setSidecarImage(env, NAME, V2, { maxUnavailable: "10%" });
        await waitFor(
          "every pod updated and ready",
          async () => {
            const set = await getSidecarSet(env, NAME);
            const s = set.status;
            return s !== undefined && s.observedGeneration === set.metadata.generation && s.updatedPods === PODS && s.updatedReadyPods === PODS;
          },
          { timeoutMs: 900_000, intervalMs: 100 },
        );
        statusMs = performance.now() - t0;
      }
      // The control ends on its own watch; this one may still be a moment behind.
      await waitFor(`the pod watch to see all ${PODS} pods updated and ready`, async () => timeline.summary(t0)?.done === PODS, { timeoutMs: 30_000, intervalMs: 50 });
    } finally {
      watch.stop();
    }
    const summary = timeline.summary(t0);
    // The wall time is the last pod's: a watch that missed some would read short.
    if (summary?.done !== PODS) throw new Error(`the pod watch saw ${summary?.done ?? 0} of ${PODS} pods updated and ready`);
    const wallMs = summary.lastDoneMs;
    const after = await podWrites(env);
    const managerAfter = await managerCounters(env);
    const kubeletWrites = env.kubelet.statusWrites() - kubeletBefore;
    const managerWrites = after.pods - before.pods + (after.status - before.status - kubeletWrites);
    const waves = Math.ceil(PODS / budget);
    const limitMs = waves * RESTART_MS;
    if (CONTROL) console.log("control: the bench drives the rollout itself (no planning, no records); the manager only keeps status");
    console.log("PODS  MAXUNAVAILABLE  RESTART  WAVES  WALL S  LIMIT S  RATIO  STATUS S  POD WRITES/POD (spec + status)  TARGET");
    console.log(
      `${String(PODS).padEnd(6)}${"10%".padEnd(16)}${`${RESTART_MS / 1000} s`.padEnd(9)}${String(waves).padEnd(7)}${(wallMs / 1000).toFixed(1).padEnd(8)}${(limitMs / 1000).toFixed(1).padEnd(9)}${(wallMs / limitMs).toFixed(2).padEnd(7)}${(statusMs === undefined ? "—" : (statusMs / 1000).toFixed(1)).padEnd(10)}${`${(managerWrites / PODS).toFixed(2)} (${((after.pods - before.pods) / PODS).toFixed(2)} + ${((after.status - before.status - kubeletWrites) / PODS).toFixed(2)})`.padEnd(32)}ratio ≤ 1.15, ≤ 2 writes/pod`,
    );
    console.log(`where the time went: ${describeTimeline(summary, budget)}`);
    console.log(
      `the manager meanwhile: ${managerAfter.reconciles - managerBefore.reconciles} reconciles, ${(managerAfter.cpuSeconds - managerBefore.cpuSeconds).toFixed(1)} s of CPU` +
        (CONTROL ? " (keeping the status only)" : ""),
    );
  } finally {
    await env.stop();
  }
}

await main();
