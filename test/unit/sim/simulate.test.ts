import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultSidecarSet } from "../../../src/api/defaults.js";
import type { SidecarSet, SidecarSetUpdateStrategy } from "../../../src/api/types.js";
import { planUpgrade } from "../../../src/core/rollout/plan.js";
import { parseFailSpec } from "../../../src/sim/fail.js";
import { generatePods, previousImage } from "../../../src/sim/generate.js";
import { simulate, type SimulationOptions } from "../../../src/sim/simulate.js";
import { renderSvg } from "../../../src/sim/svg.js";

const START = new Date("2026-03-01T00:00:00Z");

function sidecarSet(strategy: SidecarSetUpdateStrategy, containers?: SidecarSet["spec"]["containers"]): SidecarSet {
  return defaultSidecarSet({
    metadata: { name: "log-agent", resourceVersion: "42" },
    spec: {
      selector: { matchLabels: { app: "web" } },
      containers: containers ?? [{ name: "log-agent", image: "log-agent:2.0" }],
      updateStrategy: strategy,
    },
  });
}

function run(strategy: SidecarSetUpdateStrategy, replicas: number, opts: Partial<SimulationOptions> = {}) {
  const set = sidecarSet(strategy);
  const { pods } = generatePods(set, replicas, START);
  return simulate(set, pods, { restartSeconds: 5, readySeconds: 10, start: START, ...opts });
}

const upgradedIn = (r: ReturnType<typeof run>): number[] => r.waves.filter((w) => w.kind === "upgrade").map((w) => w.pods.length);

test("generated pods are matched and all wait for an upgrade", () => {
  const set = sidecarSet({});
  const plan = planUpgrade(set, generatePods(set, 7, START).pods, { now: START });
  assert.equal(plan.status.matchedPods, 7);
  assert.equal(plan.order.length, 7);
  assert.equal(previousImage("a/b:1.2"), "a/b:1.2-previous");
  assert.equal(previousImage("reg:5000/b"), "reg:5000/b:previous");
});

test("100 pods, partition 50, maxUnavailable 10: 50 upgraded over waves, never more than 10 unavailable", () => {
  const r = run({ partition: 50, maxUnavailable: 10 }, 100);
  assert.deepEqual(upgradedIn(r), [10, 10, 10, 10, 10]);
  assert.equal(r.final.updatedPods, 50);
  assert.ok(r.maxUnavailableSeen <= 10, `saw ${r.maxUnavailableSeen}`);
  assert.equal(r.maxUnavailableSeen, 10);
  assert.equal(r.stopped.reason, "partition-reached");
  assert.equal(r.final.updatedReadyPods, 50, "the last wave finished before the simulation stopped");
});

test("100 pods, partition 80, maxUnavailable 30: 20 upgraded, all in the first wave", () => {
  const r = run({ partition: 80, maxUnavailable: 30 }, 100);
  assert.deepEqual(upgradedIn(r), [20]);
  assert.equal(r.waves[0]!.time, 0);
  assert.equal(r.stopped.reason, "partition-reached");
});

test("1000 pods, partition 980, maxUnavailable 10%: 20 upgraded, then the rest in waves of at most 100", () => {
  const r = run({ partition: 980, maxUnavailable: "10%" }, 1000);
  assert.deepEqual(upgradedIn(r), [20]);
  const all = run({ partition: 980, maxUnavailable: "10%" }, 1000, { untilPartitionDone: true });
  const sizes = upgradedIn(all);
  assert.equal(sizes[0], 20);
  assert.deepEqual(sizes.slice(1), [100, 100, 100, 100, 100, 100, 100, 100, 100, 80]);
  assert.equal(all.stopped.reason, "done");
  assert.equal(all.final.updatedReadyPods, 1000);
  assert.ok(all.maxUnavailableSeen <= 100);
  assert.ok(all.waves.some((w) => w.kind === "partition-released"));
});

test("waves follow the kubelet: the next one starts when the previous pods are ready", () => {
  const r = run({ maxUnavailable: 2 }, 4);
  assert.deepEqual(r.waves.map((w) => [w.time, w.pods.length]), [[0, 2], [15, 2]]);
  assert.equal(r.stopped.reason, "done");
  assert.equal(r.endTime, 30);
});

test("pods that never become ready use up the budget and block the rollout", () => {
  const set = sidecarSet({ maxUnavailable: 3 });
  const { pods } = generatePods(set, 20, START);
  // The newest pods go first in the default order: make those the bad ones.
  pods.slice(-3).forEach((p) => (p.metadata!.labels!.bad = "yes"));
  const r = simulate(set, pods, { restartSeconds: 1, readySeconds: 1, start: START, fails: parseFailSpec("bad=yes").choose(pods) });
  assert.equal(r.stopped.reason, "blocked-by-unavailable");
  assert.equal(r.final.updatedPods, 3, "the bad pods are upgraded first (newest first), then nothing more fits");
  assert.ok(r.timeline.some((row) => row.segments.some((s) => s.phase === "failed")));
});

test("a paused SidecarSet upgrades nothing", () => {
  const r = run({ paused: true }, 5);
  assert.equal(r.waves.length, 0);
  assert.equal(r.stopped.reason, "paused");
});

test("hot upgrade: upgrade the idle container, then park the old one, until done", () => {
  const set = sidecarSet({ maxUnavailable: 5 }, [
    { name: "envoy", image: "envoy:2", upgradeStrategy: { upgradeType: "HotUpgrade", hotUpgradeEmptyImage: "empty:1" } },
  ]);
  const { pods } = generatePods(set, 5, START);
  const r = simulate(set, pods, { restartSeconds: 2, readySeconds: 3, start: START });
  assert.deepEqual(r.waves.map((w) => w.kind), ["upgrade", "hot-upgrade-flip"]);
  assert.equal(r.stopped.reason, "done");
  assert.deepEqual(r.final, { matchedPods: 5, updatedPods: 5, readyPods: 5, updatedReadyPods: 5, notInjectedPods: 0 });
});

test("native sidecars: without the flag they wait for recreation, and the stop says so; with it they restart in place, wave by wave", () => {
  const base = sidecarSet({ maxUnavailable: 2 }, [{ name: "log-agent", image: "log-agent:2.0" }]);
  const set: SidecarSet = { ...base, spec: { ...base.spec, initContainers: [{ name: "mesh", image: "mesh:2.0", restartPolicy: "Always" }] } };
  const { pods } = generatePods(set, 4, START);
  assert.deepEqual(pods[0]!.spec?.initContainers, [{ name: "mesh", image: "mesh:2.0-previous", restartPolicy: "Always" }]);
  assert.equal(pods[0]!.status?.initContainerStatuses?.[0]?.ready, true);

  const off = simulate(set, pods, { restartSeconds: 2, readySeconds: 3, start: START });
  assert.equal(off.stopped.reason, "nothing-upgradable");
  assert.match(off.stopped.message, /4 with a native sidecar whose image changed \(upgraded in place only with --native-sidecar-in-place-upgrade/);
  assert.equal(off.final.updatedPods, 0);

  const on = simulate(set, pods, { restartSeconds: 2, readySeconds: 3, start: START, nativeSidecarInPlaceUpgrade: true });
  assert.equal(on.stopped.reason, "done");
  assert.deepEqual(upgradedIn(on), [2, 2], "maxUnavailable 2: the native sidecar's restart keeps a pod unavailable until it is ready");
  assert.equal(on.maxUnavailableSeen, 2);
  assert.deepEqual(on.final, { matchedPods: 4, updatedPods: 4, readyPods: 4, updatedReadyPods: 4, notInjectedPods: 0 });
  // Second wave: after the first pods' restart (2 s) and readiness (3 s more).
  assert.deepEqual(on.waves.map((w) => w.time), [0, 5]);
});

test("the SVG draws one coloured stretch per pod phase", () => {
  const r = run({ maxUnavailable: 2 }, 4);
  const svg = renderSvg(r);
  assert.match(svg, /^<svg /);
  assert.match(svg, /<\/svg>\n$/);
  assert.equal((svg.match(/fill="#2e9e5b"><title>/g) ?? []).length, 4, "each pod ends updated and ready");
  assert.match(svg, /log-agent/);
});

test("--fail accepts fractions and label selectors, and rejects anything else", () => {
  const set = sidecarSet({});
  const pods = generatePods(set, 200, START).pods;
  const tenth = pods.filter(parseFailSpec("10%").choose(pods));
  assert.equal(tenth.length, 20);
  assert.deepEqual(pods.filter(parseFailSpec("0.1").choose(pods)), tenth, "0.1 = 10%, same pods");
  assert.equal(pods.filter(parseFailSpec("app=web").choose(pods)).length, 200);
  const zoned = pods.map((p, i) => (i === 0 ? { ...p, metadata: { ...p.metadata, labels: { zone: "a" } } } : p));
  assert.deepEqual(zoned.filter(parseFailSpec("app!=web,zone").choose(zoned)), [zoned[0]]);
  assert.throws(() => parseFailSpec("a in (x)"), /neither a fraction like 0.1 or 10% nor a label selector/);
  assert.throws(() => parseFailSpec("150%"), /between 0 and 1/);
});

test("--fail with a fraction fails exactly that share of the pods, rounded", () => {
  const pods = generatePods(sidecarSet({}), 200, START).pods;
  for (const [spec, count] of [["5%", 10], ["0.05", 10], ["2.5%", 5], ["0%", 0], ["100%", 200], ["0.333", 67]] as const) {
    const chosen = parseFailSpec(spec).choose(pods);
    assert.equal(pods.filter(chosen).length, count, spec);
    assert.match(chosen.description, new RegExp(`\\(${count} of 200\\)$`));
  }
});

test("--fail with a selector that matches no pod says why instead of failing nothing", () => {
  const pods = generatePods(sidecarSet({}), 20, START).pods;
  assert.throws(() => parseFailSpec("zone=a").choose(pods), /^Error: --fail "zone=a" matches none of the 20 pod\(s\): no pod carries the label zone$/);
  assert.throws(() => parseFailSpec("app=db").choose(pods), /matches none of the 20 pod\(s\): no pod has those values$/);
  assert.throws(() => parseFailSpec("!app").choose(pods), /matches none of the 20 pod\(s\)/);
});
