// The controller's informer caches: SidecarSets, Pods, Namespaces and the
// manager namespace's ControllerRevisions. They run only while this replica
// holds the Lease (or at once without leader election); the admission
// webhooks keep their own, pod-free caches on their own event loop
// (src/webhook/caches.ts), so the reconciles never list from the API server
// on their hot path and a standby replica never caches a pod.
import type { ControllerRevision, Namespace, Pod } from "../api/kube-types.js";
import type { SidecarSet } from "../api/types.js";
import type { RawKubeClient } from "../kube/raw-client.js";
import {
  informerContext,
  InformerSet,
  namespaceInformer,
  podInformer,
  revisionInformer,
  REVISIONS_BY_SIDECARSET_INDEX,
  sidecarSetInformer,
} from "../kube/cluster-informers.js";
import type { Informer } from "../kube/informer.js";
import type { Logger } from "../observability/logger.js";
import { trimPodForController } from "./pod-trim.js";
import { LABEL_INDEX_IDLE_MS, LabelIndexes, podsSelectableBy } from "./scope-listing.js";
import { IndexedSidecarSets } from "./sidecarset-lookup.js";

export interface CacheOptions {
  client: RawKubeClient;
  /** Manager namespace: ControllerRevisions live there. */
  namespace: string;
  logger?: Logger;
  resyncMs?: number;
}

export class ManagerCaches extends InformerSet {
  readonly sidecarSets: Informer<SidecarSet>;
  readonly pods: Informer<Pod>;
  readonly namespaces: Informer<Namespace>;
  readonly revisions: Informer<ControllerRevision>;
  /** The SidecarSets a pod event is checked against, filed by selector. */
  readonly sidecarSetLookup: IndexedSidecarSets;
  /** The pod cache's label indexes for full plans (scope-listing.ts). */
  private readonly labelIndexes: LabelIndexes;
  private indexesCheckedAt = Date.now();
  /** Namespace labels by name; dropped on any Namespace event, rebuilt on the next read. */
  private namespaceLabelCache: Record<string, Record<string, string>> | undefined;

  constructor(private readonly opts: CacheOptions) {
    super();
    const ctx = informerContext(opts);
    this.sidecarSets = sidecarSetInformer(ctx);
    this.pods = podInformer(ctx, { transform: trimPodForController });
    this.namespaces = namespaceInformer(ctx);
    this.revisions = revisionInformer(ctx);
    this.sidecarSetLookup = new IndexedSidecarSets(this.sidecarSets);
    this.labelIndexes = new LabelIndexes(this.pods);
    const forgetNamespaceLabels = () => (this.namespaceLabelCache = undefined);
    this.namespaces.addEventHandler({ add: forgetNamespaceLabels, update: forgetNamespaceLabels, delete: forgetNamespaceLabels });
    this.track({
      sidecarsets: this.sidecarSets,
      pods: this.pods,
      namespaces: this.namespaces,
      controllerrevisions: this.revisions,
    });
  }

  get managerNamespace(): string {
    return this.opts.namespace;
  }

  sidecarSetList(): SidecarSet[] {
    return this.sidecarSets.list();
  }

  /** The names of the SidecarSets that are canaries of `base`. */
  canaryNamesOf(base: string): readonly string[] {
    return this.sidecarSetLookup.canaryNamesOf(base);
  }

  sidecarSet(name: string): SidecarSet | undefined {
    return this.sidecarSets.get(name);
  }

  /**
   * Labels of every Namespace, keyed by name (for selectors over many pods).
   * Every pod event asks for them, so they are kept until a Namespace changes.
   * Callers must not modify the result.
   */
  allNamespaceLabels(): Record<string, Record<string, string>> {
    if (!this.namespaceLabelCache) {
      const out: Record<string, Record<string, string>> = {};
      for (const ns of this.namespaces.list()) out[ns.metadata?.name ?? ""] = ns.metadata?.labels ?? {};
      this.namespaceLabelCache = out;
    }
    return this.namespaceLabelCache;
  }

  /**
   * Pods a SidecarSet may select: of its namespace's (or all), those with the
   * labels its selector requires, found by label (scope-listing.ts).
   */
  podsInScope(set: SidecarSet): Pod[] {
    const now = Date.now();
    if (now - this.indexesCheckedAt >= LABEL_INDEX_IDLE_MS / 10) {
      this.indexesCheckedAt = now;
      const retired = this.labelIndexes.retireUnused();
      if (retired.length) this.opts.logger?.debug({ indexes: retired }, "dropped pod label indexes no plan uses any more");
    }
    return podsSelectableBy(this.labelIndexes, set);
  }

  /** The ControllerRevisions labelled with the SidecarSet's name (its history, and any others claiming the name). */
  revisionsLabelled(setName: string): ControllerRevision[] {
    return this.revisions.byIndex(REVISIONS_BY_SIDECARSET_INDEX, setName);
  }
}
