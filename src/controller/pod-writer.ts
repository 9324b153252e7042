// Pod writes with optimistic concurrency: every JSON patch carries the
// resourceVersion it was computed from, so the API server answers 409 when the
// pod changed meanwhile; the change is then recomputed on a fresh read.
import type { Pod } from "../api/kube-types.js";
import { PatchType, type JsonPatchOp, type RawKubeClient } from "../kube/raw-client.js";
import { resourcePath } from "../kube/resource-path.js";
import { isConflict } from "../kube/errors.js";

const MAX_CONFLICT_RETRIES = 3;

export function podPath(namespace: string, name: string, subresource?: string): string {
  return resourcePath({ group: "", version: "v1", resource: "pods", namespace, name, ...(subresource ? { subresource } : {}) });
}

export type PodChange<R> = { patch: JsonPatchOp[]; result: R } | null;

/**
 * Applies `compute(pod)` to the pod, re-reading it after a conflict. Returns
 * the written pod and the change's result, or null when `compute` decides
 * there is nothing (left) to do.
 */
export async function patchPodWithRetry<R>(
  client: RawKubeClient,
  pod: Pod,
  compute: (current: Pod) => PodChange<R>,
): Promise<{ pod: Pod; result: R } | null> {
  const namespace = pod.metadata?.namespace ?? "";
  const name = pod.metadata?.name ?? "";
  let current = pod;
  for (let attempt = 0; ; attempt++) {
    const change = compute(current);
    if (!change) return null;
    const guard: JsonPatchOp = { op: "replace", path: "/metadata/resourceVersion", value: current.metadata?.resourceVersion ?? "" };
    try {
      const written = await client.patch<Pod>(podPath(namespace, name), [guard, ...change.patch], PatchType.json);
      return { pod: written, result: change.result };
    } catch (e) {
      if (!isConflict(e) || attempt >= MAX_CONFLICT_RETRIES) throw e;
      current = await client.get<Pod>(podPath(namespace, name));
    }
  }
}

/** Strategic-merge patch of `pods/status` (conditions merge by type). */
export async function patchPodStatus(client: RawKubeClient, pod: Pod, patch: unknown): Promise<Pod> {
  return client.patch<Pod>(podPath(pod.metadata?.namespace ?? "", pod.metadata?.name ?? "", "status"), patch, PatchType.strategicMerge);
}
