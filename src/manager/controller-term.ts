// One term of the controller on this replica: from winning the Lease (or from
// the start, without leader election) until losing it or stopping. The term
// owns the controller's informer caches, so a replica that does not lead never
// lists or watches a pod, and a lost Lease drops the pod cache with the term.
import type { SidecarSet } from "../api/types.js";
import { SidecarSetController } from "../controller/controller.js";
import { ManagerCaches } from "../controller/caches.js";
import type { RawKubeClient } from "../kube/raw-client.js";
import type { EventRecorder } from "../kube/events.js";
import type { Logger } from "../observability/logger.js";
import type { ManagerMetrics } from "../observability/metrics.js";
import { OtherReplicaViews } from "./other-replica-views.js";
import { PodWebhookScope } from "./pod-webhook-scope.js";

export interface ControllerTermOptions {
  client: RawKubeClient;
  recorder: EventRecorder;
  logger: Logger;
  namespace: string;
  workers: number;
  expectationTimeoutMs: number;
  metrics: ManagerMetrics;
  /** The pod webhook's scope (docs/behaviour.md §7a.2), kept by whoever runs the controller. */
  podWebhookScope: { enabled: boolean; graceMs: number };
  /** `--native-sidecar-in-place-upgrade` (docs/behaviour.md §7a.6): native sidecars' image changes are rolled out in place. */
  nativeSidecarInPlaceUpgrade?: boolean;
  /** Whether this replica's webhook thread already holds the SidecarSet at its generation (docs/behaviour.md §6.4). */
  webhookHolds?: (set: SidecarSet) => boolean;
  /** The other replicas' webhook views (docs/behaviour.md §6.4): this replica's own view Lease, and the longest wait per generation. */
  otherReplicaViews?: { ownLease: string; maxWaitMs: number };
}

/**
 * How long a term waits for the other replicas' view Leases before its controller starts without them (their
 * list may be refused, e.g. by the RBAC of an earlier release): they hold statuses back, never the controller.
 */
const VIEWS_SYNC_WAIT_MS = 5_000;

export class ControllerTerm {
  readonly caches: ManagerCaches;
  private controller: SidecarSetController | undefined;
  private scope: PodWebhookScope | undefined;
  private views: OtherReplicaViews | undefined;
  private readonly abort = new AbortController();
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: ControllerTermOptions) {
    this.caches = new ManagerCaches({ client: opts.client, namespace: opts.namespace, logger: opts.logger });
  }

  /** Starts the caches and, once they synced, the controller. Resolves then, or when stopped first. */
  async start(): Promise<void> {
    const { opts } = this;
    this.caches.start();
    // Its one-object cache syncs alongside, so the first reconciles already see the installed scope.
    this.scope = new PodWebhookScope({
      client: opts.client,
      sidecarSets: this.caches.sidecarSets,
      recorder: opts.recorder,
      metrics: opts.metrics,
      logger: opts.logger,
      enabled: opts.podWebhookScope.enabled,
      graceMs: opts.podWebhookScope.graceMs,
    });
    this.scope.start();
    if (opts.otherReplicaViews) {
      const views = new OtherReplicaViews({ client: opts.client, namespace: opts.namespace, logger: opts.logger, ...opts.otherReplicaViews });
      this.views = views;
      this.caches.sidecarSets.addEventHandler({ delete: (set) => views.forget(set) });
      views.start();
    }
    try {
      await this.caches.waitForSync(this.abort.signal);
      await this.views?.waitForSync(this.abort.signal, VIEWS_SYNC_WAIT_MS);
    } catch (e) {
      if (this.abort.signal.aborted) return;
      throw e;
    }
    if (this.abort.signal.aborted) return;
    this.controller = new SidecarSetController({
      client: opts.client,
      caches: this.caches,
      recorder: opts.recorder,
      logger: opts.logger,
      namespace: opts.namespace,
      workers: opts.workers,
      expectationTimeoutMs: opts.expectationTimeoutMs,
      metrics: opts.metrics,
      podWebhookCovers: (set) =>
        (this.scope?.covers(set) ?? true) && (opts.webhookHolds?.(set) ?? true) && (this.views?.lagging(set).length ?? 0) === 0,
      nativeSidecarInPlaceUpgrade: opts.nativeSidecarInPlaceUpgrade === true,
    });
    this.controller.start();
    opts.logger.info({ workers: opts.workers, cached: this.caches.sizes() }, "controller caches synced; controller started");
  }

  /** True while the caches are still syncing (the controller is not running yet). */
  syncing(): boolean {
    return !this.stopping && !this.caches.hasSynced();
  }

  /** In-flight reconciles (and their writes) finish, then the informers stop and their stores go with this term. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort();
      await this.scope?.stop();
      await this.views?.stop();
      await this.controller?.stop();
      await this.caches.stop();
    })();
    return this.stopping;
  }
}
