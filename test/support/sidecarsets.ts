// SidecarSets through the API server for the end-to-end tests: the object a
// user submits, reading, creating and patching it as raw JSON, waiting until
// the manager has observed its current generation, and its events.
import type { Container } from "../../src/api/kube-types.js";
import type { Environment } from "./environment.js";
import { MERGE_PATCH, rawRequest, waitFor, type WaitOptions } from "./kube.js";

export const SIDECARSETS = "/apis/apps.kruise.io/v1alpha1/sidecarsets";

export interface SidecarSetStatus {
  observedGeneration?: number;
  matchedPods?: number;
  updatedPods?: number;
  readyPods?: number;
  updatedReadyPods?: number;
  notInjectedPods?: number;
  latestRevision?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
}

export interface SidecarSetObject {
  metadata: { name: string; generation?: number; labels?: Record<string, string>; annotations?: Record<string, string>; resourceVersion?: string };
  spec: { containers: Container[]; updateStrategy?: Record<string, unknown> } & Record<string, unknown>;
  status?: SidecarSetStatus;
}

/** A SidecarSet as a user submits it (metadata carries annotations only when given). */
export function sidecarSetObject(name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): Record<string, unknown> {
  return {
    apiVersion: "apps.kruise.io/v1alpha1",
    kind: "SidecarSet",
    metadata: annotations ? { name, annotations } : { name },
    spec,
  };
}

export const BETA_SIDECARSETS = "/apis/apps.kruise.io/v1beta1/sidecarsets";

/** A v1beta1 SidecarSet scoped to `namespace` by its namespaceSelector, as OpenKruise ≥ 1.9 users scope theirs. */
export function betaSidecarSetObject(name: string, namespace: string, spec: Record<string, unknown>, annotations?: Record<string, string>): Record<string, unknown> {
  return {
    apiVersion: "apps.kruise.io/v1beta1",
    kind: "SidecarSet",
    metadata: annotations ? { name, annotations } : { name },
    spec: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } }, ...spec },
  };
}

export function getSidecarSet(env: Environment, name: string): Promise<SidecarSetObject> {
  return rawRequest<SidecarSetObject>(env.clients.kc, "GET", `${SIDECARSETS}/${name}`);
}

export function patchSidecarSet(env: Environment, name: string, patch: unknown): Promise<SidecarSetObject> {
  return rawRequest<SidecarSetObject>(env.clients.kc, "PATCH", `${SIDECARSETS}/${name}`, patch, MERGE_PATCH);
}

/** POSTs a SidecarSet; the promise rejects with the API server's answer when it is refused. */
export function postSidecarSet(env: Environment, name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): Promise<SidecarSetObject> {
  return rawRequest<SidecarSetObject>(env.clients.kc, "POST", SIDECARSETS, sidecarSetObject(name, spec, annotations));
}

/**
 * Waits until the controller has written the SidecarSet's status for its
 * current generation. The webhooks read their own cache, fed by a watch of
 * their own: the API server sends the change to both watches at once, and the
 * controller still had to reconcile and write the status, so by then the
 * webhooks hold that generation too and a pod created afterwards is judged
 * against it.
 */
export function waitForObserved(env: Environment, name: string, description = `SidecarSet ${name} observed by the manager`, opts: WaitOptions = {}): Promise<SidecarSetObject> {
  return waitFor(
    description,
    async () => {
      const set = await getSidecarSet(env, name);
      const observed = set.status?.observedGeneration;
      return observed !== undefined && observed === set.metadata.generation ? set : undefined;
    },
    opts,
  );
}

/** Creates a SidecarSet and waits until the manager has observed it (see waitForObserved). */
export async function createSidecarSet(env: Environment, name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): Promise<SidecarSetObject> {
  await postSidecarSet(env, name, spec, annotations);
  return waitForObserved(env, name);
}

export interface CoreEvent {
  reason: string;
  type: string;
  message: string;
  count?: number;
  involvedObject: { kind: string; name: string; namespace?: string };
}

/** Events about a SidecarSet: it is cluster-scoped, so they live in `default`. */
export async function sidecarSetEvents(env: Environment, name: string, reason?: string): Promise<CoreEvent[]> {
  const selector = [`involvedObject.kind=SidecarSet`, `involvedObject.name=${name}`, ...(reason ? [`reason=${reason}`] : [])].join(",");
  const list = await rawRequest<{ items: CoreEvent[] }>(env.clients.kc, "GET", `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(selector)}`);
  return list.items;
}
