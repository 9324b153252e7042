import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import { convertCommand } from "../../../src/cli/convert.js";
import { hashCommand } from "../../../src/cli/hash.js";
import { validateCommand } from "../../../src/cli/validate.js";
import { runCommand, tempFile } from "./capture.js";

const MANIFEST = `# a comment that is not kept
apiVersion: apps.kruise.io/v1alpha1
kind: SidecarSet
metadata:
  name: log-agent
  labels:
    apps.kruise.io/sidecarset-custom-version: "7"
spec:
  namespace: web
  selector:
    matchLabels:
      app: web
  containers:
    - name: agent
      image: agent:1
      futureField: kept
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
`;

const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS() as Record<string, any>);

test("convert --to v1beta1 rewrites SidecarSets and passes other documents through", async () => {
  const r = await runCommand(convertCommand(), ["-f", tempFile("m.yaml", MANIFEST), "--to", "v1beta1"]);
  assert.equal(r.exitCode, 0, r.stderr);
  const [set, deployment] = docs(r.stdout);
  assert.equal(set!.apiVersion, "apps.kruise.io/v1beta1");
  assert.deepEqual(Object.keys(set!.spec), ["namespaceSelector", "selector", "containers", "customVersion"], "the selector takes the namespace's place");
  assert.deepEqual(set!.spec.namespaceSelector, { matchLabels: { "kubernetes.io/metadata.name": "web" } });
  assert.equal(set!.spec.customVersion, "7");
  assert.equal(set!.metadata.labels, undefined);
  assert.equal(set!.spec.containers[0].futureField, "kept");
  assert.deepEqual(deployment, docs(MANIFEST)[1]);
});

test("convert --to v1alpha1 after --to v1beta1 gives back the custom-version label", async () => {
  const beta = (await runCommand(convertCommand(), ["-f", tempFile("m.yaml", MANIFEST), "--to", "v1beta1"])).stdout;
  const r = await runCommand(convertCommand(), ["-f", tempFile("b.yaml", beta), "--to", "v1alpha1", "-o", "json"]);
  assert.equal(r.exitCode, 0, r.stderr);
  const list = JSON.parse(r.stdout) as { kind: string; items: Record<string, any>[] };
  assert.equal(list.kind, "List");
  assert.equal(list.items[0]!.apiVersion, "apps.kruise.io/v1alpha1");
  assert.deepEqual(list.items[0]!.metadata.labels, { "apps.kruise.io/sidecarset-custom-version": "7" });
  assert.deepEqual(list.items[0]!.spec.namespaceSelector, { matchLabels: { "kubernetes.io/metadata.name": "web" } });
});

test("convert refuses a SidecarSet of an unserved version, naming the file and line", async () => {
  const file = tempFile("bad.yaml", "apiVersion: v1\nkind: ConfigMap\n---\napiVersion: apps.kruise.io/v2\nkind: SidecarSet\nmetadata: {name: x}\n");
  const r = await runCommand(convertCommand(), ["-f", file, "--to", "v1beta1"]);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /bad\.yaml:3: apiVersion "apps\.kruise\.io\/v2" is not served/);
  assert.equal(r.stdout, "");
});

test("convert needs --to, one of the served versions", async () => {
  const file = tempFile("m.yaml", MANIFEST);
  await assert.rejects(runCommand(convertCommand(), ["-f", file]), /--to/);
  await assert.rejects(runCommand(convertCommand(), ["-f", file, "--to", "v2"]), /v1alpha1, v1beta1/);
});

test("convert reports a missing file", async () => {
  const r = await runCommand(convertCommand(), ["-f", "/nonexistent/x.yaml", "--to", "v1beta1"]);
  assert.equal(r.exitCode, 1);
  assert.match(r.stderr, /no such file/);
});

test("the other commands read a v1beta1 SidecarSet as its v1alpha1 form: the same hashes, and valid", async () => {
  const alphaFile = tempFile("a.yaml", MANIFEST);
  const betaFile = tempFile("b.yaml", (await runCommand(convertCommand(), ["-f", alphaFile, "--to", "v1beta1"])).stdout);
  const alphaHash = await runCommand(hashCommand(), ["-f", alphaFile]);
  const betaHash = await runCommand(hashCommand(), ["-f", betaFile]);
  assert.equal(betaHash.exitCode, 0, betaHash.stderr);
  assert.equal(betaHash.stdout, alphaHash.stdout);
  const valid = await runCommand(validateCommand(), ["-f", betaFile]);
  assert.equal(valid.exitCode, 0, valid.stdout + valid.stderr);
});
