// Benchmark: what planning every SidecarSet from scratch costs the controller
// when many SidecarSets each select a few of many pods — a restart, a resync,
// or the full plan each SidecarSet gets at least once a minute. SidecarSet i
// selects `team: team-i` cluster-wide; the pods are spread evenly over the
// teams, each injected with its team's SidecarSet and up to date. The real
// controller runs over real informer caches fed from memory, with writes
// answered at once. Prints the CPU and wall time until every SidecarSet's
// first reconcile is done and the longest event-loop stall meanwhile, then
// the heap the pod cache's index of one label takes. Never fails a build.
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { defaultSidecarSet } from "../src/api/defaults.js";
import type { ControllerRevision, Pod } from "../src/api/kube-types.js";
import { SIDECARSET_COLLECTION_PATH } from "../src/api/storage-version.js";
import type { SidecarSet } from "../src/api/types.js";
import { trimPodForController } from "../src/controller/pod-trim.js";
import { labelIndexName } from "../src/controller/scope-listing.js";
import { buildRevision, revisionCreateBody } from "../src/core/rollout/revisions.js";
import { objectKey, Store } from "../src/kube/store.js";
import { runningPod, upToDateAnnotations } from "./support/controller-pods.js";
import { controllerOverMemory } from "./support/memory-api.js";

const NAMESPACE = "bench";
const SETTLE_TIMEOUT_MS = 600_000;

function sidecarSets(count: number): SidecarSet[] {
  return Array.from({ length: count }, (_, i) =>
    defaultSidecarSet({
      metadata: { name: `agent-${i}`, uid: `uid-${i}`, generation: 1, resourceVersion: String(10 + i) },
      spec: {
        selector: { matchLabels: { team: `team-${i}` } },
        containers: [{ name: "agent", image: `agent-${i}:1` }],
        updateStrategy: { maxUnavailable: "10%" },
      },
    }),
  );
}

function pods(sets: readonly SidecarSet[], n: number): Pod[] {
  const annotations = sets.map((s) => upToDateAnnotations([s]));
  return Array.from({ length: n }, (_, index) => {
    const team = index % sets.length;
    const containers = [
      { name: "app", image: "app:1" },
      { name: "agent", image: sets[team]!.spec.containers![0]!.image! },
    ];
    const labels = { app: "web", team: `team-${team}`, "pod-template-hash": `h${team}` };
    return runningPod({ index, namespace: NAMESPACE, labels, annotations: annotations[team]!, containers, ready: true });
  });
}

const MANAGER_NAMESPACE = "sidecarset-system";
const REVISIONS_PATH = `/apis/apps/v1/namespaces/${MANAGER_NAMESPACE}/controllerrevisions`;

/** The ControllerRevision of the SidecarSet's current spec, as the API server stores it: the reconcile reuses it. */
function storedRevision(set: SidecarSet, i: number): ControllerRevision {
  const revision = JSON.parse(revisionCreateBody(buildRevision(set, { namespace: MANAGER_NAMESPACE, revision: 1, collisionCount: 0 }))) as ControllerRevision;
  revision.metadata = { ...revision.metadata, uid: `revision-${i}`, resourceVersion: String(100_000 + i) };
  return revision;
}

function heapUsedMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

interface Row {
  sets: number;
  pods: number;
  cpuMs: number;
  wallMs: number;
  stallMs: number;
}

async function measure(setCount: number, podCount: number): Promise<Row> {
  const sets = sidecarSets(setCount);
  const list = pods(sets, podCount);
  const { api, caches, controller, settle } = await controllerOverMemory({
    [SIDECARSET_COLLECTION_PATH]: sets,
    [REVISIONS_PATH]: sets.map(storedRevision),
    "/api/v1/pods": list,
    "/api/v1/namespaces": [{ metadata: { name: NAMESPACE, resourceVersion: "1" } }],
  });
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  controller.start();
  await settle(setCount, SETTLE_TIMEOUT_MS);
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  histogram.disable();
  await controller.stop();
  await caches.stop();
  if (api.creates > 0) throw new Error(`benchmark setup is wrong: ${api.creates} ControllerRevisions created where each SidecarSet's was stored`);
  return {
    sets: setCount,
    pods: podCount,
    cpuMs: (c.user + c.system) / 1000,
    wallMs,
    stallMs: histogram.max / 1e6,
  };
}

/** Heap the index of the `team` label takes in a store of `podCount` pods, as the informer trims them. */
function labelIndexMb(podCount: number): number {
  const store = new Store<Pod>();
  for (const pod of pods(sidecarSets(1_000), podCount)) {
    const trimmed = trimPodForController(pod);
    store.set(objectKey(trimmed), trimmed);
  }
  const before = heapUsedMb();
  store.addIndex(labelIndexName("team"), (pod) => [pod.metadata!.labels!.team!]);
  const after = heapUsedMb();
  if (store.indexSize(labelIndexName("team")) !== podCount) throw new Error("benchmark setup is wrong: pods missing from the index");
  return after - before;
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const cases: [number, number][] = quick
    ? [[1_000, 10_000]]
    : [
        [100, 10_000],
        [1_000, 10_000],
        [100, 100_000],
        [1_000, 100_000],
        [5_000, 100_000],
      ];
  console.log("every SidecarSet planned from scratch (a restart or a resync); SidecarSet i selects team-i cluster-wide; pods spread evenly");
  console.log("SIDECARSETS  PODS     CPU MS  WALL MS  CPU MS/SIDECARSET  LONGEST STALL MS");
  for (const [s, p] of cases) {
    const r = await measure(s, p);
    console.log(
      `${String(r.sets).padEnd(13)}${String(r.pods).padEnd(9)}${r.cpuMs.toFixed(0).padEnd(8)}${r.wallMs.toFixed(0).padEnd(9)}${(r.cpuMs / r.sets).toFixed(2).padEnd(19)}${r.stallMs.toFixed(1)}`,
    );
  }
  for (const n of quick ? [10_000] : [10_000, 100_000]) {
    console.log(`the pod cache's index of one label (every pod carries it, 1,000 values) over ${n.toLocaleString("en-US")} pods: ${labelIndexMb(n).toFixed(1)} MB of heap`);
  }
}

await main();
