// Generators of hostile webhook request bodies: whatever a confused or
// malicious client can put on the wire, from random bytes to well-formed
// AdmissionReviews carrying pods and SidecarSets that are wrong everywhere.
// Seeds are the golden injection cases, so hostile pods still reach the
// injection code instead of stopping at "no SidecarSet applies".
import fc from "fast-check";
import type { ControllerRevision, Pod } from "../../src/api/kube-types.js";
import type { SidecarSet } from "../../src/api/types.js";
import type { AdmissionCache } from "../../src/webhook/handlers/cache-view.js";
import { goldenCaseNames, loadGoldenCase, type GoldenCase } from "./golden.js";
import { hostilePod } from "./hostile-pods.js";
import { applyMutation, deep, hostileValue, mutated, ownObject, serializeBody } from "./hostile-values.js";

export interface HostileBody {
  /** The class of input, for failure messages. */
  label: string;
  path: string;
  contentType: string;
  payload: Buffer;
  /** Sent in chunks without a Content-Length, so the server learns the size only by reading. */
  chunked?: boolean;
}

/** The label every golden pod gets, so that each only meets its own case's SidecarSets. */
const CASE_LABEL = "hostile.test/golden-case";

export interface HostileSeeds {
  pods: Pod[];
  /** As a user writes them. */
  rawSidecarSets: SidecarSet[];
  /** As the cluster stores them (defaulted, hash annotations). */
  sidecarSets: SidecarSet[];
  cache: AdmissionCache;
}

function withCaseSelector(set: SidecarSet, caseName: string): SidecarSet {
  const copy = structuredClone(set);
  const selector = (copy.spec.selector ??= {});
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [CASE_LABEL]: caseName };
  return copy;
}

/** Pods and SidecarSets of every golden case, and a cache holding all of their cluster objects. */
export function hostileSeeds(): HostileSeeds {
  const cases: GoldenCase[] = goldenCaseNames().map(loadGoldenCase);
  const pods = cases.map((c) => {
    const pod = structuredClone(c.pod);
    pod.metadata = { ...(pod.metadata ?? {}), labels: { ...(pod.metadata?.labels ?? {}), [CASE_LABEL]: c.name } };
    return pod;
  });
  const sidecarSets = cases.flatMap((c) => c.sidecarSets.map((s) => withCaseSelector(s, c.name)));
  // A Map, as the manager's cache: a namespace named "__proto__" must find nothing.
  const namespaces = new Map<string, Record<string, string>>();
  for (const c of cases) for (const [name, labels] of Object.entries(c.namespaces)) namespaces.set(name, labels);
  const revisions: ControllerRevision[] = cases.flatMap((c) => c.revisions);
  return {
    pods,
    rawSidecarSets: cases.flatMap((c) => c.rawSidecarSets),
    sidecarSets,
    cache: {
      sidecarSets: () => sidecarSets,
      namespaceLabels: (name) => namespaces.get(name),
      revisions: () => revisions,
      whitelist: () => undefined,
    },
  };
}

// ---- AdmissionReviews ----

export const ADMISSION_API_VERSION = "admission.k8s.io/v1";
const POD_KIND = { group: "", version: "v1", kind: "Pod" };
const POD_RESOURCE = { group: "", version: "v1", resource: "pods" };
const SIDECARSET_KIND = { group: "apps.kruise.io", version: "v1alpha1", kind: "SidecarSet" };
const SIDECARSET_RESOURCE = { group: "apps.kruise.io", version: "v1alpha1", resource: "sidecarsets" };

const uid = fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 40 }));

export function reviewOf(request: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: ADMISSION_API_VERSION, kind: "AdmissionReview", request };
}

/** How a body shows in a failure report: its class, path and first bytes, not a byte array. */
export function describeBody(b: HostileBody): string {
  const head = b.payload.subarray(0, 400).toString("utf8");
  return `${b.label} → ${b.path} [${b.contentType}] (${b.payload.length} bytes): ${head}${b.payload.length > 400 ? "…" : ""}`;
}

export function hostileBody(label: string, path: string, contentType: string, payload: Buffer): HostileBody {
  return {
    label,
    path,
    contentType,
    payload,
    [fc.toStringMethod](this: HostileBody) {
      return describeBody(this);
    },
  } as HostileBody;
}

function jsonBody(label: string, path: string, value: unknown): HostileBody {
  return hostileBody(label, path, "application/json", Buffer.from(serializeBody(value)));
}

export function podReviews(paths: readonly string[], seeds: readonly Pod[]): fc.Arbitrary<HostileBody> {
  return fc
    .record({
      path: fc.constantFrom(...paths),
      pod: hostilePod(seeds),
      uid,
      operation: fc.constantFrom("CREATE", "CREATE", "CREATE", "CREATE", "UPDATE", "DELETE", "CONNECT"),
      dryRun: fc.option(fc.boolean(), { nil: undefined }),
      namespace: fc.option(fc.oneof(fc.constantFrom("default", "team-a", "kube-system"), fc.string({ maxLength: 20 })), { nil: undefined }),
      subResource: fc.option(fc.constantFrom("status", "binding", ""), { nil: undefined, freq: 8 }),
    })
    .map(({ path, pod, uid, operation, dryRun, namespace, subResource }) => {
      const request: Record<string, unknown> = { uid, kind: POD_KIND, resource: POD_RESOURCE, operation, userInfo: { username: "hostile" } };
      if (namespace !== undefined) request.namespace = namespace;
      if (dryRun !== undefined) request.dryRun = dryRun;
      if (subResource !== undefined) request.subResource = subResource;
      if (operation !== "DELETE") request.object = pod.pod;
      if (operation === "UPDATE" || operation === "DELETE") request.oldObject = pod.pod;
      return jsonBody(`pod review (${pod.scenario})`, path, reviewOf(request));
    });
}

/** A SidecarSet with wrong types anywhere: a seed with mutations, or fields of any type on the known keys. */
export function hostileSidecarSet(seeds: readonly SidecarSet[]): fc.Arbitrary<Record<string, unknown>> {
  const anyFields = fc
    .record(
      {
        apiVersion: fc.oneof(fc.constant("apps.kruise.io/v1alpha1"), hostileValue),
        kind: fc.oneof(fc.constant("SidecarSet"), hostileValue),
        metadata: fc.oneof(fc.record({ name: fc.oneof(fc.constant("s"), hostileValue), annotations: hostileValue, labels: hostileValue }, { requiredKeys: [] }), hostileValue),
        spec: fc.oneof(
          fc.record(
            {
              selector: hostileValue,
              namespace: hostileValue,
              namespaceSelector: hostileValue,
              containers: fc.oneof(hostileValue, fc.array(fc.oneof(hostileValue, fc.record({ name: hostileValue, image: hostileValue }, { requiredKeys: [] })), { maxLength: 3 })),
              initContainers: hostileValue,
              volumes: hostileValue,
              updateStrategy: hostileValue,
              injectionStrategy: hostileValue,
              imagePullSecrets: hostileValue,
              patchPodMetadata: hostileValue,
              revisionHistoryLimit: hostileValue,
            },
            { requiredKeys: [] },
          ),
          hostileValue,
        ),
      },
      { requiredKeys: [] },
    )
    .map((r) => ownObject(Object.entries(r)));
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...seeds).chain((s) => mutated(s, 5)) }, { weight: 1, arbitrary: anyFields });
}

export function sidecarSetReviews(paths: readonly string[], raw: readonly SidecarSet[], stored: readonly SidecarSet[]): fc.Arbitrary<HostileBody> {
  return fc
    .record({
      path: fc.constantFrom(...paths),
      object: hostileSidecarSet(raw),
      old: fc.oneof(fc.constantFrom(...stored).map((s) => s as unknown as Record<string, unknown>), hostileSidecarSet(stored)),
      uid,
      operation: fc.constantFrom("CREATE", "CREATE", "UPDATE", "UPDATE", "DELETE"),
      name: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
    })
    .map(({ path, object, old, uid, operation, name }) => {
      const request: Record<string, unknown> = { uid, kind: SIDECARSET_KIND, resource: SIDECARSET_RESOURCE, operation, userInfo: { username: "hostile" } };
      if (name !== undefined) request.name = name;
      if (operation !== "DELETE") request.object = object;
      if (operation !== "CREATE") request.oldObject = old;
      return jsonBody("SidecarSet review", path, reviewOf(request));
    });
}

/** Almost-AdmissionReviews: each envelope field right, wrong or missing. */
export function malformedReviews(paths: readonly string[], seeds: HostileSeeds): fc.Arbitrary<HostileBody> {
  const maybe = <T>(right: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: right }, { weight: 1, arbitrary: hostileValue });
  const gvk = fc.constantFrom<Record<string, string>>(POD_KIND, SIDECARSET_KIND, { group: "apps", version: "v1", kind: "Deployment" });
  const gvr = fc.constantFrom<Record<string, string>>(POD_RESOURCE, SIDECARSET_RESOURCE, { group: "apps", version: "v1", resource: "deployments" });
  const object = fc.oneof(fc.constantFrom(...seeds.pods, ...seeds.sidecarSets) as fc.Arbitrary<unknown>, hostileValue);
  const request = fc
    .record(
      {
        uid: maybe(uid),
        kind: maybe(gvk),
        resource: maybe(gvr),
        requestKind: hostileValue,
        subResource: hostileValue,
        name: maybe(fc.string({ maxLength: 10 })),
        namespace: maybe(fc.string({ maxLength: 10 })),
        operation: maybe(fc.constantFrom("CREATE", "UPDATE", "DELETE", "CONNECT")),
        userInfo: maybe(fc.constant({ username: "u" })),
        object,
        oldObject: object,
        dryRun: maybe(fc.boolean()),
        options: hostileValue,
      },
      { requiredKeys: [] },
    )
    .map((r) => ownObject(Object.entries(r)));
  return fc
    .record(
      {
        apiVersion: fc.oneof(fc.constant(ADMISSION_API_VERSION), fc.constantFrom("admission.k8s.io/v1beta1", "v1", "", "ADMISSION.K8S.IO/V1"), hostileValue),
        kind: fc.oneof(fc.constant("AdmissionReview"), fc.constantFrom("admissionreview", "ConversionReview", "Pod"), hostileValue),
        request: fc.oneof({ weight: 4, arbitrary: request }, { weight: 1, arbitrary: hostileValue }),
        response: hostileValue,
      },
      { requiredKeys: [] },
    )
    .chain((r) => fc.constantFrom(...paths).map((path) => jsonBody("malformed AdmissionReview", path, ownObject(Object.entries(r)))));
}

/** Any JSON value at all. */
export function randomJson(paths: readonly string[]): fc.Arbitrary<HostileBody> {
  return fc
    .tuple(fc.constantFrom(...paths), fc.oneof(fc.jsonValue(), hostileValue))
    .map(([path, v]) => jsonBody("random JSON", path, v));
}

/** A well-formed review cut short anywhere, or bytes that are not UTF-8 JSON at all. */
export function brokenText(paths: readonly string[], reviews: fc.Arbitrary<HostileBody>): fc.Arbitrary<HostileBody> {
  const truncated = fc.tuple(reviews, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true })).map(([b, at]) => ({
    ...b,
    label: `truncated ${b.label}`,
    payload: b.payload.subarray(0, Math.floor(b.payload.length * at)),
  }));
  const bytes = fc
    .tuple(fc.constantFrom(...paths), fc.uint8Array({ maxLength: 2048 }), fc.constantFrom("", "\uFEFF", "{", "\u0000"))
    .map(([path, b, prefix]) => hostileBody("random bytes", path, "application/json", Buffer.concat([Buffer.from(prefix), Buffer.from(b)])));
  return fc.oneof(truncated, bytes);
}

/** Nesting far deeper than any object (arrays or objects), alone or in a review's object. */
export function deeplyNested(paths: readonly string[], seeds: HostileSeeds): fc.Arbitrary<HostileBody> {
  // Mostly just past the limit; a quarter up to 100k levels (each of those takes ~50 ms to parse).
  const depth = fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1_000, max: 5_000 }) }, { weight: 1, arbitrary: fc.integer({ min: 5_000, max: 100_000 }) });
  const marker = fc.tuple(depth, fc.constantFrom("a" as const, "o" as const)).map(([d, s]) => deep(d, s));
  const alone = fc.tuple(fc.constantFrom(...paths), marker).map(([path, m]) => jsonBody("deeply nested value", path, m));
  const inObject = fc
    .record({ path: fc.constantFrom(...paths), pod: fc.constantFrom(...seeds.pods), set: fc.constantFrom(...seeds.rawSidecarSets), which: fc.boolean(), at: fc.nat(), marker, uid })
    .map(({ path, pod, set, which, at, marker, uid }) => {
      const object = JSON.parse(JSON.stringify(which ? pod : set)) as Record<string, unknown>;
      applyMutation(object, { at, how: "replace", key: "", value: marker });
      const request = {
        uid,
        kind: which ? POD_KIND : SIDECARSET_KIND,
        resource: which ? POD_RESOURCE : SIDECARSET_RESOURCE,
        operation: "CREATE",
        namespace: "default",
        object,
      };
      return jsonBody(`deeply nested field in a ${which ? "pod" : "SidecarSet"}`, path, reviewOf(request));
    });
  return fc.oneof(alone, inObject);
}

/** Bodies past the cap: a review padded with spaces, or one huge string; with a declared length or chunked. */
export function oversized(paths: readonly string[], maxBodyBytes: number): fc.Arbitrary<HostileBody> {
  return fc.tuple(fc.constantFrom(...paths), fc.integer({ min: 1, max: 256 * 1024 }), fc.boolean(), fc.boolean()).map(([path, over, padded, chunked]) => {
    const size = maxBodyBytes + over;
    const payload = padded ? Buffer.alloc(size, 0x20) : Buffer.from(`"${"x".repeat(size - 2)}"`);
    if (padded) payload.write(JSON.stringify(reviewOf({ uid: "big", operation: "CREATE" })));
    const body = hostileBody(`oversized body${chunked ? ", chunked" : ""}`, path, "application/json", payload);
    if (chunked) body.chunked = true;
    return body;
  });
}

/** A correct review with a content type that is not JSON. */
export function wrongContentType(paths: readonly string[], reviews: fc.Arbitrary<HostileBody>): fc.Arbitrary<HostileBody> {
  const types = fc.oneof(
    fc.constantFrom("", "text/plain", "application/jsonx", "application/json-patch+json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/yaml", "json", "*/*"),
    // Only what an HTTP client can send: printable ASCII.
    fc.string({ maxLength: 30 }).filter((t) => /^[\x20-\x7e]*$/.test(t) && !/^\s*application\/json\s*(;|$)/i.test(t)),
  );
  return fc.tuple(reviews, types, fc.constantFrom(...paths)).map(([b, contentType, path]) => ({ ...b, path, label: `content type ${JSON.stringify(contentType)}`, contentType }));
}
