import assert from "node:assert/strict";
import { test } from "node:test";
import jsonpatch from "fast-json-patch";
import type { Pod } from "../../../../src/api/kube-types.js";
import { podPatch } from "../../../../src/core/inject/json-patch.js";

function roundTrip(original: Pod, mutated: Pod) {
  const ops = podPatch(original, mutated);
  const patched = jsonpatch.applyPatch(structuredClone(original), structuredClone(ops), true, false).newDocument;
  assert.deepEqual(patched, mutated);
  return ops;
}

const base = (): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", annotations: { keep: "1", change: "old" } },
  spec: { containers: [{ name: "app", image: "a" }], volumes: [{ name: "v", emptyDir: {} }] },
});

test("a changed list is replaced whole, an untouched list (same array) is not mentioned", () => {
  const original = base();
  const mutated: Pod = { ...original, spec: { ...original.spec!, containers: [{ name: "s", image: "s" }, ...original.spec!.containers] } };
  assert.deepEqual(roundTrip(original, mutated), [{ op: "replace", path: "/spec/containers", value: mutated.spec!.containers }]);
});

test("a list the pod did not have is added", () => {
  const original = base();
  const mutated: Pod = { ...original, spec: { ...original.spec!, initContainers: [{ name: "i", image: "i" }], imagePullSecrets: [{ name: "s" }] } };
  assert.deepEqual(
    roundTrip(original, mutated).map((o) => `${o.op} ${o.path}`),
    ["add /spec/initContainers", "add /spec/imagePullSecrets"],
  );
});

test("annotations: new keys added, changed keys replaced, unchanged keys not mentioned", () => {
  const original = base();
  const mutated: Pod = { ...original, metadata: { ...original.metadata, annotations: { keep: "1", change: "new", "a/b": "c" } } };
  assert.deepEqual(roundTrip(original, mutated), [
    { op: "replace", path: "/metadata/annotations/change", value: "new" },
    { op: "add", path: "/metadata/annotations/a~1b", value: "c" },
  ]);
});

test("a pod without annotations gets the whole map in one add", () => {
  const original = base();
  delete original.metadata!.annotations;
  const mutated: Pod = { ...original, metadata: { ...original.metadata, annotations: { x: "y" } } };
  assert.deepEqual(roundTrip(original, mutated), [{ op: "add", path: "/metadata/annotations", value: { x: "y" } }]);
});

test("a pod without metadata or spec gets them added", () => {
  const original: Pod = { apiVersion: "v1", kind: "Pod" };
  const mutated: Pod = { ...original, metadata: { annotations: { x: "y" } }, spec: { containers: [{ name: "s", image: "s" }] } };
  roundTrip(original, mutated);
});

test("nothing changed ⇒ no operations", () => {
  const original = base();
  assert.deepEqual(podPatch(original, { ...original, metadata: { ...original.metadata, annotations: { ...original.metadata!.annotations } } }), []);
});
