import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";
import { CommanderError } from "commander";
import { parseAllDocuments, stringify } from "yaml";
import { parseDocuments } from "../../../src/cli/documents.js";
import { parseRfc3339 } from "../../../src/cli/flags.js";
import { injectCommand, parseLabelList } from "../../../src/cli/inject.js";
import { runValidate } from "../../../src/cli/validate.js";
import { GOLDEN_NOW_TEXT, goldenCaseNames, loadGoldenCase, namespaceLabelsFlag } from "../../support/golden.js";

const dir = mkdtempSync(join(tmpdir(), "sidecarset-inject-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileCounter = 0;

function file(content: string): string {
  const path = join(dir, `doc-${++fileCounter}.yaml`);
  writeFileSync(path, content);
  return path;
}

type Doc = Record<string, any>;
const docs = (yaml: string): Doc[] => parseAllDocuments(yaml).map((d) => d.toJS() as Doc);

interface Run {
  out: string;
  err: string;
  exitCode: number | undefined;
}

async function run(args: string[]): Promise<Run> {
  let out = "";
  let err = "";
  const before = process.exitCode;
  process.exitCode = undefined;
  const command = injectCommandWith((s) => (out += s), (s) => (err += s));
  command.exitOverride();
  command.configureOutput({ writeErr: (s) => (err += s), writeOut: (s) => (out += s) });
  try {
    await command.parseAsync(args, { from: "user" });
    return { out, err, exitCode: process.exitCode as number | undefined };
  } finally {
    process.exitCode = before;
  }
}

function injectCommandWith(out: (s: string) => unknown, err: (s: string) => unknown) {
  return injectCommand({ out: { write: out }, err: { write: err } });
}

const NOW = ["--now", GOLDEN_NOW_TEXT];

const sidecarSets = file(`
apiVersion: apps.kruise.io/v1alpha1
kind: SidecarSet
metadata:
  name: log-agent
spec:
  selector:
    matchLabels:
      logging: enabled
  containers:
    - name: logtail
      image: logtail:1.4.0
      podInjectPolicy: AfterAppContainer
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: ignored-in-sidecarsets
`);

/** A file with one SidecarSet of this name and these spec lines. */
function sidecarSetFile(name: string, spec: string): string {
  return file(`apiVersion: apps.kruise.io/v1alpha1\nkind: SidecarSet\nmetadata: {name: ${name}}\nspec:\n${spec}`);
}

/** A SidecarSet for the pods of namespace shop only. */
const scoped = sidecarSetFile("scoped", "  namespace: shop\n  selector: {matchLabels: {logging: enabled}}\n  containers: [{name: s, image: s:1}]\n");

const template = (extra = "") => `
    metadata:
      labels:
        logging: enabled${extra}
    spec:
      containers:
        - name: app
          image: app:1`;

for (const c of goldenCaseNames()) {
  test(`CLI golden ${c}: prints the same pod as the core injection`, async () => {
    const g = loadGoldenCase(c);
    const podFile = file(stringify(g.pod));
    const labels = namespaceLabelsFlag(g);
    const r = await run(["-f", podFile, "--sidecarsets", g.inputFile, ...NOW, ...(labels ? ["--namespace-labels", labels] : [])]);
    const list = (p: Doc): string[] => (p.metadata?.annotations?.["kruise.io/sidecarset-injected-list"] ?? "").split(",").filter(Boolean);
    const injected = list(g.expected).filter((n) => !list(g.pod).includes(n));
    const pod = `Pod ${g.pod.metadata?.namespace ?? "default"}/${g.pod.metadata?.name}`;
    assert.equal(r.err, `${podFile}:1: ${pod}: ${injected.length > 0 ? `injected ${injected.join(", ")}` : "no SidecarSet matched"}\n`);
    assert.equal(r.exitCode, 0);
    const printed = docs(r.out);
    assert.equal(printed.length, 1);
    assert.deepEqual(printed[0], g.expected);
  });
}

const workloads: { kind: string; yaml: string; templatePath: (d: Doc) => Doc }[] = [
  { kind: "Deployment", yaml: `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w, namespace: shop}\nspec:\n  template:${template()}`, templatePath: (d) => d.spec.template },
  { kind: "StatefulSet", yaml: `apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: w}\nspec:\n  template:${template()}`, templatePath: (d) => d.spec.template },
  { kind: "DaemonSet", yaml: `apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: w}\nspec:\n  template:${template()}`, templatePath: (d) => d.spec.template },
  { kind: "ReplicaSet", yaml: `apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: w}\nspec:\n  template:${template()}`, templatePath: (d) => d.spec.template },
  { kind: "Job", yaml: `apiVersion: batch/v1\nkind: Job\nmetadata: {name: w}\nspec:\n  template:${template()}`, templatePath: (d) => d.spec.template },
  {
    kind: "CronJob",
    yaml: `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: w}\nspec:\n  schedule: "0 * * * *"\n  jobTemplate:\n    spec:\n      template:${template().replace(/\n/g, "\n    ")}`,
    templatePath: (d) => d.spec.jobTemplate.spec.template,
  },
  {
    kind: "CloneSet (any object with spec.template.spec)",
    yaml: `apiVersion: apps.kruise.io/v1alpha1\nkind: CloneSet\nmetadata: {name: w}\nspec:\n  replicas: 3\n  template:${template()}`,
    templatePath: (d) => d.spec.template,
  },
];

for (const w of workloads) {
  test(`CLI injects into the pod template of a ${w.kind} and keeps the rest of the object`, async () => {
    const r = await run(["-f", file(w.yaml), "--sidecarsets", sidecarSets, ...NOW]);
    assert.equal(r.exitCode, 0, r.err);
    const [doc] = docs(r.out);
    const t = w.templatePath(doc!);
    assert.deepEqual(t.spec.containers.map((c: Doc) => c.name), ["app", "logtail"]);
    assert.equal(t.metadata.annotations["kruise.io/sidecarset-injected-list"], "log-agent");
    assert.deepEqual(t.metadata.labels, { logging: "enabled" });
    assert.equal(t.metadata.namespace, undefined, "the template does not gain a namespace");
    assert.equal(doc!.metadata.name, "w");
  });
}

test("CLI: the template takes the object's namespace for namespace-scoped SidecarSets", async () => {
  const inShop = await run(["-f", file(workloads[0]!.yaml), "--sidecarsets", scoped, ...NOW]);
  assert.equal(docs(inShop.out)[0]!.spec.template.spec.containers.length, 2);
  const elsewhere = await run(["-f", file(workloads[1]!.yaml), "--sidecarsets", scoped, ...NOW]);
  assert.equal(docs(elsewhere.out)[0]!.spec.template.spec.containers.length, 1);
});

test("CLI: other documents and unselected pods pass through unchanged, in order", async () => {
  const input = `apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {a: b}
---
apiVersion: v1
kind: Pod
metadata: {name: db, labels: {app: db}}
spec: {containers: [{name: db, image: db:1}]}
---
apiVersion: v1
kind: Service
metadata: {name: svc}
spec: {ports: [{port: 80}]}
`;
  const r = await run(["-f", file(input), "--sidecarsets", sidecarSets, ...NOW]);
  assert.equal(r.exitCode, 0);
  assert.deepEqual(docs(r.out), docs(input));
});

test("CLI -o json prints one document as itself and several as a v1 List, as kubectl does", async () => {
  const pod = `apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {logging: enabled}}\nspec: {containers: [{name: a, image: a}]}\n`;
  const one = JSON.parse((await run(["-f", file(pod), "--sidecarsets", sidecarSets, ...NOW, "-o", "json"])).out);
  assert.equal(one.kind, "Pod");
  assert.deepEqual(one.spec.containers.map((c: Doc) => c.name), ["a", "logtail"]);
  const list = JSON.parse((await run(["-f", file(`${pod}---\n${pod.replace("name: p,", "name: q,")}`), "--sidecarsets", sidecarSets, ...NOW, "-o", "json"])).out);
  assert.equal(list.kind, "List");
  assert.deepEqual(list.items.map((i: Doc) => i.metadata.name), ["p", "q"]);
  assert.deepEqual(list.items[1].spec.containers.map((c: Doc) => c.name), ["a", "logtail"]);
});

test("CLI --now is recorded in the hash annotations", async () => {
  const r = await run(["-f", file(`apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {logging: enabled}}\nspec: {containers: [{name: a, image: a}]}\n`), "--sidecarsets", sidecarSets, "--now", "2030-05-06T07:08:09+02:00"]);
  assert.match(docs(r.out)[0]!.metadata.annotations["kruise.io/sidecarset-hash"], /"updateTimestamp":"2030-05-06T05:08:09Z"/);
});

test("CLI --namespace-labels feed namespaceSelector; every namespace has its metadata.name label", async () => {
  const byLabel = file(`
apiVersion: apps.kruise.io/v1alpha1
kind: SidecarSet
metadata: {name: by-label}
spec:
  namespaceSelector: {matchLabels: {mesh: enabled}}
  selector: {matchLabels: {logging: enabled}}
  containers: [{name: s, image: s:1}]
---
apiVersion: apps.kruise.io/v1alpha1
kind: SidecarSet
metadata: {name: by-name}
spec:
  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}
  selector: {matchLabels: {logging: enabled}}
  containers: [{name: t, image: t:1}]
`);
  const pod = file(`apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop, labels: {logging: enabled}}\nspec: {containers: [{name: a, image: a}]}\n`);
  const without = await run(["-f", pod, "--sidecarsets", byLabel, ...NOW]);
  assert.equal(docs(without.out)[0]!.metadata.annotations["kruise.io/sidecarset-injected-list"], "by-name");
  const withLabels = await run(["-f", pod, "--sidecarsets", byLabel, ...NOW, "--namespace-labels", "mesh=enabled,team=a"]);
  assert.equal(docs(withLabels.out)[0]!.metadata.annotations["kruise.io/sidecarset-injected-list"], "by-label,by-name");
});

test("CLI: a denial prints file:line: object: denied: message on stderr, keeps the document unchanged and exits 1", async () => {
  const bad = file(`
apiVersion: apps.kruise.io/v1alpha1
kind: SidecarSet
metadata: {name: meta}
spec:
  selector: {matchLabels: {logging: enabled}}
  containers: [{name: s, image: s:1}]
  patchPodMetadata:
    - annotations: {cfg: "{not json"}
      patchPolicy: MergePatchJson
`);
  const input = `apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
---
apiVersion: v1
kind: Pod
metadata:
  name: p
  labels: {logging: enabled}
  annotations: {cfg: '{"a":1}'}
spec: {containers: [{name: a, image: a}]}
`;
  const podFile = file(input);
  const r = await run(["-f", podFile, "--sidecarsets", bad, ...NOW, "--allow-patch-pod-metadata-without-whitelist"]);
  assert.equal(r.exitCode, 1);
  const line = parseDocuments(input, podFile)[1]!.line;
  assert.ok(line === 4 || line === 5, "the Pod document starts at the separator or the line after it");
  assert.equal(
    r.err,
    `${bad}: meta: warning: spec.patchPodMetadata[0].annotations[cfg]: is not valid JSON; MergePatchJson merges JSON, so creating a pod that already has this annotation would be denied\n` +
      `${podFile}:1: ConfigMap cm: no pod template; printed unchanged\n` +
      `${podFile}:${line}: Pod default/p: denied: sidecarset "meta": spec.patchPodMetadata[0].annotations[cfg]: "{not json" is not valid JSON; patchPolicy MergePatchJson needs a JSON object such as {"key":"value"}\n`,
  );
  assert.deepEqual(docs(r.out), docs(input));
});

test("CLI: a YAML error prints file:line and exits 1 without output", async () => {
  const broken = file("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n");
  const r = await run(["-f", broken, "--sidecarsets", sidecarSets, ...NOW]);
  assert.equal(r.exitCode, 1);
  assert.equal(r.out, "");
  assert.match(r.err, new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+: `));
});

test("CLI: a missing file exits 1 with one line naming it", async () => {
  const r = await run(["-f", join(dir, "absent.yaml"), "--sidecarsets", sidecarSets, ...NOW]);
  assert.equal(r.exitCode, 1);
  assert.equal(r.err, `${join(dir, "absent.yaml")}: no such file or directory\n`);
});

test("CLI: --sidecarsets accepts a directory", async () => {
  const sub = mkdtempSync(join(dir, "sets-"));
  writeFileSync(join(sub, "a.yaml"), readFileSync(sidecarSets, "utf8"));
  writeFileSync(join(sub, "notes.txt"), "not yaml: [");
  const r = await run(["-f", file(`apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {logging: enabled}}\nspec: {containers: [{name: a, image: a}]}\n`), "--sidecarsets", sub, ...NOW]);
  assert.equal(r.exitCode, 0, r.err);
  assert.equal(docs(r.out)[0]!.spec.containers.length, 2);
});

test("CLI usage errors: missing -f or --sidecarsets, bad --now, bad --namespace-labels, bad -o", async () => {
  for (const args of [
    ["--sidecarsets", sidecarSets],
    ["-f", sidecarSets],
    ["-f", sidecarSets, "--sidecarsets", sidecarSets, "--now", "yesterday"],
    ["-f", sidecarSets, "--sidecarsets", sidecarSets, "--namespace-labels", "novalue"],
    ["-f", sidecarSets, "--sidecarsets", sidecarSets, "-o", "xml"],
  ]) {
    await assert.rejects(run(args), (e: unknown) => e instanceof CommanderError, args.join(" "));
  }
});

test("label lists and RFC 3339 times parse strictly", () => {
  assert.deepEqual(parseLabelList("a=b, c=d,e="), { a: "b", c: "d", e: "" });
  assert.throws(() => parseLabelList("=x"));
  assert.equal(parseRfc3339("2026-01-02T03:04:05Z").toISOString(), "2026-01-02T03:04:05.000Z");
  assert.throws(() => parseRfc3339("2026-01-02"));
  assert.throws(() => parseRfc3339("2026-13-45T99:99:99Z"));
});

test("CLI help has a description and examples", () => {
  const cmd = injectCommandWith(() => undefined, () => undefined);
  assert.match(cmd.description(), /pod webhook/);
  let help = "";
  cmd.configureOutput({ writeOut: (s) => (help += s) });
  cmd.outputHelp();
  assert.match(help, /Examples:/);
  assert.match(help, /--namespace-labels/);
});

test("CLI -f - reads stdin", () => {
  const root = resolve(import.meta.dirname, "../../..");
  const script = `import { injectCommand } from ${JSON.stringify(join(root, "src/cli/inject.ts"))};
await injectCommand().parseAsync(process.argv.slice(1), { from: "user" });`;
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", script, "--", "-f", "-", "--sidecarsets", sidecarSets, ...NOW],
    { cwd: root, input: "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {logging: enabled}}\nspec: {containers: [{name: a, image: a}]}\n", encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(docs(r.stdout)[0]!.spec.containers.map((c: Doc) => c.name), ["a", "logtail"]);
});

test("CLI: SidecarSets that validate rejects are not injected: validate's lines, no output, exit 1", async () => {
  const invalid = sidecarSetFile("twice", "  selector: {matchLabels: {logging: enabled}}\n  containers: [{name: s, image: s:1}, {name: s, image: 42}]\n");
  const pod = file(`apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {logging: enabled}}\nspec: {containers: [{name: a, image: a}]}\n`);
  const r = await run(["-f", pod, "--sidecarsets", invalid, ...NOW]);
  const validated = runValidate({ filename: [invalid] });
  assert.ok(validated.lines.length >= 2, validated.lines.join("\n"));
  assert.equal(r.err, `${validated.lines.join("\n")}\n1 invalid SidecarSet; nothing injected\n`);
  assert.equal(r.out, "");
  assert.equal(r.exitCode, 1);
});

test("CLI: --sidecarsets without any SidecarSet is an error, not a silent no-op", async () => {
  const empty = mkdtempSync(join(dir, "empty-"));
  const pod = file(`apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: a, image: a}]}\n`);
  const r = await run(["-f", pod, "--sidecarsets", empty, ...NOW]);
  assert.equal(r.err, `no SidecarSet found in ${empty}\n`);
  assert.equal(r.out, "");
  assert.equal(r.exitCode, 1);
});

test("CLI: -f without any document is an error", async () => {
  const r = await run(["-f", file("# nothing here\n"), "--sidecarsets", sidecarSets, ...NOW]);
  assert.match(r.err, /^no document found in .*doc-\d+\.yaml\n$/);
  assert.equal(r.exitCode, 1);
});

test("CLI: -n gives objects without a namespace theirs; an object's own namespace wins", async () => {
  const input = `apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {logging: enabled}}\nspec: {containers: [{name: a, image: a}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: q, namespace: other, labels: {logging: enabled}}\nspec: {containers: [{name: a, image: a}]}\n`;
  const podFile = file(input);
  const [first, second] = parseDocuments(input, podFile);
  for (const flag of ["-n", "--namespace"]) {
    const r = await run(["-f", podFile, "--sidecarsets", scoped, ...NOW, flag, "shop"]);
    assert.equal(r.exitCode, 0, r.err);
    assert.equal(r.err, `${podFile}:${first!.line}: Pod shop/p: injected scoped\n${podFile}:${second!.line}: Pod other/q: no SidecarSet matched\n`);
    const [p, q] = docs(r.out);
    assert.equal(p!.spec.containers.length, 2);
    assert.equal(p!.metadata.namespace, undefined, "the object is printed without the namespace it was given");
    assert.equal(q!.spec.containers.length, 1);
  }
  const without = await run(["-f", podFile, "--sidecarsets", scoped, ...NOW]);
  assert.match(without.err, /Pod default\/p: no SidecarSet matched/);
});

test("CLI: labels that YAML 1.1 reads as other types are printed quoted and read back as strings", async () => {
  const labels = { logging: "enabled", a: "no", b: "on", c: "yes", d: "off", e: "y", f: "n", g: "~", h: "0x1f", i: "1e3", j: "0o17" };
  const pod = file(`apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n${Object.entries(labels).map(([k, v]) => `    ${k}: "${v}"`).join("\n")}\nspec: {containers: [{name: a, image: a}]}\n`);
  const r = await run(["-f", pod, "--sidecarsets", sidecarSets, ...NOW]);
  assert.equal(r.exitCode, 0, r.err);
  const printed = parseAllDocuments(r.out, { version: "1.1" }).map((d) => d.toJS() as Doc);
  assert.deepEqual(printed[0]!.metadata.labels, labels);
  assert.match(r.out, /^ {4}a: "no"$/m);
});

test("CLI: -f and --sidecarsets take several paths at once and repeated; --sidecarset is still accepted", async () => {
  const pod = (name: string) => file(`apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, labels: {logging: enabled}}\nspec: {containers: [{name: a, image: a}]}\n`);
  const other = sidecarSetFile("other", "  selector: {matchLabels: {logging: enabled}}\n  containers: [{name: o, image: o:1}]\n");
  const r = await run(["-f", pod("a"), pod("b"), "-f", pod("c"), "--sidecarsets", sidecarSets, other, ...NOW]);
  assert.equal(r.exitCode, 0, r.err);
  assert.deepEqual(docs(r.out).map((d) => d.metadata.name), ["a", "b", "c"]);
  assert.deepEqual(docs(r.out)[2]!.spec.containers.map((c: Doc) => c.name), ["o", "a", "logtail"]);
  const legacy = await run(["-f", pod("d"), "--sidecarset", sidecarSets, "--sidecarsets", other, ...NOW]);
  assert.deepEqual(docs(legacy.out)[0]!.spec.containers.map((c: Doc) => c.name), ["o", "a", "logtail"]);
  let help = "";
  const cmd = injectCommandWith(() => undefined, () => undefined);
  cmd.configureOutput({ writeOut: (s) => (help += s) });
  cmd.outputHelp();
  assert.doesNotMatch(help, /--sidecarset </, "the old spelling is not advertised");
});
