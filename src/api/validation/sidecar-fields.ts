// The SidecarSet-specific container fields (docs/behaviour.md §4.2 #17–#20): placement
// and volume sharing, transferEnv's source-name fieldRef, resourcesPolicy, and
// the hot-upgrade warning.
import { parseResourceExpr } from "../../core/inject/resource-expr.js";
import type { SidecarContainer, SidecarSetSpec } from "../types.js";
import { isNativeSidecar } from "../sidecar-containers.js";
import { listContainers } from "./containers.js";
import type { Findings } from "./findings.js";
import { childPath, indexPath } from "./paths.js";
import { splitSubscript } from "./container-env.js";
import { checkRe2 } from "./regex.js";
import { checkQualifiedName } from "./syntax.js";

const SOURCE_FIELD_FORMS = "metadata.labels['<key>'] or metadata.annotations['<key>']";

export function validateSidecarFields(spec: SidecarSetSpec, f: Findings): void {
  for (const { c, path, isInit } of listContainers(spec)) {
    if (!isInit) {
      validatePlacement(c, path, f);
      validateTransferEnv(c, path, f);
    }
    if (c.resourcesPolicy) {
      if (isInit && !isNativeSidecar(c)) {
        f.error(
          childPath(path, "resourcesPolicy"),
          "is only supported on containers and on native sidecar initContainers (restartPolicy: Always); remove it or set restartPolicy: Always",
        );
      } else {
        validateResourcesPolicy(c, childPath(path, "resourcesPolicy"), f);
      }
    }
    warnHotUpgradeWithoutEmptyImage(c, path, isInit, f);
  }
}

function unsetOr(v: string | undefined): string {
  return v ? `${JSON.stringify(v)} is not supported` : "must be set";
}

/** Rule 17. */
function validatePlacement(c: SidecarContainer, path: string, f: Findings): void {
  const policy = c.podInjectPolicy;
  if (policy !== "BeforeAppContainer" && policy !== "AfterAppContainer") {
    f.error(childPath(path, "podInjectPolicy"), `${unsetOr(policy)}; use BeforeAppContainer or AfterAppContainer`);
  }
  const share = c.shareVolumePolicy?.type;
  if (share !== "enabled" && share !== "disabled") {
    f.error(childPath(childPath(path, "shareVolumePolicy"), "type"), `${unsetOr(share)}; use enabled or disabled`);
  }
}

/** Rule 18: the source container's name may come from one pod label or annotation. */
function validateTransferEnv(c: SidecarContainer, path: string, f: Findings): void {
  (c.transferEnv ?? []).forEach((t, j) => {
    const ref = t?.sourceContainerNameFrom?.fieldRef;
    if (!ref) return;
    const p = childPath(childPath(indexPath(childPath(path, "transferEnv"), j), "sourceContainerNameFrom"), "fieldRef");
    if (!ref.apiVersion) {
      f.error(childPath(p, "apiVersion"), `must be set; use "v1"`);
      return;
    }
    if (!ref.fieldPath) {
      f.error(childPath(p, "fieldPath"), `must be set; use ${SOURCE_FIELD_FORMS}`);
      return;
    }
    if (ref.apiVersion !== "v1") {
      f.error(childPath(p, "apiVersion"), `${JSON.stringify(ref.apiVersion)} is not supported; use "v1"`);
      return;
    }
    const sub = splitSubscript(ref.fieldPath);
    if (!sub || (sub.path !== "metadata.labels" && sub.path !== "metadata.annotations")) {
      f.error(childPath(p, "fieldPath"), `${JSON.stringify(ref.fieldPath)} is not supported; use ${SOURCE_FIELD_FORMS}`);
      return;
    }
    const isLabel = sub.path === "metadata.labels";
    const bad = checkQualifiedName(sub.key, isLabel ? "label key" : "annotation key", !isLabel);
    if (bad) f.error(childPath(p, "fieldPath"), bad);
  });
}

/** Rule 20. */
function validateResourcesPolicy(c: SidecarContainer, path: string, f: Findings): void {
  const policy = c.resourcesPolicy!;
  const hasResources =
    Object.keys(c.resources?.limits ?? {}).length > 0 || Object.keys(c.resources?.requests ?? {}).length > 0;
  if (hasResources) {
    f.error(path, "cannot be combined with resources.limits or resources.requests, which the policy computes; remove one of them");
    return;
  }
  if (policy.targetContainersMode !== "sum" && policy.targetContainersMode !== "max") {
    f.error(childPath(path, "targetContainersMode"), `${unsetOr(policy.targetContainersMode)}; use sum or max`);
  }
  const regex = policy.targetContainersNameRegex;
  const regexPath = childPath(path, "targetContainersNameRegex");
  if (!regex) {
    f.error(regexPath, `must not be empty; use a regular expression matching the app containers, such as ".*"`);
  } else {
    const bad = checkRe2(regex);
    if (bad) f.error(regexPath, bad);
  }
  const expr = policy.resourcesExpr;
  const exprPath = childPath(path, "resourcesExpr");
  if (!expr || (!expr.limits && !expr.requests)) {
    if (!f.hasShapeErrorWithin(exprPath)) {
      f.error(exprPath, "sets neither limits nor requests; set at least one, e.g. requests: {cpu: \"cpu*50%\"}");
    }
    return;
  }
  for (const kind of ["limits", "requests"] as const) {
    const part = expr[kind];
    if (!part) continue;
    for (const resource of ["cpu", "memory"] as const) {
      const text = part[resource];
      if (!text) continue;
      const r = parseResourceExpr(text, resource);
      if (!r.ok) {
        f.error(
          childPath(childPath(exprPath, kind), resource),
          `${JSON.stringify(text)} is not a valid expression: ${r.error}; use + - * /, parentheses, max(a, b), min(a, b), numbers, percentages and quantities with the variable ${resource}`,
        );
      }
    }
  }
}

function warnHotUpgradeWithoutEmptyImage(c: SidecarContainer, path: string, isInit: boolean, f: Findings): void {
  if (c.upgradeStrategy?.upgradeType !== "HotUpgrade" || c.upgradeStrategy.hotUpgradeEmptyImage) return;
  // A plain initContainer is never paired, so it never needs the empty image.
  if (isInit && !isNativeSidecar(c)) return;
  f.warn(
    `${childPath(childPath(path, "upgradeStrategy"), "hotUpgradeEmptyImage")}: HotUpgrade without hotUpgradeEmptyImage; pods created from this SidecarSet will fail, set the image the idle container runs`,
  );
}
