// updateStrategy and injectionStrategy (docs/behaviour.md §4.2 #6, #10–#15). The update
// rules only apply to RollingUpdate: a NotUpdate SidecarSet never upgrades, so
// its strategy fields are inert.
import { CUSTOM_VERSION_LABEL, REVISION_SIDECARSET_NAME_LABEL } from "../keys.js";
import type { ControllerRevision, IntOrString } from "../kube-types.js";
import type { SidecarSet, SidecarSetUpdateStrategy } from "../types.js";
import type { Findings } from "./findings.js";
import { childPath, indexPath } from "./paths.js";
import { validateLabelSelector } from "./selector.js";

const PERCENT = /^[0-9]+%$/;
const UPDATE = "spec.updateStrategy";

/**
 * Rule 6: without `--native-sidecar-in-place-upgrade` native sidecars are
 * never upgraded in place, so RollingUpdate cannot cover them.
 */
export function validateNativeSidecarsNotRolling(set: SidecarSet, f: Findings): void {
  if (set.spec?.updateStrategy?.type !== "RollingUpdate") return;
  (set.spec.initContainers ?? []).forEach((c, i) => {
    if (c?.restartPolicy !== "Always") return;
    f.error(
      `spec.initContainers[${i}].restartPolicy`,
      `makes ${JSON.stringify(c.name ?? "")} a native sidecar, which is upgraded in place only when the manager runs with --native-sidecar-in-place-upgrade; set spec.updateStrategy.type to NotUpdate, drop restartPolicy, or turn that flag on`,
    );
  });
}

export function validateUpdateStrategy(strategy: SidecarSetUpdateStrategy | undefined, f: Findings): void {
  if (!strategy || strategy.type !== "RollingUpdate") return;
  if (strategy.selector && partitionIsSet(strategy.partition)) {
    f.error(
      UPDATE,
      `partition (${JSON.stringify(strategy.partition)}) and selector cannot be used together; use selector to choose the pods to upgrade, or partition to keep some pods on the old version`,
    );
  }
  validateLabelSelector(strategy.selector, childPath(UPDATE, "selector"), f, { emptyWouldSelect: "every pod" });
  validateIntOrPercent(strategy.partition, childPath(UPDATE, "partition"), f);
  validateIntOrPercent(strategy.maxUnavailable, childPath(UPDATE, "maxUnavailable"), f);
  validatePriority(strategy, f);
  validateScatter(strategy, f);
}

/** Zero is the default and means "no partition"; any string counts as set. */
function partitionIsSet(p: IntOrString | undefined): boolean {
  return typeof p === "string" || (typeof p === "number" && p !== 0);
}

function validateIntOrPercent(v: IntOrString | undefined, path: string, f: Findings): void {
  if (typeof v === "number" && v < 0) {
    f.error(path, `${v} is negative; use a non-negative integer or a whole percentage like "10%"`);
  } else if (typeof v === "string" && !PERCENT.test(v)) {
    f.error(path, `${JSON.stringify(v)} is neither an integer nor a whole percentage like "10%"`);
  }
}

function validatePriority(strategy: SidecarSetUpdateStrategy, f: Findings): void {
  const priority = strategy.priorityStrategy;
  if (!priority) return;
  const path = childPath(UPDATE, "priorityStrategy");
  const weights = priority.weightPriority ?? [];
  const orders = priority.orderPriority ?? [];
  if (weights.length > 0 && orders.length > 0) {
    f.error(path, "weightPriority and orderPriority cannot be used together; choose one");
  }
  weights.forEach((term, i) => {
    if (!term) return;
    const p = indexPath(childPath(path, "weightPriority"), i);
    const weight = term.weight ?? 0;
    if (weight < 0 || weight > 100) f.error(childPath(p, "weight"), `${weight} is out of range; use 0 to 100`);
    validateLabelSelector(term.matchSelector ?? {}, childPath(p, "matchSelector"), f, {
      emptyWouldSelect: "every pod, giving the weight to all of them",
    });
  });
  orders.forEach((term, i) => {
    if (!term) return;
    if (!term.orderedKey) {
      f.error(
        childPath(indexPath(childPath(path, "orderPriority"), i), "orderedKey"),
        "must not be empty; name the pod label whose value orders the upgrade",
      );
    }
  });
}

function validateScatter(strategy: SidecarSetUpdateStrategy, f: Findings): void {
  const path = childPath(UPDATE, "scatterStrategy");
  const seen = new Map<string, number>();
  (strategy.scatterStrategy ?? []).forEach((term, i) => {
    if (!term) return;
    const p = indexPath(path, i);
    if (!term.key) {
      f.error(childPath(p, "key"), "must not be empty; name the pod label to spread the upgrade over");
      return;
    }
    // An empty or omitted value means every value of the key (docs/behaviour.md §2.4), the same as "*".
    const value = term.value ? term.value : "*";
    const id = JSON.stringify([term.key, value]);
    const first = seen.get(id);
    if (first !== undefined) {
      f.error(
        p,
        `repeats scatterStrategy[${first}] (key ${JSON.stringify(term.key)}, value ${JSON.stringify(value)}); list each key/value once (an empty value means "*")`,
      );
    } else {
      seen.set(id, i);
    }
  });
}

/**
 * Rule 10: a pinned revision must name something that exists in the manager
 * namespace (revisionName wins over customVersion, as at injection). The
 * policy's allowed values are a shape rule.
 */
export function validateInjectionStrategy(
  set: SidecarSet,
  revisions: readonly ControllerRevision[] | "unknown",
  f: Findings,
): void {
  const revision = set.spec?.injectionStrategy?.revision;
  if (!revision) return;
  const path = "spec.injectionStrategy.revision";
  if (!revision.revisionName && !revision.customVersion) {
    // Nothing to look up: this is wrong with or without a cluster.
    if (!f.hasShapeErrorWithin(path)) {
      f.error(
        path,
        `names no revision; set revisionName (a ControllerRevision name) or customVersion (a value of label ${CUSTOM_VERSION_LABEL})`,
      );
    }
  } else if (revisions === "unknown") {
    f.warn(`${path}: the pinned revision was not looked up (no cluster); the manager rejects the SidecarSet if it does not exist`);
  } else if (revision.revisionName) {
    const found = revisions.some((r) => r?.metadata?.name === revision.revisionName);
    if (!found) {
      f.error(
        childPath(path, "revisionName"),
        `ControllerRevision ${JSON.stringify(revision.revisionName)} was not found in the manager namespace; name an existing revision (see status.latestRevision) or use customVersion`,
      );
    }
  } else {
    const name = set.metadata?.name ?? "";
    const found = revisions.some((r) => {
      const labels = r?.metadata?.labels ?? {};
      return labels[REVISION_SIDECARSET_NAME_LABEL] === name && labels[CUSTOM_VERSION_LABEL] === revision.customVersion;
    });
    if (!found) {
      f.error(
        childPath(path, "customVersion"),
        `no ControllerRevision of SidecarSet ${JSON.stringify(name)} in the manager namespace has label ${CUSTOM_VERSION_LABEL}=${revision.customVersion}; use a version this SidecarSet has had, or revisionName`,
      );
    }
  }
}
