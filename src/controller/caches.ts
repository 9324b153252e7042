// The informer caches the manager reads: SidecarSets, Pods, Namespaces, and in
// the manager namespace ControllerRevisions and the whitelist ConfigMap. The
// admission handlers and the controller both read them; neither lists from the
// API server on its hot path.
import type { ControllerRevision, Namespace, Pod } from "../api/kube-types.js";
import { WHITELIST_CONFIGMAP, WHITELIST_CONFIGMAP_KEY, REVISION_SIDECARSET_NAME_LABEL } from "../api/keys.js";
import type { SidecarSet } from "../api/types.js";
import { Informer, rawListWatch } from "../kube/informer.js";
import type { RawKubeClient } from "../kube/client.js";
import type { Logger } from "../observability/logger.js";

interface ConfigMap {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  data?: Record<string, string>;
}

export const REVISION_OWNER_INDEX = "sidecarset";

export interface CacheOptions {
  client: RawKubeClient;
  /** Manager namespace: ControllerRevisions and the whitelist ConfigMap live there. */
  namespace: string;
  logger?: Logger;
  resyncMs?: number;
}

export class ManagerCaches {
  readonly sidecarSets: Informer<SidecarSet>;
  readonly pods: Informer<Pod>;
  readonly namespaces: Informer<Namespace>;
  readonly revisions: Informer<ControllerRevision>;
  readonly configMaps: Informer<ConfigMap>;
  private readonly all: Informer<never>[];
  /** Namespace labels by name; dropped on any Namespace event, rebuilt on the next read. */
  private namespaceLabelCache: Record<string, Record<string, string>> | undefined;

  constructor(private readonly opts: CacheOptions) {
    const { client, namespace, logger } = opts;
    const resyncMs = opts.resyncMs ?? 10 * 60_000;
    const ns = encodeURIComponent(namespace);
    this.sidecarSets = new Informer<SidecarSet>({
      name: "sidecarsets",
      source: rawListWatch(client, "/apis/apps.kruise.io/v1alpha1/sidecarsets"),
      resyncMs,
      ...(logger ? { logger } : {}),
    });
    this.pods = new Informer<Pod>({
      name: "pods",
      source: rawListWatch(client, "/api/v1/pods"),
      resyncMs,
      ...(logger ? { logger } : {}),
    });
    this.namespaces = new Informer<Namespace>({
      name: "namespaces",
      source: rawListWatch(client, "/api/v1/namespaces"),
      resyncMs,
      ...(logger ? { logger } : {}),
    });
    this.revisions = new Informer<ControllerRevision>({
      name: "controllerrevisions",
      source: rawListWatch(client, `/apis/apps/v1/namespaces/${ns}/controllerrevisions`),
      indexers: { [REVISION_OWNER_INDEX]: (r) => [r.metadata?.labels?.[REVISION_SIDECARSET_NAME_LABEL] ?? ""] },
      resyncMs,
      ...(logger ? { logger } : {}),
    });
    this.configMaps = new Informer<ConfigMap>({
      name: "configmaps",
      source: rawListWatch(client, `/api/v1/namespaces/${ns}/configmaps`),
      fieldSelector: `metadata.name=${WHITELIST_CONFIGMAP}`,
      resyncMs,
      ...(logger ? { logger } : {}),
    });
    const forgetNamespaceLabels = () => (this.namespaceLabelCache = undefined);
    this.namespaces.addEventHandler({ add: forgetNamespaceLabels, update: forgetNamespaceLabels, delete: forgetNamespaceLabels });
    this.all = [this.sidecarSets, this.pods, this.namespaces, this.revisions, this.configMaps] as unknown as Informer<never>[];
  }

  get managerNamespace(): string {
    return this.opts.namespace;
  }

  start(): void {
    for (const i of this.all) i.start();
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all(this.all.map((i) => i.waitForSync(signal)));
  }

  hasSynced(): boolean {
    return this.all.every((i) => i.hasSynced());
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((i) => i.stop()));
  }

  sidecarSetList(): SidecarSet[] {
    return this.sidecarSets.list();
  }

  sidecarSet(name: string): SidecarSet | undefined {
    return this.sidecarSets.get(name);
  }

  namespaceLabels(name: string): Record<string, string> | undefined {
    const ns = this.namespaces.get(name);
    return ns ? (ns.metadata?.labels ?? {}) : undefined;
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

  /** Pods a SidecarSet may see: its namespace's, or all. */
  podsInScope(set: SidecarSet): Pod[] {
    return set.spec.namespace ? this.pods.listInNamespace(set.spec.namespace) : this.pods.list();
  }

  revisionList(): ControllerRevision[] {
    return this.revisions.list();
  }

  revisionsOf(setName: string): ControllerRevision[] {
    return this.revisions.byIndex(REVISION_OWNER_INDEX, setName);
  }

  /** The whitelist JSON, or undefined when the ConfigMap or its key is missing (SPEC §4.5). */
  whitelist(): string | undefined {
    return this.configMaps.get(`${this.opts.namespace}/${WHITELIST_CONFIGMAP}`)?.data?.[WHITELIST_CONFIGMAP_KEY];
  }
}
