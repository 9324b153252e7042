// `/mutate-pod` (docs/behaviour.md §5.1): injects the sidecars of every applying SidecarSet
// into a pod being created. Decode → injectPod with cached objects → encode;
// the decisions live in core/inject. Nothing here calls the API server. An
// answer is reused for identical pods within a second (injection-memo.ts).
import { isRecord } from "../../api/is-record.js";
import type { Pod } from "../../api/kube-types.js";
import { BuiltSidecars } from "../../core/inject/built-sidecars.js";
import { effectiveNamespace, injectPod } from "../../core/inject/inject.js";
import { SelectionIndex } from "../../core/inject/selection-index.js";
import type { Logger } from "../../observability/logger.js";
import { allowed, denied, encodePatch, patchedWith, type AdmissionHandler, type AdmissionRequest } from "../admission.js";
import type { AdmissionCache } from "./cache-view.js";
import { InjectionMemo, type MemoizedAnswer } from "./injection-memo.js";

/** Told about every pod that got sidecars (not for dry runs: no pod is created then). */
export interface InjectionMetrics {
  onInjected(setNames: string[]): void;
}

export interface PodHandlerDeps {
  cache: AdmissionCache;
  /** The clock written into hash records (`updateTimestamp`). */
  now: () => Date;
  /** Chance for `injectionStrategy.revision.policy: Partial` (docs/behaviour.md §5.3). */
  random: () => number;
  /** `--sort-injected-containers-by-name` (docs/behaviour.md §5.7 step 2). */
  sortInjectedContainersByName?: boolean;
  metrics?: InjectionMetrics;
  logger: Logger;
}

/** What the handler keeps from one admission for the next. */
interface Kept {
  memo: InjectionMemo;
  built: BuiltSidecars;
  /** The index of the cache's SidecarSet list, made again when the cache hands out another list. */
  index: SelectionIndex | undefined;
}

export function createPodHandler(deps: PodHandlerDeps): AdmissionHandler {
  const kept: Kept = { memo: new InjectionMemo(), built: new BuiltSidecars(), index: undefined };
  return (req) => admitPod(req, deps, kept);
}

/** The cache's SidecarSets and their index: the cache hands out one list until it changes, and never edits it. */
function indexedSidecarSets(cache: AdmissionCache, kept: Kept): SelectionIndex {
  const sidecarSets = cache.sidecarSets();
  if (kept.index?.sidecarSets !== sidecarSets) kept.index = new SelectionIndex(sidecarSets);
  return kept.index;
}

function admitPod(req: AdmissionRequest, deps: PodHandlerDeps, kept: Kept) {
  // Sidecars are added once, when the pod is created; status or binding
  // writes, and an UPDATE that reaches us anyway, pass untouched.
  if (req.subResource) return allowed(req.uid);
  if (req.operation !== "CREATE") return allowed(req.uid);

  const kindProblem = podKindProblem(req);
  if (kindProblem) return denied(req.uid, 400, kindProblem, "BadRequest");
  const shapeProblems = podShapeProblems(req.object!);
  if (shapeProblems.length > 0) {
    return denied(req.uid, 400, `the pod cannot be read: ${shapeProblems.join("; ")}`, "BadRequest");
  }

  const pod = req.object as Pod;
  const namespace = effectiveNamespace(pod, req.namespace);
  const podName = pod.metadata?.name || (pod.metadata?.generateName ? `${pod.metadata.generateName}*` : "");
  // A pod created from generateName has no name yet: the request uid ties the
  // line to the API server's audit log and to the pod's events.
  const logFields = { namespace, pod: podName, requestUid: req.uid };
  const answer = answerFor(req, pod, deps, kept);
  if (answer.kind === "denied") {
    deps.logger.warn({ ...logFields, sidecarset: answer.sidecarSet, err: answer.message }, "pod injection denied");
    return denied(req.uid, 500, answer.message);
  }
  if (answer.kind === "unchanged") return allowed(req.uid);
  if (!req.dryRun) {
    deps.metrics?.onInjected(answer.injected);
    // One line per pod creation would be the loudest line of a busy cluster (and cost it CPU); the
    // pod's injected-list annotation and sidecarset_injections_total say the same at info level.
    deps.logger.debug({ ...logFields, sidecarsets: answer.injected }, "injected sidecars into pod");
  }
  return patchedWith(req.uid, answer.base64Patch);
}

type Answer = MemoizedAnswer | { kind: "denied"; message: string; sidecarSet?: string };

/** The answer for `pod`: reused from the memo when an identical pod was answered in this second, else computed. */
function answerFor(req: AdmissionRequest, pod: Pod, deps: PodHandlerDeps, kept: Kept): Answer {
  const { memo, built } = kept;
  const now = deps.now();
  const version = deps.cache.version?.();
  const second = Math.floor(now.getTime() / 1000);
  // A pod that comes with its name is created once (a StatefulSet's, a bare pod): no identical pod follows it,
  // so it is not worth its key's JSON text nor a place among the memo's few entries.
  const reusable = version !== undefined && !pod.metadata?.name;
  const slot = reusable ? { key: InjectionMemo.keyOf(req.namespace, pod), second, version } : undefined;
  const known = slot && memo.get(slot);
  if (known) return known;
  let drew = false;
  const index = indexedSidecarSets(deps.cache, kept);
  const result = injectPod({
    pod,
    requestNamespace: req.namespace,
    sidecarSets: index.sidecarSets,
    selectionIndex: index,
    namespaceLabels: (ns) => deps.cache.namespaceLabels(ns),
    revisions: deps.cache.revisions(),
    now,
    random: () => {
      drew = true;
      return deps.random();
    },
    sortInjectedContainersByName: deps.sortInjectedContainersByName ?? false,
    // The webhook cache's SidecarSets are replaced when they change, never edited.
    builtSidecars: built,
    // The answer names no skipped SidecarSet.
    skipReasons: false,
  });
  if (result.kind === "denied") return result;
  const answer: MemoizedAnswer =
    result.kind === "unchanged" ? { kind: "unchanged" } : { kind: "injected", injected: result.injected, base64Patch: encodePatch(result.patch) };
  // A drawn number may differ for the next identical pod.
  if (slot && !drew) memo.set(slot, answer);
  return answer;
}

function podKindProblem(req: AdmissionRequest): string | undefined {
  const { group, version, kind } = req.kind;
  if (group !== "" || kind !== "Pod") {
    return `this webhook admits core/v1 Pods, got ${group || "core"}/${version} ${kind}; check the rules of the webhook configuration`;
  }
  const object = req.object!;
  if (object.kind !== undefined && object.kind !== null && object.kind !== "Pod") {
    return `request.object.kind: ${JSON.stringify(object.kind)} in a request for a Pod; the object must be a Pod`;
  }
  if (object.apiVersion !== undefined && object.apiVersion !== null && object.apiVersion !== "v1") {
    return `request.object.apiVersion: ${JSON.stringify(object.apiVersion)} in a request for a Pod; expected "v1"`;
  }
  return undefined;
}

// The API server only sends pods it has decoded, so these checks matter for
// callers that are not the API server. They cover every field injection reads
// at the top of the pod; null counts as absent, as in Kubernetes' JSON.
type Problems = string[];

function given(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (isRecord(v)) return "an object";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

function absent(v: unknown): boolean {
  return v === undefined || v === null;
}

function expectString(v: unknown, path: string, out: Problems): void {
  if (!absent(v) && typeof v !== "string") out.push(`${path}: ${given(v)}, expected a string`);
}

function expectStringMap(v: unknown, path: string, out: Problems): void {
  if (absent(v)) return;
  if (!isRecord(v)) {
    out.push(`${path}: ${given(v)}, expected a map of string keys to string values`);
    return;
  }
  for (const [key, value] of Object.entries(v)) {
    if (typeof value !== "string") out.push(`${path}[${key}]: ${given(value)}, expected a string`);
  }
}

/** A list of objects; `named` items must carry a string name. */
function expectObjectList(v: unknown, path: string, out: Problems, named: boolean): void {
  if (absent(v)) return;
  if (!Array.isArray(v)) {
    out.push(`${path}: ${given(v)}, expected a list`);
    return;
  }
  v.forEach((item, i) => {
    if (!isRecord(item)) out.push(`${path}[${i}]: ${given(item)}, expected an object`);
    else if (named && typeof item.name !== "string") out.push(`${path}[${i}].name: ${absent(item.name) ? "missing" : given(item.name)}, expected a string`);
  });
}

/** The container lists injection reads from (shared volumes, transferred env, resources). */
function expectContainers(v: unknown, path: string, out: Problems): void {
  expectObjectList(v, path, out, true);
  if (!Array.isArray(v)) return;
  v.forEach((c, i) => {
    if (!isRecord(c)) return;
    expectObjectList(c.env, `${path}[${i}].env`, out, true);
    expectObjectList(c.volumeMounts, `${path}[${i}].volumeMounts`, out, true);
    // Shared volumes read the `$(VAR)` references of each mount's subPathExpr.
    if (Array.isArray(c.volumeMounts)) {
      c.volumeMounts.forEach((m, j) => {
        if (isRecord(m)) expectString(m.subPathExpr, `${path}[${i}].volumeMounts[${j}].subPathExpr`, out);
      });
    }
    expectObjectList(c.volumeDevices, `${path}[${i}].volumeDevices`, out, true);
    if (!absent(c.resources) && !isRecord(c.resources)) out.push(`${path}[${i}].resources: ${given(c.resources)}, expected an object`);
  });
}

/** Problems with the parts of `object` that injection reads, as `path: what was given, what is expected`. */
export function podShapeProblems(object: Record<string, unknown>): string[] {
  const out: Problems = [];
  const at = (p: string) => `request.object.${p}`;
  const { metadata, spec, status } = object;
  if (!absent(metadata)) {
    if (!isRecord(metadata)) out.push(`${at("metadata")}: ${given(metadata)}, expected an object`);
    else {
      for (const key of ["name", "generateName", "namespace", "deletionTimestamp"]) expectString(metadata[key], at(`metadata.${key}`), out);
      expectStringMap(metadata.labels, at("metadata.labels"), out);
      expectStringMap(metadata.annotations, at("metadata.annotations"), out);
    }
  }
  if (!absent(spec)) {
    if (!isRecord(spec)) out.push(`${at("spec")}: ${given(spec)}, expected an object`);
    else {
      expectContainers(spec.initContainers, at("spec.initContainers"), out);
      expectContainers(spec.containers, at("spec.containers"), out);
      expectObjectList(spec.volumes, at("spec.volumes"), out, true);
      expectObjectList(spec.imagePullSecrets, at("spec.imagePullSecrets"), out, false);
    }
  }
  if (!absent(status)) {
    if (!isRecord(status)) out.push(`${at("status")}: ${given(status)}, expected an object`);
    else expectString(status.phase, at("status.phase"), out);
  }
  return out;
}
