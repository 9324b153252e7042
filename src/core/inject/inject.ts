// Sidecar injection into a pod being created (docs/behaviour.md §5): which SidecarSets apply,
// their patchPodMetadata, the built sidecars placed into the pod, the
// annotations, and the JSON patch. Pure: time and chance are arguments, and
// nothing thrown inside escapes — it becomes a denial.
import { formatFieldError, type FieldError } from "../../api/errors.js";
import type { JsonPatchOp } from "../../api/json-patch.js";
import type { ControllerRevision, LocalObjectReference, Pod, PodSpec, Volume } from "../../api/kube-types.js";
import type { SidecarSet } from "../../api/types.js";
import { isActivePod } from "../pods.js";
import { injectionAnnotations, readExistingRecords, type ProcessedSidecarSet } from "./annotations.js";
import { buildContext, buildSidecarSet, type EmittedContainer } from "./build-sidecar.js";
import type { BuiltSidecars } from "./built-sidecars.js";
import { podPatch } from "./json-patch.js";
import { matchSidecarSets, type MatchResult } from "./match.js";
import type { SelectionIndex } from "./selection-index.js";
import { mergeContainers, mergeImagePullSecrets, mergeVolumes, sortEmittedByName } from "./merge.js";
import { applyPatchPodMetadata } from "./patch-pod-metadata.js";

export interface InjectInput {
  /** The pod as submitted (CREATE). It is not modified. */
  pod: Pod;
  /** AdmissionRequest.namespace, the fallback for a pod without a namespace. */
  requestNamespace?: string;
  /** Every SidecarSet in the cluster, defaulted and carrying their hash annotations. */
  sidecarSets: readonly SidecarSet[];
  /** Labels of a Namespace; undefined when it cannot be read (no namespaceSelector then matches). */
  namespaceLabels: (ns: string) => Readonly<Record<string, string>> | undefined;
  /** ControllerRevisions in the manager namespace (pinned revisions, docs/behaviour.md §5.3). */
  revisions: readonly ControllerRevision[];
  now: Date;
  random: () => number;
  /** `--sort-injected-containers-by-name` (docs/behaviour.md §5.7 step 2). */
  sortInjectedContainersByName?: boolean;
  /**
   * Sidecars built for earlier pods, reused (frozen, shared between results) when a pod brings the same
   * inputs. Only for SidecarSets that are never edited in place, such as an informer's; their volumes then go
   * into the result uncopied too.
   */
  builtSidecars?: BuiltSidecars;
  /** False: `match.skipped` stays empty (see MatchContext.skipReasons). Default true. */
  skipReasons?: boolean;
  /** The index of `sidecarSets`, which are then never edited (see MatchContext.index). */
  selectionIndex?: SelectionIndex;
}

export type InjectResult =
  | { kind: "unchanged"; match: MatchResult }
  | { kind: "injected"; pod: Pod; patch: JsonPatchOp[]; match: MatchResult; injected: string[] }
  | {
      kind: "denied";
      /** `sidecarset "<name>": <field>: <reason>` */
      message: string;
      sidecarSet?: string;
      error?: FieldError;
    };


/** The namespace a pod is created in: its own, else the request's, else `default`. */
export function effectiveNamespace(pod: Pod, requestNamespace: string | undefined): string {
  return pod.metadata?.namespace || requestNamespace || "default";
}

function denied(sidecarSet: string, error: FieldError): InjectResult {
  return { kind: "denied", message: `sidecarset "${sidecarSet}": ${formatFieldError(error)}`, sidecarSet, error };
}

export function injectPod(input: InjectInput): InjectResult {
  const current = { name: "" };
  try {
    return inject(input, current);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    const message = `internal error while injecting: ${reason}`;
    return current.name
      ? { kind: "denied", message: `sidecarset "${current.name}": ${message}`, sidecarSet: current.name }
      : { kind: "denied", message };
  }
}

function inject(input: InjectInput, current: { name: string }): InjectResult {
  const { pod } = input;
  if (!isActivePod(pod)) return { kind: "unchanged", match: { applied: [], skipped: [], pinned: {} } };

  const matched = matchSidecarSets(pod, input.sidecarSets, {
    namespace: effectiveNamespace(pod, input.requestNamespace),
    namespaceLabels: input.namespaceLabels,
    revisions: input.revisions,
    random: input.random,
    skipReasons: input.skipReasons ?? true,
    ...(input.selectionIndex ? { index: input.selectionIndex } : {}),
  });
  if (!matched.ok) return denied(matched.denial.sidecarSet, matched.denial.error);
  const match = matched.result;
  if (match.applied.length === 0) return { kind: "unchanged", match };

  // patchPodMetadata of every SidecarSet first, in order (docs/behaviour.md §5.5).
  const annotations: Record<string, string> = { ...(pod.metadata?.annotations ?? {}) };
  for (const set of match.applied) {
    current.name = set.metadata.name ?? "";
    const err = applyPatchPodMetadata(annotations, set.spec.patchPodMetadata);
    if (err) return denied(current.name, err);
  }
  current.name = match.applied[0]!.metadata.name ?? "";
  const existing = readExistingRecords(annotations);
  if (!existing.ok) return denied(current.name, existing.error);

  // Sidecars are built against the pod as patchPodMetadata left it: a
  // transferEnv may name its source container in an annotation set just now.
  const ctx = buildContext({ ...pod, metadata: { ...(pod.metadata ?? {}), annotations: { ...annotations } } }, match.applied, input.builtSidecars);
  const initContainers: EmittedContainer[] = [];
  const containers: EmittedContainer[] = [];
  const volumes: Volume[] = [];
  const secrets: LocalObjectReference[] = [];
  const processed: ProcessedSidecarSet[] = [];
  for (const set of match.applied) {
    current.name = set.metadata.name ?? "";
    const built = buildSidecarSet(set, ctx);
    if (!built.ok) return denied(current.name, built.error);
    const b = built.build;
    initContainers.push(...b.initContainers);
    containers.push(...b.containers);
    volumes.push(...b.volumes);
    secrets.push(...b.imagePullSecrets);
    processed.push({ set, sidecarList: b.sidecarList, hotUpgraded: b.hotUpgraded });
  }
  current.name = "";

  const spec: PodSpec = pod.spec ?? ({ containers: [] } as PodSpec);
  const mutatedSpec = withLists(spec, {
    initContainers: mergeContainers(spec.initContainers, sortEmittedByName(initContainers)),
    containers: mergeContainers(
      spec.containers,
      input.sortInjectedContainersByName ? sortEmittedByName(containers) : containers,
    ),
    volumes: mergeVolumes(spec.volumes, volumes, input.builtSidecars !== undefined),
    imagePullSecrets: mergeImagePullSecrets(spec.imagePullSecrets, secrets),
  });

  Object.assign(annotations, injectionAnnotations(annotations, existing.records, processed, input.now, input.builtSidecars?.annotations));
  const mutated: Pod = { ...pod, metadata: { ...(pod.metadata ?? {}), annotations }, spec: mutatedSpec };
  return {
    kind: "injected",
    pod: mutated,
    patch: podPatch(pod, mutated),
    match,
    injected: processed.map((p) => p.set.metadata.name ?? ""),
  };
}

type SpecLists = { [K in "initContainers" | "containers" | "volumes" | "imagePullSecrets"]?: PodSpec[K] | undefined };

/**
 * A copy of `spec` with the given lists. Keys keep their place; a list the pod
 * did not have goes next to its neighbour (initContainers before containers),
 * so printed pods read naturally.
 */
function withLists(spec: PodSpec, lists: SpecLists): PodSpec {
  const out: Record<string, unknown> = {};
  const pending = new Map(Object.entries(lists).filter(([, v]) => v !== undefined));
  for (const [key, value] of Object.entries(spec)) {
    if (key === "containers" && !("initContainers" in spec) && pending.has("initContainers")) {
      out.initContainers = pending.get("initContainers");
      pending.delete("initContainers");
    }
    if (pending.has(key)) {
      out[key] = pending.get(key);
      pending.delete(key);
    } else {
      out[key] = value;
    }
  }
  for (const [key, value] of pending) out[key] = value;
  return out as PodSpec;
}
