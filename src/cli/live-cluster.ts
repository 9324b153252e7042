// What the live commands (explain, plan NAME, rollout) read from and write to
// the cluster with the user's kubeconfig. Reads come in the shapes the core takes: SidecarSets as the
// manager sees them (read at the storage version, converted in memory, hash
// annotations computed when missing), the pods a SidecarSet may see, Namespace
// labels and the manager namespace's ControllerRevisions. Commands load this
// module only when they talk to a cluster: the client library costs seconds.
import { REVISION_SIDECARSET_NAME_LABEL } from "../api/keys.js";
import type { ControllerRevision, Pod } from "../api/kube-types.js";
import { SIDECARSET_COLLECTION_PATH, sidecarSetFromStorage } from "../api/storage-version.js";
import type { SidecarSet } from "../api/types.js";
import { effectiveSidecarSet } from "../controller/reconciler.js";
import { loadKubeConfig, PatchType, RawKubeClient, resourcePath } from "../kube/client.js";
import { isForbidden, isNotFound } from "../kube/errors.js";
import { labelSelectorQuery } from "../core/selector.js";
import { canaryNamesOf, type NamespaceLabels } from "../core/rollout/matching.js";
import { InputError } from "./documents.js";

export interface ClusterFlags {
  kubeconfig?: string;
  context?: string;
}

export function connect(flags: ClusterFlags): RawKubeClient {
  const { kubeConfig } = loadKubeConfig({
    ...(flags.kubeconfig ? { kubeconfigPath: flags.kubeconfig } : {}),
    ...(flags.context ? { context: flags.context } : {}),
  });
  return new RawKubeClient(kubeConfig, { userAgent: "sidecarset-cli" });
}

/** A 404 becomes an InputError naming what is missing: the user named something that is not there. */
async function orMissing<T>(what: string, read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (e) {
    if (isNotFound(e)) throw new InputError(`${what} not found`);
    throw e;
  }
}

export function sidecarSetPath(name: string): string {
  return `${SIDECARSET_COLLECTION_PATH}/${encodeURIComponent(name)}`;
}

function asManagerSees(stored: SidecarSet): SidecarSet {
  return effectiveSidecarSet(sidecarSetFromStorage(stored));
}

export async function readSidecarSet(client: RawKubeClient, name: string): Promise<SidecarSet> {
  return asManagerSees(await orMissing(`SidecarSet ${name}`, client.get<SidecarSet>(sidecarSetPath(name))));
}

export async function listSidecarSets(client: RawKubeClient): Promise<SidecarSet[]> {
  return (await client.list<SidecarSet>(SIDECARSET_COLLECTION_PATH)).items.map(asManagerSees);
}

export async function readPod(client: RawKubeClient, namespace: string, name: string): Promise<Pod> {
  const path = resourcePath({ group: "", version: "v1", resource: "pods", namespace, name });
  return orMissing(`pod ${namespace}/${name}`, client.get<Pod>(path));
}

/** The pods S may see: in its namespace (or all), filtered by its selector on the server. */
export async function listPodsOf(client: RawKubeClient, set: SidecarSet): Promise<Pod[]> {
  const namespace = set.spec.namespace || undefined;
  const path = resourcePath({ group: "", version: "v1", resource: "pods", ...(namespace ? { namespace } : {}) });
  const selector = labelSelectorQuery(set.spec.selector);
  return (await client.list<Pod>(path, selector ? { query: { labelSelector: selector } } : {})).items;
}

type NamespaceObject = { metadata?: { name?: string; labels?: Record<string, string> } };

/**
 * Labels of every Namespace. A user who may not list Namespaces gets those of
 * `fallback` alone (read one by one): enough for a pod's own injection verdict.
 */
export async function listNamespaceLabels(client: RawKubeClient, fallback: readonly string[] = []): Promise<NamespaceLabels> {
  const out: Record<string, Record<string, string>> = {};
  let items: NamespaceObject[];
  try {
    items = (await client.list<NamespaceObject>("/api/v1/namespaces")).items;
  } catch (e) {
    if (!isForbidden(e)) throw e;
    items = [];
    for (const name of fallback) {
      const path = resourcePath({ group: "", version: "v1", resource: "namespaces", name });
      const ns = await client.get<NamespaceObject>(path).catch((err: unknown) => (isNotFound(err) || isForbidden(err) ? undefined : Promise.reject(err)));
      if (ns) items.push(ns);
    }
  }
  for (const ns of items) if (ns.metadata?.name) out[ns.metadata.name] = ns.metadata.labels ?? {};
  return out;
}

export function revisionsPath(namespace: string, name?: string): string {
  return resourcePath({ group: "apps", version: "v1", resource: "controllerrevisions", namespace, ...(name ? { name } : {}) });
}

/** ControllerRevisions in the manager namespace; only S's when `setName` is given. */
export async function listRevisions(client: RawKubeClient, namespace: string, setName?: string): Promise<ControllerRevision[]> {
  const query = setName ? { query: { labelSelector: `${REVISION_SIDECARSET_NAME_LABEL}=${setName}` } } : {};
  return (await client.list<ControllerRevision>(revisionsPath(namespace), query)).items;
}

/** What the controller plans a SidecarSet's rollout from, read live. */
export interface LivePlanInputs {
  set: SidecarSet;
  pods: Pod[];
  namespaceLabels: NamespaceLabels;
  canaryNames: string[];
}

export async function readPlanInputs(client: RawKubeClient, name: string): Promise<LivePlanInputs> {
  const set = await readSidecarSet(client, name);
  const [pods, namespaceLabels, all] = await Promise.all([listPodsOf(client, set), listNamespaceLabels(client), listSidecarSets(client)]);
  return { set, pods, namespaceLabels, canaryNames: canaryNamesOf(set, all) };
}

/** A merge patch of the SidecarSet (rollout pause, resume, undo); the webhooks default and validate it as any write. */
export async function patchSidecarSet(client: RawKubeClient, name: string, patch: unknown): Promise<void> {
  await orMissing(`SidecarSet ${name}`, client.patch(sidecarSetPath(name), patch, PatchType.merge));
}
