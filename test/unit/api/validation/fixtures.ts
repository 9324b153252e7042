// Already-defaulted SidecarSets and contexts for the validation tests.
import type { SidecarContainer, SidecarSet } from "../../../../src/api/types.js";
import type { ControllerRevision } from "../../../../src/api/kube-types.js";
import {
  validateSidecarSet,
  type ValidationContext,
  type ValidationResult,
} from "../../../../src/api/validation/index.js";

/** A container as the defaulting webhook leaves it. */
export function container(name: string, extra: Partial<SidecarContainer> = {}): SidecarContainer {
  return {
    name,
    image: `${name}:1.0`,
    imagePullPolicy: "IfNotPresent",
    terminationMessagePath: "/dev/termination-log",
    terminationMessagePolicy: "File",
    resources: {},
    podInjectPolicy: "BeforeAppContainer",
    upgradeStrategy: { upgradeType: "ColdUpgrade" },
    shareVolumePolicy: { type: "disabled" },
    ...extra,
  };
}

export function initContainer(name: string, extra: Partial<SidecarContainer> = {}): SidecarContainer {
  return container(name, { podInjectPolicy: "AfterAppContainer", ...extra });
}

/** A valid, defaulted SidecarSet selecting `app=web` with one container named after it. */
export function sidecarSet(name = "log-agent", selector: Record<string, string> = { app: "web" }): SidecarSet {
  return {
    apiVersion: "apps.kruise.io/v1alpha1",
    kind: "SidecarSet",
    metadata: { name },
    spec: {
      selector: { matchLabels: { ...selector } },
      containers: [container(`${name}-c`)],
      updateStrategy: { type: "RollingUpdate", partition: 0, maxUnavailable: 1 },
      revisionHistoryLimit: 10,
    },
  };
}

/** `sidecarSet()` changed by `mutate` (on a copy). */
export function withSet(mutate: (s: SidecarSet) => void, base: SidecarSet = sidecarSet()): SidecarSet {
  const copy = structuredClone(base);
  mutate(copy);
  return copy;
}

export function revision(name: string, labels: Record<string, string> = {}): ControllerRevision {
  return { apiVersion: "apps/v1", kind: "ControllerRevision", metadata: { name, labels }, revision: 1 };
}

export function context(extra: Partial<ValidationContext> = {}): ValidationContext {
  return {
    operation: "CREATE",
    others: [],
    namespaces: () => undefined,
    revisions: [],
    ...extra,
  };
}

export function validate(obj: unknown, extra: Partial<ValidationContext> = {}): ValidationResult {
  return validateSidecarSet(obj, context(extra));
}

export function errorPaths(obj: unknown, extra: Partial<ValidationContext> = {}): string[] {
  return validate(obj, extra).errors.map((e) => e.path);
}
