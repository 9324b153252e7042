// The SidecarSet webhooks are registered for both served versions, so each
// request arrives in the version the user sent and needs no conversion webhook
// on the way. The handlers work on the v1alpha1 shape: a v1beta1 request is
// converted for them, and their answer is converted back — a defaulting patch
// is recomputed against the object as submitted, so it never touches the
// fields the versions name differently, and a problem with the custom-version
// label is reported at `spec.customVersion`, where the user wrote it. (The
// value must be a valid label value: v1alpha1 clients read it as the label.)
import jsonpatch from "fast-json-patch";
import { convertSidecarSet } from "../../api/conversion.js";
import type { FieldError } from "../../api/errors.js";
import { CUSTOM_VERSION_LABEL } from "../../api/keys.js";
import { GROUP, KIND, VERSION } from "../../api/types.js";
import { V1BETA1 } from "../../api/v1beta1/types.js";
import type { JsonPatchOp } from "../../kube/raw-client.js";
import { invalid, patched, type AdmissionHandler, type AdmissionRequest, type AdmissionResponse } from "../admission.js";

type Json = Record<string, unknown>;

export function servingBothVersions(handler: AdmissionHandler): AdmissionHandler {
  return async (req, abandonment) => {
    const { group, version, kind } = req.kind;
    if (group !== GROUP || kind !== KIND || version !== V1BETA1) return handler(req, abandonment);
    const asAlpha = asV1alpha1(req);
    const answer = await handler(asAlpha, abandonment);
    if (answer.patch && req.object && asAlpha.object) return repatch(answer, req.object, asAlpha.object);
    return answer.status?.details?.causes ? withV1beta1Paths(answer) : answer;
  };
}

const LABEL_PROBLEM = `label ${JSON.stringify(CUSTOM_VERSION_LABEL)}: `;

/** A denial whose causes name v1beta1 fields: the custom-version label's problems become spec.customVersion's. */
function withV1beta1Paths(answer: AdmissionResponse): AdmissionResponse {
  const details = answer.status!.details!;
  let moved = false;
  const errors: FieldError[] = details.causes!.map((c) => {
    if (c.field !== "metadata.labels" || !c.message.startsWith(LABEL_PROBLEM)) return { path: c.field, message: c.message };
    moved = true;
    return { path: "spec.customVersion", message: `${c.message.slice(LABEL_PROBLEM.length)} (v1alpha1 clients read it as label ${CUSTOM_VERSION_LABEL})` };
  });
  if (!moved) return answer;
  const target = { kind: details.kind ?? "", ...(details.group !== undefined ? { group: details.group } : {}), ...(details.name ? { name: details.name } : {}) };
  const out = invalid(answer.uid, errors, details.kind ? target : undefined);
  return answer.warnings ? { ...out, warnings: answer.warnings } : out;
}

function asV1alpha1(req: AdmissionRequest): AdmissionRequest {
  const out: AdmissionRequest = { ...req, kind: { ...req.kind, version: VERSION } };
  if (req.resource.version === V1BETA1) out.resource = { ...req.resource, version: VERSION };
  if (req.object) out.object = convertSidecarSet(req.object, VERSION);
  if (req.oldObject) out.oldObject = convertSidecarSet(req.oldObject, VERSION);
  return out;
}

/** The handler's patch of the v1alpha1 form, as a patch of the submitted v1beta1 object. */
function repatch(answer: AdmissionResponse, submitted: Json, submittedAsAlpha: Json): AdmissionResponse {
  const ops = JSON.parse(Buffer.from(answer.patch!, "base64").toString("utf8")) as jsonpatch.Operation[];
  const defaulted = jsonpatch.applyPatch(structuredClone(submittedAsAlpha), ops, false, false).newDocument;
  const wanted = convertSidecarSet(defaulted, V1BETA1);
  const { patch: _patch, patchType: _patchType, ...rest } = answer;
  const out = patched(rest.uid, jsonpatch.compare(submitted, wanted) as JsonPatchOp[], rest.warnings);
  return { ...rest, ...out };
}
