import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CommanderError } from "commander";
import { stringify } from "yaml";
import { defaultSidecarSet } from "../../../src/api/defaults.js";
import type { Pod } from "../../../src/api/kube-types.js";
import type { SidecarSet } from "../../../src/api/types.js";
import { planCommand, runPlan } from "../../../src/cli/plan.js";
import { readOneSidecarSet } from "../../../src/cli/sidecarsets.js";
import { generatePods } from "../../../src/sim/generate.js";
import { run } from "../../../src/cli/program.js";
import { captureOutput } from "./capture.js";

const dir = mkdtempSync(join(tmpdir(), "sidecarset-plan-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const NOW = new Date("2026-03-01T00:00:00Z");

function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const SET_YAML = `apiVersion: apps.kruise.io/v1alpha1
kind: SidecarSet
metadata:
  name: log-agent
spec:
  selector:
    matchLabels: {app: web}
  containers:
  - name: log-agent
    image: log-agent:2.0
  updateStrategy:
    partition: 2
    maxUnavailable: 1
`;
const setFile = file("set.yaml", SET_YAML);

function podsFor(n: number): Pod[] {
  return generatePods(readOneSidecarSet([setFile]), n, NOW).pods;
}

async function runCommand(args: string[]): Promise<{ out: string; err: string; code: number | undefined }> {
  let out = "";
  let err = "";
  const cmd = planCommand({ out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) } });
  cmd.exitOverride();
  cmd.configureOutput({ writeErr: (s) => (err += s), writeOut: () => undefined });
  process.exitCode = undefined;
  await cmd.parseAsync(args, { from: "user" });
  const code = process.exitCode as number | undefined;
  process.exitCode = undefined;
  return { out, err, code };
}

test("-o json prints exactly status, order, upgrade, notUpgradable, busy, partition, maxUnavailable, unavailable", async () => {
  const podsFile = file("pods.yaml", podsFor(4).map((p) => stringify(p)).join("---\n"));
  const { out, code } = await runCommand(["--sidecarsets", setFile, "--pods", podsFile, "--now", "2026-03-01T00:00:00Z", "-o", "json"]);
  assert.equal(code, 0);
  const json = JSON.parse(out) as Record<string, unknown>;
  assert.deepEqual(Object.keys(json), ["status", "order", "upgrade", "notUpgradable", "busy", "partition", "maxUnavailable", "unavailable"]);
  assert.deepEqual(json, {
    status: { matchedPods: 4, updatedPods: 0, readyPods: 4, updatedReadyPods: 0 },
    order: ["default/pod-3", "default/pod-2", "default/pod-1", "default/pod-0"],
    upgrade: ["default/pod-3"],
    notUpgradable: [],
    busy: [],
    partition: 2,
    maxUnavailable: 1,
    unavailable: 0,
  });
});

test("pods may come as a v1 List or a JSON array", () => {
  const pods = podsFor(3);
  const list = file("list.yaml", stringify({ apiVersion: "v1", kind: "List", items: pods }));
  const array = file("array.json", JSON.stringify(pods));
  const a = runPlan({ sidecarsets: [setFile], pods: [list], output: "json" }, NOW);
  const b = runPlan({ sidecarsets: [setFile], pods: [array], output: "json" }, NOW);
  assert.equal(a.stdout, b.stdout);
  assert.equal((JSON.parse(a.stdout) as { order: string[] }).order.length, 3);
});

test("the table has one line per pod with its state and why", () => {
  const podsFile = file("pods4.json", JSON.stringify(podsFor(4)));
  const r = runPlan({ sidecarsets: [setFile], pods: [podsFile], output: "table" }, NOW);
  const lines = r.stdout.trimEnd().split("\n");
  assert.match(lines[0]!, /^SidecarSet log-agent: 4 matched, 0 updated, 4 ready, 0 updated and ready$/);
  assert.match(lines[2]!, /upgrade now: 1 of 4 waiting pod\(s\)/);
  const header = lines.findIndex((l) => l.startsWith("#"));
  assert.match(lines[header]!, /^#\s+POD\s+STATE\s+READY\s+AGE\s+WHY$/);
  const rows = lines.slice(header + 1);
  assert.equal(rows.length, 4);
  assert.match(rows[0]!, /^1\s+default\/pod-3\s+upgrade\s+yes\s+1s\s+upgrade now$/);
  assert.match(rows[1]!, /^2\s+default\/pod-2\s+waiting-for-budget\s+yes\s+2s\s+maxUnavailable 1 is used up/);
  assert.match(rows[3]!, /^4\s+default\/pod-0\s+kept-by-partition\s+yes\s+4s\s+partition keeps 2 waiting pod\(s\)/);
});

test("the SidecarSet is defaulted and hashed before planning", () => {
  const set = readOneSidecarSet([setFile]);
  const expected = defaultSidecarSet({ metadata: { name: "log-agent" }, spec: set.spec } as SidecarSet);
  assert.equal(set.metadata.annotations?.["kruise.io/sidecarset-hash"], expected.metadata.annotations?.["kruise.io/sidecarset-hash"]);
  assert.equal(set.spec.containers?.[0]?.imagePullPolicy, "IfNotPresent");
});

test("a namespaceSelector is evaluated against --namespaces", () => {
  const setNs = file(
    "set-ns.yaml",
    SET_YAML.replace("  selector:", "  namespaceSelector:\n    matchLabels: {env: prod}\n  selector:").replace("partition: 2", "partition: 0"),
  );
  const pods = podsFor(2);
  pods[0]!.metadata!.namespace = "prod-a";
  pods[1]!.metadata!.namespace = "dev-a";
  const podsFile = file("pods-ns.json", JSON.stringify(pods));
  const nsFile = file(
    "ns.yaml",
    "apiVersion: v1\nkind: Namespace\nmetadata: {name: prod-a, labels: {env: prod}}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: dev-a}\n",
  );
  const json = JSON.parse(runPlan({ sidecarsets: [setNs], pods: [podsFile], namespaces: [nsFile], output: "json" }, NOW).stdout) as { order: string[] };
  assert.deepEqual(json.order, ["prod-a/pod-0"]);
  const offline = JSON.parse(runPlan({ sidecarsets: [setNs], pods: [podsFile], output: "json" }, NOW).stdout) as { order: string[] };
  assert.deepEqual(offline.order, [], "without --namespaces a namespace has only its name label");
});

test("an invalid updateStrategy prints the plan, reports the error and exits 1", async () => {
  const bad = file("bad.yaml", SET_YAML.replace("partition: 2", 'partition: "2"'));
  const podsFile = file("pods1.json", JSON.stringify(podsFor(1)));
  const { out, err, code } = await runCommand(["--sidecarsets", bad, "--pods", podsFile, "-o", "json"]);
  assert.equal(code, 1);
  assert.deepEqual((JSON.parse(out) as { upgrade: string[] }).upgrade, []);
  assert.equal(err, 'error: spec.updateStrategy.partition: "2" is neither a non-negative integer nor a whole percentage like "10%"\n');
});

const usage: { name: string; args: string[]; message: RegExp }[] = [
  { name: "--now must be RFC 3339", args: ["--sidecarsets", setFile, "--pods", setFile, "--now", "yesterday"], message: /RFC 3339/ },
  { name: "-o takes table or json", args: ["--sidecarsets", setFile, "--pods", setFile, "-o", "yaml"], message: /Allowed choices are table, json\./ },
  { name: "--pods is required", args: ["--sidecarsets", setFile], message: /--pods/ },
];
for (const u of usage) {
  test(`usage: ${u.name}`, async () => {
    await assert.rejects(runCommand(u.args), (e: unknown) => e instanceof CommanderError && u.message.test(e.message));
  });
}

test("a file without a SidecarSet, or with two, is an error naming the file", () => {
  const none = file("none.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
  assert.throws(() => readOneSidecarSet([none]), /^Error: no SidecarSet found in .*none\.yaml$/);
  const two = file("two.yaml", `${SET_YAML}---\n${SET_YAML}`);
  assert.throws(() => readOneSidecarSet([two]), /two\.yaml: 2 SidecarSets \(at .*two\.yaml:1, .*two\.yaml:14\); give exactly one/);
});

test("a pod without a name is an error with its location", () => {
  const bad = file("noname.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {}\n");
  assert.throws(() => runPlan({ sidecarsets: [setFile], pods: [bad], output: "json" }, NOW), /noname\.yaml:1: a Pod needs metadata\.name/);
});

test("documents given to --pods that are not Pods are skipped, each with a line on stderr", async () => {
  const podsFile = file("mixed.yaml", [stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cfg" } }), ...podsFor(2).map((p) => stringify({ apiVersion: "v1", kind: "Pod", ...p }))].join("---\n"));
  const { out, err, code } = await runCommand(["--sidecarsets", setFile, "--pods", podsFile, "-o", "json"]);
  assert.equal(code, 0);
  assert.equal(err, `${podsFile}:1: ConfigMap cfg: not a Pod; skipped\n`);
  assert.equal((JSON.parse(out) as { order: string[] }).order.length, 2);
});

test("--pods without any Pod is an error, not an empty plan", async () => {
  const none = file("no-pods.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
  const { out, err, code } = await runCommand(["--sidecarsets", setFile, "--pods", none]);
  assert.equal(code, 1);
  assert.equal(out, "");
  assert.equal(err, `no Pod found in ${none}\n`);
});

test("--sidecarset, the older spelling, still works; --pods takes several files", async () => {
  const pods = podsFor(4);
  const a = file("pods-a.json", JSON.stringify(pods.slice(0, 2)));
  const b = file("pods-b.json", JSON.stringify(pods.slice(2)));
  const all = file("pods-all.json", JSON.stringify(pods));
  const split = await runCommand(["--sidecarset", setFile, "--pods", a, b, "--now", "2026-03-01T00:00:00Z", "-o", "json"]);
  const whole = await runCommand(["--sidecarsets", setFile, "--pods", all, "--now", "2026-03-01T00:00:00Z", "-o", "json"]);
  assert.equal(split.code, 0, split.err);
  assert.equal(split.out, whole.out);
});

test("plan NAME reads the cluster, so files given with it are a usage error", async () => {
  const r = await captureOutput(() => run(["plan", "log-agent", "--pods", "pods.yaml"]));
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, /give a SidecarSet NAME \(live\) or --sidecarsets and --pods \(files\), not both/);
});
