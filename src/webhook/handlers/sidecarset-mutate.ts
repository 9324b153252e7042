// `/mutate-apps-kruise-io-sidecarset` (docs/behaviour.md §2.6): fills in the defaults and
// the two hash annotations on CREATE and UPDATE, answering with a JSON patch
// from the submitted object to the defaulted one — or no patch when nothing
// changed.
import jsonpatch from "fast-json-patch";
import { defaultSidecarSet } from "../../api/defaults.js";
import { GROUP, KIND, VERSION, type SidecarSet } from "../../api/types.js";
import { checkShape } from "../../api/validation/index.js";
import type { JsonPatchOp } from "../../kube/raw-client.js";
import type { Logger } from "../../observability/logger.js";
import { allowed, denied, patched, type AdmissionHandler, type AdmissionRequest } from "../admission.js";

export interface SidecarSetMutateDeps {
  logger?: Logger;
  /**
   * The validating handler, answering for malformed objects: the API server
   * checks the CRD's schema between the mutating and the validating webhook,
   * so a malformed object would otherwise get the schema's terse message
   * instead of ours, and only its first problem.
   */
  validate?: AdmissionHandler;
}

/**
 * Why a request is not about a SidecarSet object, or undefined when it is.
 * Guards against a webhook configuration whose rules send other resources.
 */
export function sidecarSetKindProblem(req: AdmissionRequest): string | undefined {
  const { group, version, kind } = req.kind;
  if (group !== GROUP || version !== VERSION || kind !== KIND) {
    return `this webhook admits ${GROUP}/${VERSION} ${KIND} objects, got ${group || "core"}/${version} ${kind}; check the rules of the webhook configuration`;
  }
  const object = req.object;
  if (object && object.kind !== undefined && object.kind !== null && object.kind !== KIND) {
    return `request.object.kind: ${JSON.stringify(object.kind)} in a request for a ${KIND}; the object must be a ${KIND}`;
  }
  return undefined;
}

export function createSidecarSetMutateHandler(deps: SidecarSetMutateDeps = {}): AdmissionHandler {
  return (req, abandonment) => {
    if (req.subResource) return allowed(req.uid);
    if (req.operation !== "CREATE" && req.operation !== "UPDATE") return allowed(req.uid);
    const kindProblem = sidecarSetKindProblem(req);
    if (kindProblem) return denied(req.uid, 400, kindProblem, "BadRequest");

    const submitted = req.object!;
    // A malformed object (a list where a map belongs, an unknown enum…) cannot
    // be defaulted: answer with every problem, field path by field path, as
    // the validating webhook would.
    if (checkShape(submitted, KIND).errors.length > 0) return deps.validate ? deps.validate(req, abandonment) : allowed(req.uid);

    let defaulted: SidecarSet;
    try {
      defaulted = defaultSidecarSet(submitted as unknown as SidecarSet);
    } catch (e) {
      // A well-formed object must default; admitting it without its hash
      // annotations would leave the controller unable to track its pods.
      const detail = e instanceof Error ? e.message : String(e);
      deps.logger?.error({ sidecarset: objectName(submitted), err: detail }, "defaulting a SidecarSet failed");
      return denied(req.uid, 500, `SidecarSet "${objectName(submitted)}" could not be defaulted: ${detail}`, "InternalError");
    }
    const ops = jsonpatch.compare(submitted, defaulted as unknown as Record<string, unknown>);
    return patched(req.uid, ops as JsonPatchOp[]);
  };
}

/** `metadata.name` of a submitted object, or "" when it has none. */
export function objectName(object: Record<string, unknown>): string {
  const meta = object.metadata;
  return typeof meta === "object" && meta !== null && typeof (meta as { name?: unknown }).name === "string"
    ? (meta as { name: string }).name
    : "";
}
