// Validating a SidecarSet (docs/behaviour.md §4): the shape check first, then every rule
// on the well-formed parts, and the cross-SidecarSet conflicts only when
// nothing else is wrong. Runs on the defaulted object, for the webhook and the
// CLI alike, and never throws.
import { fieldError, type FieldError } from "../errors.js";
import { isRecord } from "../is-record.js";
import type { ControllerRevision } from "../kube-types.js";
import { API_VERSION, KIND, type SidecarSet } from "../types.js";
import { validateCanary } from "./canary.js";
import { validateConflicts } from "./conflicts.js";
import { validateContainers } from "./containers.js";
import { Findings } from "./findings.js";
import { validateMetadata } from "./metadata.js";
import { validatePatchPodMetadata } from "./patch-pod-metadata.js";
import { validateProgressPolicy } from "./progress-policy.js";
import { validateLabelSelector } from "./selector.js";
import { checkShape, got, type ShapeResult } from "./shape.js";
import { validateSidecarFields } from "./sidecar-fields.js";
import { validateInjectionStrategy, validateNativeSidecarsNotRolling, validateUpdateStrategy } from "./strategy.js";
import { validateUpdate } from "./update.js";
import { validateVolumes } from "./volumes.js";
import { validateWhitelist } from "./whitelist.js";

export interface ValidationContext {
  operation: "CREATE" | "UPDATE";
  /** The stored object, for UPDATE. */
  oldObject?: SidecarSet;
  /** Every other SidecarSet in the cluster (conflicts, canary base lookup). */
  others: SidecarSet[];
  /** Labels of a Namespace; undefined when it does not exist. */
  namespaces: (name: string) => Record<string, string> | undefined;
  /** ControllerRevisions in the manager namespace; "unknown" (offline) skips the pinned-revision lookup with a warning. */
  revisions: readonly ControllerRevision[] | "unknown";
  /** Raw value of the whitelist ConfigMap key; undefined when the ConfigMap or key is missing. */
  whitelist?: string;
  allowPatchPodMetadataWithoutWhitelist?: boolean;
  /** `--native-sidecar-in-place-upgrade`: RollingUpdate may cover native sidecars (docs/behaviour.md §7a.6). */
  nativeSidecarInPlaceUpgrade?: boolean;
}

export interface ValidationResult {
  errors: FieldError[];
  warnings: string[];
}

export function validateSidecarSet(obj: unknown, ctx: ValidationContext): ValidationResult {
  try {
    return validate(obj, ctx);
  } catch (e) {
    return internalFailure(obj, e);
  }
}

/**
 * Defaults the well-formed parts of `obj` with `defaulter` (as the defaulting
 * webhook would) and validates the result. Shape problems are reported
 * against `obj` as given, so defaulting cannot paper over them.
 */
export function validateWithDefaults(
  obj: unknown,
  ctx: ValidationContext,
  defaulter: (set: SidecarSet) => SidecarSet,
  options: ValidationOptions = {},
): ValidationResult {
  try {
    if (!isRecord(obj)) return validate(obj, ctx, options);
    const given = checkShape(obj, "SidecarSet");
    let defaulted: SidecarSet;
    try {
      defaulted = defaulter(given.value as SidecarSet);
    } catch {
      // Defaulting is best effort on odd input; the rules still run on what was given.
      return validate(obj, ctx, options);
    }
    return validate(defaulted, ctx, options, given);
  } catch (e) {
    return internalFailure(obj, e);
  }
}

function internalFailure(obj: unknown, e: unknown): ValidationResult {
  const detail = e instanceof Error ? e.message : String(e);
  return {
    errors: [fieldError("", `SidecarSet ${JSON.stringify(nameOf(obj))} could not be validated: ${detail}`)],
    warnings: [],
  };
}

function nameOf(obj: unknown): string {
  if (isRecord(obj) && isRecord(obj.metadata) && typeof obj.metadata.name === "string") return obj.metadata.name;
  return "";
}

export interface ValidationOptions {
  /** Leave out the cross-SidecarSet conflicts (docs/behaviour.md §4.4), e.g. to find which of several SidecarSets a cluster would admit. */
  skipConflicts?: boolean;
}

/** `given`: the shape check of the object before defaulting, when `obj` is its defaulted copy. */
function validate(obj: unknown, ctx: ValidationContext, options: ValidationOptions = {}, given?: ShapeResult): ValidationResult {
  if (!isRecord(obj)) {
    return { errors: [fieldError("", `a SidecarSet must be an object with metadata and spec, got ${got(obj)}`)], warnings: [] };
  }
  const shape = checkShape(obj, "SidecarSet");
  if (given) {
    // A malformed list item stays a null placeholder in the defaulted copy; it was reported already.
    const again = shape.errors.filter((e) => !given.malformed.covers(e.path));
    shape.errors.splice(0, shape.errors.length, ...given.errors, ...again);
    shape.malformed.addAll(given.malformed);
    shape.warnings.unshift(...given.warnings);
  }
  const set = shape.value as SidecarSet;
  const f = new Findings(shape.malformed);
  checkKind(set, f);
  validateMetadata(set.metadata, f);
  const old = ctx.operation === "UPDATE" && ctx.oldObject ? (checkShape(ctx.oldObject, "SidecarSet").value as SidecarSet) : undefined;
  validateProgressPolicy(set, old, f);
  validateCanary(set, old, ctx.others ?? [], f);
  if (set.spec) {
    validateSpec(set, ctx, f);
    if (old) validateUpdate(set, old, f);
  } else if (!f.hasShapeErrorWithin("spec")) {
    f.error("spec", "must be set; a SidecarSet needs at least spec.selector and one container");
  }
  const errors = [...shape.errors, ...f.errors];
  const warnings = [...shape.warnings, ...f.warnings];
  if (errors.length === 0 && !options.skipConflicts) {
    const cross = new Findings(shape.malformed);
    validateConflicts(set, ctx.others ?? [], ctx.namespaces, cross);
    errors.push(...cross.errors);
  }
  return { errors, warnings };
}

function checkKind(set: SidecarSet, f: Findings): void {
  if (set.kind !== undefined && set.kind !== KIND) {
    f.error("kind", `is ${JSON.stringify(set.kind)}; this validates ${KIND} objects`);
  }
  if (set.apiVersion !== undefined && set.apiVersion !== API_VERSION) {
    f.error("apiVersion", `${JSON.stringify(set.apiVersion)} is not served; use ${API_VERSION}`);
  }
}

function validateSpec(set: SidecarSet, ctx: ValidationContext, f: Findings): void {
  const spec = set.spec;
  if (ctx.nativeSidecarInPlaceUpgrade !== true) validateNativeSidecarsNotRolling(set, f);
  if (spec.selector) {
    validateLabelSelector(spec.selector, "spec.selector", f, { emptyWouldSelect: "every pod" });
  } else if (!f.hasShapeErrorWithin("spec.selector")) {
    f.error("spec.selector", "must be set; choose the pods to inject with matchLabels or matchExpressions");
  }
  if (spec.namespace && spec.namespaceSelector) {
    f.error(
      "spec.namespaceSelector",
      "cannot be combined with spec.namespace; use namespace for one namespace by name or namespaceSelector to select namespaces by label",
    );
  } else if (spec.namespaceSelector) {
    validateLabelSelector(spec.namespaceSelector, "spec.namespaceSelector", f, { emptyWouldSelect: "every namespace" });
  }
  validateInjectionStrategy(set, ctx.revisions ?? [], f);
  validateUpdateStrategy(spec.updateStrategy, f);
  const volumes = validateVolumes(spec.volumes, f);
  const hasContainers = (spec.containers ?? []).length > 0 || (spec.initContainers ?? []).length > 0;
  if (!hasContainers) {
    if (!f.hasShapeErrorWithin("spec.containers") && !f.hasShapeErrorWithin("spec.initContainers")) {
      f.error("spec", "defines no containers; add at least one entry to spec.containers or spec.initContainers");
    }
  } else {
    validateContainers(spec, volumes, f);
    validateSidecarFields(spec, f);
  }
  validatePatchPodMetadata(spec, f);
  validateWhitelist(set, { raw: ctx.whitelist, allowWithoutWhitelist: ctx.allowPatchPodMetadataWithoutWhitelist === true }, f);
}
