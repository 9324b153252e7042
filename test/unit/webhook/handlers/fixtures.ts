// Builders for admission handler tests: a cache over plain lists, reviews as
// the API server sends them, and the decoded answer.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import type { Operation } from "fast-json-patch";
import type { ControllerRevision } from "../../../../src/api/kube-types.js";
import type { SidecarSet } from "../../../../src/api/types.js";
import { createLogger, type Logger } from "../../../../src/observability/logger.js";
import {
  handleAdmission,
  type AdmissionHandler,
  type AdmissionResponse,
  type AdmissionReview,
} from "../../../../src/webhook/admission.js";
import type { AdmissionCache } from "../../../../src/webhook/handlers/cache-view.js";

export function fakeCache(opts: {
  sidecarSets?: SidecarSet[];
  namespaces?: Record<string, Record<string, string>>;
  revisions?: ControllerRevision[];
  whitelist?: string;
} = {}): AdmissionCache {
  return {
    sidecarSets: () => opts.sidecarSets ?? [],
    namespaceLabels: (name) => opts.namespaces?.[name],
    revisions: () => opts.revisions ?? [],
    whitelist: () => opts.whitelist,
  };
}

export const POD_KIND = { group: "", version: "v1", kind: "Pod" };
export const POD_RESOURCE = { group: "", version: "v1", resource: "pods" };
export const SIDECARSET_KIND = { group: "apps.kruise.io", version: "v1alpha1", kind: "SidecarSet" };
export const SIDECARSET_RESOURCE = { group: "apps.kruise.io", version: "v1alpha1", resource: "sidecarsets" };

export function review(request: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request };
}

export function podReview(pod: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const meta = (pod as { metadata?: { namespace?: unknown } } | null)?.metadata;
  const namespace = typeof meta?.namespace === "string" ? meta.namespace : "default";
  return review({
    uid: "pod-uid",
    kind: POD_KIND,
    resource: POD_RESOURCE,
    namespace,
    operation: "CREATE",
    userInfo: { username: "system:serviceaccount:kube-system:replicaset-controller" },
    object: pod,
    ...extra,
  });
}

export function sidecarSetReview(
  operation: "CREATE" | "UPDATE" | "DELETE",
  object: unknown,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const name = (object as { metadata?: { name?: unknown } } | null)?.metadata?.name;
  return review({
    uid: "set-uid",
    kind: SIDECARSET_KIND,
    resource: SIDECARSET_RESOURCE,
    ...(typeof name === "string" ? { name } : {}),
    operation,
    userInfo: { username: "admin" },
    ...(operation === "DELETE" ? {} : { object }),
    ...extra,
  });
}

export interface Answer {
  status: number;
  body: unknown;
  /** Present when the HTTP answer is an AdmissionReview. */
  response?: AdmissionResponse;
}

/** Runs `handler` the way the server route does and returns the decoded answer. */
export async function run(handler: AdmissionHandler, body: unknown): Promise<Answer> {
  const reply = await handleAdmission(body, handler);
  const answer: Answer = { status: reply.status, body: reply.body };
  const r = reply.body as Partial<AdmissionReview>;
  if (reply.status === 200) {
    assert.equal(r.apiVersion, "admission.k8s.io/v1");
    assert.equal(r.kind, "AdmissionReview");
    answer.response = r.response;
  }
  // Whatever came back must survive the wire, and a route's own encoding must be JSON.stringify's.
  assert.deepEqual(JSON.parse(JSON.stringify(reply.body)), reply.body);
  if (reply.json !== undefined) assert.equal([reply.json].flat().join(""), JSON.stringify(reply.body));
  return answer;
}

export function responseOf(a: Answer): AdmissionResponse {
  assert.ok(a.response, `expected an AdmissionReview, got HTTP ${a.status}: ${JSON.stringify(a.body)}`);
  return a.response;
}

/** The JSON patch of an allowed response ([] when there is none). */
export function patchOf(r: AdmissionResponse): Operation[] {
  if (r.patch === undefined) {
    assert.equal(r.patchType, undefined);
    return [];
  }
  assert.equal(r.patchType, "JSONPatch");
  const ops = JSON.parse(Buffer.from(r.patch, "base64").toString("utf8")) as Operation[];
  assert.ok(Array.isArray(ops) && ops.length > 0, "a patch, when present, has operations");
  return ops;
}

/** A logger whose JSON lines the test can read back. */
export function capturingLogger(level: "info" | "debug" = "info"): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const logger = createLogger({ level, destination });
  return {
    logger,
    lines: () =>
      chunks
        .join("")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
