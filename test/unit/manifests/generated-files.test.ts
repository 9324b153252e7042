import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { GENERATOR_COMMAND, HELM_NAMESPACE_EXPRESSION, HELM_SERVICE_ACCOUNT_EXPRESSION, generatedFiles } from "../../../src/manifests/files.js";
import { SERVICE_ACCOUNT_NAME } from "../../../src/manifests/options.js";
import { allManifests, selectManifests, toYaml } from "../../../src/manifests/render.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const files = generatedFiles();

for (const file of files) {
  test(`${file.path} equals the generator's output (run \`${GENERATOR_COMMAND}\` after changing src/manifests)`, () => {
    const path = join(root, file.path);
    assert.ok(existsSync(path), `${file.path} is missing`);
    assert.equal(readFileSync(path, "utf8"), file.content);
  });
}

test("deploy/ holds no plain manifest the generator does not write (a stale copy would be applied by mistake)", () => {
  const generated = new Set(files.map((f) => f.path));
  const onDisk: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) {
        if (rel !== "deploy/helm") visit(rel);
      } else if (/\.ya?ml$/.test(entry.name)) onDisk.push(rel);
    }
  };
  visit("deploy");
  assert.deepEqual(onDisk.filter((p) => !generated.has(p)), []);
});

test("every generated plain manifest parses as YAML without aliases", () => {
  for (const file of files.filter((f) => !f.path.includes("/templates/"))) {
    for (const doc of parseAllDocuments(file.content)) {
      assert.deepEqual(doc.errors, [], file.path);
      assert.ok(!file.content.includes("*a1"), `${file.path} uses YAML aliases`);
    }
  }
});

test("deploy/all.yaml lists Namespace and CRD first and the webhook configurations last", () => {
  const all = files.find((f) => f.path === "deploy/all.yaml");
  assert.ok(all);
  const kinds = parseAllDocuments(all.content).map((d) => (d.toJS() as { kind: string }).kind);
  assert.deepEqual(kinds, [
    "CustomResourceDefinition",
    "Namespace",
    "ServiceAccount",
    "ClusterRole",
    "ClusterRoleBinding",
    "Role",
    "RoleBinding",
    "Service",
    "Service",
    "Deployment",
    "PodDisruptionBudget",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
  ]);
});

test("the YAML round-trips to the builders' objects", () => {
  const parsed = parseAllDocuments(toYaml(allManifests())).map((d) => d.toJS());
  assert.deepEqual(parsed, JSON.parse(JSON.stringify(allManifests())));
});

test("parts come out in apply order whatever order they are asked in", () => {
  const kinds = selectManifests(["webhook", "crd"]).map((m) => m.kind);
  assert.deepEqual(kinds, ["CustomResourceDefinition", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"]);
});

test("the Helm chart's RBAC template is the plain RBAC without its ServiceAccount, the namespace and the account's name templated", () => {
  const plain = files.find((f) => f.path === "deploy/rbac/rbac.yaml")!.content;
  const helm = files.find((f) => f.path.endsWith("/templates/rbac.yaml"))!.content;
  const [header, serviceAccount, ...rest] = plain.split(/^(?=apiVersion: )/m);
  assert.match(serviceAccount!, /^kind: ServiceAccount$/m);
  const instantiated = helm
    .replaceAll(HELM_NAMESPACE_EXPRESSION, "sidecarset-system")
    .replaceAll(HELM_SERVICE_ACCOUNT_EXPRESSION, SERVICE_ACCOUNT_NAME);
  assert.equal(instantiated, header! + rest.join(""));
});
