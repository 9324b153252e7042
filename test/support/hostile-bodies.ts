// Generators of hostile webhook request bodies: whatever a confused or
// malicious client can put on the wire, from random bytes to well-formed
// AdmissionReviews carrying pods and SidecarSets that are wrong everywhere.
// Seeds are the golden injection cases, so hostile pods still reach the
// injection code instead of stopping at "no SidecarSet applies".
//
// Values too deep for JSON.stringify travel as marker strings and are spliced
// into the serialized text (`serializeBody`); JSON.parse reads any depth.
import fc from "fast-check";
import type { ControllerRevision, Pod } from "../../src/api/kube-types.js";
import type { SidecarSet } from "../../src/api/types.js";
import type { AdmissionCache } from "../../src/webhook/handlers/cache-view.js";
import { goldenCaseNames, loadGoldenCase, type GoldenCase } from "./golden.js";

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

// ---- values ----

const DEEP_MARKER = /"\\u0000deep:(\d+):([ao])"/g;

/** A value nested `depth` levels (arrays or objects), as a marker for `serializeBody`. */
export function deep(depth: number, shape: "a" | "o"): string {
  return `\u0000deep:${depth}:${shape}`;
}

function deepText(depth: number, shape: string): string {
  return shape === "a" ? `${"[".repeat(depth)}${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

/** JSON text of `value`, deep markers expanded. */
export function serializeBody(value: unknown): string {
  return JSON.stringify(value).replace(DEEP_MARKER, (_m, depth: string, shape: string) => deepText(Number(depth), shape));
}

/** Keys that reach Object.prototype when code assigns them naively. */
export const PROTOTYPE_KEYS = ["__proto__", "constructor", "prototype"] as const;

/** An object with own (not inherited) properties, whatever their names: `{ __proto__: x }` would set the prototype. */
export function ownObject(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

const pollution = (): Record<string, unknown> =>
  ownObject([
    ["__proto__", ownObject([["polluted", "yes"]])],
    ["constructor", ownObject([["prototype", ownObject([["polluted", "yes"]])]])],
  ]);

const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...PROTOTYPE_KEYS, "", "toString", "hasOwnProperty", "a/b", "~0~1", "kruise.io/sidecarset-hash", "\u0000", "ключ"),
  fc.string({ maxLength: 12 }),
);

const scalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(-0, 1e308, 2 ** 53 + 2, -(2 ** 63), 0.1, "", " ", "null", "{}", "[]", "10%", "-1", "1e999"),
);

const smallObject: fc.Arbitrary<Record<string, unknown>> = fc
  .array(fc.tuple(hostileKey, scalar), { maxLength: 4 })
  .map((entries) => ownObject(entries));

/** Any value where a field of another type belongs. */
// Heavy values (deep, huge) are one in twenty: a review has a dozen fields,
// and bodies of megabytes each would make the suite slow, not harsher.
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 16, arbitrary: scalar },
  { weight: 8, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 8, arbitrary: smallObject },
  { weight: 4, arbitrary: fc.array(fc.oneof(scalar, smallObject), { maxLength: 4 }) },
  { weight: 2, arbitrary: fc.constant(null).map(pollution) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1_000, max: 20_000 }), fc.constantFrom("a" as const, "o" as const)).map(([d, s]) => deep(d, s)) },
  { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 300_000 }).map((n) => "x".repeat(n)) },
);

// ---- mutations of a seed object ----

interface Mutation {
  at: number;
  how: "replace" | "insert" | "delete" | "list-to-map";
  key: string;
  value: unknown;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  how: fc.constantFrom("replace", "replace", "insert", "delete", "list-to-map"),
  key: hostileKey,
  value: hostileValue,
});

type Slot = { parent: Record<string, unknown> | unknown[]; key: string | number };

/** Every place a value sits in `root`, parents before children. */
function slots(root: Record<string, unknown>): Slot[] {
  const out: Slot[] = [];
  const queue: unknown[] = [root];
  for (let next = 0; next < queue.length; next++) {
    const node = queue[next];
    if (Array.isArray(node)) {
      node.forEach((v, i) => {
        out.push({ parent: node, key: i });
        queue.push(v);
      });
    } else if (typeof node === "object" && node !== null) {
      for (const [k, v] of Object.entries(node)) {
        out.push({ parent: node as Record<string, unknown>, key: k });
        queue.push(v);
      }
    }
  }
  return out;
}

function setOwn(parent: Record<string, unknown> | unknown[], key: string | number, value: unknown): void {
  Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
}

function listToMap(list: unknown[]): Record<string, unknown> {
  return ownObject(list.map((item, i) => {
    const name = (item as { name?: unknown } | null)?.name;
    return [typeof name === "string" ? name : String(i), item] as const;
  }));
}

function applyMutation(root: Record<string, unknown>, m: Mutation): void {
  const all = slots(root);
  if (m.how === "insert") {
    const objects = [root, ...all.map((s) => (s.parent as Record<string, unknown>)[s.key as string])].filter(
      (v): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v),
    );
    setOwn(objects[m.at % objects.length]!, m.key, m.value);
    return;
  }
  if (all.length === 0) return;
  const slot = all[m.at % all.length]!;
  const current = (slot.parent as Record<string | number, unknown>)[slot.key];
  if (m.how === "delete") {
    if (Array.isArray(slot.parent)) slot.parent.splice(slot.key as number, 1);
    else delete slot.parent[slot.key];
  } else if (m.how === "list-to-map" && Array.isArray(current)) {
    setOwn(slot.parent, slot.key, listToMap(current));
  } else {
    setOwn(slot.parent, slot.key, m.value);
  }
}

/** `seed` (deep-copied) with 1–`max` random mutations. */
export function mutated<T>(seed: T, max = 4): fc.Arbitrary<Record<string, unknown>> {
  return fc.array(mutation, { minLength: 1, maxLength: max }).map((ms) => {
    const copy = JSON.parse(JSON.stringify(seed)) as Record<string, unknown>;
    for (const m of ms) applyMutation(copy, m);
    return copy;
  });
}

// ---- hostile pods ----

type PodObject = Record<string, unknown> & { metadata?: Record<string, unknown>; spec?: Record<string, unknown> };

function copyPod(pod: Pod): PodObject {
  return JSON.parse(JSON.stringify(pod)) as PodObject;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `parent[key]` as an object to write into, made one when a mutation left something else there. */
function objectAt(parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const v = parent[key];
  if (isRecord(v)) return v;
  const made: Record<string, unknown> = {};
  setOwn(parent, key, made);
  return made;
}

function meta(pod: PodObject): Record<string, unknown> {
  return objectAt(pod, "metadata");
}

function containers(pod: PodObject): Record<string, unknown>[] {
  const spec = objectAt(pod, "spec");
  if (!Array.isArray(spec.containers)) spec.containers = [];
  return (spec.containers as unknown[]).filter(isRecord);
}

const KRUISE_ANNOTATIONS = [
  "kruise.io/sidecarset-hash",
  "kruise.io/sidecarset-hash-without-image",
  "kruise.io/sidecarset-injected-list",
  "kruise.io/sidecarset-inplace-update-state",
  "kruise.io/sidecarset-working-hotupgrade-container",
  "version.sidecarset.kruise.io/sidecar",
  "versionalt.sidecarset.kruise.io/sidecar",
  "apps.kruise.io/sidecarset-canary",
];

/** Text that is not what a kruise.io annotation should hold. */
const junkAnnotationText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v).slice(0, -1)),
  fc.constantFrom("{", "null", "[]", '{"log-agent":5}', '{"log-agent":{"hash":7,"updateTimestamp":"yesterday"}}', '{"__proto__":{"polluted":"yes"}}', '{"constructor":{"prototype":{"polluted":"yes"}}}'),
  fc.integer({ min: 1_000, max: 50_000 }).map((n) => serializeBody(deep(n, "o"))),
);

/** The shapes the brief of this suite names, each a change to a golden pod. */
const podScenarios: Record<string, (pod: PodObject, v: { n: number; value: unknown; text: string; key: string }) => void> = {
  "containers as a map": (pod) => {
    objectAt(pod, "spec").containers = listToMap(containers(pod));
  },
  "names as numbers": (pod, v) => {
    for (const c of containers(pod)) c.name = v.n;
  },
  "10k containers": (pod) => {
    objectAt(pod, "spec").containers = Array.from({ length: 10_000 }, (_, i) => ({ name: `c${i}`, image: "app:1", env: [{ name: "E", value: "v" }] }));
  },
  "prototype keys in labels and annotations": (pod, v) => {
    const m = meta(pod);
    for (const key of PROTOTYPE_KEYS) {
      setOwn(objectAt(m, "labels"), key, v.text);
      setOwn(objectAt(m, "annotations"), key, JSON.stringify(pollution()));
    }
  },
  "prototype keys in spec and containers": (pod) => {
    for (const key of PROTOTYPE_KEYS) {
      setOwn(objectAt(pod, "spec"), key, pollution());
      for (const c of containers(pod)) setOwn(c, key, pollution());
    }
    setOwn(pod, "__proto__", pollution());
  },
  "huge annotation": (pod, v) => {
    setOwn(objectAt(meta(pod), "annotations"), v.key || "big", "y".repeat(100_000 + v.n));
  },
  "many annotations": (pod) => {
    const annotations = objectAt(meta(pod), "annotations");
    for (let i = 0; i < 20_000; i++) annotations[`a${i}.example.com/k`] = `v${i}`;
  },
  "invalid JSON in kruise.io annotations": (pod, v) => {
    const annotations = objectAt(meta(pod), "annotations");
    annotations[KRUISE_ANNOTATIONS[v.n % KRUISE_ANNOTATIONS.length]!] = v.text;
  },
  "non-string labels": (pod, v) => {
    setOwn(objectAt(meta(pod), "labels"), v.key, v.value);
  },
  "non-string annotations": (pod, v) => {
    setOwn(objectAt(meta(pod), "annotations"), v.key, v.value);
  },
};

const BIG_SCENARIOS = ["10k containers", "many annotations", "huge annotation"];

/** A golden pod with one named scenario and a few random mutations on top. */
export function hostilePod(seeds: readonly Pod[]): fc.Arbitrary<{ scenario: string; pod: Record<string, unknown> }> {
  // The big ones cost a megabyte on the wire each: fewer of them.
  const scenario = fc.oneof(
    { weight: 40, arbitrary: fc.constantFrom(...Object.keys(podScenarios).filter((n) => !BIG_SCENARIOS.includes(n))) },
    { weight: 1, arbitrary: fc.constantFrom(...BIG_SCENARIOS) },
  );
  return fc
    .record({
      seed: fc.constantFrom(...seeds),
      scenario,
      extra: fc.array(mutation, { maxLength: 3 }),
      v: fc.record({ n: fc.nat({ max: 1000 }), value: hostileValue, text: junkAnnotationText, key: hostileKey }),
    })
    .map(({ seed, scenario, extra, v }) => {
      const pod = copyPod(seed);
      // Random mutations first: walking a pod the scenario grew to 10k containers is slow.
      for (const m of extra) applyMutation(pod, m);
      podScenarios[scenario]!(pod, v);
      return { scenario, pod };
    });
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
