// AdmissionReview v1: decoding what the API server sends and encoding what we
// answer. Decoding never throws: a malformed review becomes an error answer
// (an AdmissionReview denial when the request uid can be recovered, HTTP 400
// otherwise), and a handler that throws becomes a 500 denial naming the object.
import type { FieldError } from "../api/errors.js";
import { formatFieldError } from "../api/errors.js";
import { isRecord } from "../api/is-record.js";
import { knownJsonPieces } from "../api/known-json.js";
import type { JsonPatchOp } from "../kube/raw-client.js";
import { admissionReviewJsonPieces, base64PatchOf, rememberBase64Patch } from "./review-json.js";

export const ADMISSION_API_VERSION = "admission.k8s.io/v1";

export type Operation = "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
const OPERATIONS: readonly Operation[] = ["CREATE", "UPDATE", "DELETE", "CONNECT"];

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface GroupVersionResource {
  group: string;
  version: string;
  resource: string;
}

export interface UserInfo {
  username?: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

export interface AdmissionRequest {
  uid: string;
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  subResource?: string;
  requestKind?: GroupVersionKind;
  requestResource?: GroupVersionResource;
  requestSubResource?: string;
  name?: string;
  namespace?: string;
  operation: Operation;
  userInfo: UserInfo;
  /** Present (a JSON object) for CREATE and UPDATE. */
  object?: Record<string, unknown>;
  /** Present (a JSON object) for UPDATE and DELETE. */
  oldObject?: Record<string, unknown>;
  dryRun?: boolean;
  options?: unknown;
}

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

export interface AdmissionStatus {
  status: "Failure";
  code: number;
  message: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
  metadata?: Record<string, never>;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus;
  patch?: string;
  patchType?: "JSONPatch";
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
}

export interface AdmissionReview {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: "AdmissionReview";
  response: AdmissionResponse;
}

export type DecodeResult =
  | { ok: true; request: AdmissionRequest }
  /** `uid` is set when the review carried one, so the answer can still be an AdmissionReview. */
  | { ok: false; uid?: string; error: string };

function describe(v: unknown): string {
  if (v === undefined) return "missing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return v.length > 40 ? `a string "${v.slice(0, 40)}…"` : `"${v}"`;
  if (typeof v === "object") return "an object";
  return `${typeof v} ${String(v)}`;
}

function checkString(value: unknown, path: string, errors: string[], opts: { optional?: boolean; allowEmpty?: boolean } = {}): void {
  if (value === undefined && opts.optional) return;
  if (typeof value !== "string" || (!opts.allowEmpty && value === "")) {
    errors.push(`${path}: ${describe(value)}, expected a ${opts.allowEmpty ? "" : "non-empty "}string`);
  }
}

function checkGVK(value: unknown, path: string, errors: string[], last: "kind" | "resource", optional = false): void {
  if (value === undefined && optional) return;
  if (!isRecord(value)) {
    errors.push(`${path}: ${describe(value)}, expected an object with group, version and ${last}`);
    return;
  }
  checkString(value.group, `${path}.group`, errors, { allowEmpty: true });
  checkString(value.version, `${path}.version`, errors);
  checkString(value[last], `${path}.${last}`, errors);
}

/**
 * How deep a review may nest. JSON.parse reads any depth, but JSON.stringify,
 * structuredClone and the recursive walks of defaulting, validation and
 * diffing overflow the stack near 2,000 levels, which would turn a hostile
 * body into an internal error. Real pods and SidecarSets stay under 30
 * levels, so deeper input is refused before any handler sees it.
 */
export const MAX_NESTING_DEPTH = 1000;

/** Whether `value` nests deeper than `limit` levels. Iterative, so it cannot overflow on what it guards against. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (typeof node !== "object" || node === null) continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (typeof child === "object" && child !== null) stack.push({ node: child, depth: depth + 1 });
    }
  }
  return false;
}

/**
 * Checks the shape of an AdmissionReview v1 request. Every problem is
 * reported (not just the first) with its field path and what was expected.
 */
export function decodeAdmissionReview(body: unknown): DecodeResult {
  if (!isRecord(body)) return { ok: false, error: `body: ${describe(body)}, expected an AdmissionReview object` };
  const request = body.request;
  const uid = isRecord(request) && typeof request.uid === "string" && request.uid !== "" ? request.uid : undefined;
  if (nestsDeeperThan(body, MAX_NESTING_DEPTH)) {
    const error = `body: nested more than ${MAX_NESTING_DEPTH} levels deep; no Kubernetes object is`;
    return uid === undefined ? { ok: false, error } : { ok: false, uid, error };
  }
  const errors: string[] = [];
  if (body.apiVersion !== ADMISSION_API_VERSION) {
    errors.push(`apiVersion: ${describe(body.apiVersion)}, only ${ADMISSION_API_VERSION} is supported`);
  }
  if (body.kind !== "AdmissionReview") errors.push(`kind: ${describe(body.kind)}, expected "AdmissionReview"`);
  if (!isRecord(request)) {
    errors.push(`request: ${describe(request)}, expected an object`);
    return { ok: false, error: errors.join("; ") };
  }
  checkString(request.uid, "request.uid", errors);
  checkGVK(request.kind, "request.kind", errors, "kind");
  checkGVK(request.resource, "request.resource", errors, "resource");
  checkGVK(request.requestKind, "request.requestKind", errors, "kind", true);
  checkGVK(request.requestResource, "request.requestResource", errors, "resource", true);
  checkString(request.subResource, "request.subResource", errors, { optional: true, allowEmpty: true });
  checkString(request.name, "request.name", errors, { optional: true, allowEmpty: true });
  checkString(request.namespace, "request.namespace", errors, { optional: true, allowEmpty: true });
  const op = request.operation;
  if (typeof op !== "string" || !(OPERATIONS as readonly string[]).includes(op)) {
    errors.push(`request.operation: ${describe(op)}, expected one of ${OPERATIONS.join(", ")}`);
  }
  if (request.userInfo !== undefined && !isRecord(request.userInfo)) {
    errors.push(`request.userInfo: ${describe(request.userInfo)}, expected an object`);
  }
  if (request.dryRun !== undefined && typeof request.dryRun !== "boolean") {
    errors.push(`request.dryRun: ${describe(request.dryRun)}, expected a boolean`);
  }
  const needsObject = op === "CREATE" || op === "UPDATE";
  const needsOld = op === "UPDATE" || op === "DELETE";
  if (needsObject && !isRecord(request.object)) {
    errors.push(`request.object: ${describe(request.object)}, a ${op} request needs the object`);
  } else if (!needsObject && request.object !== undefined && request.object !== null && !isRecord(request.object)) {
    errors.push(`request.object: ${describe(request.object)}, expected an object`);
  }
  if (needsOld && !isRecord(request.oldObject)) {
    errors.push(`request.oldObject: ${describe(request.oldObject)}, a ${op} request needs the old object`);
  } else if (!needsOld && request.oldObject !== undefined && request.oldObject !== null && !isRecord(request.oldObject)) {
    errors.push(`request.oldObject: ${describe(request.oldObject)}, expected an object`);
  }
  if (errors.length > 0) return uid === undefined ? { ok: false, error: errors.join("; ") } : { ok: false, uid, error: errors.join("; ") };

  const decoded: AdmissionRequest = {
    uid: request.uid as string,
    kind: request.kind as GroupVersionKind,
    resource: request.resource as GroupVersionResource,
    operation: op as Operation,
    userInfo: (request.userInfo as UserInfo | undefined) ?? {},
  };
  if (request.subResource !== undefined) decoded.subResource = request.subResource as string;
  if (request.requestKind !== undefined) decoded.requestKind = request.requestKind as GroupVersionKind;
  if (request.requestResource !== undefined) decoded.requestResource = request.requestResource as GroupVersionResource;
  if (request.requestSubResource !== undefined) decoded.requestSubResource = request.requestSubResource as string;
  if (request.name !== undefined) decoded.name = request.name as string;
  if (request.namespace !== undefined) decoded.namespace = request.namespace as string;
  if (isRecord(request.object)) decoded.object = request.object;
  if (isRecord(request.oldObject)) decoded.oldObject = request.oldObject;
  if (request.dryRun !== undefined) decoded.dryRun = request.dryRun as boolean;
  if (request.options !== undefined) decoded.options = request.options;
  return { ok: true, request: decoded };
}

export function allowed(uid: string, warnings?: string[]): AdmissionResponse {
  const r: AdmissionResponse = { uid, allowed: true };
  if (warnings && warnings.length > 0) r.warnings = [...warnings];
  return r;
}

/** Allowed with a JSON patch; an empty patch is a plain allow (the API server rejects "[]" for some kinds). */
export function patched(uid: string, ops: readonly JsonPatchOp[], warnings?: string[]): AdmissionResponse {
  return patchedWith(uid, encodePatch(ops), warnings);
}

/** A JSON patch as AdmissionResponse.patch carries it (base64), or undefined for an empty one. */
export function encodePatch(ops: readonly JsonPatchOp[]): string | undefined {
  if (ops.length === 0) return undefined;
  // Down to the elements of an operation's value: where the built sidecars sit, their JSON already written.
  // The pieces go into one buffer as they are, rather than being joined into one more string first.
  const pieces = knownJsonPieces(ops, 3)!;
  const bytes = bytesFor(pieces);
  let at = 0;
  for (const piece of pieces) at += bytes.write(piece, at, "utf8");
  return bytes.toString("base64", 0, at);
}

/**
 * The thread's buffer for the bytes of patches up to KEPT_PATCH_BYTES, kept from one to the next: a pod's
 * patch (10 KB and more) in a buffer of its own cost each admission an allocation outside the heap.
 */
let patchBytes = Buffer.allocUnsafeSlow(0);
const KEPT_PATCH_BYTES = 256 * 1024;

/** A buffer with room for `pieces` in UTF-8 (at most three bytes per UTF-16 unit), to be read before the next patch. */
function bytesFor(pieces: readonly string[]): Buffer {
  let units = 0;
  for (const piece of pieces) units += piece.length;
  const room = units * 3;
  if (room <= patchBytes.length) return patchBytes;
  if (room > KEPT_PATCH_BYTES) return Buffer.allocUnsafeSlow(room);
  patchBytes = Buffer.allocUnsafeSlow(Math.min(KEPT_PATCH_BYTES, Math.max(room, 2 * patchBytes.length)));
  return patchBytes;
}

/** `patched` for a patch `encodePatch` already encoded. */
export function patchedWith(uid: string, base64Patch: string | undefined, warnings?: string[]): AdmissionResponse {
  const r = allowed(uid, warnings);
  if (base64Patch !== undefined) {
    r.patch = base64Patch;
    r.patchType = "JSONPatch";
    rememberBase64Patch(r, base64Patch);
  }
  return r;
}

export function denied(uid: string, code: number, message: string, reason?: string): AdmissionResponse {
  const status: AdmissionStatus = { status: "Failure", code, message, metadata: {} };
  if (reason) status.reason = reason;
  return { uid, allowed: false, status };
}

/**
 * 422 Invalid with one cause per field error. The message follows the API
 * server's own: `SidecarSet.apps.kruise.io "x" is invalid: [a: …, b: …]`
 * (the prefix only when `target` is given; brackets only for several errors).
 */
export function invalid(
  uid: string,
  errors: readonly FieldError[],
  target?: { kind: string; group?: string; name?: string },
): AdmissionResponse {
  const parts = errors.map(formatFieldError);
  const joined = parts.length === 1 ? parts[0]! : `[${parts.join(", ")}]`;
  const qualified = target ? (target.group ? `${target.kind}.${target.group}` : target.kind) : "";
  const message = target ? `${qualified} "${target.name ?? ""}" is invalid: ${joined}` : joined;
  const r = denied(uid, 422, message, "Invalid");
  r.status!.details = {
    causes: errors.map((e) => ({ reason: "FieldValueInvalid", message: e.message, field: e.path })),
  };
  if (target) {
    if (target.name) r.status!.details.name = target.name;
    if (target.group !== undefined) r.status!.details.group = target.group;
    r.status!.details.kind = target.kind;
  }
  return r;
}

export function toReview(response: AdmissionResponse): AdmissionReview {
  return { apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", response };
}

/** What the HTTP layer sends: a status code and a JSON body. */
export interface HttpReply {
  status: number;
  body: unknown;
  /**
   * `body` as JSON text, exactly JSON.stringify(body), when the route could encode it more cheaply: one
   * string, or pieces whose concatenation it is (written one after another, never joined).
   */
  json?: string | readonly string[];
}

/** metav1.Status body for a 400 when no AdmissionReview answer is possible. */
export function badRequest(message: string): HttpReply {
  return {
    status: 400,
    body: { apiVersion: "v1", kind: "Status", status: "Failure", code: 400, reason: "BadRequest", message },
  };
}

/** "Pod default/web-7d9f* (generateName)", "SidecarSet log-agent". */
export function describeObject(req: AdmissionRequest): string {
  const meta = isRecord(req.object?.metadata) ? req.object.metadata : isRecord(req.oldObject?.metadata) ? req.oldObject.metadata : {};
  const name =
    req.name || (typeof meta.name === "string" && meta.name) || (typeof meta.generateName === "string" && meta.generateName ? `${meta.generateName}* (generateName)` : "<unnamed>");
  const ns = req.namespace || (typeof meta.namespace === "string" ? meta.namespace : "");
  return `${req.kind.kind} ${ns ? `${ns}/` : ""}${name}`;
}

/** Whether the HTTP layer gave up on a request; `signal` aborts then (it may be made only when read). */
export interface RequestAbandonment {
  readonly abandoned: boolean;
  readonly signal: AbortSignal;
}

export type AdmissionHandler = (req: AdmissionRequest, abandonment: RequestAbandonment) => AdmissionResponse | Promise<AdmissionResponse>;

export interface HandleOptions {
  /** When the HTTP layer gives up; the answer is then a timeout denial. */
  abandonment?: RequestAbandonment;
  /** Told about handler exceptions (for the log). */
  onError?(error: unknown, req: AdmissionRequest): void;
}

/**
 * Decodes, runs the handler, encodes. Never throws: malformed input gives a
 * 400 (no uid) or a denial (uid known); a throwing handler gives a 500
 * denial naming the object; an aborted signal gives a 504 denial.
 */
export async function handleAdmission(body: unknown, handler: AdmissionHandler, opts: HandleOptions = {}): Promise<HttpReply> {
  let decoded: DecodeResult;
  try {
    decoded = decodeAdmissionReview(body);
  } catch (e) {
    // decode is total; this only guards against hostile getters and the like.
    return badRequest(`malformed AdmissionReview: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!decoded.ok) {
    const message = `malformed AdmissionReview: ${decoded.error}`;
    if (decoded.uid === undefined) return badRequest(message);
    return { status: 200, body: toReview(denied(decoded.uid, 400, message, "BadRequest")) };
  }
  const req = decoded.request;
  const abandonment = opts.abandonment ?? NEVER_ABANDONED;
  let response: AdmissionResponse;
  try {
    if (abandonment.abandoned) throw ABORTED;
    const answer = handler(req, abandonment);
    // An answer given at once has nothing to race the signal against.
    response = answer instanceof Promise ? await raceAbort(answer, abandonment.signal) : answer;
  } catch (e) {
    if (e === ABORTED) {
      response = denied(req.uid, 504, `admitting ${describeObject(req)} took too long and was abandoned`, "Timeout");
    } else {
      opts.onError?.(e, req);
      const detail = e instanceof Error ? e.message : String(e);
      response = denied(req.uid, 500, `internal error admitting ${describeObject(req)}: ${detail}`, "InternalError");
    }
  }
  // The API server matches answers by uid; never trust the handler to copy it.
  const review = toReview({ ...response, uid: req.uid });
  return { status: 200, body: review, json: admissionReviewJsonPieces(review, base64PatchOf(response)) };
}

const ABORTED = Symbol("aborted");

/** For callers with no HTTP layer: nothing ever aborts its signal, so one serves every call. */
const NEVER_ABANDONED: RequestAbandonment = { abandoned: false, signal: new AbortController().signal };

function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(ABORTED);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(ABORTED);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
