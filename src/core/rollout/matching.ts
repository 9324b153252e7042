// Which pods a SidecarSet manages (docs/behaviour.md §0, §6.3): selected pods are active pods
// in its namespace scope whose labels match its selector; matched pods are the
// selected ones it injected and that still carry all of its sidecars.
import type { Pod } from "../../api/kube-types.js";
import { SIDECARSET_INJECTED_LIST_ANNOTATION, SIDECARSET_WORKING_HOT_UPGRADE_CONTAINER_ANNOTATION } from "../../api/keys.js";
import { readWorkingHotUpgradeContainers } from "../../api/pod-records.js";
import { hotUpgradePairNames, isHotUpgradeContainer, isNativeSidecar } from "../../api/sidecar-containers.js";
import type { SidecarSet } from "../../api/types.js";
import { canaryBaseOf } from "../inject/canary.js";
import { isActivePod } from "../pods.js";
import { compileRequirements, isEmptySelector, parseSelector, requirementsMatch } from "../selector.js";
import { CARRIES_CANARY, MATCHED, SELECTED, type PlanMemo } from "./plan-memo.js";

/** Namespace name → labels of that Namespace object. A missing entry is a Namespace that could not be read. */
export type NamespaceLabels = Readonly<Record<string, Readonly<Record<string, string>> | undefined>>;

/** Pods without a namespace live in `default`, as the API server would place them. */
export function podNamespace(pod: Pod): string {
  return pod.metadata?.namespace || "default";
}

export function podName(pod: Pod): string {
  return pod.metadata?.name ?? "";
}

/** `namespace/name`, the identity used in plans, expectations and output. */
export function podKey(pod: Pod): string {
  return `${podNamespace(pod)}/${podName(pod)}`;
}

export function hasHotUpgradeContainer(set: SidecarSet): boolean {
  return (set.spec.containers ?? []).some(isHotUpgradeContainer);
}

/**
 * Names of the pod containers S runs beside the app: what its `spec.containers`
 * become (a hot-upgrade sidecar contributes its pair), then its native-sidecar
 * initContainers, which the kubelet also restarts in place on an image change
 * (docs/behaviour.md §7a.6). Pod container names are unique across both lists.
 */
export function sidecarPodContainerNames(set: SidecarSet): string[] {
  const names: string[] = [];
  for (const c of set.spec.containers ?? []) {
    if (isHotUpgradeContainer(c)) names.push(...hotUpgradePairNames(c.name));
    else names.push(c.name);
  }
  names.push(...nativeSidecarNames(set));
  return names;
}

/** Names of S's initContainers that are native sidecars, in spec order. */
export function nativeSidecarNames(set: SidecarSet): string[] {
  const names: string[] = [];
  for (const c of set.spec.initContainers ?? []) if (isNativeSidecar(c)) names.push(c.name);
  return names;
}

/**
 * The working and idle container of a hot-upgrade pair. Without an entry in
 * the working-container annotation the second container counts as working.
 */
export function hotUpgradeContainers(
  pod: Pod,
  sidecarName: string,
  working: Record<string, string> = readWorkingHotUpgradeContainers(pod),
): { working: string; idle: string } {
  const [first, second] = hotUpgradePairNames(sidecarName);
  return working[sidecarName] === first ? { working: first, idle: second } : { working: second, idle: first };
}

/** Whether S's name is in the pod's `kruise.io/sidecarset-injected-list`. */
export function isInjectedBy(pod: Pod, setName: string): boolean {
  const list = pod.metadata?.annotations?.[SIDECARSET_INJECTED_LIST_ANNOTATION];
  if (!list || setName === "") return false;
  // Most pods carry one SidecarSet: comparing is cheaper than searching.
  if (list === setName) return true;
  // A whole comma-separated item equal to the name, found without splitting.
  for (let at = list.indexOf(setName); at >= 0; at = list.indexOf(setName, at + 1)) {
    const end = at + setName.length;
    if ((at === 0 || list.charCodeAt(at - 1) === 44) && (end === list.length || list.charCodeAt(end) === 44)) return true;
  }
  return false;
}

/**
 * Whether the pod carries every `spec.containers` entry of S: a container of
 * that name, or for a hot-upgrade sidecar both `-1` and `-2` and an entry in
 * the working-container annotation.
 */
export function hasAllSidecarContainers(pod: Pod, set: SidecarSet): boolean {
  const containers = pod.spec?.containers ?? [];
  let working: Record<string, string> | undefined;
  for (const c of set.spec.containers ?? []) {
    if (isHotUpgradeContainer(c)) {
      if (!pod.metadata?.annotations?.[SIDECARSET_WORKING_HOT_UPGRADE_CONTAINER_ANNOTATION]) return false;
      working ??= readWorkingHotUpgradeContainers(pod);
      const [first, second] = hotUpgradePairNames(c.name);
      if (!(c.name in working) || !hasContainer(containers, first) || !hasContainer(containers, second)) return false;
    } else if (!hasContainer(containers, c.name)) {
      return false;
    }
  }
  return true;
}

function hasContainer(containers: readonly { name: string }[], name: string): boolean {
  for (const c of containers) if (c.name === name) return true;
  return false;
}

/** S injected the pod and the pod still has all of S's containers ("matched", once selected). */
export function carriesSidecarSet(pod: Pod, set: SidecarSet): boolean {
  return isInjectedBy(pod, set.metadata.name ?? "") && hasAllSidecarContainers(pod, set);
}

/** A predicate for "matched by S": selected by S and carrying it. */
export function podMatcherOf(set: SidecarSet, namespaceLabels: NamespaceLabels = {}): (pod: Pod) => boolean {
  const isSelected = podSelectorOf(set, namespaceLabels);
  return (pod) => isSelected(pod) && carriesSidecarSet(pod, set);
}

/** Names of the canary SidecarSets whose base is `set`. */
export function canaryNamesOf(set: SidecarSet, all: readonly SidecarSet[]): string[] {
  return canaryNamesByBase(all).get(set.metadata.name ?? "") ?? [];
}

/** `canaryNamesOf` for every base at once: canary names by base name, in the order of `all`. */
export function canaryNamesByBase(all: readonly SidecarSet[]): Map<string, string[]> {
  const byBase = new Map<string, string[]>();
  for (const s of all) {
    const base = canaryBaseOf(s);
    const name = s.metadata.name ?? "";
    // A SidecarSet naming itself as its base is no canary.
    if (base === undefined || base === name) continue;
    const names = byBase.get(base);
    if (names) names.push(name);
    else byBase.set(base, [name]);
  }
  return byBase;
}

/**
 * A predicate over a Namespace's labels (undefined: no such Namespace) for S's
 * `namespaceSelector`, or undefined when S scopes by name or not at all. An
 * unparseable selector selects no Namespace.
 */
export function namespaceSelectorOf(set: SidecarSet): ((labels: Readonly<Record<string, string>> | undefined) => boolean) | undefined {
  if (set.spec.namespace || !set.spec.namespaceSelector) return undefined;
  const parsed = parseSelector(set.spec.namespaceSelector);
  return (labels) => parsed.ok && labels !== undefined && requirementsMatch(parsed.requirements, labels);
}

/**
 * A predicate for "selected by S" (docs/behaviour.md §0): active, in S's namespace scope,
 * labels matching `spec.selector`. An empty or unparseable selector selects
 * nothing, so a broken SidecarSet never takes over every pod.
 */
export function podSelectorOf(set: SidecarSet, namespaceLabels: NamespaceLabels = NO_NAMESPACE_LABELS): (pod: Pod) => boolean {
  const kept = keptSelectors.get(set);
  if (kept?.namespaceLabels === namespaceLabels) return kept.selects;
  const selects = newPodSelector(set, namespaceLabels);
  keptSelectors.set(set, { namespaceLabels, selects });
  return selects;
}

/** One object, so that a predicate kept for "no Namespace labels given" is found again. */
const NO_NAMESPACE_LABELS: NamespaceLabels = {};

/**
 * Every pod event asks each SidecarSet whether it selects the pod (core/triggers.ts): the predicate is made once per
 * SidecarSet object (a cache's, never edited) and Namespace labels map (kept until a Namespace changes).
 */
const keptSelectors = new WeakMap<SidecarSet, { namespaceLabels: NamespaceLabels; selects: (pod: Pod) => boolean }>();

function newPodSelector(set: SidecarSet, namespaceLabels: NamespaceLabels): (pod: Pod) => boolean {
  const selector = set.spec.selector;
  const parsed = parseSelector(selector);
  if (isEmptySelector(selector) || !parsed.ok) return () => false;
  const labelsMatch = compileRequirements(parsed.requirements);
  const onlyNamespace = set.spec.namespace || undefined;
  const namespaceSelects = namespaceSelectorOf(set);
  let namespaceAllowed: ((ns: string) => boolean) | undefined;
  if (onlyNamespace !== undefined) {
    namespaceAllowed = (ns) => ns === onlyNamespace;
  } else if (namespaceSelects) {
    const memo = new Map<string, boolean>();
    namespaceAllowed = (ns) => {
      let ok = memo.get(ns);
      if (ok === undefined) {
        ok = namespaceSelects(namespaceLabels[ns]);
        memo.set(ns, ok);
      }
      return ok;
    };
  }
  return (pod) =>
    isActivePod(pod) &&
    (namespaceAllowed === undefined || namespaceAllowed(podNamespace(pod))) &&
    labelsMatch(pod.metadata?.labels);
}

export interface Selection {
  /** Selected pods sorted by (namespace, name); this order feeds scatter expansion and every tie. */
  selected: Pod[];
  /** Matched pods, same order. */
  matched: Pod[];
  /** Selected, not matched, and not carrying a canary of S. */
  notInjected: Pod[];
  /**
   * For `matched[i]`, the slot `onMatched` was given for it; null when the
   * listing arrived sorted and slot i is `matched[i]`'s.
   */
  slots: Int32Array | null;
}

export interface SelectionOptions {
  namespaceLabels?: NamespaceLabels;
  /** Canary SidecarSets whose base is S (see `canaryNamesOf`). */
  canaryNames?: readonly string[];
  /**
   * Called once per matched pod while the listing is read, in listing
   * order, with slots 0, 1, 2…: a caller needing more from each pod reads it
   * while it is in cache. `Selection.slots` then maps the sorted matched pods
   * back to their slots.
   */
  onMatched?: (pod: Pod, slot: number) => void;
  /** Selection flags remembered from earlier plans of the same SidecarSet. */
  memo?: PlanMemo;
}

/** Splits the listed pods into matched and not-injected pods of S (docs/behaviour.md §6.3). */
export function selectPods(set: SidecarSet, pods: readonly Pod[], opts: SelectionOptions = {}): Selection {
  const isSelected = podSelectorOf(set, opts.namespaceLabels);
  const canaries = opts.canaryNames ?? [];
  const flagsOf = (pod: Pod): number => {
    if (!isSelected(pod)) return 0;
    if (carriesSidecarSet(pod, set)) return SELECTED | MATCHED;
    return carriesCanary(pod, canaries) ? SELECTED | CARRIES_CANARY : SELECTED;
  };
  const read: ListingRead = {
    selected: [],
    matched: [],
    notInjected: [],
    slotOf: new Int32Array(pods.length),
    flags: new Uint8Array(pods.length),
    slots: 0,
    sorted: true,
  };
  readListing(pods, flagsOf, opts, read);
  if (read.sorted) return { selected: read.selected, matched: read.matched, notInjected: read.notInjected, slots: null };

  const namespaces = read.selected.map(podNamespace);
  const names = read.selected.map(podName);
  const order = Array.from(read.selected, (_, i) => i);
  order.sort((a, b) => compareStrings(namespaces[a]!, namespaces[b]!) || compareStrings(names[a]!, names[b]!));
  const out: Selection = { selected: new Array(read.selected.length), matched: [], notInjected: [], slots: new Int32Array(read.slots) };
  placeInOrder(order, read, out);
  return out;
}

/*
 * The loops over pods live in functions that end with their loop. V8 caches
 * the code it optimizes in the middle of a long loop (a full plan's) and
 * enters it again on later calls; code after the loop that had not run when
 * it was made sends every later call back to the interpreter (a carried-forward
 * plan of one pod took 10 to 20 times as long). Results are kept in the
 * caller's object from inside the loop for that reason.
 */

/** What reading a listing found; while `sorted`, the lists are final. */
interface ListingRead {
  selected: Pod[];
  matched: Pod[];
  notInjected: Pod[];
  /** Per selected pod: its slot when matched (-1 otherwise), and its flags. */
  slotOf: Int32Array;
  flags: Uint8Array;
  slots: number;
  sorted: boolean;
}

function readListing(pods: readonly Pod[], flagsOf: (pod: Pod) => number, opts: SelectionOptions, read: ListingRead): void {
  const { memo, onMatched } = opts;
  let lastNamespace = "";
  let lastName = "";
  for (const pod of pods) {
    const flags = memo ? memo.selectionOf(pod, flagsOf) : flagsOf(pod);
    if (flags === 0) continue;
    if (read.sorted) {
      const namespace = podNamespace(pod);
      const podname = podName(pod);
      // Neighbours mostly share the namespace: one equality test, not two comparisons.
      const order = lastNamespace === namespace ? compareStrings(lastName, podname) : compareStrings(lastNamespace, namespace);
      if (read.selected.length > 0 && order > 0) read.sorted = false;
      lastNamespace = namespace;
      lastName = podname;
    }
    let slot = -1;
    if (flags & MATCHED) {
      slot = read.slots++;
      onMatched?.(pod, slot);
    }
    read.slotOf[read.selected.length] = slot;
    read.flags[read.selected.length] = flags;
    read.selected.push(pod);
    // While the listing is sorted (the API server lists in key order), every
    // pod lands in its final place at once.
    if (!read.sorted) continue;
    if (slot >= 0) read.matched.push(pod);
    else if (!(flags & CARRIES_CANARY)) read.notInjected.push(pod);
  }
}

/** Puts the selected pods of `read` into `out` in `order`; `out.slots` maps the matched ones to their slots. */
function placeInOrder(order: readonly number[], read: ListingRead, out: Selection): void {
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const pod = read.selected[i]!;
    out.selected[k] = pod;
    if (read.slotOf[i]! >= 0) {
      out.slots![out.matched.length] = read.slotOf[i]!;
      out.matched.push(pod);
    } else if (!(read.flags[i]! & CARRIES_CANARY)) {
      out.notInjected.push(pod);
    }
  }
}

function carriesCanary(pod: Pod, canaries: readonly string[]): boolean {
  for (const c of canaries) if (isInjectedBy(pod, c)) return true;
  return false;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
