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
// A Lease left unchanged for GONE_VIEW_LEASE_DURATIONS of its durations
// belongs to a replica that went without deleting it (killed, or its node
// lost): the Lease holder deletes it, so that such Leases do not pile up. A
// replica that is still there writes its Lease again at its next renewal.
import type { SidecarSet } from "../api/types.js";
import { describeError, isConflict, isNotFound } from "../kube/errors.js";
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

/** How many of its durations a view Lease stays unchanged before the Lease holder deletes it as a gone replica's. */
export const GONE_VIEW_LEASE_DURATIONS = 5;

/** A gone replica's view Lease, with the resourceVersion last seen. */
export interface GoneLease {
  name: string;
  resourceVersion: string;
  holder: string;
  unchangedMs: number;
}

/** Pure: the other replicas' view Leases unchanged for GONE_VIEW_LEASE_DURATIONS of their duration. */
export function goneViewLeases(seen: Iterable<[string, Seen]>, ownLease: string, now: number): GoneLease[] {
  const gone: GoneLease[] = [];
  for (const [name, lease] of seen) {
    const unchangedMs = now - lease.changedAt;
    if (name !== ownLease && lease.durationMs > 0 && unchangedMs > GONE_VIEW_LEASE_DURATIONS * lease.durationMs) {
      gone.push({ name, resourceVersion: lease.resourceVersion, holder: lease.holder, unchangedMs });
    }
  }
  return gone;
}

export interface OtherReplicaViewsOptions {
  client: RawKubeClient;
  namespace: string;
  /** This replica's own view Lease, never waited for (its webhook is checked directly). */
  ownLease: string;
  /** How long one generation may wait for other replicas at most; also how often gone replicas' Leases are looked for. */
  maxWaitMs: number;
  logger: Logger;
  now?: () => number;
}

export class OtherReplicaViews {
  private readonly informer: Informer<ViewLease>;
  private readonly seen = new Map<string, Seen>();
  private readonly waits: GenerationWaits;
  private readonly now: () => number;
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private lastSweepError: string | undefined;

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
    this.sweeper = setInterval(() => {
      this.sweeping ??= this.sweepGone().finally(() => (this.sweeping = undefined));
    }, Math.max(1_000, this.opts.maxWaitMs));
    this.sweeper.unref();
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

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    await this.sweeping;
    await this.informer.stop();
  }

  /** Deletes the view Leases of replicas gone without deleting them; a Lease renewed meanwhile is kept (its resourceVersion moved on). */
  async sweepGone(): Promise<void> {
    for (const gone of goneViewLeases(this.seen, this.opts.ownLease, this.now())) {
      try {
        await this.opts.client.delete(`${leaseCollectionPath(this.opts.namespace)}/${encodeURIComponent(gone.name)}`, {
          body: { apiVersion: "v1", kind: "DeleteOptions", preconditions: { resourceVersion: gone.resourceVersion } },
        });
        this.lastSweepError = undefined;
        this.opts.logger.info(
          { lease: gone.name, holder: gone.holder, unchangedMs: Math.round(gone.unchangedMs) },
          "deleted the webhook view Lease of a replica that is gone; a replica still running writes it again",
        );
      } catch (e) {
        if (isNotFound(e) || isConflict(e)) continue;
        // Said once per cause, and again when it changes.
        const err = describeError(e);
        if (err !== this.lastSweepError) this.opts.logger.warn({ err, lease: gone.name }, "could not delete the webhook view Lease of a replica that is gone; retrying");
        this.lastSweepError = err;
      }
    }
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
