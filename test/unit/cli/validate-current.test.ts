// `sidecarset validate --current`: the SidecarSets a cluster holds now make a
// given SidecarSet of the same name an update, and the others existing
// SidecarSets it must not conflict with.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { runValidate, validateCommand } from "../../../src/cli/validate.js";
import { runCommand, tempFile as file } from "./capture.js";

function manifest(name: string, containers: string[], app = "web"): string {
  const list = containers.map((c) => `    - name: ${c}\n      image: registry.local/${c}:1\n`).join("");
  return `apiVersion: apps.kruise.io/v1alpha1\nkind: SidecarSet\nmetadata:\n  name: ${name}\nspec:\n  selector:\n    matchLabels:\n      app: ${app}\n  containers:\n${list}`;
}

test("a SidecarSet of the same name in --current makes the check an update: adding a container is refused", async () => {
  const current = file("current.yaml", manifest("agent", ["a"]));
  const changed = file("changed.yaml", manifest("agent", ["a", "b"]));
  assert.equal(runValidate({ filename: [changed] }).exitCode, 0, "as a creation it is valid");
  const run = await runCommand(validateCommand(), ["-f", changed, "--current", current]);
  assert.match(run.stdout, /^.*changed\.yaml: agent: spec\.containers\[1\]\.name: container "b" does not exist in the current SidecarSet/);
  assert.equal(run.exitCode, 1);
});

test("the other SidecarSets in --current are checked for conflicts, and only the given ones are reported", () => {
  const current = file("others.yaml", `${manifest("existing", ["envoy"])}---\n${manifest("unrelated", ["x"], "db")}`);
  const given = file("given.yaml", manifest("new", ["envoy"]));
  const report = runValidate({ filename: [given], current: [current] });
  assert.deepEqual(report.lines, [
    `${given}: new: spec.containers[0].name: is also a container of SidecarSet "existing", whose pods overlap; use another name, or make the selectors or namespaces disjoint`,
  ]);
  assert.equal(report.summary, "1 SidecarSet checked: 0 valid, 1 invalid (1 error, 0 warnings)");
});

test("a given SidecarSet replaces the current one of its name: it is not compared with its old self", () => {
  const current = file("self.yaml", manifest("agent", ["a"]));
  const given = file("self-new.yaml", manifest("agent", ["a"], "api"));
  assert.deepEqual(runValidate({ filename: [given], current: [current] }).lines, []);
});

test("an unreadable --current file fails the run", () => {
  const given = file("ok.yaml", manifest("ok", ["a"]));
  const report = runValidate({ filename: [given], current: [join(given, "..", "missing.yaml")] });
  assert.equal(report.exitCode, 1);
  assert.match(report.lines.join("\n"), /missing\.yaml: no such file or directory/);
});

test("--current reads what `kubectl get sidecarsets -o yaml` prints: a List of stored objects with status and server fields", () => {
  const stored = {
    apiVersion: "apps.kruise.io/v1alpha1",
    kind: "SidecarSet",
    metadata: { name: "agent", resourceVersion: "42", uid: "1f0c", generation: 3, creationTimestamp: "2026-01-02T03:04:05Z" },
    spec: {
      selector: { matchLabels: { app: "web" } },
      containers: [{ name: "a", image: "registry.local/a:1", upgradeStrategy: { upgradeType: "ColdUpgrade" } }],
    },
    status: { observedGeneration: 3, matchedPods: 2 },
  };
  const current = file("list.json", JSON.stringify({ apiVersion: "v1", kind: "List", items: [stored] }));
  const hot = manifest("agent", ["a"]).replace(
    "      image: registry.local/a:1\n",
    "      image: registry.local/a:1\n      upgradeStrategy:\n        upgradeType: HotUpgrade\n        hotUpgradeEmptyImage: registry.local/empty:1\n",
  );
  const report = runValidate({ filename: [file("hot.yaml", hot)], current: [current] });
  assert.match(report.lines.join("\n"), /agent: spec\.containers\[0\]\.upgradeStrategy\.upgradeType: changed from ColdUpgrade to HotUpgrade/);
  assert.equal(report.exitCode, 1);
});
