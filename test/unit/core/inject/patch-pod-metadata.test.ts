import assert from "node:assert/strict";
import { test } from "node:test";
import { canonicalJson } from "../../../../src/api/canonical-json.js";
import type { SidecarSetPatchPodMetadata } from "../../../../src/api/types.js";
import { applyPatchPodMetadata, jsonMergePatch, mergePatchJson } from "../../../../src/core/inject/patch-pod-metadata.js";

const cases: {
  name: string;
  existing: Record<string, string>;
  patches: SidecarSetPatchPodMetadata[];
  want: Record<string, string>;
}[] = [
  { name: "Retain sets an absent key", existing: {}, patches: [{ annotations: { k: "new" }, patchPolicy: "Retain" }], want: { k: "new" } },
  { name: "Retain keeps a present key", existing: { k: "old" }, patches: [{ annotations: { k: "new" }, patchPolicy: "Retain" }], want: { k: "old" } },
  { name: "Retain keeps even an empty value", existing: { k: "" }, patches: [{ annotations: { k: "new" }, patchPolicy: "Retain" }], want: { k: "" } },
  { name: "no policy means Retain", existing: { k: "old" }, patches: [{ annotations: { k: "new" } }], want: { k: "old" } },
  { name: "Overwrite always sets", existing: { k: "old" }, patches: [{ annotations: { k: "new" }, patchPolicy: "Overwrite" }], want: { k: "new" } },
  {
    name: "MergePatchJson sets an absent key verbatim",
    existing: {},
    patches: [{ annotations: { k: '{"b": 2}' }, patchPolicy: "MergePatchJson" }],
    want: { k: '{"b": 2}' },
  },
  {
    name: "MergePatchJson sets an empty key verbatim",
    existing: { k: "" },
    patches: [{ annotations: { k: '{"b":2}' }, patchPolicy: "MergePatchJson" }],
    want: { k: '{"b":2}' },
  },
  {
    name: "MergePatchJson merges into a present key (docs/behaviour.md §5.5 example)",
    existing: { k: '{"a":1}' },
    patches: [{ annotations: { k: '{"b":2}' }, patchPolicy: "MergePatchJson" }],
    want: { k: '{"a":1,"b":2}' },
  },
  {
    name: "MergePatchJson output has sorted keys and no whitespace",
    existing: { k: '{ "z": 1, "a": {"y": 1, "b": 2} }' },
    patches: [{ annotations: { k: '{"m": true}' }, patchPolicy: "MergePatchJson" }],
    want: { k: '{"a":{"b":2,"y":1},"m":true,"z":1}' },
  },
  {
    name: "MergePatchJson null removes a key",
    existing: { k: '{"a":1,"b":2}' },
    patches: [{ annotations: { k: '{"a":null}' }, patchPolicy: "MergePatchJson" }],
    want: { k: '{"b":2}' },
  },
  {
    name: "unknown policies are ignored",
    existing: { k: "old" },
    patches: [{ annotations: { k: "new" }, patchPolicy: "Sometimes" as never }],
    want: { k: "old" },
  },
  {
    name: "entries apply in order: a later Overwrite wins over an earlier Retain",
    existing: {},
    patches: [
      { annotations: { k: "first" }, patchPolicy: "Retain" },
      { annotations: { k: "second" }, patchPolicy: "Overwrite" },
    ],
    want: { k: "second" },
  },
];

for (const c of cases) {
  test(`patchPodMetadata: ${c.name}`, () => {
    const annotations = { ...c.existing };
    assert.equal(applyPatchPodMetadata(annotations, c.patches), undefined);
    assert.deepEqual(annotations, c.want);
  });
}

test("patchPodMetadata: an invalid JSON patch is an error on the SidecarSet field", () => {
  const annotations = { k: '{"a":1}' };
  const err = applyPatchPodMetadata(annotations, [{ annotations: { k: "{oops" }, patchPolicy: "MergePatchJson" }]);
  assert.equal(err?.path, "spec.patchPodMetadata[0].annotations[k]");
  assert.match(err!.message, /not valid JSON/);
});

test("patchPodMetadata: an invalid existing pod value is an error on the pod annotation", () => {
  const err = applyPatchPodMetadata({ k: "plain text" }, [{ annotations: { k: '{"a":1}' }, patchPolicy: "MergePatchJson" }]);
  assert.equal(err?.path, "metadata.annotations[k]");
});

test("RFC 7386 examples", () => {
  const examples: [unknown, unknown, unknown][] = [
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [["a", "b"], ["c", "d"], ["c", "d"]],
    [{ a: "b" }, ["c"], ["c"]],
    [{ a: "foo" }, null, null],
    [{ a: "foo" }, "bar", "bar"],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: "b", c: null }, { a: "b" }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, want] of examples) assert.deepEqual(jsonMergePatch(target, patch), want);
});

test("canonical JSON sorts integer-like keys as text and escapes like Go", () => {
  assert.equal(canonicalJson({ b: 1, "10": 2, "2": 3, a: "<&>" }), '{"10":2,"2":3,"a":"\\u003c\\u0026\\u003e","b":1}');
  assert.equal(mergePatchJson('{"x":[3,1]}', '{"y":"\u2028"}').ok, true);
  const r = mergePatchJson('{"x":[3,1]}', '{"y":"\u2028"}');
  assert.ok(r.ok);
  assert.equal(r.value, '{"x":[3,1],"y":"\\u2028"}');
});
