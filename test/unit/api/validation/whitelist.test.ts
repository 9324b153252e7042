// docs/behaviour.md §4.5: the patchPodMetadata whitelist and the
// --allow-patch-pod-metadata-without-whitelist flag.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SidecarSet } from "../../../../src/api/types.js";
import { validate, withSet } from "./fixtures.js";

const patching = (keys: string[], labels: Record<string, string> = { team: "mesh" }): SidecarSet =>
  withSet((s) => {
    s.metadata.labels = labels;
    s.spec.patchPodMetadata = [{ annotations: Object.fromEntries(keys.map((k) => [k, "v"])), patchPolicy: "Overwrite" }];
  });
const rules = (...r: object[]) => JSON.stringify({ rules: r });

const cases: {
  name: string;
  set: SidecarSet;
  whitelist?: string;
  allow?: boolean;
  errors: { path: string; message?: RegExp }[];
}[] = [
  { name: "a SidecarSet without patchPodMetadata needs no whitelist", set: withSet(() => undefined), errors: [] },
  {
    name: "no whitelist configured is rejected, naming the ConfigMap and the flag",
    set: patching(["example.com/a"]),
    errors: [{ path: "spec.patchPodMetadata", message: /no whitelist configured; add rules to ConfigMap sidecarset-configuration .*--allow-patch-pod-metadata-without-whitelist/ }],
  },
  { name: "no whitelist configured is accepted with the flag", set: patching(["example.com/a"]), allow: true, errors: [] },
  {
    name: "a key matching a rule without selector is accepted (unanchored match)",
    set: patching(["apps.example.com/owner"]),
    whitelist: rules({ allowedAnnotationKeyExprs: ["example\\.com"] }),
    errors: [],
  },
  {
    name: "a key matching no pattern is rejected",
    set: patching(["example.com/a", "other.io/b"]),
    whitelist: rules({ allowedAnnotationKeyExprs: ["^example\\.com/"] }),
    errors: [{ path: "spec.patchPodMetadata[0].annotations[other.io/b]", message: /"\^example\\\\.com\/"/ }],
  },
  {
    name: "a key matching no pattern is rejected even with the flag",
    set: patching(["other.io/b"]),
    whitelist: rules({ allowedAnnotationKeyExprs: ["^example\\.com/"] }),
    allow: true,
    errors: [{ path: "spec.patchPodMetadata[0].annotations[other.io/b]" }],
  },
  {
    name: "only rules whose selector matches the SidecarSet's labels apply",
    set: patching(["b"]),
    whitelist: rules(
      { selector: { matchLabels: { team: "mesh" } }, allowedAnnotationKeyExprs: ["^a$"] },
      { selector: { matchLabels: { team: "other" } }, allowedAnnotationKeyExprs: ["^b$"] },
    ),
    errors: [{ path: "spec.patchPodMetadata[0].annotations[b]" }],
  },
  {
    name: "no applicable rule is rejected",
    set: patching(["a"]),
    whitelist: rules({ selector: { matchLabels: { team: "other" } }, allowedAnnotationKeyExprs: [".*"] }),
    errors: [{ path: "spec.patchPodMetadata", message: /no rule .* applies to this SidecarSet's labels/ }],
  },
  {
    name: "no applicable rule is accepted with the flag",
    set: patching(["a"]),
    whitelist: rules({ selector: { matchLabels: { team: "other" } }, allowedAnnotationKeyExprs: [".*"] }),
    allow: true,
    errors: [],
  },
  {
    name: "a whitelist that is not JSON is rejected, even with the flag",
    set: patching(["a"]),
    whitelist: "rules: []",
    allow: true,
    errors: [{ path: "spec.patchPodMetadata", message: /not valid JSON/ }],
  },
  {
    name: "an empty whitelist value is not JSON",
    set: patching(["a"]),
    whitelist: "",
    errors: [{ path: "spec.patchPodMetadata", message: /not valid JSON/ }],
  },
  {
    name: "a whitelist of the wrong shape is rejected",
    set: patching(["a"]),
    whitelist: JSON.stringify({ rules: { allowedAnnotationKeyExprs: [".*"] } }),
    errors: [{ path: "spec.patchPodMetadata", message: /malformed: rules: must be a list/ }],
  },
  {
    name: "an invalid RE2 pattern in an applicable rule is rejected",
    set: patching(["a"]),
    whitelist: rules({ allowedAnnotationKeyExprs: ["(?<=x)a"] }),
    errors: [{ path: "spec.patchPodMetadata", message: /rules\[0\]\.allowedAnnotationKeyExprs\[0\] .*not a valid RE2/ }],
  },
  {
    name: "an invalid pattern in a rule that does not apply is not compiled (as OpenKruise)",
    set: patching(["a"]),
    whitelist: rules({ selector: { matchLabels: { team: "other" } }, allowedAnnotationKeyExprs: ["("] }, { allowedAnnotationKeyExprs: ["^a$"] }),
    errors: [],
  },
];

for (const c of cases) {
  test(`whitelist: ${c.name}`, () => {
    const { errors } = validate(c.set, { whitelist: c.whitelist, allowPatchPodMetadataWithoutWhitelist: c.allow });
    assert.deepEqual(
      errors.map((e) => e.path),
      c.errors.map((e) => e.path),
      JSON.stringify(errors),
    );
    c.errors.forEach((e, i) => e.message && assert.match(errors[i]!.message, e.message));
  });
}
