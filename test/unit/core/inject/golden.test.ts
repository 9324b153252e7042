// Golden injection cases (test/golden/inject): Pod + SidecarSets in, the stored
// Pod out. Run with UPDATE_GOLDEN=1 to rewrite the expected files after a
// deliberate change, then review the diff.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { test } from "node:test";
import jsonpatch from "fast-json-patch";
import { stringify } from "yaml";
import { injectPod } from "../../../../src/core/inject/inject.js";
import { goldenCaseNames, goldenInjectInput, loadGoldenCase } from "../../../support/golden.js";

const names = goldenCaseNames();

test("there are golden cases for E1, E3, E4, E5 and the log-agent scenario", () => {
  for (const required of ["e1-placement", "e3-share-volumes", "e4-transfer-env", "e5-hot-upgrade", "log-agent"]) {
    assert.ok(names.includes(required), required);
  }
});

for (const name of names) {
  test(`golden ${name}: the injected pod matches ${name}.injected.yaml and the patch produces it`, () => {
    const c = loadGoldenCase(name);
    const before = structuredClone(c.pod);
    const result = injectPod(goldenInjectInput(c));
    assert.notEqual(result.kind, "denied", result.kind === "denied" ? result.message : "");
    const pod = result.kind === "injected" ? result.pod : c.pod;
    if (process.env.UPDATE_GOLDEN === "1") {
      writeFileSync(c.expectedFile, stringify(pod, { aliasDuplicateObjects: false, lineWidth: 0 }));
    }
    assert.deepEqual(JSON.parse(JSON.stringify(pod)), c.expected);
    assert.deepEqual(c.pod, before, "the submitted pod is not modified");
    if (result.kind === "injected") {
      const patched = jsonpatch.applyPatch(structuredClone(c.pod), structuredClone(result.patch), true, false).newDocument;
      assert.deepEqual(patched, result.pod);
      assert.ok(
        result.patch.every((op) => op.path.startsWith("/spec/") || op.path.startsWith("/metadata/annotations")),
        "only field-level operations",
      );
    }
  });
}
