// The Lease holder's side of the webhook views (webhook-view-lease.ts): whether
// every other replica that renews a view Lease holds a SidecarSet at its
// generation. The wait this allows is bounded twice over, so that no replica
// can hold a status back for good:
// - a Lease counts only while it keeps changing: once it has not changed for
//   its duration (on this replica's clock, as leader election measures it;
//   clocks of different hosts are never compared), its replica is gone;
// - a replica whose view does not catch up with a generation within one Lease
//   duration (its SidecarSet watch may be stuck while it still renews) is not
//   waited for any more for that generation, and this is logged.
import type { SidecarSet } from "../api/types.js";
import { Informer, rawListWatch } from "../kube/informer.js";
import { leaseCollectionPath, type Lease } from "../kube/leader-election.js";
import type { RawKubeClient } from "../kube/raw-client.js";
import type { Logger } from "../observability/logger.js";
import { decodeWebhookView, WEBHOOK_VIEW_ANNOTATION, WEBHOOK_VIEW_LABEL } from "./webhook-view-lease.js";

type ViewLease = Lease & { metadata: Lease["metadata"] & { annotations?: Record<string, string> } };

interface Seen {
  resourceVersion: string;
  /** Local time the Lease last changed. */
  changedAt: number;
  durationMs: number;
  holder: string;
  view: Map<string, number> | undefined;
}

/** Pure: the replicas whose fresh view lacks the SidecarSet at its generation. */
export function laggingReplicas(seen: Iterable<[string, Seen]>, ownLease: string, set: SidecarSet, now: number): string[] {
  const uid = set.metadata.uid ?? "";
  const generation = set.metadata.generation ?? 0;
  const lagging: string[] = [];
  for (const [name, lease] of seen) {
    if (name === ownLease || lease.view === undefined) continue;
    if (now - lease.changedAt > lease.durationMs) continue;
    if ((lease.view.get(uid) ?? -1) < generation) lagging.push(lease.holder || name);
  }
  return lagging.sort();
}

export interface OtherReplicaViewsOptions {
  client: RawKubeClient;
  namespace: string;
  /** This replica's own view Lease, never waited for (its webhook is checked directly). */
  ownLease: string;
  /** How long one generation may wait for other replicas at most. */
  maxWaitMs: number;
  logger: Logger;
  now?: () => number;
}

export class OtherReplicaViews {
  private readonly informer: Informer<ViewLease>;
  private readonly seen = new Map<string, Seen>();
  private readonly waits: GenerationWaits;
  private readonly now: () => number;

  constructor(private readonly opts: OtherReplicaViewsOptions) {
    this.now = opts.now ?? Date.now;
    this.waits = new GenerationWaits(opts.maxWaitMs);
    this.informer = new Informer<ViewLease>({
      name: "webhook-view-leases",
      source: rawListWatch(opts.client, leaseCollectionPath(opts.namespace)),
      labelSelector: WEBHOOK_VIEW_LABEL,
      logger: opts.logger,
    });
    const record = (lease: ViewLease) => this.record(lease);
    this.informer.addEventHandler({
      add: record,
      update: (_old, lease) => record(lease),
      delete: (lease) => this.seen.delete(lease.metadata.name),
    });
  }

  start(): void {
    this.informer.start();
  }

  /** Until the Leases are listed, or `limitMs` has passed (then the views fill in as they arrive). */
  async waitForSync(signal: AbortSignal, limitMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, limitMs)));
    try {
      // Settles on abort too (the term checks its signal itself), so no rejection is left unheard.
      await Promise.race([this.informer.waitForSync(signal).catch(() => undefined), limit]);
    } finally {
      clearTimeout(timer);
    }
    if (!this.informer.hasSynced() && !signal.aborted) {
      this.opts.logger.warn({ waitedMs: limitMs }, "the other replicas' webhook view Leases are not listed yet; statuses do not wait for them until they are");
    }
  }

  stop(): Promise<void> {
    return this.informer.stop();
  }

  /** The replicas still to catch up with this SidecarSet's generation; empty when there are none to wait for. */
  lagging(set: SidecarSet): string[] {
    const now = this.now();
    const lagging = laggingReplicas(this.seen, this.opts.ownLease, set, now);
    const waited = this.waits.waitedTooLong(set, lagging.length > 0, now);
    if (waited === undefined) return lagging;
    if (waited > 0) {
      this.opts.logger.warn(
        { sidecarset: set.metadata.name, generation: set.metadata.generation, replicas: lagging, waitedMs: waited },
        "other replicas' pod webhooks have not caught up with this SidecarSet generation; its status no longer waits for them",
      );
    }
    return [];
  }

  /** A deleted SidecarSet waits for nothing any more. */
  forget(set: SidecarSet): void {
    this.waits.forget(set.metadata.uid ?? "");
  }

  private record(lease: ViewLease): void {
    const name = lease.metadata.name;
    const resourceVersion = lease.metadata.resourceVersion ?? "";
    const before = this.seen.get(name);
    if (before?.resourceVersion === resourceVersion) return;
    this.seen.set(name, {
      resourceVersion,
      changedAt: this.now(),
      durationMs: (lease.spec?.leaseDurationSeconds ?? 0) * 1000,
      holder: lease.spec?.holderIdentity ?? "",
      view: decodeWebhookView(lease.metadata.annotations?.[WEBHOOK_VIEW_ANNOTATION]),
    });
  }
}

/** How long each SidecarSet generation has been waiting for other replicas, so that no wait lasts longer than `maxWaitMs`. */
export class GenerationWaits {
  /** SidecarSet uid → the generation waiting and since when (-1 once the wait was given up). */
  private readonly since = new Map<string, { generation: number; at: number }>();

  constructor(private readonly maxWaitMs: number) {}

  /**
   * undefined: go on waiting (or no wait); a number: stop waiting. That number is how long the generation waited
   * when this call gave up on it, and 0 when that was said before.
   */
  waitedTooLong(set: SidecarSet, lagging: boolean, now: number): number | undefined {
    const uid = set.metadata.uid ?? "";
    const generation = set.metadata.generation ?? 0;
    if (!lagging) {
      this.since.delete(uid);
      return undefined;
    }
    const entry = this.since.get(uid);
    if (entry === undefined || entry.generation !== generation) {
      this.since.set(uid, { generation, at: now });
      return undefined;
    }
    if (entry.at === -1) return 0;
    const waited = now - entry.at;
    if (waited <= this.maxWaitMs) return undefined;
    entry.at = -1;
    return waited;
  }

  forget(uid: string): void {
    this.since.delete(uid);
  }

  /** How many SidecarSets have a wait on record. */
  get size(): number {
    return this.since.size;
  }
}
