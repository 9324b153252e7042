import assert from "node:assert/strict";
import { test } from "node:test";
import type { ControllerRevision, Pod } from "../../../src/api/kube-types.js";
import type { SidecarSet } from "../../../src/api/types.js";
import { explainPod, explanationText, type ExplainInput } from "../../../src/cli/explain-verdicts.js";
import { explainOffline, parsePodTarget, parseSidecarSetTarget } from "../../../src/cli/explain.js";
import { pod as newPod, sidecar, sidecarSet } from "../core/inject/fixtures.js";
import { at, makePod, makeSet, NOW, SET, type PodState } from "../core/rollout/fixtures.js";
import { runCommand, tempFile } from "./capture.js";
import { explainCommand } from "../../../src/cli/explain.js";

function explainInput(pod: Pod, sets: SidecarSet[], extra: Partial<ExplainInput> = {}): ExplainInput {
  const ns = pod.metadata?.namespace ?? "default";
  return {
    pod,
    sidecarSets: sets,
    namespaceLabels: { [ns]: { "kubernetes.io/metadata.name": ns, env: "prod" } },
    revisions: [],
    podsOf: () => [pod],
    now: NOW,
    ...extra,
  };
}

/** The injection verdict and reason of SidecarSet `name`. */
function injection(input: ExplainInput, name: string): string {
  const v = explainPod(input).sidecarSets.find((s) => s.sidecarSet === name)!;
  return `${v.injection.verdict} | ${v.injection.reason}`;
}

const containers = [sidecar("agent")];
const revision = (name: string, image: string, extra: Record<string, unknown> = {}): ControllerRevision => ({
  apiVersion: "apps/v1",
  kind: "ControllerRevision",
  metadata: { name, namespace: "sidecarset-system", labels: { "kruise.io/sidecarset-name": "s" } },
  revision: 1,
  data: { spec: { containers: [{ name: "agent", image, ...extra }] } },
});

const injectionCases: { name: string; input: ExplainInput; set: string; says: string }[] = [
  {
    name: "a new pod the SidecarSet selects would be injected",
    input: explainInput(newPod({ namespace: "shop" }), [sidecarSet("s", { containers })]),
    set: "s",
    says: "would inject | namespace and selector match",
  },
  {
    name: "a selector mismatch names the failed requirement and the pod's value",
    input: explainInput(newPod({ namespace: "shop", labels: { app: "db" } }), [sidecarSet("s", { containers })]),
    set: "s",
    says: "skipped: selector | requires app=web; the pod has app=db",
  },
  {
    name: "a missing label is named as missing",
    input: explainInput(newPod({ namespace: "shop" }), [
      sidecarSet("s", { containers, selector: { matchLabels: { app: "web" }, matchExpressions: [{ key: "mesh", operator: "Exists" }] } }),
    ]),
    set: "s",
    says: "skipped: selector | requires mesh exists; the pod has no label mesh",
  },
  {
    name: "another namespace is named with the pod's",
    input: explainInput(newPod({ namespace: "shop" }), [sidecarSet("s", { containers, namespace: "billing" })]),
    set: "s",
    says: "skipped: namespace | only pods in namespace billing; the pod is in shop",
  },
  {
    name: "a namespaceSelector mismatch names the requirement and the Namespace's value",
    input: explainInput(newPod({ namespace: "shop" }), [sidecarSet("s", { containers, namespaceSelector: { matchLabels: { env: "dev" } } })]),
    set: "s",
    says: "skipped: namespaceSelector | requires env=dev; Namespace shop has env=prod",
  },
  {
    name: "paused injection",
    input: explainInput(newPod({ namespace: "shop" }), [sidecarSet("s", { containers, injectionStrategy: { paused: true } })]),
    set: "s",
    says: "skipped: injection paused | injectionStrategy.paused is true",
  },
  {
    name: "a base replaced by its canary names the canary",
    input: explainInput(newPod({ namespace: "shop" }), [
      sidecarSet("s", { containers }),
      sidecarSet("s-canary", { containers, updateStrategy: { type: "NotUpdate" } }, {
        metadata: { name: "s-canary", annotations: { "apps.kruise.io/sidecarset-canary": "true", "apps.kruise.io/sidecarset-base": "s" } },
      }),
    ]),
    set: "s",
    says: "replaced by canary s-canary | a canary naming it as base matches the pod",
  },
  {
    name: "a pinned revision is named",
    input: explainInput(newPod({ namespace: "shop" }), [sidecarSet("s", { containers, injectionStrategy: { revision: { revisionName: "s-rev1", policy: "Always" } } })], {
      revisions: [revision("s-rev1", "agent:0.9")],
    }),
    set: "s",
    says: "pinned to revision s-rev1 | injectionStrategy.revision",
  },
  {
    name: "a revision pinned by chance says the chance",
    input: explainInput(
      newPod({ namespace: "shop" }),
      [sidecarSet("s", { containers, injectionStrategy: { revision: { revisionName: "s-rev1", policy: "Partial" } }, updateStrategy: { partition: "30%" } })],
      { revisions: [revision("s-rev1", "agent:0.9")] },
    ),
    set: "s",
    says: "pinned to revision s-rev1 | injectionStrategy.revision with policy Partial: a new pod gets it with chance 30%, else the current spec",
  },
  {
    name: "a created pod that is selected but does not carry the SidecarSet was created without it",
    input: explainInput({ ...newPod({ namespace: "shop" }), metadata: { ...newPod({ namespace: "shop" }).metadata, creationTimestamp: at(0) } }, [sidecarSet("s", { containers })]),
    set: "s",
    says: "not injected | it selects the pod now, but the pod was created without its sidecars; it gets them only when recreated",
  },
  {
    name: "a SidecarSet whose configuration denies the pod is said so, and the others are still explained",
    input: explainInput(newPod({ namespace: "shop" }), [
      sidecarSet("bad", { containers, selector: { matchExpressions: [{ key: "app", operator: "Near" as "In", values: ["web"] }] } }),
      sidecarSet("s", { containers }),
    ]),
    set: "bad",
    says: 'denies pod creation | spec.selector: "Near" is not a valid operator; use In, NotIn, Exists or DoesNotExist',
  },
];

for (const c of injectionCases) test(`injection: ${c.name}`, () => assert.equal(injection(c.input, c.set), c.says));

test("injection: a denying SidecarSet does not hide the verdicts of the others", () => {
  assert.equal(injection(injectionCases.at(-1)!.input, "s"), "would inject | namespace and selector match");
});

/** The rollout verdict of the fixture SidecarSet for pod `name` among `pods`. */
function rollout(set: SidecarSet, pods: Pod[], name: string, revisions: ControllerRevision[] = []): string {
  const pod = pods.find((p) => p.metadata?.name === name)!;
  const v = explainPod(explainInput(pod, [set], { podsOf: () => pods, revisions })).sidecarSets[0]!;
  assert.equal(v.injection.verdict, "injected");
  return `${v.rollout!.verdict} | ${v.rollout!.reason}`;
}

function pods(n: number, state: (i: number) => PodState = () => ({})): Pod[] {
  return Array.from({ length: n }, (_, i) => makePod(`pod-${i}`, { createdAt: i, ...state(i) }));
}

const halted = (set: SidecarSet): SidecarSet => ({
  ...set,
  status: {
    ...set.status!,
    conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "pod default/pod-1 not ready 300s after its upgrade" }],
  },
});

const withRecordedRevision = (pod: Pod, name: string): Pod => {
  const annotations = { ...pod.metadata!.annotations! };
  const records = JSON.parse(annotations["kruise.io/sidecarset-hash"]!) as Record<string, Record<string, unknown>>;
  records[SET]!.controllerRevision = name;
  annotations["kruise.io/sidecarset-hash"] = JSON.stringify(records);
  return { ...pod, metadata: { ...pod.metadata, annotations } };
};

const rolloutCases: { name: string; set: SidecarSet; pods: Pod[]; pod: string; says: RegExp | string; revisions?: ControllerRevision[] }[] = [
  { name: "a pod on the current version, ready", set: makeSet(), pods: pods(2, (i) => ({ updated: i === 0 })), pod: "pod-0", says: "updated | runs the current version" },
  {
    name: "an updated pod the kubelet has not restarted yet is upgrading",
    set: makeSet(),
    pods: pods(2, (i) => ({ updated: true, consistent: i !== 0 })),
    pod: "pod-0",
    says: /^upgrading \| updated; the kubelet has not restarted the sidecar yet/,
  },
  {
    name: "a pod chosen this round is upgrading",
    set: makeSet({ maxUnavailable: 5 }),
    pods: pods(2),
    pod: "pod-0",
    says: "upgrading | chosen for this round: upgrade now",
  },
  {
    name: "a pod the partition keeps waits for the partition",
    set: makeSet({ partition: 2, maxUnavailable: 5 }),
    pods: pods(2),
    pod: "pod-0",
    says: "waiting: partition | partition keeps 2 waiting pod(s) on the old version",
  },
  {
    name: "a pod waiting for the budget names the pods using it",
    set: makeSet({ maxUnavailable: 1 }),
    pods: pods(3, (i) => (i === 2 ? { updated: true, ready: false } : {})),
    pod: "pod-0",
    says: "waiting: maxUnavailable (budget used by default/pod-2) | maxUnavailable 1 is used up; waits for upgraded pods to become ready",
  },
  {
    name: "a pod outside updateStrategy.selector names the requirement",
    set: makeSet({ selector: { matchLabels: { canary: "yes" } } }),
    pods: pods(2, (i): PodState => (i === 0 ? {} : { labels: { canary: "yes" } })),
    pod: "pod-0",
    says: "waiting: not selected by updateStrategy.selector | requires canary=yes; the pod has no label canary",
  },
  {
    name: "a paused rollout",
    set: makeSet({ paused: true }),
    pods: pods(2),
    pod: "pod-0",
    says: "paused | updateStrategy.paused is true",
  },
  {
    name: "NotUpdate",
    set: makeSet({ type: "NotUpdate" }),
    pods: pods(2),
    pod: "pod-0",
    says: "NotUpdate | updateStrategy.type is NotUpdate: sidecars are injected, never upgraded",
  },
  {
    name: "a halted rollout says so with the condition's message",
    set: halted(makeSet({ partition: 1 })),
    pods: pods(3),
    pod: "pod-0",
    says: "halted: progress deadline | pod default/pod-1 not ready 300s after its upgrade",
  },
  {
    name: "a halt leaves an updated pod updated",
    set: halted(makeSet()),
    pods: pods(2, (i) => ({ updated: i === 0 })),
    pod: "pod-0",
    says: "updated | runs the current version",
  },
  {
    name: "a not-upgradable pod names what changed besides images, from the revision it records",
    set: makeSet({}, { containers: [{ name: "sidecar", image: "sidecar:v2", env: [{ name: "LEVEL", value: "debug" }] }] }),
    pods: [withRecordedRevision(makePod("pod-0", { notUpgradable: true }), "sidecarset-a-rev1")],
    revisions: [{ ...revision("sidecarset-a-rev1", "sidecar:v1"), data: { spec: { containers: [{ name: "sidecar", image: "sidecar:v1" }] } } }],
    pod: "pod-0",
    says: /^not upgradable: containers\[sidecar\]\.env \| something other than images changed/,
  },
  {
    name: "a not-upgradable pod whose revision is gone says so",
    set: makeSet(),
    pods: [withRecordedRevision(makePod("pod-0", { notUpgradable: true }), "sidecarset-a-gone")],
    pod: "pod-0",
    says: /^not upgradable: something besides images changed \| .*\(revision sidecarset-a-gone the pod records is not available to compare\)$/,
  },
];

for (const c of rolloutCases) {
  test(`rollout: ${c.name}`, () => {
    const says = rollout(c.set, c.pods, c.pod, c.revisions);
    if (typeof c.says === "string") assert.equal(says, c.says);
    else assert.match(says, c.says);
  });
}

test("the text form is one line per SidecarSet, the rollout after the injection", () => {
  const set = makeSet({ partition: 2, maxUnavailable: 5 });
  const list = pods(2);
  const text = explanationText(explainPod(explainInput(list[0]!, [set], { podsOf: () => list })));
  assert.equal(
    text,
    "Pod default/pod-0\n  sidecarset-a: injected (listed in the pod's injected-list); rollout: waiting: partition (partition keeps 2 waiting pod(s) on the old version)\n",
  );
});

const targets: { value: string; pod?: string; set?: string; error?: RegExp }[] = [
  { value: "pod/web-0", pod: "web-0" },
  { value: "pods/web-0", pod: "web-0" },
  { value: "web-0", pod: "web-0", set: "web-0" },
  { value: "sidecarset/log-agent", set: "log-agent" },
  { value: "deployment/web", error: /not a/ },
];
for (const t of targets) {
  test(`target ${t.value}`, () => {
    if (t.pod) assert.equal(parsePodTarget(t.value), t.pod);
    if (t.set) assert.equal(parseSidecarSetTarget(t.value), t.set);
    if (t.error) assert.throws(() => parsePodTarget(t.value), t.error);
  });
}

test("offline: every pod of -f is explained against the SidecarSets of the files, namespace labels from the flag", () => {
  const podFile = tempFile("pods.json", JSON.stringify([newPod({ name: "a", namespace: "shop" }), newPod({ name: "b", namespace: "shop", labels: { app: "db" } })]));
  const setFile = tempFile("sets.json", JSON.stringify(sidecarSet("s", { containers, namespaceSelector: { matchLabels: { mesh: "on" } } })));
  const out = explainOffline({ filename: [podFile], sidecarsets: [setFile], namespaceLabels: { mesh: "on" }, now: NOW });
  assert.deepEqual(
    out.map((e) => [e.pod, e.sidecarSets.map((s) => s.injection.verdict)]),
    [
      ["shop/a", ["would inject"]],
      ["shop/b", ["skipped: selector"]],
    ],
  );
});

test("offline: a named SidecarSet that is not in the files is one line naming it, exit 1", async () => {
  const podFile = tempFile("pod.json", JSON.stringify(newPod({ namespace: "shop" })));
  const setFile = tempFile("set.json", JSON.stringify(sidecarSet("s", { containers })));
  const r = await runCommand(explainCommand(), ["sidecarset/missing", "-f", podFile, "--sidecarsets", setFile]);
  assert.equal(r.exitCode, 1);
  assert.equal(r.stderr, "SidecarSet missing not found\n");
});

test("offline -o json prints the verdicts for scripts", async () => {
  const podFile = tempFile("pod.json", JSON.stringify(newPod({ namespace: "shop" })));
  const setFile = tempFile("set.json", JSON.stringify(sidecarSet("s", { containers })));
  const r = await runCommand(explainCommand(), ["-f", podFile, "--sidecarsets", setFile, "-o", "json"]);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    pod: "shop/pod-1",
    sidecarSets: [{ sidecarSet: "s", injection: { verdict: "would inject", reason: "namespace and selector match" } }],
  });
});
