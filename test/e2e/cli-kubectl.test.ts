// What `sidecarset inject` and `defaults` print is meant for `| kubectl apply -f -`.
// kubectl decodes YAML 1.1 into typed objects, so a label value such as `no`
// printed plain fails there. The project's own kubectl reads the output here
// (`label --local` decodes exactly as apply does, without a server) and must
// get every string back unchanged.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import fc from "fast-check";
import { toYamlDocument } from "../../src/api/yaml.js";
import { kubectlCommand, locateControlPlane } from "../../src/local/binary.js";
import { cliNodeArgs, processEnvWithout, REPO_ROOT } from "../support/environment.js";

const binary = locateControlPlane();
assert.ok(binary, "the control-plane binary (with kubectl) must be built");
const kubectl = kubectlCommand(binary);
const dir = mkdtempSync(join(tmpdir(), "sidecarset-kubectl-"));
after(() => rmSync(dir, { recursive: true, force: true }));

type Doc = Record<string, any>;

/** kubectl's reading of a YAML stream: the objects it would send, as JSON. */
function kubectlReads(yaml: string): Doc[] {
  const r = spawnSync(kubectl.path, [...kubectl.args, "label", "--local", "-f", "-", "-o", "json", "read-by=kubectl"], {
    input: yaml,
    encoding: "utf8",
    env: { ...processEnvWithout("KUBECONFIG"), KUBECONFIG: join(dir, "no-cluster") },
  });
  assert.equal(r.status, 0, `kubectl could not read:\n${yaml}\n${r.stderr}`);
  const out = JSON.parse(r.stdout) as Doc;
  const objects = out.kind === "List" ? (out.items as Doc[]) : [out];
  for (const o of objects) delete o.metadata.labels["read-by"];
  return objects;
}

function sidecarset(args: string[]): { stdout: string; stderr: string; status: number | null } {
  return spawnSync(process.execPath, cliNodeArgs(args), { cwd: REPO_ROOT, encoding: "utf8" });
}

// YAML 1.1 booleans, nulls, numbers and timestamps, and Go's own integer syntax.
const LOOKALIKES = {
  "bool-no": "no", "bool-on": "on", "bool-yes": "yes", "bool-off": "off", "bool-y": "y", "bool-n": "n",
  "bool-true": "True", "null-tilde": "~", "null-word": "null", "hex": "0x1f", "exp": "1e3", "octal": "017",
  "go-octal": "0o17", "binary": "0b101", "underscore": "1_000", "float": ".5", "sexagesimal": "1:20",
  "date": "2001-12-14", "leading-zero": "09", "empty": "",
};

test("inject output with labels and annotations that look like other types survives kubectl unchanged", () => {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web-0", namespace: "demo", labels: { app: "web", ...LOOKALIKES }, annotations: { ...LOOKALIKES } },
    spec: { containers: [{ name: "web-server", image: "nginx:1.27", env: [{ name: "DEBUG", value: "off" }] }] },
  };
  const podFile = join(dir, "pod.json");
  writeFileSync(podFile, JSON.stringify(pod));
  const r = sidecarset(["inject", "-f", podFile, "--sidecarsets", "examples/log-agent/sidecarset.yaml", "--now", "2026-01-02T03:04:05Z"]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, `${podFile}:1: Pod demo/web-0: injected log-agent\n`);
  const [read] = kubectlReads(r.stdout);
  assert.deepEqual(read!.metadata.labels, pod.metadata.labels);
  assert.deepEqual(
    Object.fromEntries(Object.keys(LOOKALIKES).map((k) => [k, read!.metadata.annotations[k]])),
    LOOKALIKES,
  );
  assert.deepEqual(read!.spec.containers.map((c: Doc) => c.name), ["web-server", "logtail"]);
  assert.deepEqual(read!.spec.containers[0].env, [{ name: "DEBUG", value: "off" }]);
});

test("defaults output survives kubectl unchanged", () => {
  const set = {
    apiVersion: "apps.kruise.io/v1alpha1",
    kind: "SidecarSet",
    metadata: { name: "lookalikes", labels: { ...LOOKALIKES }, annotations: { ...LOOKALIKES } },
    spec: {
      selector: { matchLabels: { app: "no" } },
      containers: [{ name: "collector", image: "collector:1", env: [{ name: "VERBOSE", value: "yes" }], args: ["on", "0x1f", "~"] }],
    },
  };
  const setFile = join(dir, "set.json");
  writeFileSync(setFile, JSON.stringify(set));
  const printed = sidecarset(["defaults", "-f", setFile]);
  assert.equal(printed.status, 0, printed.stderr);
  const asJson = sidecarset(["defaults", "-f", setFile, "-o", "json"]);
  assert.deepEqual(kubectlReads(printed.stdout), [JSON.parse(asJson.stdout)]);
});

test("any string written by the YAML writer reads back unchanged in kubectl", () => {
  // One kubectl call for many generated strings: each one is an annotation value of its own.
  const samples = fc.sample(
    fc.oneof(fc.string(), fc.constantFrom(...Object.values(LOOKALIKES)).chain((w) => fc.string().map((s) => w + s)), fc.constantFrom(...Object.values(LOOKALIKES))),
    { numRuns: 300, seed: 13 },
  );
  const annotations = Object.fromEntries(samples.map((s, i) => [`k${i}`, s]));
  const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "p", annotations }, spec: { containers: [{ name: "a", image: "a" }] } };
  const [read] = kubectlReads(toYamlDocument(pod));
  assert.deepEqual(read!.metadata.annotations, annotations);
});
