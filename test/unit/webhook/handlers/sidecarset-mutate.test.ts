import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import jsonpatch from "fast-json-patch";
import { defaultSidecarSet } from "../../../../src/api/defaults.js";
import type { SidecarSet } from "../../../../src/api/types.js";
import { createSidecarSetMutateHandler } from "../../../../src/webhook/handlers/sidecarset-mutate.js";
import { createSidecarSetValidateHandler } from "../../../../src/webhook/handlers/sidecarset-validate.js";
import { fakeCache, patchOf, responseOf, run, sidecarSetReview } from "./fixtures.js";

const mutate = createSidecarSetMutateHandler();

function submitted(spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: "apps.kruise.io/v1alpha1",
    kind: "SidecarSet",
    metadata: { name: "log-agent", ...metadata },
    spec: { selector: { matchLabels: { app: "web" } }, containers: [{ name: "logtail", image: "logtail:1.0" }], ...spec },
  };
}

function applied(object: unknown, ops: jsonpatch.Operation[]): unknown {
  return jsonpatch.applyPatch(structuredClone(object), structuredClone(ops), true, false).newDocument;
}

test("CREATE: the patch turns the submitted SidecarSet into the defaulted one, hash annotations included", async () => {
  const object = submitted();
  const r = responseOf(await run(mutate, sidecarSetReview("CREATE", object)));
  assert.equal(r.allowed, true);
  const out = applied(object, patchOf(r)) as SidecarSet;
  assert.deepEqual(out, defaultSidecarSet(object as unknown as SidecarSet));
  assert.equal(out.spec.updateStrategy?.type, "RollingUpdate");
  assert.equal(out.spec.containers?.[0]?.podInjectPolicy, "BeforeAppContainer");
  assert.match(out.metadata.annotations!["kruise.io/sidecarset-hash"]!, /^[a-z0-9]{64}$/);
});

test("an object that is already defaulted gets no patch", async () => {
  const object = defaultSidecarSet(submitted() as unknown as SidecarSet);
  for (const op of ["CREATE", "UPDATE"] as const) {
    const extra = op === "UPDATE" ? { oldObject: object } : {};
    const r = responseOf(await run(mutate, sidecarSetReview(op, object, extra)));
    assert.equal(r.allowed, true);
    assert.equal(r.patch, undefined, op);
  }
});

test("UPDATE: an image change rewrites only the hash annotation (the without-image hash stays)", async () => {
  const old = defaultSidecarSet(submitted() as unknown as SidecarSet);
  const changed = structuredClone(old);
  changed.spec.containers![0]!.image = "logtail:1.1";
  const r = responseOf(await run(mutate, sidecarSetReview("UPDATE", changed, { oldObject: old })));
  const ops = patchOf(r);
  assert.deepEqual(ops.map((o) => o.path), ["/metadata/annotations/kruise.io~1sidecarset-hash"]);
  const out = applied(changed, ops) as SidecarSet;
  assert.notEqual(out.metadata.annotations!["kruise.io/sidecarset-hash"], old.metadata.annotations!["kruise.io/sidecarset-hash"]);
  assert.equal(out.metadata.annotations!["kruise.io/sidecarset-hash-without-image"], old.metadata.annotations!["kruise.io/sidecarset-hash-without-image"]);
});

test("a hash annotation set by the user is overwritten with the computed one", async () => {
  const object = submitted({}, { annotations: { "kruise.io/sidecarset-hash": "forged" } });
  const out = applied(object, patchOf(responseOf(await run(mutate, sidecarSetReview("CREATE", object))))) as SidecarSet;
  assert.notEqual(out.metadata.annotations!["kruise.io/sidecarset-hash"], "forged");
  assert.equal(out.metadata.annotations!["kruise.io/sidecarset-hash"], defaultSidecarSet(object as unknown as SidecarSet).metadata.annotations!["kruise.io/sidecarset-hash"]);
});

test("a malformed SidecarSet passes the mutating webhook unchanged and the validating webhook rejects it with field paths", async () => {
  const object = submitted({ selector: { matchLabels: ["app", "web"] }, updateStrategy: { partition: "ten" } });
  const m = responseOf(await run(mutate, sidecarSetReview("CREATE", object)));
  assert.equal(m.allowed, true);
  assert.equal(m.patch, undefined);
  const validate = createSidecarSetValidateHandler({ cache: fakeCache() });
  const v = responseOf(await run(validate, sidecarSetReview("CREATE", object)));
  assert.equal(v.allowed, false);
  assert.equal(v.status?.code, 422);
  // Only the real problems: the defaults the object missed are not reported.
  assert.deepEqual(v.status!.details!.causes!.map((c) => c.field), ["spec.selector.matchLabels", "spec.updateStrategy.partition"]);
});

const passThrough: { name: string; body: Record<string, unknown> }[] = [
  { name: "a DELETE is allowed unchanged", body: sidecarSetReview("DELETE", undefined, { name: "log-agent", oldObject: submitted() }) },
  { name: "a status subresource write is allowed unchanged", body: sidecarSetReview("UPDATE", submitted(), { subResource: "status", oldObject: submitted() }) },
];
for (const c of passThrough) {
  test(c.name, async () => {
    const r = responseOf(await run(mutate, c.body));
    assert.equal(r.allowed, true);
    assert.equal(r.patch, undefined);
  });
}

test("a request for another kind is denied naming what this webhook admits", async () => {
  const body = sidecarSetReview("CREATE", submitted(), { kind: { group: "", version: "v1", kind: "Pod" } });
  const r = responseOf(await run(mutate, body));
  assert.equal(r.allowed, false);
  assert.equal(r.status?.code, 400);
  assert.match(r.status!.message, /admits apps\.kruise\.io\/v1alpha1 SidecarSet objects, got core\/v1 Pod/);
});

test("property: any JSON as the submitted object is answered; a patch, when given, applies and yields a valid default", async () => {
  const junk = fc.jsonValue({ maxDepth: 4 });
  const setLike = fc.oneof(
    junk,
    fc.record({
      metadata: fc.oneof(fc.record({ name: fc.string(), annotations: junk }, { requiredKeys: [] }), junk),
      spec: fc.oneof(
        fc.record({ selector: junk, containers: fc.oneof(fc.array(fc.record({ name: fc.string(), image: junk, ports: junk }), { maxLength: 2 }), junk), updateStrategy: junk, volumes: junk }, { requiredKeys: [] }),
        junk,
      ),
    }, { requiredKeys: [] }),
  );
  await fc.assert(
    // What reaches a webhook has been through JSON (no -0, no undefined), so the generated object is too.
    fc.asyncProperty(setLike.map((o) => JSON.parse(JSON.stringify(o)) as unknown), async (object) => {
      const a = await run(mutate, sidecarSetReview("CREATE", object));
      assert.ok(a.status === 200 || a.status === 400);
      if (a.status === 400) return;
      const r = a.response!;
      if (!r.allowed) {
        assert.ok([400, 500].includes(r.status!.code));
        return;
      }
      const ops = patchOf(r);
      if (ops.length > 0) {
        const out = applied(object, ops);
        assert.deepEqual(out, defaultSidecarSet(object as SidecarSet));
      }
    }),
    { numRuns: 300 },
  );
});
