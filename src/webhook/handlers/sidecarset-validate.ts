// `/validate-apps-kruise-io-sidecarset` (docs/behaviour.md §4): every rule, including the
// conflicts with the other SidecarSets and the UPDATE rules, on the object the
// defaulting webhook left. Everything the rules need about the cluster comes
// from the caches.
import { GROUP, KIND, type SidecarSet } from "../../api/types.js";
import { defaultSidecarSet } from "../../api/defaults.js";
import { validateWithDefaults, type ValidationContext } from "../../api/validation/index.js";
import { allowed, denied, invalid, type AdmissionHandler, type AdmissionRequest } from "../admission.js";
import type { AdmissionCache } from "./cache-view.js";
import { objectName, sidecarSetKindProblem } from "./sidecarset-mutate.js";

export interface SidecarSetValidateDeps {
  cache: AdmissionCache;
  /** `--allow-patch-pod-metadata-without-whitelist` (docs/behaviour.md §4.5). */
  allowPatchPodMetadataWithoutWhitelist?: boolean;
  /** `--native-sidecar-in-place-upgrade` (docs/behaviour.md §7a.6). */
  nativeSidecarInPlaceUpgrade?: boolean;
}

export function createSidecarSetValidateHandler(deps: SidecarSetValidateDeps): AdmissionHandler {
  return (req) => {
    if (req.subResource) return allowed(req.uid);
    // Deleting a SidecarSet leaves its pods as they are; nothing to check.
    if (req.operation !== "CREATE" && req.operation !== "UPDATE") return allowed(req.uid);
    const kindProblem = sidecarSetKindProblem(req);
    if (kindProblem) return denied(req.uid, 400, kindProblem, "BadRequest");

    const object = req.object!;
    const name = objectName(object) || req.name || "";
    // The defaulting webhook ran first, so a well-formed object arrives
    // defaulted and defaulting it again changes nothing. A malformed one
    // arrives as submitted (defaulting skips it); defaulting its well-formed
    // parts here keeps the answer to the real problems, without "missing
    // default" noise — and identical to `sidecarset validate`.
    const result = validateWithDefaults(object, validationContext(req, name, deps), defaultSidecarSet);
    if (result.errors.length > 0) {
      const answer = invalid(req.uid, result.errors, { kind: KIND, group: GROUP, name });
      if (result.warnings.length > 0) answer.warnings = [...result.warnings];
      return answer;
    }
    return allowed(req.uid, result.warnings);
  };
}

function validationContext(req: AdmissionRequest, name: string, deps: SidecarSetValidateDeps): ValidationContext {
  const { cache } = deps;
  const ctx: ValidationContext = {
    operation: req.operation === "UPDATE" ? "UPDATE" : "CREATE",
    // The cache may already hold this SidecarSet (UPDATE, or a retried CREATE);
    // it never conflicts with itself.
    others: cache.sidecarSets().filter((s) => s.metadata?.name !== name),
    namespaces: (ns) => cache.namespaceLabels(ns),
    revisions: cache.revisions(),
    whitelist: cache.whitelist(),
    allowPatchPodMetadataWithoutWhitelist: deps.allowPatchPodMetadataWithoutWhitelist === true,
    nativeSidecarInPlaceUpgrade: deps.nativeSidecarInPlaceUpgrade === true,
  };
  if (req.operation === "UPDATE" && req.oldObject) ctx.oldObject = req.oldObject as unknown as SidecarSet;
  return ctx;
}
