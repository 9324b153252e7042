import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { defaultsCommand } from "../../../src/cli/defaults.js";
import { hashCommand } from "../../../src/cli/hash.js";
import { runCommand, tempFile } from "./capture.js";

const TWO_SETS = `apiVersion: apps.kruise.io/v1alpha1
kind: SidecarSet
metadata:
  name: plain
spec:
  containers:
    - name: container1
      image: test-image
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: ignored
---
apiVersion: apps.kruise.io/v1alpha1
kind: SidecarSet
metadata:
  name: defaulted
spec:
  containers:
    - name: dns-f
      image: dns:1.0
      imagePullPolicy: IfNotPresent
      terminationMessagePath: /dev/termination-log
      terminationMessagePolicy: File
      podInjectPolicy: BeforeAppContainer
      upgradeStrategy:
        upgradeType: ColdUpgrade
      shareVolumePolicy:
        type: disabled
`;

test("hash prints name, hash and hash-without-image per SidecarSet, computed without defaulting", async () => {
  const r = await runCommand(hashCommand(), ["-f", tempFile("sets.yaml", TWO_SETS)]);
  assert.equal(r.exitCode, 0);
  assert.equal(r.stderr, "");
  const lines = r.stdout.split("\n");
  assert.deepEqual(lines[0]!.split(/\s+/), ["NAME", "HASH", "HASH-WITHOUT-IMAGE"]);
  const plainLine = lines[1]!.split(/\s+/);
  assert.equal(plainLine[0], "plain");
  assert.equal(plainLine[1], "w26c4x8fz245642fdv499b464248f974xddx4x55z5dw55bc6x66464fxz77dc78");
  assert.deepEqual(lines[2]!.split(/\s+/), [
    "defaulted",
    "6wbd76bd7984x24fb4f44fv9222cw9v9bcf85x766744wddd4zwx927zzz2zb684",
    "82684vwf9d4cb4wz4vffx4ddfbb47ww4z4wwxdbwb8w2zbb7zvf4524cdd49bv94",
  ]);
  assert.equal(lines.length, 4);
});

test("hash -o json and -o yaml print the same rows as data", async () => {
  const file = tempFile("sets.yaml", TWO_SETS);
  const json = JSON.parse((await runCommand(hashCommand(), ["-f", file, "-o", "json"])).stdout) as { name: string; hash: string; hashWithoutImage: string }[];
  assert.deepEqual(json.map((r) => r.name), ["plain", "defaulted"]);
  assert.equal(json[1]!.hash, "6wbd76bd7984x24fb4f44fv9222cw9v9bcf85x766744wddd4zwx927zzz2zb684");
  assert.equal(json[1]!.hashWithoutImage, "82684vwf9d4cb4wz4vffx4ddfbb47ww4z4wwxdbwb8w2zbb7zvf4524cdd49bv94");
  const yaml = (await runCommand(hashCommand(), ["-f", file, "-o", "yaml"])).stdout;
  assert.deepEqual(parse(yaml, { version: "1.1" }), json);
});

const MALFORMED: { name: string; spec: string; message: string }[] = [
  { name: "a partition that is neither an integer nor a percentage", spec: "  updateStrategy: {partition: abc}\n  containers: [{name: c, image: c}]\n", message: 'spec.updateStrategy.partition: "abc" is neither an integer nor a whole percentage like "10%"' },
  { name: "a map for containers", spec: "  containers: {name: c, image: c}\n", message: "spec.containers: must be a list of containers, got a map" },
];
for (const m of MALFORMED) {
  test(`hash and defaults report ${m.name} and exit 1 without printing results`, async () => {
    const file = tempFile("bad.yaml", `apiVersion: apps.kruise.io/v1alpha1\nkind: SidecarSet\nmetadata: {name: bad}\nspec:\n${m.spec}`);
    for (const cmd of [hashCommand(), defaultsCommand()]) {
      const r = await runCommand(cmd, ["-f", file]);
      assert.equal(r.exitCode, 1, cmd.name());
      assert.equal(r.stdout, "", cmd.name());
      assert.equal(r.stderr, `${file}:1: bad: ${m.message}\n`, cmd.name());
    }
  });
}

test("hash and defaults: input without a SidecarSet, or empty, is an error", async () => {
  for (const content of ["", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"]) {
    const file = tempFile("none.yaml", content);
    for (const cmd of [hashCommand(), defaultsCommand()]) {
      const r = await runCommand(cmd, ["-f", file]);
      assert.equal(r.exitCode, 1);
      assert.equal(r.stdout, "");
      assert.equal(r.stderr, `no SidecarSet found in ${file}\n`);
    }
  }
});

test("hash reads every manifest file of a directory", async () => {
  const file = tempFile("a.yaml", TWO_SETS);
  const dir = join(file, "..");
  writeFileSync(join(dir, "b.json"), JSON.stringify({ kind: "SidecarSet", metadata: { name: "json" }, spec: { containers: [] } }));
  const r = await runCommand(hashCommand(), ["-f", dir]);
  assert.deepEqual(r.stdout.trim().split("\n").map((l) => l.split(" ")[0]), ["NAME", "plain", "defaulted", "json"]);
  assert.match(r.stdout, /^json\s+5662x672v59974vdzvf4bdfwc4v526wx5w7884vx5c7fc2f246v484v5988xb9z7 /m);
});

test("hash reports a parse error as file:line on stderr, prints nothing and exits 1", async () => {
  const file = tempFile("bad.yaml", "kind: SidecarSet\nspec: {containers: [\n");
  const r = await runCommand(hashCommand(), ["-f", file]);
  assert.equal(r.exitCode, 1);
  assert.equal(r.stdout, "");
  assert.ok(r.stderr.startsWith(`${file}:`), r.stderr);
  assert.match(r.stderr, /^[^:]+:\d+: \S/);
});

test("hash without -f is a usage error", async () => {
  await assert.rejects(runCommand(hashCommand(), []), /required option '-f, --filename <paths...>' not specified/);
});

test("hash has a description and an example in its help", () => {
  const cmd = hashCommand();
  assert.match(cmd.description(), /no defaulting/);
  let help = "";
  cmd.configureOutput({ writeOut: (s) => (help += s) });
  cmd.outputHelp();
  assert.match(help, /Example:\n {2}sidecarset hash -f /);
});
