// What a webhook answer to any body must look like, judged from the body
// that was sent: an AdmissionReview v1 echoing the request's uid (with a
// JSON patch that applies to the object), or a 4xx Status saying why.
// Anything else (5xx, a hang, a review without the uid, a patch that does not
// apply, an internal error dressed as a denial) is a problem.
import { isRecord } from "../../src/api/is-record.js";
import { ADMISSION_API_VERSION, type HostileBody } from "./hostile-bodies.js";
import { applyJsonPatch, type PatchOperation } from "./json-patch-apply.js";

export interface WireReply {
  status: number;
  body: string;
}

export interface AnswerRules {
  maxBodyBytes: number;
}

function parse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function isJsonContentType(t: string): boolean {
  return t.split(";")[0]!.trim().toLowerCase() === "application/json";
}

/** A 4xx with a Status body naming the code and saying why; `want` pins the code. */
function statusProblem(reply: WireReply, want?: number): string | undefined {
  if (want !== undefined && reply.status !== want) return `expected HTTP ${want}, got ${reply.status}`;
  if (reply.status < 400 || reply.status > 499) return `expected a 4xx, got ${reply.status}`;
  const body = parse(reply.body);
  if (!body.ok || !isRecord(body.value)) return `the ${reply.status} body is not a JSON object`;
  const s = body.value;
  if (s.kind !== "Status" || s.apiVersion !== "v1") return `the ${reply.status} body is not a v1 Status`;
  if (s.code !== reply.status) return `Status.code ${String(s.code)} differs from HTTP ${reply.status}`;
  if (typeof s.message !== "string" || s.message === "") return `the ${reply.status} Status has no message`;
  return undefined;
}

function requestUid(body: unknown): string | undefined {
  const request = isRecord(body) ? body.request : undefined;
  return isRecord(request) && typeof request.uid === "string" && request.uid !== "" ? request.uid : undefined;
}

function patchProblem(response: Record<string, unknown>, sentText: string): string | undefined {
  if (response.patch === undefined) return response.patchType === undefined ? undefined : "patchType without a patch";
  if (response.allowed !== true) return "a patch on a denial";
  if (response.patchType !== "JSONPatch") return `patchType ${JSON.stringify(response.patchType)}`;
  if (typeof response.patch !== "string") return "patch is not a string";
  const bytes = Buffer.from(response.patch, "base64");
  if (bytes.toString("base64") !== response.patch) return "patch is not canonical base64";
  const ops = parse(bytes.toString("utf8"));
  if (!ops.ok || !Array.isArray(ops.value) || ops.value.length === 0) return "patch is not a non-empty JSON array";
  for (const op of ops.value) {
    if (!isRecord(op) || typeof op.op !== "string" || typeof op.path !== "string") return `patch operation ${JSON.stringify(op)} is malformed`;
  }
  // A fresh copy of the object as sent: the patch must apply to exactly that.
  const object = (JSON.parse(sentText) as { request: { object: unknown } }).request.object;
  try {
    applyJsonPatch(object, ops.value as PatchOperation[]);
  } catch (e) {
    return `the patch does not apply to the object: ${(e as Error).message}`;
  }
  return undefined;
}

function reviewProblem(reply: WireReply, uid: string | undefined, sentText: string): string | undefined {
  const body = parse(reply.body);
  if (!body.ok || !isRecord(body.value)) return "the 200 body is not a JSON object";
  const review = body.value;
  if (review.apiVersion !== ADMISSION_API_VERSION || review.kind !== "AdmissionReview") return "the 200 body is not an AdmissionReview v1";
  const response = review.response;
  if (!isRecord(response)) return "the AdmissionReview has no response";
  if (uid === undefined) return "an AdmissionReview answer to a body without a request uid";
  if (response.uid !== uid) return `response.uid ${JSON.stringify(response.uid)} is not the request's ${JSON.stringify(uid)}`;
  if (typeof response.allowed !== "boolean") return "response.allowed is not a boolean";
  if (response.warnings !== undefined && !(Array.isArray(response.warnings) && response.warnings.every((w) => typeof w === "string"))) {
    return "response.warnings is not a list of strings";
  }
  if (!response.allowed) {
    const status = response.status;
    if (!isRecord(status)) return "a denial without a status";
    const code = status.code;
    if (typeof code !== "number" || !Number.isInteger(code) || code < 400 || code > 599) return `denial code ${String(code)}`;
    if (typeof status.message !== "string" || status.message === "") return "a denial without a message";
    // A handler that threw or ran out of time is a bug, whatever it was fed.
    if (status.reason === "InternalError" || status.reason === "Timeout" || /internal error/i.test(status.message)) {
      return `an internal failure: ${status.message.slice(0, 300)}`;
    }
  }
  return patchProblem(response, sentText);
}

/** Why `reply` is not an acceptable answer to `sent`, or undefined when it is. */
export function answerProblem(sent: HostileBody, reply: WireReply, rules: AnswerRules): string | undefined {
  if (sent.payload.length > rules.maxBodyBytes) return statusProblem(reply, 413);
  if (!isJsonContentType(sent.contentType)) return statusProblem(reply, 415);
  const text = sent.payload.toString("utf8");
  const parsed = parse(text);
  if (!parsed.ok) return statusProblem(reply, 400);
  if (reply.status === 200) return reviewProblem(reply, requestUid(parsed.value), text);
  return statusProblem(reply);
}
