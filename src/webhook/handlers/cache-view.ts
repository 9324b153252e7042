// What the admission handlers read about the cluster. Every answer comes from
// informer caches the manager keeps warm, so admitting a pod or a SidecarSet
// never waits on the API server (a slow API call would eat into the webhook
// timeout of every pod creation in the cluster).
import type { ControllerRevision } from "../../api/kube-types.js";
import type { SidecarSet } from "../../api/types.js";

export interface AdmissionCache {
  /** Every SidecarSet in the cluster, as stored (defaulted, with hash annotations); shared, not to be changed. */
  sidecarSets(): readonly SidecarSet[];
  /** Labels of the Namespace `name`; undefined when it is not known. */
  namespaceLabels(name: string): Record<string, string> | undefined;
  /** ControllerRevisions in the manager namespace; shared, not to be changed. */
  revisions(): readonly ControllerRevision[];
  /**
   * Raw value of the key `SidecarSet_PatchPodMetadata_WhiteList` of the
   * ConfigMap `sidecarset-configuration` in the manager namespace; undefined
   * when the ConfigMap or the key is missing.
   */
  whitelist(): string | undefined;
  /**
   * A number that changes whenever anything `sidecarSets`, `namespaceLabels` or `revisions` return may have
   * changed. With it the pod webhook reuses the answer for a pod identical to one it answered in the same
   * second (injection-memo.ts); without it every pod is answered afresh.
   */
  version?(): number;
}
