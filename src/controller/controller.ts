// The SidecarSet controller: informer events → trigger rules (core) → a
// de-duplicating work queue keyed by SidecarSet name → the reconciler.
import type { Pod } from "../api/kube-types.js";
import type { SidecarSet, SidecarSetStatus } from "../api/types.js";
import { Expectations } from "../core/rollout/expectations.js";
import { podKey } from "../core/rollout/matching.js";
import {
  canaryBaseTriggers,
  namespaceTriggers,
  podAddedOrDeletedTriggers,
  podUpdatedTriggers,
  sidecarSetUpdateNeedsReconcile,
  type Trigger,
} from "../core/triggers.js";
import type { RawKubeClient } from "../kube/raw-client.js";
import type { EventRecorder } from "../kube/events.js";
import { runWorkers, WorkQueue, type WorkResult } from "../kube/workqueue.js";
import { errorFields, type Logger } from "../observability/logger.js";
import {
  forgetControllerGauges,
  forgetSidecarSet,
  observeReconcile,
  reportSidecarSetStatus,
  setProgressVerdict,
  workqueueMetrics,
  type KruiseSidecarSetState,
  type ManagerMetrics,
} from "../observability/metrics.js";
import type { ManagerCaches } from "./caches.js";
import { SidecarSetReconciler } from "./reconciler.js";

/** The name OpenKruise registers its controller under: the `controller` and `name` labels of the controller-runtime and workqueue metrics. */
export const CONTROLLER_NAME = "sidecarset-controller";

/** What kruise-state-metrics would report of the SidecarSet, with the status just computed. */
function kruiseStateOf(set: SidecarSet, status: SidecarSetStatus, maxUnavailable: number): KruiseSidecarSetState {
  const created = set.metadata.creationTimestamp ? Date.parse(set.metadata.creationTimestamp) : NaN;
  const partition = set.spec.updateStrategy?.partition;
  return {
    name: set.metadata.name ?? "",
    ...(Number.isNaN(created) ? {} : { created: Math.floor(created / 1000) }),
    generation: set.metadata.generation ?? 0,
    observedGeneration: status.observedGeneration ?? 0,
    matchedPods: status.matchedPods,
    updatedPods: status.updatedPods,
    readyPods: status.readyPods,
    updatedReadyPods: status.updatedReadyPods ?? 0,
    maxUnavailable,
    ...(partition !== undefined && partition !== null ? { partition: String(partition) } : {}),
    strategyType: set.spec.updateStrategy?.type ?? "RollingUpdate",
  };
}

export interface ControllerOptions {
  client: RawKubeClient;
  caches: ManagerCaches;
  recorder: EventRecorder;
  logger: Logger;
  namespace: string;
  workers: number;
  expectationTimeoutMs: number;
  metrics?: ManagerMetrics;
  /** See ReconcilerDeps.podWebhookCovers. */
  podWebhookCovers?: (set: SidecarSet) => boolean;
  /** `--native-sidecar-in-place-upgrade` (docs/behaviour.md §7a.6): native sidecars' image changes are rolled out in place. */
  nativeSidecarInPlaceUpgrade?: boolean;
}

export class SidecarSetController {
  private readonly queue: WorkQueue<string>;
  private readonly expectations: Expectations;
  private readonly reconciler: SidecarSetReconciler;
  private readonly unsubscribe: (() => void)[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly opts: ControllerOptions) {
    const { metrics } = opts;
    this.queue = new WorkQueue<string>({ name: CONTROLLER_NAME, ...(metrics ? { metrics: workqueueMetrics(metrics, CONTROLLER_NAME) } : {}) });
    this.expectations = new Expectations(opts.expectationTimeoutMs);
    this.reconciler = new SidecarSetReconciler({
      client: opts.client,
      caches: opts.caches,
      expectations: this.expectations,
      recorder: opts.recorder,
      logger: opts.logger,
      namespace: opts.namespace,
      ...(opts.podWebhookCovers ? { podWebhookCovers: opts.podWebhookCovers } : {}),
      nativeSidecarInPlaceUpgrade: opts.nativeSidecarInPlaceUpgrade === true,
      ...(metrics
        ? {
            metrics: {
              podsUpgraded: (s, n) => metrics.podsUpgraded.inc({ sidecarset: s }, n),
              status: (set, st, maxUnavailable) =>
                reportSidecarSetStatus(
                  metrics,
                  {
                    matchedPods: st.matchedPods,
                    updatedPods: st.updatedPods,
                    readyPods: st.readyPods,
                    updatedReadyPods: st.updatedReadyPods ?? 0,
                    notInjectedPods: st.notInjectedPods ?? 0,
                  },
                  kruiseStateOf(set, st, maxUnavailable),
                ),
              forget: (s) => forgetSidecarSet(metrics, s),
              progress: (s, verdict) => setProgressVerdict(metrics, s, verdict),
            },
          }
        : {}),
    });
  }

  /** Queue depth, for readiness and tests. */
  queueLength(): number {
    return this.queue.len();
  }

  /** Subscribes to the caches and starts the workers; the caches must be synced. */
  start(): void {
    if (this.running) return;
    const { caches } = this.opts;
    this.unsubscribe.push(
      caches.sidecarSets.addEventHandler({
        add: (s) => {
          this.enqueue(s.metadata.name ?? "");
          this.enqueueAll(canaryBaseTriggers(undefined, s));
        },
        update: (o, n) => {
          if (!sidecarSetUpdateNeedsReconcile(o, n)) return;
          this.enqueue(n.metadata.name ?? "");
          this.enqueueAll(canaryBaseTriggers(o, n));
        },
        delete: (s) => {
          this.expectations.forgetSidecarSet(s.metadata.name ?? "");
          this.enqueue(s.metadata.name ?? "");
          this.enqueueAll(canaryBaseTriggers(s, undefined));
        },
      }),
      caches.namespaces.addEventHandler({
        add: (ns) => this.enqueueAll(namespaceTriggers(undefined, ns.metadata?.labels ?? {}, caches.sidecarSetList())),
        update: (o, n) => this.enqueueAll(namespaceTriggers(o.metadata?.labels ?? {}, n.metadata?.labels ?? {}, caches.sidecarSetList())),
        delete: (ns) => this.enqueueAll(namespaceTriggers(ns.metadata?.labels ?? {}, undefined, caches.sidecarSetList())),
      }),
      caches.pods.addEventHandler({
        add: (p) => this.enqueueAll(podAddedOrDeletedTriggers(p, caches.sidecarSetLookup, caches.allNamespaceLabels())),
        update: (o, n) => {
          this.enqueueAll(podUpdatedTriggers(o, n, caches.sidecarSetLookup, caches.allNamespaceLabels()));
          this.wakeWhenWritesShown(this.expectations.awaiting(podKey(n)));
        },
        delete: (p: Pod) => {
          const key = podKey(p);
          const awaiting = this.expectations.awaiting(key);
          this.expectations.forgetPod(key);
          this.enqueueAll(podAddedOrDeletedTriggers(p, caches.sidecarSetLookup, caches.allNamespaceLabels()));
          this.wakeWhenWritesShown(awaiting);
        },
      }),
    );
    this.running = runWorkers(this.queue, (key) => this.process(key), {
      workers: this.opts.workers,
      onError: (key, e) => this.opts.logger.error({ sidecarset: key, ...errorFields(e) }, "reconcile failed; retrying with backoff"),
    });
  }

  /**
   * Stops taking work and waits for in-flight reconciles (and their writes) to finish; then drops the SidecarSet
   * gauges, which only a running controller keeps current.
   */
  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await this.queue.shutDown();
    await this.running;
    this.running = undefined;
    if (this.opts.metrics) forgetControllerGauges(this.opts.metrics);
  }

  private enqueue(name: string): void {
    if (name) this.queue.add(name);
  }

  private enqueueAll(triggers: Trigger[]): void {
    for (const t of triggers) {
      if (t.delayMs > 0) this.queue.addAfter(t.sidecarSet, t.delayMs);
      else this.queue.add(t.sidecarSet);
    }
  }

  /**
   * After a pod event, the SidecarSets that awaited a write of that pod: one whose last reconcile waited for it,
   * and now waits for nothing more, reconciles at once. The event itself may trigger nothing (an image patch
   * flips only consistency), and a deleted pod's write will never show.
   */
  private wakeWhenWritesShown(awaiting: readonly string[]): void {
    for (const name of awaiting) if (this.reconciler.awaitedWritesNowShown(name)) this.queue.add(name);
  }

  private async process(name: string): Promise<WorkResult> {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const result = await this.reconciler.reconcile(name);
      if (this.opts.metrics) observeReconcile(this.opts.metrics, CONTROLLER_NAME, result ? "requeue_after" : "success", seconds());
      return result;
    } catch (e) {
      if (this.opts.metrics) {
        observeReconcile(this.opts.metrics, CONTROLLER_NAME, "error", seconds());
        this.opts.metrics.sidecarSetReconcileErrors.inc({ sidecarset: name });
      }
      await this.reconciler.recordFailure(name, e);
      throw e;
    }
  }
}

