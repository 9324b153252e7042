// docs/behaviour.md §4.1: the shape check reports wrong types, unknown enum strings and
// malformed int-or-strings with the path and what is allowed, keeps the rules
// away from malformed parts, and nothing in any input makes validation throw.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { defaultSidecarSet } from "../../../../src/api/defaults.js";
import { checkShape, validateSidecarSet, validateWithDefaults } from "../../../../src/api/validation/index.js";
import { container, context, sidecarSet, validate, withSet } from "./fixtures.js";

test("E13: a list as matchLabels and namespace with namespaceSelector give exactly two errors", () => {
  const set = withSet((s) => {
    s.spec.namespace = "team-a";
    s.spec.namespaceSelector = { matchLabels: { env: "prod" } };
    (s.spec as Record<string, unknown>).selector = { matchLabels: ["app", "web"] };
  });
  assert.deepEqual(validate(set).errors, [
    { path: "spec.selector.matchLabels", message: "must be a map of label key to string value, got a list" },
    {
      path: "spec.namespaceSelector",
      message:
        "cannot be combined with spec.namespace; use namespace for one namespace by name or namespaceSelector to select namespaces by label",
    },
  ]);
});

const shapeCases: { name: string; mutate: (s: Record<string, any>) => void; path: string; message: string }[] = [
  {
    name: "a number where a string belongs",
    mutate: (s) => (s.spec.containers[0].image = 1.5),
    path: "spec.containers[0].image",
    message: "must be a string, got a number (1.5)",
  },
  {
    name: "a map where a list belongs",
    mutate: (s) => (s.spec.containers = { name: "x" }),
    path: "spec.containers",
    message: "must be a list of containers, got a map",
  },
  {
    name: "a string where an object belongs",
    mutate: (s) => (s.spec.updateStrategy = "RollingUpdate"),
    path: "spec.updateStrategy",
    message: 'must be an object, got a string ("RollingUpdate")',
  },
  {
    name: "an unknown enum string",
    mutate: (s) => (s.spec.containers[0].upgradeStrategy = { upgradeType: "WarmUpgrade" }),
    path: "spec.containers[0].upgradeStrategy.upgradeType",
    message: '"WarmUpgrade" is not supported; use one of ColdUpgrade, HotUpgrade',
  },
  {
    name: "a malformed int-or-string",
    mutate: (s) => (s.spec.updateStrategy.partition = 2.5),
    path: "spec.updateStrategy.partition",
    message: 'must be an integer or a string such as "10%", got a number (2.5)',
  },
  {
    name: "a non-string label value",
    mutate: (s) => (s.spec.selector.matchLabels.version = 2),
    path: "spec.selector.matchLabels[version]",
    message: "must be a string, got a number (2)",
  },
  {
    name: "a boolean given as a string",
    mutate: (s) => (s.spec.updateStrategy.paused = "true"),
    path: "spec.updateStrategy.paused",
    message: 'must be true or false, got a string ("true")',
  },
  {
    name: "null as a list item",
    mutate: (s) => s.spec.containers.push(null),
    path: "spec.containers[1]",
    message: "must be an object, got null",
  },
  {
    name: "an integer out of int32 range",
    mutate: (s) => (s.spec.revisionHistoryLimit = 2 ** 40),
    path: "spec.revisionHistoryLimit",
    message: "1099511627776 is out of range; use -2147483648 to 2147483647",
  },
];

for (const c of shapeCases) {
  test(`shape: ${c.name} is one error with its path and what is allowed`, () => {
    const set = structuredClone(sidecarSet()) as Record<string, any>;
    c.mutate(set);
    assert.deepEqual(validate(set).errors, [{ path: c.path, message: c.message }]);
  });
}

test("shape: a malformed part is not checked again by the rules (no follow-on errors)", () => {
  const set = structuredClone(sidecarSet()) as Record<string, any>;
  set.spec.containers[0].name = 7; // would otherwise also be "name: must be set"
  set.spec.selector = { matchExpressions: "app in (web)" }; // would otherwise also be "selector must not be empty"
  assert.deepEqual(
    validate(set).errors.map((e) => e.path),
    ["spec.selector.matchExpressions", "spec.containers[0].name"],
  );
});

test("shape: rules still run on the well-formed siblings of a malformed value", () => {
  const set = structuredClone(sidecarSet()) as Record<string, any>;
  set.spec.containers[0].ports = [{ containerPort: "80" }];
  set.spec.containers[0].image = "";
  assert.deepEqual(
    validate(set).errors.map((e) => e.path),
    ["spec.containers[0].ports[0].containerPort", "spec.containers[0].image", "spec.containers[0].ports[0].protocol"],
  );
});

test("shape: unknown fields are warnings, not errors", () => {
  const set = structuredClone(sidecarSet()) as Record<string, any>;
  set.spec.contianers = [];
  set.spec.containers[0].imagePullPolcy = "Always";
  const result = validate(set);
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.warnings, [
    "spec.containers[0].imagePullPolcy: unknown field, ignored",
    "spec.contianers: unknown field, ignored",
  ]);
});

test("shape: JSON null means unset, as the API server reads it", () => {
  const set = structuredClone(sidecarSet()) as Record<string, any>;
  set.spec.volumes = null;
  set.spec.containers[0].env = null;
  assert.deepEqual(validate(set).errors, []);
});

test("shape: keys such as __proto__ are kept as plain data", () => {
  const labels = JSON.parse('{"__proto__": "x", "app": "web"}') as Record<string, unknown>;
  const result = checkShape({ matchLabels: labels }, "LabelSelector");
  const value = result.value as { matchLabels: Record<string, string> };
  assert.deepEqual(Object.keys(value.matchLabels), ["__proto__", "app"]);
  assert.equal(Object.getPrototypeOf(value.matchLabels), Object.prototype);
});

test("a top-level value that is not an object is one error", () => {
  for (const v of [null, 3, "x", [], true]) {
    const { errors } = validate(v);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.path, "");
    assert.match(errors[0]!.message, /^a SidecarSet must be an object/);
  }
});

test("validateWithDefaults reports shapes as given and rules on the defaulted object", () => {
  const raw = {
    apiVersion: "apps.kruise.io/v1alpha1",
    kind: "SidecarSet",
    metadata: { name: "s" },
    spec: { selector: { matchLabels: { app: "web" } }, containers: [{ name: "c", image: "c:1" }, 5] },
  };
  const { errors } = validateWithDefaults(raw, context(), defaultSidecarSet);
  assert.deepEqual(errors, [{ path: "spec.containers[1]", message: "must be an object, got a number (5)" }]);
  assert.deepEqual(validateWithDefaults({ ...raw, spec: { ...raw.spec, containers: [raw.spec.containers[0]] } }, context(), defaultSidecarSet).errors, []);
});

// ---------------------------------------------------------------- never throws

/** Every path (as key lists) inside a JSON value. */
function pathsOf(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...pathsOf(x, [...prefix, i])));
  else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...prefix, k]));
  return out;
}

function replaceAt(root: unknown, path: (string | number)[], junk: unknown): unknown {
  if (path.length === 0) return junk;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let at = copy;
  for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
  at[path[path.length - 1]!] = junk;
  return copy;
}

const rich = withSet((s) => {
  s.metadata.labels = { team: "a" };
  s.metadata.annotations = { "apps.kruise.io/sidecarset-canary": "true", "apps.kruise.io/sidecarset-base": "b" };
  s.spec.namespaceSelector = { matchExpressions: [{ key: "env", operator: "In", values: ["prod"] }] };
  s.spec.initContainers = [container("init", { restartPolicy: "Always", resourcesPolicy: { targetContainersMode: "sum", targetContainersNameRegex: ".*", resourcesExpr: { requests: { cpu: "cpu*10%" } } } })];
  s.spec.containers = [
    container("c", {
      env: [{ name: "A", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } }],
      ports: [{ containerPort: 80, protocol: "TCP" }],
      volumeMounts: [{ name: "v", mountPath: "/v" }],
      livenessProbe: { httpGet: { path: "/", port: 80, scheme: "HTTP" }, successThreshold: 1 },
      transferEnv: [{ sourceContainerNameFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.labels['a']" } } }],
      resources: { limits: { cpu: "1" }, requests: { cpu: "500m" } },
    }),
  ];
  s.spec.volumes = [{ name: "v", projected: { sources: [{ configMap: { name: "cm", items: [{ key: "k", path: "p" }] } }] } }];
  s.spec.updateStrategy = {
    type: "RollingUpdate",
    partition: "10%",
    maxUnavailable: 1,
    selector: { matchLabels: { a: "b" } },
    priorityStrategy: { weightPriority: [{ weight: 1, matchSelector: { matchLabels: { a: "b" } } }] },
    scatterStrategy: [{ key: "zone" }],
  };
  s.spec.injectionStrategy = { revision: { revisionName: "r", policy: "Partial" } };
  s.spec.patchPodMetadata = [{ annotations: { k: "{}" }, patchPolicy: "MergePatchJson" }];
});
const richPaths = pathsOf(rich);
const junk = fc.oneof(
  fc.anything(),
  fc.constantFrom(null, undefined, 0, -1, 1.5, Number.NaN, Infinity, "", "x", true, [], {}, [null], { "": null }),
  fc.array(fc.anything(), { maxLength: 3 }),
);
const noInternalFailure = (result: { errors: { message: string }[] }) =>
  result.errors.every((e) => !e.message.includes("could not be validated"));

test("property: replacing any value of a SidecarSet with junk never throws nor fails internally", () => {
  fc.assert(
    fc.property(fc.constantFrom(...richPaths), junk, (path, j) => {
      const obj = replaceAt(rich, path, j);
      const ctx = context({
        operation: "UPDATE",
        oldObject: obj as never,
        others: [obj as never, sidecarSet("b")],
        namespaces: () => ({ env: "prod" }),
        whitelist: '{"rules":[{"allowedAnnotationKeyExprs":[".*"]}]}',
      });
      const result = validateSidecarSet(obj, ctx);
      assert.ok(Array.isArray(result.errors) && Array.isArray(result.warnings));
      assert.ok(noInternalFailure(result), JSON.stringify(result.errors));
      assert.ok(noInternalFailure(validateWithDefaults(obj, ctx, defaultSidecarSet)));
    }),
    { numRuns: 600 },
  );
});

test("property: arbitrary values, objects and junk contexts never throw", () => {
  fc.assert(
    fc.property(fc.anything(), fc.array(fc.anything(), { maxLength: 3 }), fc.option(fc.string()), (obj, others, whitelist) => {
      const ctx = context({ operation: "UPDATE", oldObject: obj as never, others: others as never, whitelist: whitelist ?? undefined });
      assert.ok(noInternalFailure(validateSidecarSet(obj, ctx)));
      assert.ok(noInternalFailure(validateSidecarSet({ kind: "SidecarSet", metadata: { name: "x" }, spec: obj }, ctx)));
    }),
    { numRuns: 1000 },
  );
});
