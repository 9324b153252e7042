import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Abandonment } from "../../../src/webhook/abandonment.js";
import {
  allowed,
  decodeAdmissionReview,
  denied,
  describeObject,
  handleAdmission,
  invalid,
  patched,
  type AdmissionRequest,
  type AdmissionResponse,
  type AdmissionReview,
} from "../../../src/webhook/admission.js";

function review(request: Record<string, unknown> | unknown, top: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request, ...top };
}

function podCreate(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uid: "uid-1",
    kind: { group: "", version: "v1", kind: "Pod" },
    resource: { group: "", version: "v1", resource: "pods" },
    namespace: "apps",
    operation: "CREATE",
    userInfo: { username: "system:serviceaccount:kube-system:replicaset-controller" },
    object: { metadata: { generateName: "web-7d9f-", namespace: "apps" }, spec: { containers: [] } },
    dryRun: false,
    ...extra,
  };
}

const setUpdate = (extra: Record<string, unknown> = {}) =>
  podCreate({
    kind: { group: "apps.kruise.io", version: "v1alpha1", kind: "SidecarSet" },
    resource: { group: "apps.kruise.io", version: "v1alpha1", resource: "sidecarsets" },
    namespace: "",
    name: "log-agent",
    operation: "UPDATE",
    object: { metadata: { name: "log-agent" } },
    oldObject: { metadata: { name: "log-agent" } },
    ...extra,
  });

test("a well-formed pod CREATE review decodes into its request", () => {
  const r = decodeAdmissionReview(review(podCreate()));
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.equal(r.request.uid, "uid-1");
  assert.equal(r.request.operation, "CREATE");
  assert.deepEqual(r.request.kind, { group: "", version: "v1", kind: "Pod" });
  assert.equal(r.request.namespace, "apps");
  assert.equal(r.request.dryRun, false);
  assert.deepEqual(r.request.object, podCreate().object);
  assert.equal(r.request.oldObject, undefined);
});

test("a well-formed UPDATE review carries object and oldObject", () => {
  const r = decodeAdmissionReview(review(setUpdate()));
  assert.equal(r.ok, true);
  if (r.ok) assert.deepEqual(r.request.oldObject, { metadata: { name: "log-agent" } });
});

const malformed: { name: string; body: unknown; uid?: string; error: RegExp }[] = [
  { name: "null body", body: null, error: /body: null, expected an AdmissionReview object/ },
  { name: "array body", body: [1, 2], error: /body: an array/ },
  { name: "string body", body: "hello", error: /body: "hello"/ },
  { name: "number body", body: 42, error: /body: number 42/ },
  { name: "v1beta1 review", body: review(podCreate(), { apiVersion: "admission.k8s.io/v1beta1" }), uid: "uid-1", error: /apiVersion: "admission.k8s.io\/v1beta1", only admission.k8s.io\/v1 is supported/ },
  { name: "missing apiVersion", body: { kind: "AdmissionReview", request: podCreate() }, uid: "uid-1", error: /apiVersion: missing/ },
  { name: "wrong kind", body: review(podCreate(), { kind: "Pod" }), uid: "uid-1", error: /kind: "Pod", expected "AdmissionReview"/ },
  { name: "missing request", body: { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }, error: /request: missing, expected an object/ },
  { name: "request is a string", body: review("x"), error: /request: "x", expected an object/ },
  { name: "missing uid", body: review(podCreate({ uid: undefined })), error: /request.uid: missing, expected a non-empty string/ },
  { name: "empty uid", body: review(podCreate({ uid: "" })), error: /request.uid: "", expected a non-empty string/ },
  { name: "numeric uid", body: review(podCreate({ uid: 7 })), error: /request.uid: number 7/ },
  { name: "missing kind", body: review(podCreate({ kind: undefined })), uid: "uid-1", error: /request.kind: missing, expected an object with group, version and kind/ },
  { name: "kind without kind", body: review(podCreate({ kind: { group: "", version: "v1" } })), uid: "uid-1", error: /request.kind.kind: missing/ },
  { name: "resource wrong type", body: review(podCreate({ resource: "pods" })), uid: "uid-1", error: /request.resource: "pods"/ },
  { name: "unknown operation", body: review(podCreate({ operation: "PATCH" })), uid: "uid-1", error: /request.operation: "PATCH", expected one of CREATE, UPDATE, DELETE, CONNECT/ },
  { name: "CREATE without object", body: review(podCreate({ object: undefined })), uid: "uid-1", error: /request.object: missing, a CREATE request needs the object/ },
  { name: "CREATE with null object", body: review(podCreate({ object: null })), uid: "uid-1", error: /request.object: null, a CREATE request needs the object/ },
  { name: "CREATE with array object", body: review(podCreate({ object: [] })), uid: "uid-1", error: /request.object: an array/ },
  { name: "UPDATE without oldObject", body: review(setUpdate({ oldObject: undefined })), uid: "uid-1", error: /request.oldObject: missing, a UPDATE request needs the old object/ },
  { name: "DELETE without oldObject", body: review(podCreate({ operation: "DELETE", object: null })), uid: "uid-1", error: /request.oldObject: missing, a DELETE request needs the old object/ },
  { name: "namespace not a string", body: review(podCreate({ namespace: 3 })), uid: "uid-1", error: /request.namespace: number 3/ },
  { name: "userInfo not an object", body: review(podCreate({ userInfo: "root" })), uid: "uid-1", error: /request.userInfo: "root"/ },
  { name: "dryRun not a boolean", body: review(podCreate({ dryRun: "yes" })), uid: "uid-1", error: /request.dryRun: "yes", expected a boolean/ },
];

for (const c of malformed) {
  test(`malformed review is reported precisely: ${c.name}`, async () => {
    const decoded = decodeAdmissionReview(c.body);
    assert.equal(decoded.ok, false);
    if (decoded.ok) return;
    assert.match(decoded.error, c.error);
    assert.equal(decoded.uid, c.uid);
    let called = false;
    const reply = await handleAdmission(c.body, () => {
      called = true;
      return allowed("x");
    });
    assert.equal(called, false, "the handler never sees a malformed review");
    if (c.uid === undefined) {
      assert.equal(reply.status, 400, "no uid: plain HTTP 400");
      assert.match((reply.body as { message: string }).message, c.error);
    } else {
      assert.equal(reply.status, 200);
      const r = (reply.body as AdmissionReview).response;
      assert.deepEqual([r.uid, r.allowed, r.status?.code], [c.uid, false, 400]);
      assert.match(r.status!.message, c.error);
    }
  });
}

test("every problem in a review is reported, not just the first", () => {
  const r = decodeAdmissionReview(review(podCreate({ operation: "X", kind: 1, resource: null })));
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.match(r.error, /request.kind/);
    assert.match(r.error, /request.resource/);
    assert.match(r.error, /request.operation/);
  }
});

test("property: a patch's base64 is its JSON text's, UTF-8, whatever the patches before it were", () => {
  // The bytes are written into a buffer kept from one patch to the next, grown for larger ones and not kept
  // past a bound: a patch after a larger one, or one past the bound, must carry its own bytes only.
  const value = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: "binary", maxLength: 300 }), fc.nat({ max: 200_000 }).map((n) => "é".repeat(n)));
  fc.assert(
    fc.property(fc.array(fc.array(value, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }), (patches) => {
      for (const values of patches) {
        const ops = values.map((v, i) => ({ op: "add" as const, path: `/metadata/annotations/a${i}`, value: v }));
        const p = patched("u", ops);
        assert.equal(p.patch, Buffer.from(JSON.stringify(ops), "utf8").toString("base64"));
      }
    }),
    { numRuns: 60 },
  );
});

test("allowed, patched and denied build the v1 response fields", () => {
  assert.deepEqual(allowed("u"), { uid: "u", allowed: true });
  assert.deepEqual(allowed("u", ["w1"]), { uid: "u", allowed: true, warnings: ["w1"] });
  const ops = [{ op: "add" as const, path: "/spec/containers/-", value: { name: "sidecar" } }];
  const p = patched("u", ops);
  assert.equal(p.patchType, "JSONPatch");
  assert.deepEqual(JSON.parse(Buffer.from(p.patch!, "base64").toString("utf8")), ops);
  assert.deepEqual(patched("u", []), { uid: "u", allowed: true }, "an empty patch is a plain allow");
  assert.deepEqual(denied("u", 403, "no", "Forbidden"), {
    uid: "u",
    allowed: false,
    status: { status: "Failure", code: 403, message: "no", reason: "Forbidden", metadata: {} },
  });
});

test("invalid gives 422 Invalid with one FieldValueInvalid cause per field error", () => {
  const errors = [
    { path: "spec.selector", message: "required" },
    { path: "spec.updateStrategy.partition", message: '"10.5%" is not an integer or a whole percentage like "10%"' },
  ];
  const r = invalid("u", errors, { kind: "SidecarSet", group: "apps.kruise.io", name: "log-agent" });
  assert.equal(r.allowed, false);
  assert.equal(r.status?.code, 422);
  assert.equal(r.status?.reason, "Invalid");
  assert.equal(
    r.status?.message,
    'SidecarSet.apps.kruise.io "log-agent" is invalid: [spec.selector: required, spec.updateStrategy.partition: "10.5%" is not an integer or a whole percentage like "10%"]',
  );
  assert.deepEqual(r.status?.details?.causes, [
    { reason: "FieldValueInvalid", message: "required", field: "spec.selector" },
    { reason: "FieldValueInvalid", message: errors[1]!.message, field: "spec.updateStrategy.partition" },
  ]);
  assert.equal(r.status?.details?.name, "log-agent");
  assert.equal(invalid("u", [errors[0]!]).status?.message, "spec.selector: required", "one error: no brackets, no prefix without a target");
});

test("handleAdmission wraps the handler's answer in an AdmissionReview with the request's uid", async () => {
  const seen: AdmissionRequest[] = [];
  const reply = await handleAdmission(review(podCreate()), (req) => {
    seen.push(req);
    return { ...allowed("someone-else"), warnings: ["w"] };
  });
  assert.equal(reply.status, 200);
  const body = reply.body as AdmissionReview;
  assert.equal(body.apiVersion, "admission.k8s.io/v1");
  assert.equal(body.kind, "AdmissionReview");
  assert.deepEqual(body.response, { uid: "uid-1", allowed: true, warnings: ["w"] });
  assert.equal(seen[0]?.namespace, "apps");
});

test("a throwing handler becomes a 500 denial naming the object, and is reported", async () => {
  const reported: unknown[] = [];
  const reply = await handleAdmission(
    review(podCreate()),
    () => {
      throw new Error("cache not ready");
    },
    { onError: (e) => reported.push(e) },
  );
  const r = (reply.body as AdmissionReview).response;
  assert.equal(r.allowed, false);
  assert.equal(r.status?.code, 500);
  assert.equal(r.status?.message, "internal error admitting Pod apps/web-7d9f-* (generateName): cache not ready");
  assert.equal(reported.length, 1);
});

test("an async handler's rejection is handled like a throw", async () => {
  const reply = await handleAdmission(review(setUpdate()), async () => Promise.reject(new Error("boom")));
  const r = (reply.body as AdmissionReview).response;
  assert.equal(r.status?.code, 500);
  assert.match(r.status!.message, /SidecarSet log-agent: boom/);
});

test("an abandoned request answers a 504 denial instead of waiting for a stuck handler", async () => {
  const abandonment = new Abandonment();
  const pending = handleAdmission(review(podCreate()), () => new Promise<AdmissionResponse>(() => {}), { abandonment });
  abandonment.abandon();
  const r = ((await pending).body as AdmissionReview).response;
  assert.deepEqual([r.uid, r.allowed, r.status?.code, r.status?.reason], ["uid-1", false, 504, "Timeout"]);
});

test("describeObject prefers the request name, then metadata name, then generateName", () => {
  const base = decodeAdmissionReview(review(podCreate()));
  assert.ok(base.ok);
  if (!base.ok) return;
  assert.equal(describeObject(base.request), "Pod apps/web-7d9f-* (generateName)");
  assert.equal(describeObject({ ...base.request, name: "web-1" }), "Pod apps/web-1");
  assert.equal(describeObject({ ...base.request, object: { metadata: { name: "m" } } }), "Pod apps/m");
  assert.equal(describeObject({ ...base.request, namespace: "", object: {} }), "Pod <unnamed>");
});

// Any JSON-ish value, including near-valid reviews with random parts.
const anyJson = fc.jsonValue();
const nearReview = fc.record(
  {
    apiVersion: fc.oneof(fc.constant("admission.k8s.io/v1"), anyJson),
    kind: fc.oneof(fc.constant("AdmissionReview"), anyJson),
    request: fc.oneof(
      anyJson,
      fc.record(
        {
          uid: fc.oneof(fc.string(), anyJson),
          kind: fc.oneof(fc.constant({ group: "", version: "v1", kind: "Pod" }), anyJson),
          resource: fc.oneof(fc.constant({ group: "", version: "v1", resource: "pods" }), anyJson),
          operation: fc.oneof(fc.constantFrom("CREATE", "UPDATE", "DELETE", "CONNECT"), anyJson),
          object: anyJson,
          oldObject: anyJson,
          namespace: anyJson,
          name: anyJson,
          userInfo: anyJson,
          dryRun: anyJson,
        },
        { requiredKeys: [] },
      ),
    ),
  },
  { requiredKeys: [] },
);

test("property: any JSON in gives an AdmissionReview answer or a 400, never an exception", async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(anyJson, nearReview), fc.boolean(), async (body, handlerThrows) => {
      const reply = await handleAdmission(body, (req) => {
        if (handlerThrows) throw new Error("handler failure");
        return allowed(req.uid);
      });
      if (reply.status === 400) {
        const b = reply.body as { kind: string; code: number; message: string };
        return b.kind === "Status" && b.code === 400 && b.message.length > 0;
      }
      if (reply.status !== 200) return false;
      const r = (reply.body as AdmissionReview).response;
      if (typeof r.uid !== "string" || r.uid === "") return false;
      if (!r.allowed) return typeof r.status?.message === "string" && r.status.message.length > 0;
      return !handlerThrows;
    }),
    { numRuns: 2000 },
  );
});

test("property: a review that decodes keeps its uid in the answer", async () => {
  await fc.assert(
    fc.asyncProperty(fc.string({ minLength: 1 }), async (uid) => {
      const reply = await handleAdmission(review(podCreate({ uid })), (req) => allowed(req.uid));
      return reply.status === 200 && (reply.body as AdmissionReview).response.uid === uid;
    }),
  );
});

// ---- depth (docs/reliability.md, "Hostile input") ----

function nested(depth: number): unknown {
  return JSON.parse(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`);
}

test("a review nested deeper than the limit is denied with a 400 before any handler runs, keeping the uid", async () => {
  let called = false;
  const body = review(podCreate({ object: { metadata: { name: "p", labels: nested(100_000) } } }));
  const reply = await handleAdmission(body, (req) => {
    called = true;
    return allowed(req.uid);
  });
  assert.equal(called, false);
  const r = (reply.body as AdmissionReview).response;
  assert.deepEqual([reply.status, r.uid, r.allowed, r.status?.code], [200, "uid-1", false, 400]);
  assert.match(r.status?.message ?? "", /nested more than 1000 levels deep/);
});

test("a deeply nested body without a uid gets HTTP 400", async () => {
  const reply = await handleAdmission(JSON.parse(`{"request":${"[".repeat(50_000)}${"]".repeat(50_000)}}`), (req) => allowed(req.uid));
  assert.equal(reply.status, 400);
  assert.match((reply.body as { message: string }).message, /nested more than 1000 levels deep/);
});

test("nesting up to the limit is admitted", async () => {
  // The review is level 1, its request 2, the object 3: the object may nest 998 levels.
  const reply = await handleAdmission(review(podCreate({ object: nested(998) })), (req) => allowed(req.uid));
  assert.equal((reply.body as AdmissionReview).response.allowed, true);
  const over = await handleAdmission(review(podCreate({ object: nested(999) })), (req) => allowed(req.uid));
  assert.equal((over.body as AdmissionReview).response.allowed, false);
});
