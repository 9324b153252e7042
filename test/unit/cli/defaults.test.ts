import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { parseAllDocuments } from "yaml";
import { defaultsCommand } from "../../../src/cli/defaults.js";
import { runCommand, tempFile } from "./capture.js";

const MANIFESTS = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec: {}
---
apiVersion: apps.kruise.io/v1alpha1
kind: SidecarSet
metadata:
  name: sidecarset-test
spec:
  selector:
    matchLabels:
      app: web
  containers:
    - name: dns-f
      image: dns:1.0
      resources:
        limits:
          cpu: "0.1"
`;

test("defaults prints only the SidecarSets, defaulted, with the docs/behaviour.md §3.1 hash annotations", async () => {
  const file = tempFile("all.yaml", MANIFESTS.replace(/\n {6}resources:\n {8}limits:\n {10}cpu: "0.1"/, ""));
  const r = await runCommand(defaultsCommand(), ["-f", file]);
  assert.equal(r.exitCode, 0);
  assert.equal(r.stderr, "");
  const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Record<string, any>);
  assert.equal(docs.length, 1);
  const set = docs[0]!;
  assert.equal(set.kind, "SidecarSet");
  assert.equal(set.metadata.annotations["kruise.io/sidecarset-hash"], "6wbd76bd7984x24fb4f44fv9222cw9v9bcf85x766744wddd4zwx927zzz2zb684");
  assert.equal(set.metadata.annotations["kruise.io/sidecarset-hash-without-image"], "82684vwf9d4cb4wz4vffx4ddfbb47ww4z4wwxdbwb8w2zbb7zvf4524cdd49bv94");
  assert.equal(set.spec.containers[0].imagePullPolicy, "IfNotPresent");
  assert.deepEqual(set.spec.updateStrategy, { type: "RollingUpdate", maxUnavailable: 1, partition: 0 });
});

test("defaults -o json prints one object for one SidecarSet and rewrites quantities canonically", async () => {
  const file = tempFile("one.yaml", MANIFESTS);
  const r = await runCommand(defaultsCommand(), ["-f", file, "-o", "json"]);
  assert.equal(r.exitCode, 0);
  const set = JSON.parse(r.stdout) as Record<string, any>;
  assert.equal(set.metadata.name, "sidecarset-test");
  assert.equal(set.spec.containers[0].resources.limits.cpu, "100m");
  assert.equal(set.spec.revisionHistoryLimit, 10);
});

test("defaults -o json prints a List for several SidecarSets, in input order", async () => {
  const second = MANIFESTS.replace("name: sidecarset-test", "name: second");
  const file = tempFile("two.yaml", `${MANIFESTS}---\n${second}`);
  const r = await runCommand(defaultsCommand(), ["-f", file, "-o", "json"]);
  const list = JSON.parse(r.stdout) as { kind: string; items: { metadata: { name: string } }[] };
  assert.equal(list.kind, "List");
  assert.deepEqual(list.items.map((i) => i.metadata.name), ["sidecarset-test", "second"]);
});

test("defaults reports a YAML parse error as file:line on stderr and exits 1", async () => {
  const file = tempFile("bad.yaml", "kind: SidecarSet\nmetadata:\n  name: [unclosed\n");
  const r = await runCommand(defaultsCommand(), ["-f", file]);
  assert.equal(r.exitCode, 1);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+: `));
});

test("defaults reports a missing file and exits 1", async () => {
  const r = await runCommand(defaultsCommand(), ["-f", "/nonexistent/sidecarset.yaml"]);
  assert.equal(r.exitCode, 1);
  assert.equal(r.stderr, "/nonexistent/sidecarset.yaml: no such file or directory\n");
});

test("defaults rejects an unknown output format as a usage error", async () => {
  const file = tempFile("one.yaml", MANIFESTS);
  await assert.rejects(runCommand(defaultsCommand(), ["-f", file, "-o", "xml"]), /Allowed choices are yaml, json/);
});

test("defaults has a description and an example in its help", () => {
  const cmd = defaultsCommand();
  assert.match(cmd.description(), /defaulting webhook/);
  let help = "";
  cmd.configureOutput({ writeOut: (s) => (help += s) });
  cmd.outputHelp();
  assert.match(help, /Example:\n {2}sidecarset defaults -f /);
});

test("defaults -f - reads stdin", () => {
  const script =
    'import { defaultsCommand } from "./src/cli/defaults.ts"; await defaultsCommand().parseAsync(["node", "x", "-f", "-", "-o", "json"]);';
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: join(import.meta.dirname, "../../.."),
    input: MANIFESTS,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { spec: { containers: { resources: { limits: { cpu: string } } }[] } }).spec.containers[0]!.resources.limits.cpu, "100m");
});
