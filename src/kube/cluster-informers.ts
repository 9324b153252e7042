// The informers the manager keeps, one factory per kind, so the webhook side and
// the controller side (each with its own caches, on its own event loop) watch
// exactly the same collections with the same options.
import type { ControllerRevision, Namespace, Pod } from "../api/kube-types.js";
import { REVISION_SIDECARSET_NAME_LABEL, WHITELIST_CONFIGMAP } from "../api/keys.js";
import { SIDECARSET_COLLECTION_PATH, sidecarSetFromStorage } from "../api/storage-version.js";
import type { SidecarSet } from "../api/types.js";
import type { RawKubeClient } from "./raw-client.js";
import { Informer, rawListWatch, type InformerOptions } from "./informer.js";
import { labelIndexFunc } from "./store.js";
import type { Logger } from "pino";

export interface ConfigMap {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  data?: Record<string, string>;
}

export interface InformerContext {
  client: RawKubeClient;
  /** Manager namespace: ControllerRevisions and the whitelist ConfigMap live there. */
  namespace: string;
  resyncMs: number;
  logger?: Logger;
  /** How soon a failed list or watch is tried again (the informer's default when absent). */
  backoff?: { initialMs: number; maxMs: number };
}

export const DEFAULT_RESYNC_MS = 10 * 60_000;

/** The context for the factories below, with the default resync period. */
export function informerContext(opts: {
  client: RawKubeClient;
  namespace: string;
  logger?: Logger;
  resyncMs?: number;
  backoff?: { initialMs: number; maxMs: number };
}): InformerContext {
  return {
    client: opts.client,
    namespace: opts.namespace,
    resyncMs: opts.resyncMs ?? DEFAULT_RESYNC_MS,
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.backoff ? { backoff: opts.backoff } : {}),
  };
}

function common(ctx: InformerContext) {
  return { resyncMs: ctx.resyncMs, ...(ctx.logger ? { logger: ctx.logger } : {}), ...(ctx.backoff ? { backoff: ctx.backoff } : {}) };
}

function managerNamespacePath(ctx: InformerContext, collection: string, group = "/api/v1"): string {
  return `${group}/namespaces/${encodeURIComponent(ctx.namespace)}/${collection}`;
}

export function sidecarSetInformer(ctx: InformerContext, opts: Pick<InformerOptions<SidecarSet>, "sameForReaders"> = {}): Informer<SidecarSet> {
  // The storage version, turned into the in-memory (v1alpha1) shape as it arrives.
  return new Informer<SidecarSet>({
    name: "sidecarsets",
    source: rawListWatch(ctx.client, SIDECARSET_COLLECTION_PATH),
    transform: sidecarSetFromStorage,
    ...common(ctx),
    ...opts,
  });
}

/** Pods per list page (other kinds take the informer's 500). */
export const POD_LIST_PAGE_SIZE = 100;

export function podInformer(ctx: InformerContext, opts: Pick<InformerOptions<Pod>, "transform"> = {}): Informer<Pod> {
  // The controller carries quiet plans forward over the pods that changed (core/rollout/quiet-plan.ts).
  // Pods with many sidecars run to tens of KB of JSON each: pages of 100 keep what one page leaves to collect small.
  return new Informer<Pod>({ name: "pods", source: rawListWatch(ctx.client, "/api/v1/pods"), pageSize: POD_LIST_PAGE_SIZE, ...common(ctx), ...opts, journal: true });
}

export function namespaceInformer(ctx: InformerContext): Informer<Namespace> {
  return new Informer<Namespace>({ name: "namespaces", source: rawListWatch(ctx.client, "/api/v1/namespaces"), ...common(ctx) });
}

/** The revisions index: by the SidecarSet name label, so a reconcile reads its own history, not every SidecarSet's. */
export const REVISIONS_BY_SIDECARSET_INDEX = "sidecarset";

/** ControllerRevisions of the manager namespace (SidecarSet revisions). */
export function revisionInformer(ctx: InformerContext): Informer<ControllerRevision> {
  return new Informer<ControllerRevision>({
    name: "controllerrevisions",
    source: rawListWatch(ctx.client, managerNamespacePath(ctx, "controllerrevisions", "/apis/apps/v1")),
    indexers: { [REVISIONS_BY_SIDECARSET_INDEX]: labelIndexFunc(REVISION_SIDECARSET_NAME_LABEL) },
    ...common(ctx),
  });
}

/** Only the whitelist ConfigMap of the manager namespace (a field selector on its name). */
export function whitelistInformer(ctx: InformerContext): Informer<ConfigMap> {
  return new Informer<ConfigMap>({
    name: "configmaps",
    source: rawListWatch(ctx.client, managerNamespacePath(ctx, "configmaps")),
    fieldSelector: `metadata.name=${WHITELIST_CONFIGMAP}`,
    ...common(ctx),
  });
}

/** What a group needs of an informer, whatever it caches. */
export interface GroupMember {
  start(): void;
  waitForSync(signal?: AbortSignal): Promise<void>;
  hasSynced(): boolean;
  stop(): Promise<void>;
  readonly size: number;
}

/**
 * A set of informers started, synced and stopped together: the base of the
 * webhook's and the controller's caches, which each add their own reads.
 */
export abstract class InformerSet {
  private members: Record<string, GroupMember> = {};

  /** Called once by the subclass's constructor with its informers, by name. */
  protected track(members: Record<string, GroupMember>): void {
    this.members = members;
  }

  start(): void {
    for (const i of Object.values(this.members)) i.start();
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all(Object.values(this.members).map((i) => i.waitForSync(signal)));
  }

  hasSynced(): boolean {
    return Object.values(this.members).every((i) => i.hasSynced());
  }

  async stop(): Promise<void> {
    await Promise.all(Object.values(this.members).map((i) => i.stop()));
  }

  /** Cached objects per informer name, for metrics. */
  sizes(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.members).map(([name, i]) => [name, i.size]));
  }
}
