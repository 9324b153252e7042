import assert from "node:assert/strict";
import { test } from "node:test";
import type { ControllerRevision, Pod } from "../../../src/api/kube-types.js";
import type { SidecarSet } from "../../../src/api/types.js";
import { planUpgrade } from "../../../src/core/rollout/plan.js";
import { historyRows, pausePatch, resumePatch, rolloutProgress, undoPatch, undoTarget, type RolloutState } from "../../../src/cli/rollout-view.js";
import { makePod, makeSet, NOW, SET, type PodState } from "../core/rollout/fixtures.js";
import { run } from "../../../src/cli/program.js";
import { captureOutput } from "./capture.js";

function pods(n: number, state: (i: number) => PodState = () => ({})): Pod[] {
  return Array.from({ length: n }, (_, i) => makePod(`pod-${i}`, { createdAt: i, ...state(i) }));
}

const halted = (set: SidecarSet): SidecarSet => ({
  ...set,
  status: { ...set.status!, conditions: [{ type: "Progressing", status: "False", reason: "ProgressDeadlineExceeded", message: "2 pod(s) failed" }] },
});

const progressCases: { name: string; set: SidecarSet; pods: Pod[]; state: RolloutState; line?: string }[] = [
  { name: "every pod updated and ready is complete", set: makeSet(), pods: pods(3, () => ({ updated: true })), state: "complete", line: "rollout complete" },
  {
    name: "an updated pod not ready yet keeps it progressing",
    set: makeSet(),
    pods: pods(3, (i) => ({ updated: true, ready: i !== 1 })),
    state: "progressing",
    line: "  1 upgrading: updated, not ready on the new image yet",
  },
  {
    name: "pods waiting for the budget keep it progressing",
    set: makeSet({ maxUnavailable: 1 }),
    pods: pods(3, (i) => (i === 0 ? { updated: true, consistent: false } : {})),
    state: "progressing",
    line: "  2 waiting: maxUnavailable 1 is used up",
  },
  {
    name: "pods the partition keeps do not hold it open",
    set: makeSet({ partition: 2 }),
    pods: pods(3, (i) => ({ updated: i === 0 })),
    state: "complete",
    line: "  2 kept by the partition (2)",
  },
  {
    name: "pods outside updateStrategy.selector do not hold it open",
    set: makeSet({ selector: { matchLabels: { canary: "yes" } } }),
    pods: pods(2, (i): PodState => (i === 0 ? { updated: true, labels: { canary: "yes" } } : {})),
    state: "complete",
    line: "  1 not selected by updateStrategy.selector",
  },
  {
    name: "not-upgradable pods are named but never hold it open",
    set: makeSet(),
    pods: pods(2, (i) => (i === 0 ? { updated: true } : { notUpgradable: true })),
    state: "complete",
    line: "  1 not upgradable: something besides images changed; recreate them",
  },
  { name: "a paused rollout with waiting pods is paused", set: makeSet({ paused: true }), pods: pods(2), state: "paused", line: "paused: 2 pod(s) wait for `rollout resume`" },
  {
    name: "a halted rollout is halted, with the condition's message",
    set: halted(makeSet({ maxUnavailable: 1 })),
    pods: pods(2, (i) => (i === 0 ? { updated: true, ready: false } : {})),
    state: "halted",
    line: "halted: progress deadline exceeded: 2 pod(s) failed; `rollout resume` lifts it",
  },
  { name: "pausing a halted rollout shows it paused", set: halted(makeSet({ paused: true })), pods: pods(2), state: "paused" },
];

for (const c of progressCases) {
  test(`rollout status: ${c.name}`, () => {
    const progress = rolloutProgress(c.set, planUpgrade(c.set, c.pods, { now: NOW }));
    assert.equal(progress.state, c.state, progress.lines.join("\n"));
    if (c.line) assert.ok(progress.lines.includes(c.line), `${JSON.stringify(c.line)} not in\n${progress.lines.join("\n")}`);
  });
}

test("rollout status: the first line counts updated and ready pods and names the revision", () => {
  const set = makeSet();
  const progress = rolloutProgress(set, planUpgrade(set, pods(3, (i) => ({ updated: i < 2, ready: i !== 1 })), { now: NOW }));
  assert.equal(progress.lines[0], "SidecarSet sidecarset-a (revision sidecarset-a-rev2): 2 of 3 updated, 1 updated and ready");
});

function revision(n: number, name: string, image: string | undefined, extra: Partial<ControllerRevision> = {}): ControllerRevision {
  return {
    apiVersion: "apps/v1",
    kind: "ControllerRevision",
    metadata: { name, namespace: "sidecarset-system", labels: { "kruise.io/sidecarset-name": SET }, creationTimestamp: `2026-01-0${n}T00:00:00Z` },
    revision: n,
    data: { spec: { containers: image === undefined ? null : [{ name: "sidecar", image }], volumes: n === 1 ? [{ name: "logs", emptyDir: {} }] : null } },
    ...extra,
  };
}

const history = [revision(2, "sidecarset-a-rev2", "sidecar:v2"), revision(1, "sidecarset-a-rev1", "sidecar:v1"), revision(3, "sidecarset-a-rev3", "sidecar:v3")];
// The fixture's status names rev2 as the latest: rev3 is a newer one the controller has not registered as current.
const set = makeSet();

test("history lists the SidecarSet's revisions oldest first with their images, the current one marked", () => {
  const other = revision(4, "other-x", "x:1", { metadata: { name: "other-x", labels: { "kruise.io/sidecarset-name": "other" } } });
  assert.deepEqual(
    historyRows(set, [...history, other]).map((r) => [r.revision, r.name, r.images.join(","), r.created, r.current]),
    [
      [1, "sidecarset-a-rev1", "sidecar=sidecar:v1", "2026-01-01T00:00:00Z", false],
      [2, "sidecarset-a-rev2", "sidecar=sidecar:v2", "2026-01-02T00:00:00Z", true],
      [3, "sidecarset-a-rev3", "sidecar=sidecar:v3", "2026-01-03T00:00:00Z", false],
    ],
  );
});

const undoCases: { name: string; set: SidecarSet; revisions: ControllerRevision[]; to?: number; revision?: string; error?: string }[] = [
  { name: "by default the revision before the current one", set, revisions: history, revision: "sidecarset-a-rev1" },
  { name: "--to-revision picks that revision", set, revisions: history, to: 3, revision: "sidecarset-a-rev3" },
  { name: "an unknown revision lists the ones that exist", set, revisions: history, to: 99, error: "SidecarSet sidecarset-a has no revision 99; its revisions are 1, 2, 3" },
  {
    name: "the first revision has nothing before it",
    set: { ...set, status: { ...set.status!, latestRevision: "sidecarset-a-rev1" } },
    revisions: history,
    error: "SidecarSet sidecarset-a has no revision before the current one (revisions: 1, 2, 3)",
  },
  { name: "without revisions there is nothing to go back to", set, revisions: [], to: 1, error: "SidecarSet sidecarset-a has no revisions" },
];

for (const c of undoCases) {
  test(`undo: ${c.name}`, () => {
    const target = undoTarget(c.set, c.revisions, c.to);
    if (c.error) assert.deepEqual(target, { ok: false, message: c.error });
    else assert.equal(target.ok && target.revision.metadata?.name, c.revision);
  });
}

test("undo writes back what the revision holds and removes what it does not", () => {
  const patch = undoPatch(set, revision(1, "sidecarset-a-rev1", "sidecar:v1"));
  assert.deepEqual(patch, {
    spec: {
      containers: [{ name: "sidecar", image: "sidecar:v1" }],
      initContainers: null,
      volumes: [{ name: "logs", emptyDir: {} }],
      imagePullSecrets: null,
      patchPodMetadata: null,
    },
  });
});

test("undo of a revision without readable data is an error naming it", () => {
  const patch = undoPatch(set, { ...revision(1, "sidecarset-a-rev1", "sidecar:v1"), data: "not json" });
  assert.ok("error" in patch && /sidecarset-a-rev1/.test(patch.error));
});

test("pause sets updateStrategy.paused; resume clears it and stamps the resume time, which lifts a halt", () => {
  assert.deepEqual(pausePatch(), { spec: { updateStrategy: { paused: true } } });
  assert.deepEqual(resumePatch(new Date("2026-03-04T05:06:07.890Z")), {
    metadata: { annotations: { "sidecarset.io/resumed-at": "2026-03-04T05:06:07Z" } },
    spec: { updateStrategy: { paused: null } },
  });
});

const pluginHelp: { args: string[]; usage: RegExp; example?: RegExp }[] = [
  { args: ["rollout", "status", "--help"], usage: /^Usage: kubectl sidecarset rollout status \[options\] <sidecarset>$/m, example: /^ {2}kubectl sidecarset rollout status log-agent --watch --timeout 10m$/m },
  { args: ["rollout", "undo", "--help"], usage: /^Usage: kubectl sidecarset rollout undo \[options\] <sidecarset>$/m },
  { args: ["explain", "--help"], usage: /^Usage: kubectl sidecarset explain \[options\] \[targets\.\.\.\]$/m, example: /^ {2}kubectl sidecarset explain pod\/web-0 -n shop$/m },
  { args: ["plan", "--help"], usage: /^Usage: kubectl sidecarset plan \[options\] \[sidecarset\]$/m, example: /^ {2}kubectl sidecarset plan log-agent$/m },
];
for (const c of pluginHelp) {
  test(`as a kubectl plugin, \`${c.args.join(" ")}\` shows kubectl sidecarset in its usage and examples`, async () => {
    const r = await captureOutput(() => run(c.args, "kubectl sidecarset"));
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, c.usage);
    if (c.example) assert.match(r.stdout, c.example);
  });
}

test("rollout undo --to-revision takes a revision number only: anything else is a usage error", async () => {
  const r = await captureOutput(() => run(["rollout", "undo", "web", "--to-revision", "latest"]));
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, /"latest" is not a revision number/);
});

test("explain without a pod or -f is a usage error saying which forms exist", async () => {
  const r = await captureOutput(() => run(["explain"]));
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, /give either pod\/NAME \(live\) or -f FILE --sidecarsets DIR \(offline\)/);
});
