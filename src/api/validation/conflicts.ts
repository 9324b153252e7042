// Cross-SidecarSet conflicts (docs/behaviour.md §4.4): two SidecarSets whose pods may
// overlap must not inject containers of the same name, define a shared volume
// differently, or fight over an annotation with Overwrite.
import type { Volume } from "../kube-types.js";
import type { SidecarSet, SidecarSetPatchPodMetadata } from "../types.js";
import { canaryBase } from "./canary.js";
import type { Findings } from "./findings.js";
import { namespacesOverlap, type NamespaceLabels } from "./namespace-overlap.js";
import { childPath, indexPath, keyPath } from "./paths.js";
import { selectorsOverlap } from "./selector-overlap.js";
import { checkShape } from "./shape.js";

export function validateConflicts(
  set: SidecarSet,
  others: readonly unknown[],
  namespaceLabels: NamespaceLabels,
  f: Findings,
): void {
  const overlapping = overlappingOthers(set, others, namespaceLabels);
  if (overlapping.length === 0) return;
  checkNames(set, overlapping, "initContainers", "an initContainer", f);
  checkNames(set, overlapping, "containers", "a container", f);
  checkVolumes(set, overlapping, f);
  checkAnnotations(set, overlapping, f);
}

/**
 * Other SidecarSets whose pods may overlap with `set`'s, sorted by name.
 * Skipped: itself, its base (when it is a canary) and its own canaries. A
 * canary replaces its base on the pods it selects, so the two never meet in
 * one pod; skipping in both directions lets the base be updated while a
 * canary of it exists (the canary workflow: try, then roll the base forward).
 */
function overlappingOthers(set: SidecarSet, others: readonly unknown[], namespaceLabels: NamespaceLabels): SidecarSet[] {
  const name = set.metadata?.name;
  const base = canaryBase(set.metadata?.annotations);
  const out: SidecarSet[] = [];
  for (const raw of others) {
    // Others come from the cluster or from files; read them through the shape check so junk cannot crash us.
    const other = checkShape(raw, "SidecarSet").value as SidecarSet | undefined;
    const otherName = other?.metadata?.name;
    if (!other || otherName === undefined || otherName === name || otherName === base) continue;
    if (name !== undefined && canaryBase(other.metadata?.annotations) === name) continue;
    if (!namespacesOverlap(set.spec, other.spec, namespaceLabels)) continue;
    if (!selectorsOverlap(set.spec?.selector, other.spec?.selector)) continue;
    out.push(other);
  }
  return out.sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : a.metadata.name! > b.metadata.name! ? 1 : 0));
}

function quoteNames(sets: readonly SidecarSet[]): string {
  const names = sets.map((s) => JSON.stringify(s.metadata.name));
  return `SidecarSet${names.length > 1 ? "s" : ""} ${names.join(", ")}`;
}

function checkNames(
  set: SidecarSet,
  others: readonly SidecarSet[],
  list: "initContainers" | "containers",
  what: string,
  f: Findings,
): void {
  (set.spec?.[list] ?? []).forEach((c, i) => {
    if (!c?.name) return;
    const clashing = others.filter((o) => (o.spec?.[list] ?? []).some((oc) => oc?.name === c.name));
    if (clashing.length === 0) return;
    f.error(
      childPath(indexPath(`spec.${list}`, i), "name"),
      `is also ${what} of ${quoteNames(clashing)}, whose pods overlap; use another name, or make the selectors or namespaces disjoint`,
    );
  });
}

function checkVolumes(set: SidecarSet, others: readonly SidecarSet[], f: Findings): void {
  (set.spec?.volumes ?? []).forEach((v, i) => {
    if (!v?.name) return;
    const clashing = others.filter((o) =>
      (o.spec?.volumes ?? []).some((ov) => ov?.name === v.name && !sameValue(ov as Volume, v)),
    );
    if (clashing.length === 0) return;
    f.error(
      indexPath("spec.volumes", i),
      `volume ${JSON.stringify(v.name)} is defined differently by ${quoteNames(clashing)}, whose pods overlap; use the same definition or another name`,
    );
  });
}

/** Retain never conflicts; a shared key is allowed only when neither side overwrites it. */
function checkAnnotations(set: SidecarSet, others: readonly SidecarSet[], f: Findings): void {
  (set.spec?.patchPodMetadata ?? []).forEach((entry, i) => {
    if (!entry || entry.patchPolicy === "Retain") return;
    for (const key of Object.keys(entry.annotations ?? {})) {
      const clashing = others.filter((o) =>
        (o.spec?.patchPodMetadata ?? []).some((oe) => patchesKey(oe, key) && (isOverwrite(entry) || isOverwrite(oe))),
      );
      if (clashing.length === 0) continue;
      f.error(
        keyPath(childPath(indexPath("spec.patchPodMetadata", i), "annotations"), key),
        `also patched by ${quoteNames(clashing)}, whose pods overlap; a shared key is allowed only when neither side uses Overwrite`,
      );
    }
  });
}

function patchesKey(entry: SidecarSetPatchPodMetadata | null | undefined, key: string): boolean {
  return !!entry && entry.patchPolicy !== "Retain" && Object.prototype.hasOwnProperty.call(entry.annotations ?? {}, key);
}

function isOverwrite(entry: SidecarSetPatchPodMetadata | null | undefined): boolean {
  return entry?.patchPolicy === "Overwrite";
}

/** Deep equality of JSON values; key order does not matter. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && sameValue((a as Record<string, unknown>)[k], rb[k]));
}
