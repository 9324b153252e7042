// What a SidecarSetReconciler reads and writes, faked for unit tests: caches
// over one SidecarSet and a pod store, and an API client that keeps the
// status it is sent, registers revisions and records pod writes.
import type { ControllerRevision, Pod } from "../../../src/api/kube-types.js";
import type { SidecarSet, SidecarSetStatus } from "../../../src/api/types.js";
import type { ManagerCaches } from "../../../src/controller/caches.js";
import type { RawKubeClient } from "../../../src/kube/client.js";
import type { EncodedJson } from "../../../src/kube/raw-client.js";
import { Store } from "../../../src/kube/store.js";
import { SET } from "../core/rollout/fixtures.js";

export interface FakeReconcilerWorld {
  caches: ManagerCaches;
  client: RawKubeClient;
  store: Store<Pod>;
  /** Paths of the pod writes, in order. */
  podWrites: string[];
  /** The SidecarSet as the cache shows it now (with the last status written). */
  set(): SidecarSet;
  /** Runs during each status write, before it lands: what the watch delivers meanwhile. */
  duringStatusWrite(f: () => void): void;
}

export function fakeReconcilerWorld(initial: SidecarSet, pods: Pod[]): FakeReconcilerWorld {
  let set = initial;
  const store = new Store<Pod>({}, { journal: true });
  for (const pod of pods) store.set(`${pod.metadata!.namespace}/${pod.metadata!.name}`, pod);
  const revisions: ControllerRevision[] = [];
  const podWrites: string[] = [];
  let onStatusWrite: () => void = () => undefined;
  const caches = {
    sidecarSet: (name: string) => (name === SET ? set : undefined),
    sidecarSetList: () => [set],
    canaryNamesOf: () => [],
    allNamespaceLabels: () => ({}),
    podsInScope: () => store.list(),
    revisionsLabelled: () => revisions,
    pods: store,
  } as unknown as ManagerCaches;
  const client = {
    create: async (_path: string, body: EncodedJson) => {
      const revision = JSON.parse(body.text) as ControllerRevision;
      revisions.push(revision);
      return revision;
    },
    patch: async (path: string, body: { status?: SidecarSetStatus }) => {
      if (path.includes("/sidecarsets/")) {
        onStatusWrite();
        set = { ...set, status: { ...set.status!, ...body.status } };
      } else podWrites.push(path);
      return {};
    },
  } as unknown as RawKubeClient;
  return { caches, client, store, podWrites, set: () => set, duringStatusWrite: (f) => (onStatusWrite = f) };
}
