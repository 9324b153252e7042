// Benchmark: what one pod event costs the controller. Ten SidecarSets all
// select the same pods (10k, then 100k), every pod carries all ten and is up
// to date; one pod becomes ready (the pods start not ready: a pod going
// unready can only change counts, and its reconcile waits a second,
// docs/behaviour.md §6.1). The real controller (triggers, work
// queue, reconciler, plan memo) runs over real informer caches fed from
// memory, with writes answered at once. Prints the synchronous time spent
// from the event until every reconcile it caused finished, and the longest
// event-loop stall meanwhile. Never fails a build.
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { defaultSidecarSet } from "../src/api/defaults.js";
import type { Pod } from "../src/api/kube-types.js";
import { SIDECARSET_COLLECTION_PATH } from "../src/api/storage-version.js";
import type { SidecarSet } from "../src/api/types.js";
import { runningPod, upToDateAnnotations } from "./support/controller-pods.js";
import { controllerOverMemory } from "./support/memory-api.js";

const SETS = 10;
const NAMESPACE = "bench";
/** Far beyond a reconcile of 100k pods: a bench that cannot settle says so instead of waiting for ever. */
const SETTLE_TIMEOUT_MS = 120_000;

function sidecarSets(): SidecarSet[] {
  return Array.from({ length: SETS }, (_, i) => {
    const set = defaultSidecarSet({
      metadata: { name: `agent-${i}`, uid: `uid-${i}`, generation: 1, resourceVersion: String(10 + i) },
      spec: {
        selector: { matchLabels: { app: "web" } },
        containers: [{ name: `agent-${i}`, image: `agent-${i}:1` }],
        updateStrategy: { maxUnavailable: "10%" },
      },
    });
    return set;
  });
}

/** Up to date with every SidecarSet, running, not ready, as decoded from JSON. */
function pods(sets: readonly SidecarSet[], n: number): Pod[] {
  const annotations = upToDateAnnotations(sets);
  const containers = [{ name: "app", image: "app:1" }, ...sets.map((s) => ({ name: s.metadata.name!, image: s.spec.containers![0]!.image! }))];
  return Array.from({ length: n }, (_, index) =>
    runningPod({ index, namespace: NAMESPACE, labels: { app: "web", zone: `zone-${index % 5}` }, annotations, containers, ready: false }),
  );
}

interface Row {
  pods: number;
  syncMs: number;
  wallMs: number;
  stallMs: number;
  reconciles: number;
}

async function measure(n: number, events: number): Promise<Row> {
  const sets = sidecarSets();
  const list = pods(sets, n);
  const { api, caches, controller, reconciles, settle: settleWithin } = await controllerOverMemory({
    [SIDECARSET_COLLECTION_PATH]: sets,
    "/api/v1/pods": list,
    "/api/v1/namespaces": [{ metadata: { name: NAMESPACE, resourceVersion: "1" } }],
  });
  controller.start();
  const settle = (expected: number) => settleWithin(expected, SETTLE_TIMEOUT_MS);
  // The first reconciles plan every pod from scratch; what is measured is the steady state after them.
  await settle(SETS);
  const pushPod = api.watchers.get("/api/v1/pods")!;
  const rows: Row[] = [];
  let rv = 10_000_000;
  for (let e = 0; e < events; e++) {
    // Status writes are spaced a second apart per SidecarSet; let that pass so each event writes.
    await new Promise((r) => setTimeout(r, 1_050));
    const index = (e * 7919) % n;
    const pod = JSON.parse(JSON.stringify(caches.pods.get(`${NAMESPACE}/web-${index}`))) as Pod;
    pod.metadata!.resourceVersion = String(rv++);
    const cond = pod.status!.conditions![0]!;
    cond.status = cond.status === "True" ? "False" : "True";
    const before = await reconciles();
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    pushPod({ type: "MODIFIED", object: pod });
    await settle(before + SETS);
    const wallMs = performance.now() - t0;
    const c = process.cpuUsage(c0);
    histogram.disable();
    rows.push({ pods: n, syncMs: (c.user + c.system) / 1000, wallMs, stallMs: histogram.max / 1e6, reconciles: (await reconciles()) - before });
  }
  await controller.stop();
  await caches.stop();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const tail = rows.slice(1);
  return {
    pods: n,
    syncMs: median(tail.map((r) => r.syncMs)),
    wallMs: median(tail.map((r) => r.wallMs)),
    stallMs: Math.max(...tail.map((r) => r.stallMs)),
    reconciles: median(tail.map((r) => r.reconciles)),
  };
}

const TARGET_MS: Record<number, number> = { 10_000: 5, 100_000: 50 };

async function main(): Promise<void> {
  const sizes = process.argv.includes("--quick") ? [10_000] : [10_000, 100_000];
  console.log(`one pod becomes Ready; ${SETS} SidecarSets select every pod; median of the events after the first`);
  console.log("PODS    RECONCILES  CPU MS/EVENT  WALL MS/EVENT  LONGEST STALL MS  TARGET MS");
  for (const n of sizes) {
    const r = await measure(n, n >= 100_000 ? 6 : 12);
    console.log(
      `${String(n).padEnd(8)}${String(r.reconciles).padEnd(12)}${r.syncMs.toFixed(1).padEnd(14)}${r.wallMs.toFixed(1).padEnd(15)}${r.stallMs.toFixed(1).padEnd(18)}${TARGET_MS[n] ?? "—"}`,
    );
  }
}

await main();
