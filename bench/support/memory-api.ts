// The controller benchmarks' API server: a RawKubeClient over in-memory
// lists that keeps each watch's callback so the bench can push events,
// answers writes at once and shows what it created to the watch of its collection, and the real controller over informers fed by it.
import { performance } from "node:perf_hooks";
import { ManagerCaches } from "../../src/controller/caches.js";
import { SidecarSetController } from "../../src/controller/controller.js";
import type { RawKubeClient, WatchEvent } from "../../src/kube/client.js";
import { EventRecorder } from "../../src/kube/events.js";
import { silentLogger } from "../../src/observability/logger.js";
import { createMetrics } from "../../src/observability/metrics.js";

export class MemoryApi {
  readonly watchers = new Map<string, (ev: WatchEvent<unknown>) => void>();
  writes = 0;
  creates = 0;
  private nextResourceVersion = 50_000_000;
  constructor(private readonly lists: Record<string, unknown[]>) {}

  client(): RawKubeClient {
    return {
      list: async (path: string) => ({ items: this.lists[path.split("?")[0]!] ?? [], metadata: { resourceVersion: "1" } }),
      watch: (path: string, _query: unknown, onEvent: (ev: WatchEvent<unknown>) => void, opts: { signal?: AbortSignal }) => {
        this.watchers.set(path, onEvent);
        return new Promise<void>((resolve) => opts.signal?.addEventListener("abort", () => resolve(), { once: true }));
      },
      patch: async (_path: string, body: unknown) => (this.writes++, body),
      create: async (path: string, body: unknown) => {
        this.writes++;
        this.creates++;
        const created = (typeof body === "object" && body && "text" in body ? JSON.parse(String(body.text)) : body) as { metadata?: Record<string, unknown> };
        created.metadata = { ...created.metadata, uid: `created-${this.creates}`, resourceVersion: String(this.nextResourceVersion++) };
        // As from an API server: the creator's own watch shows what it created, so the next reconcile finds it.
        this.watchers.get(path)?.({ type: "ADDED", object: created });
        return created;
      },
      get: async () => ({}),
      delete: async () => ({}),
    } as unknown as RawKubeClient;
  }
}

/** The real controller over real informer caches of `lists`, synced and not yet started. */
export async function controllerOverMemory(lists: Record<string, unknown[]>): Promise<{
  api: MemoryApi;
  caches: ManagerCaches;
  controller: SidecarSetController;
  /** Reconciles done so far. */
  reconciles: () => Promise<number>;
  /** Waits until `expected` reconciles are done and the queue is empty; an error after `timeoutMs`. */
  settle: (expected: number, timeoutMs: number) => Promise<void>;
}> {
  const api = new MemoryApi(lists);
  const client = api.client();
  const logger = silentLogger();
  const caches = new ManagerCaches({ client, namespace: "sidecarset-system", logger });
  caches.start();
  await caches.waitForSync();
  const metrics = createMetrics();
  const recorder = new EventRecorder({ sink: { create: async () => undefined, patch: async () => undefined } as never, component: "bench", host: "bench", clusterScopedNamespace: "default", logger });
  const controller = new SidecarSetController({ client, caches, recorder, logger, namespace: "sidecarset-system", workers: 3, expectationTimeoutMs: 60_000, metrics });
  const reconciles = async () => (await metrics.reconcileTotal.get()).values.reduce((sum, v) => sum + v.value, 0);
  const settle = async (expected: number, timeoutMs: number) => {
    const deadline = performance.now() + timeoutMs;
    while ((await reconciles()) < expected || controller.queueLength() > 0) {
      if (performance.now() > deadline) {
        throw new Error(`${expected} reconciles expected, ${await reconciles()} done after ${timeoutMs / 1000} s: do the memory lists still use the informers' paths?`);
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  };
  return { api, caches, controller, reconciles, settle };
}
