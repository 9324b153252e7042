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
import { SIDECARSET_HASH_ANNOTATION, SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION, SIDECARSET_INJECTED_LIST_ANNOTATION } from "../src/api/keys.js";
import type { Pod } from "../src/api/kube-types.js";
import { SIDECARSET_COLLECTION_PATH } from "../src/api/storage-version.js";
import { serializeUpgradeRecords } from "../src/api/pod-records.js";
import type { SidecarSet } from "../src/api/types.js";
import { ManagerCaches } from "../src/controller/caches.js";
import { SidecarSetController } from "../src/controller/controller.js";
import { setHash, setHashWithoutImage } from "../src/core/rollout/status.js";
import type { RawKubeClient, WatchEvent } from "../src/kube/client.js";
import { EventRecorder } from "../src/kube/events.js";
import { silentLogger } from "../src/observability/logger.js";
import { createMetrics } from "../src/observability/metrics.js";

const SETS = 10;
const NAMESPACE = "bench";
const STAMP = "2026-01-01T00:00:00Z";
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

/** Up to date with every SidecarSet, running and ready, as decoded from JSON. */
function pods(sets: readonly SidecarSet[], n: number): Pod[] {
  const records = (kind: "hash" | "without-image") =>
    serializeUpgradeRecords(
      Object.fromEntries(
        sets.map((s) => {
          const name = s.metadata.name!;
          const hash = kind === "hash" ? setHash(s) : setHashWithoutImage(s);
          return [name, { updateTimestamp: STAMP, hash, sidecarSetName: name, sidecarList: [name] }];
        }),
      ),
      kind,
    );
  const hash = records("hash");
  const withoutImage = records("without-image");
  const injected = sets.map((s) => s.metadata.name).join(",");
  const containers = [{ name: "app", image: "app:1" }, ...sets.map((s) => ({ name: s.metadata.name!, image: s.spec.containers![0]!.image! }))];
  const out: Pod[] = [];
  for (let i = 0; i < n; i++) {
    const pod: Pod = {
      metadata: {
        name: `web-${i}`,
        namespace: NAMESPACE,
        uid: `pod-${i}`,
        resourceVersion: String(1000 + i),
        creationTimestamp: STAMP,
        labels: { app: "web", zone: `zone-${i % 5}` },
        annotations: {
          [SIDECARSET_INJECTED_LIST_ANNOTATION]: injected,
          [SIDECARSET_HASH_ANNOTATION]: hash,
          [SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION]: withoutImage,
        },
      },
      spec: { nodeName: "node-1", containers },
      status: {
        phase: "Running",
        conditions: [{ type: "Ready", status: "False", lastTransitionTime: STAMP }],
        containerStatuses: containers.map((c) => ({
          name: c.name,
          image: c.image,
          imageID: `docker-pullable://${c.image.split(":")[0]}@sha256:${"1".repeat(64)}`,
          ready: true,
          restartCount: 0,
          started: true,
          state: { running: { startedAt: STAMP } },
        })),
      },
    } as Pod;
    out.push(JSON.parse(JSON.stringify(pod)) as Pod);
  }
  return out;
}

/** Lists from memory, keeps each watch's callback, answers writes at once. */
class MemoryApi {
  readonly watchers = new Map<string, (ev: WatchEvent<unknown>) => void>();
  writes = 0;
  constructor(private readonly lists: Record<string, unknown[]>) {}

  client(): RawKubeClient {
    return {
      list: async (path: string) => ({ items: this.lists[path.split("?")[0]!] ?? [], metadata: { resourceVersion: "1" } }),
      watch: (path: string, _query: unknown, onEvent: (ev: WatchEvent<unknown>) => void, opts: { signal?: AbortSignal }) => {
        this.watchers.set(path, onEvent);
        return new Promise<void>((resolve) => opts.signal?.addEventListener("abort", () => resolve(), { once: true }));
      },
      patch: async (_path: string, body: unknown) => (this.writes++, body),
      create: async (_path: string, body: unknown) => (this.writes++, typeof body === "object" && body && "text" in body ? JSON.parse(String(body.text)) : body),
      get: async () => ({}),
      delete: async () => ({}),
    } as unknown as RawKubeClient;
  }
}

interface Row {
  pods: number;
  syncMs: number;
  wallMs: number;
  stallMs: number;
  reconciles: number;
}

async function reconcileTotal(metrics: ReturnType<typeof createMetrics>): Promise<number> {
  const m = await metrics.reconcileTotal.get();
  return m.values.reduce((sum, v) => sum + v.value, 0);
}

async function measure(n: number, events: number): Promise<Row> {
  const sets = sidecarSets();
  const list = pods(sets, n);
  const api = new MemoryApi({
    [SIDECARSET_COLLECTION_PATH]: sets,
    "/api/v1/pods": list,
    "/api/v1/namespaces": [{ metadata: { name: NAMESPACE, resourceVersion: "1" } }],
  });
  const client = api.client();
  const logger = silentLogger();
  const caches = new ManagerCaches({ client, namespace: "sidecarset-system", logger });
  caches.start();
  await caches.waitForSync();
  const metrics = createMetrics();
  const recorder = new EventRecorder({ sink: { create: async () => undefined, patch: async () => undefined } as never, component: "bench", host: "bench", clusterScopedNamespace: "default", logger });
  const controller = new SidecarSetController({ client, caches, recorder, logger, namespace: "sidecarset-system", workers: 3, expectationTimeoutMs: 60_000, metrics });
  controller.start();
  const settle = async (expected: number) => {
    const deadline = performance.now() + SETTLE_TIMEOUT_MS;
    while ((await reconcileTotal(metrics)) < expected || controller.queueLength() > 0) {
      if (performance.now() > deadline) {
        throw new Error(`${expected} reconciles expected, ${await reconcileTotal(metrics)} done after ${SETTLE_TIMEOUT_MS / 1000} s: do the memory lists still use the informers' paths?`);
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  };
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
    const before = await reconcileTotal(metrics);
    const histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    pushPod({ type: "MODIFIED", object: pod });
    await settle(before + SETS);
    const wallMs = performance.now() - t0;
    const c = process.cpuUsage(c0);
    histogram.disable();
    rows.push({ pods: n, syncMs: (c.user + c.system) / 1000, wallMs, stallMs: histogram.max / 1e6, reconciles: (await reconcileTotal(metrics)) - before });
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
