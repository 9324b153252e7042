import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CommanderError } from "commander";
import { readOneSidecarSet } from "../../../src/cli/sidecarsets.js";
import { runSimulate, simulateCommand } from "../../../src/cli/simulate.js";
import { generatePods } from "../../../src/sim/generate.js";

const dir = mkdtempSync(join(tmpdir(), "sidecarset-simulate-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const START = new Date("2026-03-01T00:00:00Z");

function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const setFile = file(
  "set.yaml",
  `apiVersion: apps.kruise.io/v1alpha1
kind: SidecarSet
metadata: {name: log-agent}
spec:
  selector: {matchLabels: {app: web}}
  containers: [{name: log-agent, image: "log-agent:2.0"}]
  updateStrategy: {partition: 980, maxUnavailable: "10%"}
`,
);

async function runCommand(args: string[]): Promise<{ out: string; code: number | undefined }> {
  let out = "";
  const cmd = simulateCommand({ out: { write: (s: string) => (out += s) }, err: { write: () => true } });
  cmd.exitOverride();
  cmd.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  process.exitCode = undefined;
  await cmd.parseAsync(args, { from: "user" });
  const code = process.exitCode as number | undefined;
  process.exitCode = undefined;
  return { out, code };
}

const base = { sidecarsets: [setFile], restartSeconds: 5, readySeconds: 10 };

test("README example: 1000 pods, partition 980, maxUnavailable 10% → 20 upgraded, then the partition stops it", () => {
  const r = runSimulate({ ...base, replicas: 1000, output: "table" }, START);
  const lines = r.stdout.split("\n");
  assert.match(lines[0]!, /^Simulated rollout of SidecarSet log-agent over 1000 matched pod\(s\): restart 5s, ready 10s, failing: none$/);
  assert.match(lines[2]!, /^WAVE\s+TIME\s+UPGRADED\s+UPDATED\s+READY\s+UNAVAILABLE\s+NOTE$/);
  assert.match(lines[3]!, /^1\s+0s\s+20\s+20\s+980\s+20$/);
  assert.match(r.stdout, /stopped at 15s: partition reached — partition keeps 980 pod\(s\) on the old version/);
  assert.match(r.stdout, /most unavailable at once: 20 \(maxUnavailable 100\)/);
});

test("--until-partition-done: the remaining 980 go in waves of at most 100", () => {
  const r = runSimulate({ ...base, replicas: 1000, untilPartitionDone: true, output: "json" }, START);
  const json = JSON.parse(r.stdout) as { waves: { kind: string; pods: string[] }[]; stopped: { reason: string }; final: { updatedPods: number } };
  const sizes = json.waves.filter((w) => w.kind === "upgrade").map((w) => w.pods.length);
  assert.equal(sizes[0], 20);
  assert.ok(sizes.slice(1).every((n) => n <= 100));
  assert.equal(sizes.reduce((a, b) => a + b, 0), 1000);
  assert.equal(json.stopped.reason, "done");
  assert.equal(json.final.updatedPods, 1000);
});

test("-o svg draws the timeline", async () => {
  const { out, code } = await runCommand(["--sidecarsets", setFile, "--replicas", "50", "--until-partition-done", "-o", "svg"]);
  assert.equal(code, 0);
  assert.match(out, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.ok((out.match(/<rect /g) ?? []).length > 50);
});

test("--pods starts from the given pods; --fail blocks the budget", () => {
  const pods = generatePods(readOneSidecarSet([setFile]), 30, START).pods;
  const podsFile = file("pods.json", JSON.stringify(pods));
  const lowBudget = file("set2.yaml", JSON.stringify({ ...readOneSidecarSet([setFile]), spec: { ...readOneSidecarSet([setFile]).spec, updateStrategy: { maxUnavailable: 2 } } }));
  const r = runSimulate({ ...base, sidecarsets: [lowBudget], pods: [podsFile], fail: "1", output: "json" }, START);
  const json = JSON.parse(r.stdout) as { stopped: { reason: string }; final: { updatedPods: number } };
  assert.equal(json.stopped.reason, "blocked-by-unavailable");
  assert.equal(json.final.updatedPods, 2);
});

const usage: { name: string; args: string[]; message: RegExp }[] = [
  { name: "--replicas must be a whole number", args: ["--sidecarsets", setFile, "--replicas", "ten"], message: /"ten" is not a whole number from 1 to 1000000/ },
  { name: "--restart-seconds must be ≥ 0", args: ["--sidecarsets", setFile, "--replicas", "1", "--restart-seconds", "-1"], message: /"-1" is not a number of seconds ≥ 0/ },
  { name: "--fail must be a fraction or selector", args: ["--sidecarsets", setFile, "--replicas", "1", "--fail", "a in (b)"], message: /fraction/ },
  { name: "-o takes table, json or svg", args: ["--sidecarsets", setFile, "--replicas", "1", "-o", "png"], message: /table, json, svg/ },
];
for (const u of usage) {
  test(`usage: ${u.name}`, async () => {
    await assert.rejects(runCommand(u.args), (e: unknown) => e instanceof CommanderError && u.message.test(e.message));
  });
}

test("exactly one of --pods and --replicas", () => {
  assert.throws(() => runSimulate({ ...base, output: "table" }, START), /either --pods <paths...> or --replicas <n>/);
  assert.throws(() => runSimulate({ ...base, pods: [setFile], replicas: 3, output: "table" }, START), /either --pods/);
});

test("--fail 5% of 200 pods fails exactly 10 of them, and the header says so", () => {
  const r = runSimulate({ ...base, replicas: 200, fail: "5%", output: "table" }, START);
  assert.match(r.stdout.split("\n")[0]!, /failing: 5% of pods \(10 of 200\)$/);
});

test("--fail with a label no pod carries is an error that says so, not a rollout without failures", async () => {
  assert.throws(
    () => runSimulate({ ...base, replicas: 20, fail: "zone=a", output: "table" }, START),
    /^Error: --fail "zone=a" matches none of the 20 pod\(s\): no pod carries the label zone$/,
  );
  let out = "";
  let err = "";
  const cmd = simulateCommand({ out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) } });
  cmd.exitOverride();
  process.exitCode = undefined;
  await cmd.parseAsync(["--sidecarsets", setFile, "--replicas", "20", "--fail", "zone=a"], { from: "user" });
  assert.equal(process.exitCode, 1);
  process.exitCode = undefined;
  assert.equal(out, "");
  assert.equal(err, '--fail "zone=a" matches none of the 20 pod(s): no pod carries the label zone\n');
});

test("--native-sidecar-in-place-upgrade: a native sidecar's new image is rolled out in place, as by a manager run with the flag", async () => {
  const nativeSet = file(
    "native.yaml",
    `apiVersion: apps.kruise.io/v1alpha1
kind: SidecarSet
metadata: {name: mesh}
spec:
  selector: {matchLabels: {app: web}}
  initContainers: [{name: mesh-proxy, image: "mesh:2.0", restartPolicy: Always}]
  updateStrategy: {maxUnavailable: 5}
`,
  );
  const without = await runCommand(["--sidecarsets", nativeSet, "--replicas", "10"]);
  assert.match(without.out, /stopped at 0s: nothing left that can be upgraded — 10 pod\(s\) are not updated and cannot be: 10 with a native sidecar whose image changed/);
  const withFlag = await runCommand(["--sidecarsets", nativeSet, "--replicas", "10", "--native-sidecar-in-place-upgrade", "-o", "json"]);
  const json = JSON.parse(withFlag.out) as { waves: { pods: string[] }[]; stopped: { reason: string }; final: { updatedReadyPods: number } };
  assert.deepEqual(json.waves.map((w) => w.pods.length), [5, 5]);
  assert.equal(json.stopped.reason, "done");
  assert.equal(json.final.updatedReadyPods, 10);
});
