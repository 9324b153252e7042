// The admission webhooks' own informer caches: exactly what admission reads
// (SidecarSets, Namespaces, the manager namespace's ControllerRevisions and
// the whitelist ConfigMap) and no pods, so they stay small on every replica
// and are fed on the webhook's event loop, never behind the controller's work.
import type { ControllerRevision, Namespace } from "../api/kube-types.js";
import { WHITELIST_CONFIGMAP, WHITELIST_CONFIGMAP_KEY } from "../api/keys.js";
import type { SidecarSet } from "../api/types.js";
import { byName } from "../core/inject/match.js";
import type { RawKubeClient } from "../kube/raw-client.js";
import {
  informerContext,
  InformerSet,
  namespaceInformer,
  revisionInformer,
  sidecarSetInformer,
  whitelistInformer,
  type ConfigMap,
} from "../kube/cluster-informers.js";
import type { Informer } from "../kube/informer.js";
import type { Logger } from "../observability/logger.js";
import { sameSidecarSetForAdmission } from "./admission-sameness.js";
import type { AdmissionCache } from "./handlers/cache-view.js";

export interface AdmissionCacheOptions {
  client: RawKubeClient;
  /** Manager namespace: ControllerRevisions and the whitelist ConfigMap live there. */
  namespace: string;
  logger?: Logger;
  resyncMs?: number;
}

/**
 * After the API server was unreachable, the webhooks serve from these caches
 * whatever they hold, so they come back sooner than the controller's: a
 * SidecarSet created meanwhile must not wait out a long backoff before pods
 * get it. Lists of these few small objects are cheap to retry.
 */
export const ADMISSION_CACHE_BACKOFF = { initialMs: 200, maxMs: 2_000 };

export class AdmissionCaches extends InformerSet implements AdmissionCache {
  private readonly sidecarSetInformer: Informer<SidecarSet>;
  private readonly namespaceInformer: Informer<Namespace>;
  private readonly revisionInformer: Informer<ControllerRevision>;
  private readonly configMapInformer: Informer<ConfigMap>;
  private sortedSidecarSets: { revision: number; sets: SidecarSet[] } | undefined;
  private listedRevisions: { revision: number; revisions: ControllerRevision[] } | undefined;

  constructor(private readonly opts: AdmissionCacheOptions) {
    super();
    const ctx = informerContext({ ...opts, backoff: ADMISSION_CACHE_BACKOFF });
    this.sidecarSetInformer = sidecarSetInformer(ctx, { sameForReaders: sameSidecarSetForAdmission });
    this.namespaceInformer = namespaceInformer(ctx);
    this.revisionInformer = revisionInformer(ctx);
    this.configMapInformer = whitelistInformer(ctx);
    this.track({
      sidecarsets: this.sidecarSetInformer,
      namespaces: this.namespaceInformer,
      controllerrevisions: this.revisionInformer,
      configmaps: this.configMapInformer,
    });
  }

  /**
   * Every SidecarSet, in injection order (by name). Built once per change of the cache, not per admission:
   * the store's insertion order is not by name once a SidecarSet is added after the first list, and sorting
   * a hundred SidecarSets for every pod would cost the hot path.
   */
  sidecarSets(): readonly SidecarSet[] {
    const revision = this.sidecarSetInformer.revision;
    if (this.sortedSidecarSets?.revision !== revision) {
      this.sortedSidecarSets = { revision, sets: this.sidecarSetInformer.list().sort(byName) };
    }
    return this.sortedSidecarSets.sets;
  }

  /** Calls `changed` after any change of the SidecarSet cache (a relist included); read the cache for what changed. */
  onSidecarSetsChanged(changed: () => void): () => void {
    return this.sidecarSetInformer.addEventHandler({ add: changed, update: changed, delete: changed });
  }

  namespaceLabels(name: string): Record<string, string> | undefined {
    const ns = this.namespaceInformer.get(name);
    return ns ? (ns.metadata?.labels ?? {}) : undefined;
  }

  /** Listed once per change of the cache, not per admission: a SidecarSet keeps up to ten, the list grows with them. */
  revisions(): readonly ControllerRevision[] {
    const revision = this.revisionInformer.revision;
    if (this.listedRevisions?.revision !== revision) this.listedRevisions = { revision, revisions: this.revisionInformer.list() };
    return this.listedRevisions.revisions;
  }

  /** Every change of the three caches admitting a pod reads moves a store's revision forward: their sum never repeats. */
  version(): number {
    return this.sidecarSetInformer.revision + this.namespaceInformer.revision + this.revisionInformer.revision;
  }

  /** The whitelist JSON, or undefined when the ConfigMap or its key is missing. */
  whitelist(): string | undefined {
    return this.configMapInformer.get(`${this.opts.namespace}/${WHITELIST_CONFIGMAP}`)?.data?.[WHITELIST_CONFIGMAP_KEY];
  }
}
