// The examples are applied unchanged by users and by the end-to-end tests, so
// every SidecarSet in them must pass validation as the webhook would run it:
// defaulted first, then validated in the order examples/README.md applies them.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { defaultSidecarSet } from "../../src/api/defaults.js";
import type { Container, LabelSelector } from "../../src/api/kube-types.js";
import type { SidecarSet } from "../../src/api/types.js";
import { validateSidecarSet, type ValidationContext } from "../../src/api/validation/index.js";
import { parseDocuments, readDocuments } from "../../src/cli/documents.js";
import { selectorMatches } from "../../src/core/selector.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const examplesDir = join(root, "examples");

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : []))
    .sort();
}

interface Workload {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: {
    template: {
      metadata: { labels: Record<string, string> };
      spec: { containers: Container[]; volumes?: { name: string }[] };
    };
  };
}

// examples/simulate/ is input for the offline `sidecarset simulate`, never applied to a cluster;
// it is validated on its own below.
const simulateDir = join(examplesDir, "simulate");
const docs = yamlFiles(examplesDir).filter((f) => !f.startsWith(simulateDir)).flatMap((f) =>
  readDocuments([f]).map((d) => ({ file: relative(root, f), object: d.object as { kind: string; apiVersion: string; metadata: { name: string } } })),
);// readDocuments hands a v1beta1 SidecarSet over in its v1alpha1 form, as the webhooks see it.
const sidecarSets = docs.filter((d) => d.object.kind === "SidecarSet") as { file: string; object: SidecarSet }[];
const workloads = docs.filter((d) => d.object.kind === "Deployment").map((d) => d.object as unknown as Workload);
const namespaces = new Set(docs.filter((d) => d.object.kind === "Namespace").map((d) => d.object.metadata.name));

const defaulted = (file: string): SidecarSet => {
  const s = sidecarSets.find((x) => x.file === file);
  assert.ok(s, `${file} has no SidecarSet`);
  return defaultSidecarSet(structuredClone(s.object));
};

function context(operation: "CREATE" | "UPDATE", others: string[], oldFile?: string): ValidationContext {
  const ctx: ValidationContext = {
    operation,
    others: others.map(defaulted),
    namespaces: (name) => (namespaces.has(name) ? { "kubernetes.io/metadata.name": name } : undefined),
    revisions: [],
  };
  if (oldFile) ctx.oldObject = defaulted(oldFile);
  return ctx;
}

// The order examples/README.md applies them in; each step sees the SidecarSets that exist at that point.
const steps: { file: string; operation: "CREATE" | "UPDATE"; existing: string[]; old?: string }[] = [
  { file: "examples/log-agent/sidecarset.yaml", operation: "CREATE", existing: [] },
  { file: "examples/canary/sidecarset-canary.yaml", operation: "CREATE", existing: ["examples/log-agent/sidecarset.yaml"] },
  {
    file: "examples/rollout/sidecarset-partition.yaml",
    operation: "UPDATE",
    existing: [],
    old: "examples/log-agent/sidecarset.yaml",
  },
  {
    file: "examples/rollout/sidecarset-percent.yaml",
    operation: "UPDATE",
    existing: [],
    old: "examples/rollout/sidecarset-partition.yaml",
  },
  { file: "examples/scatter/sidecarset.yaml", operation: "CREATE", existing: ["examples/log-agent/sidecarset.yaml"] },
  {
    file: "examples/hot-upgrade/sidecarset.yaml",
    operation: "CREATE",
    existing: ["examples/log-agent/sidecarset.yaml", "examples/scatter/sidecarset.yaml"],
  },
  {
    file: "examples/hot-upgrade/sidecarset-v2.yaml",
    operation: "UPDATE",
    existing: ["examples/log-agent/sidecarset.yaml", "examples/scatter/sidecarset.yaml"],
    old: "examples/hot-upgrade/sidecarset.yaml",
  },
];

test("the examples show both served versions", () => {
  const versions = new Set(
    yamlFiles(examplesDir)
      .flatMap((f) => parseDocuments(readFileSync(f, "utf8"), f, { asWritten: true }).map((d) => d.object as { kind: string; apiVersion: string }))
      .filter((o) => o.kind === "SidecarSet")
      .map((o) => o.apiVersion),
  );
  assert.deepEqual([...versions].sort(), ["apps.kruise.io/v1alpha1", "apps.kruise.io/v1beta1"]);
});

test("every SidecarSet under examples/ is covered by a validation step", () => {
  assert.deepEqual(sidecarSets.map((s) => s.file).sort(), steps.map((s) => s.file).sort());
});

for (const step of steps) {
  test(`${step.file} is accepted on ${step.operation} after defaulting, with no errors or warnings`, () => {
    const result = validateSidecarSet(defaulted(step.file), context(step.operation, step.existing, step.old));
    assert.deepEqual(result, { errors: [], warnings: [] });
  });
}

for (const { file, object: set } of sidecarSets) {
  test(`${file} selects the pods of an example workload in its namespace`, () => {
    const selected = workloads.filter(
      (w) =>
        (set.spec.namespace === undefined || w.metadata.namespace === set.spec.namespace) &&
        selectorMatches(set.spec.selector as LabelSelector, w.spec.template.metadata.labels),
    );
    assert.ok(selected.length > 0, "no example workload is selected");
    for (const w of selected) {
      const ns = w.metadata.namespace;
      assert.ok(ns && namespaces.has(ns), `${w.metadata.name}'s namespace is not created by the examples`);
    }
  });
}

test("log-agent's transferEnv and shared volume find what they need in the web-server container", () => {
  const set = defaulted("examples/log-agent/sidecarset.yaml");
  const logtail = set.spec.containers?.[0];
  assert.equal(logtail?.name, "logtail");
  assert.equal(logtail?.shareVolumePolicy?.type, "enabled");
  const web = workloads.find((w) => w.metadata.name === "web");
  const app = web?.spec.template.spec.containers.find((c) => c.name === logtail?.transferEnv?.[0]?.sourceContainerName);
  assert.ok(app, "the transferEnv source container is not in Deployment web");
  assert.ok(app.env?.some((e) => e.name === "TZ"));
  assert.deepEqual(app.volumeMounts, [{ name: "app-logs", mountPath: "/var/log/app" }]);
  assert.ok(web?.spec.template.spec.volumes?.some((v) => v.name === "app-logs"));
});

test("the rollout example changes only logtail's image, so it upgrades pods in place", () => {
  const before = defaulted("examples/log-agent/sidecarset.yaml").spec.containers;
  const after = defaulted("examples/rollout/sidecarset-partition.yaml").spec.containers;
  assert.notEqual(before?.[0]?.image, after?.[0]?.image);
  assert.deepEqual({ ...after?.[0], image: "" }, { ...before?.[0], image: "" });
});

for (const file of yamlFiles(simulateDir)) {
  test(`${relative(root, file)} is a valid SidecarSet on its own`, () => {
    for (const { object } of readDocuments([file])) {
      const result = validateSidecarSet(defaultSidecarSet(object as SidecarSet), context("CREATE", [], undefined));
      assert.deepEqual(result, { errors: [], warnings: [] });
    }
  });
}
