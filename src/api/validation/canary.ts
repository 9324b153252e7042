// Canary SidecarSets (docs/behaviour.md §4.2 #2–#5, §5.4): a canary names a base it
// replaces on the pods it selects; the base must be another, regular
// SidecarSet, the choice is fixed for the canary's life, and a canary never
// upgrades pods in place.
import { isRecord } from "../is-record.js";
import { CANARY_ANNOTATION, CANARY_BASE_ANNOTATION } from "../keys.js";
import type { SidecarSet } from "../types.js";
import type { Findings } from "./findings.js";
import { keyPath } from "./paths.js";

const BASE_PATH = keyPath("metadata.annotations", CANARY_BASE_ANNOTATION);

/** The base a canary replaces, or undefined when `annotations` do not make a canary. */
export function canaryBase(annotations: unknown): string | undefined {
  if (!isRecord(annotations)) return undefined;
  const canary = annotations[CANARY_ANNOTATION];
  const base = annotations[CANARY_BASE_ANNOTATION];
  return canary === "true" && typeof base === "string" && base !== "" ? base : undefined;
}

export function validateCanary(
  set: SidecarSet,
  old: SidecarSet | undefined,
  others: readonly unknown[],
  f: Findings,
): void {
  const annotations = set.metadata?.annotations ?? {};
  const base = canaryBase(annotations);
  if (base === undefined) {
    warnAboutHalfCanary(annotations, f);
    return;
  }
  const name = set.metadata?.name ?? "";
  if (base === name) {
    f.error(BASE_PATH, `names this SidecarSet itself; a canary's base must be another SidecarSet`);
  } else {
    checkBaseExists(base, others, f);
  }
  if (old) {
    const oldBase = old.metadata?.annotations?.[CANARY_BASE_ANNOTATION];
    if (oldBase !== base) {
      const was = oldBase === undefined ? "was not set" : `was ${JSON.stringify(oldBase)}`;
      f.error(
        BASE_PATH,
        `changed to ${JSON.stringify(base)} but ${was}; a canary's base is immutable — create a new canary SidecarSet instead`,
      );
    }
  }
  const type = set.spec?.updateStrategy?.type;
  if (type !== "NotUpdate") {
    f.error(
      "spec.updateStrategy.type",
      `is ${JSON.stringify(type ?? "")}; a canary SidecarSet must use NotUpdate (it only injects, its base keeps upgrading pods)`,
    );
  }
}

function checkBaseExists(base: string, others: readonly unknown[], f: Findings): void {
  const found = others.find((o) => isRecord(o) && isRecord(o.metadata) && o.metadata.name === base);
  if (!found || !isRecord(found)) {
    f.error(BASE_PATH, `names SidecarSet ${JSON.stringify(base)}, which does not exist; create the base first or fix the name`);
    return;
  }
  const meta = found.metadata as Record<string, unknown>;
  if (canaryBase(meta.annotations) !== undefined) {
    f.error(BASE_PATH, `names SidecarSet ${JSON.stringify(base)}, which is itself a canary; the base must be a regular SidecarSet`);
  }
}

function warnAboutHalfCanary(annotations: Record<string, string>, f: Findings): void {
  const canary = annotations[CANARY_ANNOTATION];
  const base = annotations[CANARY_BASE_ANNOTATION];
  if (canary === "true") {
    f.warn(
      `${keyPath("metadata.annotations", CANARY_ANNOTATION)}: is "true" but ${CANARY_BASE_ANNOTATION} is not set, so this SidecarSet is not a canary`,
    );
  } else if (base) {
    f.warn(
      `${BASE_PATH}: is set but ${CANARY_ANNOTATION} is ${canary === undefined ? "not set" : JSON.stringify(canary)}, not "true", so this SidecarSet is not a canary`,
    );
  }
}
