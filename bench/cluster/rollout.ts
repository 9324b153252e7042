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
// patches the next pod's image the moment one is back, and makes the same pod
// writes as the manager. Nothing plans, records or waits, so its wall time is
// what this machine's control plane and kubelet allow; the difference to the
// manager's is ours.
//
//   npm run bench:cluster -- rollout [--pods N] [--rollouts N] [--control] [--cpu-prof DIR]
//
// `--rollouts N` rolls the same fleet N times in one run (image 1 → 2 → …),
// a row each, then the first rollout's ratio beside the later ones' median.
// The first rollout of a pod writes its `SidecarSetUpgradable` condition too
// (docs/behaviour.md §6.11), the later ones only its image, so the first
// rollout after the fleet is made has two pod writes per pod and the later
// ones one.
//
// `--cpu-prof DIR` writes the manager's CPU profiles (main and webhook thread,
// the whole run) into DIR.
import { ensureShippedBuild } from "../support/shipped-build.js";
import { apiServerMetrics } from "../support/api-server-metrics.js";
import { controllerCounters, controllerStretch, type ControllerCounters, type ControllerStretch } from "../support/controller-counters.js";
import { describeTimeline, RolloutTimeline, type TimelineSummary } from "../support/rollout-timeline.js";
import { performance } from "node:perf_hooks";
import { applyYaml, startEnvironment, type Environment } from "../../test/support/environment.js";
import type { Pod } from "../../src/api/kube-types.js";
import { createNamespace, isPodReady, listPods, rawRequest, recordPodEvents, waitFor } from "../../test/support/kube.js";
import { deploymentManifest, SIDECAR, setSidecarImage, sidecarSetManifest, specImage, statusImage, upgradableCondition } from "../../test/support/rollout.js";
import { SIDECARSET_UPGRADABLE_CONDITION } from "../../src/api/keys.js";
import { getSidecarSet, waitForObserved } from "../../test/support/sidecarsets.js";

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const PODS = Number(arg("--pods") ?? 1000);
/** maxUnavailable: 10% of the pods. */
const BUDGET = Math.ceil(PODS * 0.1);
const RESTART_MS = 1_000;
const NAME = "fleet";
const CONTROL = process.argv.includes("--control");
const CPU_PROFILE_DIR = arg("--cpu-prof");
const ROLLOUTS = Math.max(1, Number(arg("--rollouts") ?? 1));
/** The sidecar's image at version `n`: the fleet starts on 1, rollout n goes to n + 1. */
const image = (n: number): string => `registry.local/agent:${n}`;

/**
 * The control: an instant rollout driver with the manager's budget and the
 * same pod writes (the image by JSON patch, then, on a pod's first upgrade,
 * the pod condition).
 * Resolves when every pod runs `to` and is ready.
 */
async function idealRollout(env: Environment, budget: number, from: string, to: string): Promise<void> {
  const pods = await listPods(env.clients.kc, NAME, `app=${NAME}`);
  const waiting = pods.map((p) => p.metadata!.name!).sort();
  const inFlight = new Set<string>();
  let done = 0;
  let failure: unknown;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const upgradable = new Set(pods.filter((p) => upgradableCondition(p)?.status === "True").map((p) => p.metadata!.name!));
  const index = new Map(pods.map((p) => [p.metadata!.name!, p.spec!.containers.findIndex((c) => c.name === SIDECAR)]));
  const upgrade = async (name: string): Promise<void> => {
    const path = `/api/v1/namespaces/${NAME}/pods/${name}`;
    const i = index.get(name)!;
    await rawRequest(env.clients.kc, "PATCH", path, [
      { op: "test", path: `/spec/containers/${i}/name`, value: SIDECAR },
      { op: "test", path: `/spec/containers/${i}/image`, value: from },
      { op: "replace", path: `/spec/containers/${i}/image`, value: to },
    ], "application/json-patch+json");
    // Written, as the manager writes it, only when it changes: on a pod's first upgrade.
    if (upgradable.has(name)) return;
    const condition = { type: SIDECARSET_UPGRADABLE_CONDITION, status: "True", lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, "Z") };
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
      if (!inFlight.has(name) || specImage(pod) !== to || statusImage(pod) !== to || !isPodReady(pod)) return;
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

/** The manager's controller counters now, from its own metrics. */
async function managerCounters(env: Environment): Promise<ControllerCounters> {
  return controllerCounters(await (await fetch(`http://127.0.0.1:${env.metricsPort}/metrics`)).text());
}

/** One rollout's figures, printed as a row. */
interface RolloutRow {
  wallMs: number;
  statusMs: number | undefined;
  /** The SidecarSet's update (a GET and a PATCH, through the manager's SidecarSet webhooks), from the start. */
  updateMs: number | undefined;
  writesPerPod: { all: number; spec: number; status: number };
  summary: TimelineSummary;
  /** The manager's reconciles, their mean time, keys' mean wait in the work queue, and its CPU time. */
  controller: ControllerStretch;
}

/** Rolls the fleet from `from` to `to` (the manager, or the bench under `--control`) and measures it. */
async function measureRollout(env: Environment, from: string, to: string): Promise<RolloutRow> {
  const before = await podWrites(env);
  const managerBefore = await managerCounters(env);
  const kubeletBefore = env.kubelet.statusWrites();
  const timeline = new RolloutTimeline();
  const watch = await recordPodEvents(env.clients.kc, NAME, undefined, (_type, pod: Pod) => {
    const patched = specImage(pod) === to;
    timeline.observe(pod.metadata?.name ?? "", performance.now(), { patched, done: patched && statusImage(pod) === to && isPodReady(pod) });
  });
  const t0 = performance.now();
  let statusMs: number | undefined;
  let updateMs: number | undefined;
  try {
    if (CONTROL) await idealRollout(env, BUDGET, from, to);
    else {
      await setSidecarImage(env, NAME, to, { maxUnavailable: "10%" });
      updateMs = performance.now() - t0;
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
  const after = await podWrites(env);
  const managerAfter = await managerCounters(env);
  const kubeletWrites = env.kubelet.statusWrites() - kubeletBefore;
  const spec = after.pods - before.pods;
  const status = after.status - before.status - kubeletWrites;
  return {
    wallMs: summary.lastDoneMs,
    statusMs,
    updateMs,
    writesPerPod: { all: (spec + status) / PODS, spec: spec / PODS, status: status / PODS },
    summary,
    controller: controllerStretch(managerBefore, managerAfter),
  };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

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
    await applyYaml(env.clients, sidecarSetManifest(NAME, { namespace: NAME, image: image(1), updateStrategy }));
    await waitForObserved(env, NAME);
    await applyYaml(env.clients, deploymentManifest(NAME, NAME, PODS, NAME));
    await waitFor(`${PODS} pods ready with the sidecar`, async () => (await getSidecarSet(env, NAME)).status?.readyPods === PODS, { timeoutMs: 900_000, intervalMs: 1_000 });

    const waves = Math.ceil(PODS / BUDGET);
    const limitMs = waves * RESTART_MS;
    if (CONTROL) console.log("control: the bench drives the rollout itself (no planning, no records); the manager only keeps status");
    console.log(`${PODS} pods, maxUnavailable 10%, ${RESTART_MS / 1000} s restarts: ${waves} waves, limit ${(limitMs / 1000).toFixed(1)} s; target ratio ≤ 1.15, ≤ 2 writes/pod`);
    console.log("ROLLOUT  WALL S  RATIO  STATUS S  POD WRITES/POD (spec + status)  RECONCILES (MEAN MS)  QUEUE WAIT MS  MANAGER CPU S");
    const ratios: number[] = [];
    for (let n = 1; n <= ROLLOUTS; n++) {
      const row = await measureRollout(env, image(n), image(n + 1));
      ratios.push(row.wallMs / limitMs);
      const w = row.writesPerPod;
      console.log(
        `${String(n).padEnd(9)}${(row.wallMs / 1000).toFixed(1).padEnd(8)}${(row.wallMs / limitMs).toFixed(2).padEnd(7)}${(row.statusMs === undefined ? "—" : (row.statusMs / 1000).toFixed(1)).padEnd(10)}${`${w.all.toFixed(2)} (${w.spec.toFixed(2)} + ${w.status.toFixed(2)})`.padEnd(32)}${`${row.controller.reconciles} (${row.controller.reconcileMs.toFixed(0)})`.padEnd(22)}${row.controller.queueWaitMs.toFixed(0).padEnd(15)}${row.controller.cpuSeconds.toFixed(1)}` +
          (CONTROL ? " (keeping the status only)" : ""),
      );
      const update = row.updateMs === undefined ? "" : `the SidecarSet's update returned after ${Math.round(row.updateMs)} ms; `;
      console.log(`  where the time went: ${update}${describeTimeline(row.summary, BUDGET)}`);
    }
    if (ROLLOUTS > 1) {
      const later = ratios.slice(1);
      const spread = later.length > 1 ? ` (${Math.min(...later).toFixed(2)}–${Math.max(...later).toFixed(2)})` : "";
      console.log(`ratio: the first rollout ${ratios[0]!.toFixed(2)}, the later ${later.length}: median ${median(later).toFixed(2)}${spread}`);
    }
  } finally {
    await env.stop();
  }
}

await main();
