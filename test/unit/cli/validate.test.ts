// `sidecarset validate`: defaults then validates every SidecarSet given,
// checks them against each other, prints `file: name: path: message` lines
// and a summary, and sets the exit code.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { after, afterEach, test } from "node:test";
import { CommanderError } from "commander";
import { runValidate, validateCommand } from "../../../src/cli/validate.js";

const dir = mkdtempSync(join(tmpdir(), "sidecarset-validate-"));
after(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** A SidecarSet as a user writes it: nothing defaulted. */
function manifest(name: string, opts: { container?: string; selector?: string; extra?: string } = {}): string {
  return `apiVersion: apps.kruise.io/v1alpha1
kind: SidecarSet
metadata:
  name: ${name}
spec:
  selector:
    matchLabels:
      app: ${opts.selector ?? "web"}
  containers:
    - name: ${opts.container ?? `${name}-c`}
      image: ${name}:1.0
${opts.extra ?? ""}`;
}

test("a valid SidecarSet, written without defaults, passes with exit code 0", () => {
  const f = file("valid.yaml", manifest("log-agent"));
  const report = runValidate({ filename: [f] });
  assert.deepEqual(report.lines, []);
  assert.equal(report.summary, "1 SidecarSet checked: 1 valid, 0 invalid (0 errors, 0 warnings)");
  assert.equal(report.exitCode, 0);
});

test("each error is one line `file: name: field.path: message` and the exit code is 1", () => {
  const f = file("invalid.yaml", manifest("bad", { extra: "  updateStrategy:\n    partition: -1\n" }));
  const report = runValidate({ filename: [f] });
  assert.deepEqual(report.lines, [
    `${f}: bad: spec.updateStrategy.partition: -1 is negative; use a non-negative integer or a whole percentage like "10%"`,
  ]);
  assert.equal(report.summary, "1 SidecarSet checked: 0 valid, 1 invalid (1 error, 0 warnings)");
  assert.equal(report.exitCode, 1);
});

test("warnings are printed as `file: name: warning: ...` and do not fail", () => {
  const f = file(
    "warn.yaml",
    manifest("hot", { extra: "  initContainers: []\n  contianers: []\n" }),
  );
  const report = runValidate({ filename: [f] });
  assert.deepEqual(report.lines, [`${f}: hot: warning: spec.contianers: unknown field, ignored`]);
  assert.equal(report.exitCode, 0);
});

test("SidecarSets given together are checked against each other", () => {
  const a = file("pair/a.yaml", manifest("a", { container: "envoy" }));
  const b = file("pair/b.yaml", manifest("b", { container: "envoy" }));
  const report = runValidate({ filename: [join(dir, "pair")] });
  assert.deepEqual(report.lines, [
    `${a}: a: spec.containers[0].name: is also a container of SidecarSet "b", whose pods overlap; use another name, or make the selectors or namespaces disjoint`,
    `${b}: b: spec.containers[0].name: is also a container of SidecarSet "a", whose pods overlap; use another name, or make the selectors or namespaces disjoint`,
  ]);
  assert.equal(report.exitCode, 1);
});

test("an invalid SidecarSet does not cause conflicts for the others (the cluster would not hold it)", () => {
  const good = file("mixed/good.yaml", manifest("good", { container: "envoy" }));
  const bad = file("mixed/bad.yaml", manifest("bad", { container: "envoy", extra: "  revisionHistoryLimit: ten\n" }));
  const report = runValidate({ filename: [good, bad] });
  assert.deepEqual(report.lines, [`${bad}: bad: spec.revisionHistoryLimit: must be an integer, got a string ("ten")`]);
});

test("other kinds are skipped and counted; multi-document files and repeated -f are read", () => {
  const f = file("multi.yaml", `${manifest("one")}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n`);
  const g = file("two.json", JSON.stringify({ apiVersion: "apps.kruise.io/v1alpha1", kind: "SidecarSet", metadata: { name: "two" }, spec: { selector: { matchLabels: { app: "db" } }, containers: [{ name: "two-c", image: "two:1" }] } }));
  const report = runValidate({ filename: [f, g] });
  assert.equal(report.summary, "2 SidecarSets checked: 2 valid, 0 invalid (0 errors, 0 warnings); 1 other document skipped");
  assert.equal(report.exitCode, 0);
});

test("a parse error is `file:line: message` and fails", () => {
  const f = file("broken.yaml", `${manifest("ok")}---\nkind: SidecarSet\nmetadata: {name: [\n`);
  const report = runValidate({ filename: [f] });
  assert.equal(report.lines.length, 1);
  assert.match(report.lines[0]!, new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:\\d+: `));
  assert.equal(report.exitCode, 1);
});

test("a missing path is reported and fails; no SidecarSet at all fails", () => {
  const report = runValidate({ filename: [join(dir, "nope.yaml")] });
  assert.deepEqual(report.lines, [`${join(dir, "nope.yaml")}: no such file or directory`]);
  assert.equal(report.exitCode, 1);
  const empty = file("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
  const none = runValidate({ filename: [empty] });
  assert.match(none.summary, /^no SidecarSet found in /);
  assert.equal(none.exitCode, 1);
});

test("patchPodMetadata needs --whitelist (a ConfigMap file works) or the allow flag", () => {
  const extra = "  patchPodMetadata:\n    - annotations:\n        example.com/owner: mesh\n";
  const f = file("patch.yaml", manifest("patch", { extra }));
  const strict = runValidate({ filename: [f] });
  assert.match(strict.lines.join("\n"), /spec\.patchPodMetadata: no whitelist configured/);
  assert.equal(runValidate({ filename: [f], allowPatchPodMetadataWithoutWhitelist: true }).exitCode, 0);
  const cm = file(
    "whitelist.yaml",
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: sidecarset-configuration, namespace: sidecarset-system}\ndata:\n  SidecarSet_PatchPodMetadata_WhiteList: '{"rules":[{"allowedAnnotationKeyExprs":["^example\\\\.com/"]}]}'\n`,
  );
  assert.deepEqual(runValidate({ filename: [f], whitelist: cm }).lines, []);
  const json = file("whitelist.json", '{"rules":[{"allowedAnnotationKeyExprs":["^other/"]}]}');
  assert.match(runValidate({ filename: [f], whitelist: json }).lines.join("\n"), /annotations\[example\.com\/owner\]: is not allowed/);
});

test("the command prints findings to out, the summary to err, and sets process.exitCode", async () => {
  const f = file("cmd.yaml", manifest("cmd", { extra: "  updateStrategy:\n    maxUnavailable: ten\n" }));
  let out = "";
  let err = "";
  const cmd = validateCommand({ out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) } });
  cmd.exitOverride();
  await cmd.parseAsync(["-f", f], { from: "user" });
  assert.equal(out, `${f}: cmd: spec.updateStrategy.maxUnavailable: "ten" is neither an integer nor a whole percentage like "10%"\n`);
  assert.equal(err, "1 SidecarSet checked: 0 valid, 1 invalid (1 error, 0 warnings)\n");
  assert.equal(process.exitCode, 1);
});

test("the command requires -f", async () => {
  const cmd = validateCommand({ out: { write: () => undefined }, err: { write: () => undefined } });
  cmd.exitOverride();
  cmd.configureOutput({ writeErr: () => undefined });
  await assert.rejects(cmd.parseAsync([], { from: "user" }), CommanderError);
});

test("the help describes the command and shows examples", () => {
  const cmd = validateCommand();
  assert.ok(cmd.description().length > 0);
  let help = "";
  cmd.configureOutput({ writeOut: (s) => (help += s) });
  cmd.outputHelp();
  assert.match(help, /sidecarset validate -f sidecarset\.yaml/);
  assert.match(help, /kubectl get sidecarsets -o yaml \| sidecarset validate -f -/);
});

test("-f - reads stdin", () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = resolve(here, "../../..");
  const script = file(
    "stdin-runner.mts",
    `import { validateCommand } from ${JSON.stringify(join(root, "src/cli/validate.ts"))};\nawait validateCommand().parseAsync(process.argv.slice(2), { from: "user" });\n`,
  );
  const run = spawnSync(process.execPath, ["--import", "tsx", script, "-f", "-"], {
    cwd: root,
    input: manifest("from-stdin", { extra: "  revisionHistoryLimit: -1\n  updateStrategy:\n    partition: \"5\"\n" }),
    encoding: "utf8",
  });
  assert.equal(run.status, 1, run.stderr);
  assert.equal(run.stdout, '-: from-stdin: spec.updateStrategy.partition: "5" is neither an integer nor a whole percentage like "10%"\n', run.stderr);
  assert.match(run.stderr, /1 SidecarSet checked: 0 valid, 1 invalid/);
});

test("a canary and its base skip each other in conflict checks, so the base can be updated while the canary exists", () => {
  const base = file("canary/base.yaml", manifest("base", { container: "envoy" }));
  const canary = file(
    "canary/canary.yaml",
    manifest("base-canary", { container: "envoy", extra: "  updateStrategy:\n    type: NotUpdate\n" }).replace(
      "  name: base-canary\n",
      "  name: base-canary\n  annotations:\n    apps.kruise.io/sidecarset-canary: \"true\"\n    apps.kruise.io/sidecarset-base: base\n",
    ),
  );
  const report = runValidate({ filename: [base, canary] });
  assert.deepEqual(report.lines, []);
  assert.equal(report.exitCode, 0);
});

test("-f takes several paths at once and can be repeated", async () => {
  const a = file("multi/a.yaml", manifest("a"));
  const b = file("multi/b.yaml", manifest("b", { selector: "db" }));
  const c = file("multi/c.yaml", manifest("c", { selector: "cache" }));
  let err = "";
  const cmd = validateCommand({ out: { write: () => undefined }, err: { write: (s: string) => (err += s) } });
  cmd.exitOverride();
  await cmd.parseAsync(["-f", a, b, "-f", c], { from: "user" });
  assert.equal(err, "3 SidecarSets checked: 3 valid, 0 invalid (0 errors, 0 warnings)\n");
  assert.equal(process.exitCode, 0);
});

test("a conflict names each other SidecarSet once, and other versions of the same SidecarSet are not its rivals", () => {
  const v1 = file("versions/v1.yaml", manifest("collector", { container: "shared" }));
  const v2 = file("versions/v2.yaml", manifest("collector", { container: "shared" }).replace("collector:1.0", "collector:2.0"));
  const v3 = file("versions/v3.yaml", manifest("collector", { container: "shared" }).replace("collector:1.0", "collector:3.0"));
  const rival = file("versions/rival.yaml", manifest("rival", { container: "shared" }));
  const report = runValidate({ filename: [v1, v2, v3, rival] });
  const rivalLines = report.lines.filter((l) => l.startsWith(`${rival}: `));
  assert.deepEqual(rivalLines, [
    `${rival}: rival: spec.containers[0].name: is also a container of SidecarSet "collector", whose pods overlap; use another name, or make the selectors or namespaces disjoint`,
  ]);
  assert.ok(report.lines.every((l) => !l.includes('"collector", "collector"')), report.lines.join("\n"));
  for (const v of [v2, v3]) {
    assert.ok(report.lines.some((l) => l.startsWith(`${v}: collector: warning: another SidecarSet named "collector" is defined at ${v1}:1`)), v);
  }
});

test("-o json prints the findings and counts as data", async () => {
  const bad = file("json/bad.yaml", manifest("bad", { extra: "  updateStrategy:\n    partition: -1\n" }));
  const missing = join(dir, "json", "missing.yaml");
  let out = "";
  let err = "";
  const cmd = validateCommand({ out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) } });
  cmd.exitOverride();
  await cmd.parseAsync(["-f", bad, missing, "-o", "json"], { from: "user" });
  assert.equal(err, "");
  assert.deepEqual(JSON.parse(out), {
    checked: 1,
    valid: 0,
    invalid: 1,
    skipped: 0,
    unreadable: [`${missing}: no such file or directory`],
    findings: [
      {
        file: bad,
        line: 1,
        name: "bad",
        severity: "error",
        path: "spec.updateStrategy.partition",
        message: '-1 is negative; use a non-negative integer or a whole percentage like "10%"',
      },
    ],
  });
  assert.equal(process.exitCode, 1);
});

test("invalid YAML is one line: file:line: invalid YAML: what is wrong, without a dangling colon", () => {
  const f = file("yaml/bad.yaml", "kind: SidecarSet\nmetadata:\n  name: a: b\n");
  const report = runValidate({ filename: [f] });
  assert.equal(report.lines.length, 1);
  assert.match(report.lines[0]!, new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:3: invalid YAML: [^\\n]*[^:\\n]$`));
});

test("a missing --whitelist file is the same one-line message as any missing input", async () => {
  const f = file("wl/set.yaml", manifest("wl"));
  const missing = join(dir, "wl", "absent.json");
  let out = "";
  let err = "";
  const cmd = validateCommand({ out: { write: (s: string) => (out += s) }, err: { write: (s: string) => (err += s) } });
  cmd.exitOverride();
  await cmd.parseAsync(["-f", f, "--whitelist", missing], { from: "user" });
  assert.equal(out, "");
  assert.equal(err, `${missing}: no such file or directory\n`);
  assert.equal(process.exitCode, 1);
});

test("a v1beta1 SidecarSet with spec.namespace is read as the cluster would store it (every namespace), with a warning naming the fix", () => {
  const f = file(
    "beta-namespace.yaml",
    manifest("scoped", { extra: "  namespace: demo\n" }).replace("apps.kruise.io/v1alpha1", "apps.kruise.io/v1beta1"),
  );
  const report = runValidate({ filename: [f] });
  assert.equal(report.exitCode, 0);
  assert.equal(report.lines.length, 1);
  assert.match(report.lines[0]!, /^.*: scoped: warning: spec\.namespace is not a field of apps\.kruise\.io\/v1beta1: the API server drops it .*selects pods in every namespace; to keep one namespace write spec\.namespaceSelector: \{matchLabels: \{kubernetes\.io\/metadata\.name: demo\}\}$/);
  // The same in v1alpha1 is the namespace scope itself: no warning.
  const alpha = runValidate({ filename: [file("alpha-namespace.yaml", manifest("scoped", { extra: "  namespace: demo\n" }))] });
  assert.deepEqual(alpha.lines, []);
});
