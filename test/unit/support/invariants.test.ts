// The rollout oracle of the fault tests must see each kind of violation; an
// oracle that never fires would let those tests pass on anything.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../../src/api/kube-types.js";
import { RolloutInvariants } from "../../support/invariants.js";

const OLD = "registry.local/agent:1";
const NEW = "registry.local/agent:2";
const HASH = JSON.stringify({ s: { hash: "h1", sidecarSetName: "s" } });

interface PodState {
  uid?: string;
  image?: string;
  /** The image the kubelet runs; default: `image`. */
  running?: string;
  ready?: boolean;
  appRestarts?: number;
  annotations?: Record<string, string>;
}

function pod(name: string, s: PodState = {}): Pod {
  const image = s.image ?? OLD;
  return {
    metadata: {
      name,
      uid: s.uid ?? `uid-${name}`,
      annotations: s.annotations ?? {
        "kruise.io/sidecarset-hash": HASH,
        "kruise.io/sidecarset-hash-without-image": HASH,
        "kruise.io/sidecarset-injected-list": "s",
      },
    },
    spec: { containers: [{ name: "app", image: "app:1" }, { name: "agent", image }] },
    status: {
      phase: "Running",
      conditions: [{ type: "Ready", status: s.ready === false ? "False" : "True" }],
      containerStatuses: [
        { name: "app", image: "app:1", imageID: "", ready: true, restartCount: s.appRestarts ?? 0 },
        { name: "agent", image: s.running ?? image, imageID: "", ready: s.ready !== false, restartCount: 0 },
      ],
    },
  } as Pod;
}

/** A checker that has listed pods p0…p3 on the old image. */
function listed(opts: { maxUnavailable?: number; partition?: number } = {}): RolloutInvariants {
  const checker = new RolloutInvariants({ sidecarSet: "s", sidecar: "agent", app: "app", newImage: NEW, pods: 4, maxUnavailable: opts.maxUnavailable ?? 1, partition: opts.partition ?? 0 });
  for (let i = 0; i < 4; i++) checker.observe("ADDED", pod(`p${i}`));
  return checker;
}

const cases: { name: string; events: [string, Pod][]; opts?: { maxUnavailable?: number; partition?: number }; violation?: RegExp }[] = [
  {
    name: "an upgrade within the budget, then ready, is no violation",
    events: [["MODIFIED", pod("p0", { image: NEW, running: OLD, ready: false })], ["MODIFIED", pod("p0", { image: NEW })], ["MODIFIED", pod("p1", { image: NEW, ready: false })]],
  },
  {
    name: "two upgraded pods unavailable at once exceed maxUnavailable 1",
    events: [["MODIFIED", pod("p0", { image: NEW, running: OLD, ready: false })], ["MODIFIED", pod("p1", { image: NEW, running: OLD, ready: false })]],
    violation: /2 upgraded pods unavailable, more than maxUnavailable 1/,
  },
  {
    name: "an upgraded pod ready but still running the old image counts as unavailable",
    events: [["MODIFIED", pod("p0", { image: NEW, running: OLD })], ["MODIFIED", pod("p1", { image: NEW, running: OLD })]],
    violation: /2 upgraded pods unavailable/,
  },
  {
    name: "a pod upgraded past the partition",
    opts: { maxUnavailable: 4, partition: 3 },
    events: [["MODIFIED", pod("p0", { image: NEW })], ["MODIFIED", pod("p1", { image: NEW })]],
    violation: /2 pods left on the old image, fewer than the partition 3/,
  },
  { name: "a deleted pod", events: [["DELETED", pod("p0")]], violation: /pod deleted/ },
  { name: "a pod recreated under its name", events: [["MODIFIED", pod("p0", { uid: "other" })]], violation: /recreated \(uid uid-p0 became other\)/ },
  { name: "a pod beyond the rollout's", events: [["ADDED", pod("p4")]], violation: /a pod beyond the 4 of the rollout appeared/ },
  { name: "the app container restarted", events: [["MODIFIED", pod("p2", { appRestarts: 1 })]], violation: /app container app restarted 1 time/ },
  {
    name: "a kruise.io annotation lost",
    events: [["MODIFIED", pod("p0", { annotations: { "kruise.io/sidecarset-hash": HASH, "kruise.io/sidecarset-injected-list": "s" } })]],
    violation: /annotation kruise.io\/sidecarset-hash-without-image lost/,
  },
  {
    name: "a hash annotation that is not JSON",
    events: [["MODIFIED", pod("p0", { annotations: { "kruise.io/sidecarset-hash": "{\"s\":", "kruise.io/sidecarset-hash-without-image": HASH, "kruise.io/sidecarset-injected-list": "s" } })]],
    violation: /kruise.io\/sidecarset-hash is not JSON/,
  },
  {
    name: "a hash annotation without the SidecarSet's record",
    events: [["MODIFIED", pod("p0", { annotations: { "kruise.io/sidecarset-hash": "{\"other\":{\"hash\":\"x\"}}", "kruise.io/sidecarset-hash-without-image": HASH, "kruise.io/sidecarset-injected-list": "s" } })]],
    violation: /kruise.io\/sidecarset-hash has no hash for s/,
  },
  {
    name: "the injected list without the SidecarSet",
    events: [["MODIFIED", pod("p0", { annotations: { "kruise.io/sidecarset-hash": HASH, "kruise.io/sidecarset-hash-without-image": HASH, "kruise.io/sidecarset-injected-list": "other" } })]],
    violation: /kruise.io\/sidecarset-injected-list "other" lacks s/,
  },
];

for (const c of cases) {
  test(`invariants: ${c.name}`, () => {
    const checker = listed(c.opts);
    for (const [type, p] of c.events) checker.observe(type, p);
    if (c.violation) assert.match(checker.violations.join("\n"), c.violation);
    else assert.deepEqual(checker.violations, []);
  });
}

test("invariants: a pod created on the new image is no upgrade and does not use the budget", () => {
  const checker = new RolloutInvariants({ sidecarSet: "s", sidecar: "agent", app: "app", newImage: NEW, pods: 2, maxUnavailable: 1, partition: 0 });
  checker.observe("ADDED", pod("p0"));
  checker.observe("MODIFIED", pod("p0", { image: NEW, running: OLD, ready: false }));
  checker.observe("ADDED", pod("p1", { image: NEW, ready: false }));
  assert.deepEqual(checker.violations, []);
  assert.equal(checker.worstUnavailable, 1);
  assert.equal(checker.upgraded(), 2);
});
