import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../../src/api/kube-types.js";
import { isConsistent } from "../../../src/core/rollout/consistency.js";
import { ModelKubelet, simulatedImageID } from "../../../src/sim/kubelet.js";

const clock = (t: number): string => `t${t}`;

function pod(): Pod {
  return {
    metadata: { name: "p", namespace: "ns" },
    spec: { containers: [{ name: "a", image: "a:1" }] },
    status: {
      phase: "Running",
      conditions: [{ type: "Ready", status: "True" }],
      containerStatuses: [{ name: "a", image: "a:1", imageID: simulatedImageID("a:1"), ready: true, restartCount: 0 }],
    },
  };
}

test("an image change restarts the container after restartSeconds and it is ready readySeconds later", () => {
  const k = new ModelKubelet([pod()], { restartSeconds: 3, readySeconds: 4, fails: () => false }, clock);
  assert.equal(k.nextEventTime(), null);
  const next = structuredClone(pod());
  next.spec!.containers[0]!.image = "a:2";
  k.write(next, 10);
  assert.equal(k.nextEventTime(), 13);
  k.advance(13);
  let s = k.get("ns/p")!.status!;
  assert.deepEqual([s.containerStatuses![0]!.image, s.containerStatuses![0]!.ready, s.containerStatuses![0]!.restartCount], ["a:2", false, 1]);
  assert.equal(s.containerStatuses![0]!.imageID, simulatedImageID("a:2"));
  assert.deepEqual(s.conditions![0], { type: "Ready", status: "False", lastTransitionTime: "t13" });
  assert.equal(k.nextEventTime(), 17);
  k.advance(17);
  s = k.get("ns/p")!.status!;
  assert.deepEqual(s.conditions![0], { type: "Ready", status: "True", lastTransitionTime: "t17" });
  assert.equal(k.nextEventTime(), null);
});

test("a failing pod's new image never runs: no imageID, never ready", () => {
  const k = new ModelKubelet([pod()], { restartSeconds: 1, readySeconds: 1, fails: () => true }, clock);
  const next = structuredClone(pod());
  next.spec!.containers[0]!.image = "a:2";
  k.write(next, 0);
  k.advance(1);
  const s = k.get("ns/p")!.status!.containerStatuses![0]!;
  assert.deepEqual([s.imageID, s.ready], ["", false]);
  assert.equal(k.nextEventTime(), null);
});

test("a container already out of step with its spec is restarted at the start", () => {
  const p = pod();
  p.spec!.containers[0]!.image = "a:2";
  const k = new ModelKubelet([p], { restartSeconds: 2, readySeconds: 0, fails: () => false }, clock);
  assert.equal(k.nextEventTime(), 2);
});

test("a digest image runs under its own digest, so the rollout sees it running (docs/behaviour.md §6.5)", () => {
  const digest = `sha256:${"c".repeat(64)}`;
  assert.equal(simulatedImageID(`reg:5000/a:2@${digest}`), `docker-pullable://reg:5000/a@${digest}`);
  assert.match(simulatedImageID("reg:5000/a:2"), /^docker-pullable:\/\/reg:5000\/a@sha256:[0-9a-f]{64}$/);
  const k = new ModelKubelet([pod()], { restartSeconds: 1, readySeconds: 1, fails: () => false }, clock);
  const next = structuredClone(pod());
  next.spec!.containers[0]!.image = `a@${digest}`;
  k.write(next, 0);
  k.advance(1);
  const set = { metadata: { name: "s" }, spec: { selector: {}, containers: [{ name: "a", image: `a@${digest}` }] } };
  assert.equal(isConsistent(k.get("ns/p")!, set), true);
});

test("a native sidecar restarts like a container, in initContainerStatuses; a finished plain init container does not keep the pod unready", () => {
  const withInit = (): Pod => {
    const p = pod();
    p.spec!.initContainers = [
      { name: "setup", image: "setup:1" },
      { name: "mesh", image: "mesh:1", restartPolicy: "Always" },
    ];
    p.status!.initContainerStatuses = [
      { name: "setup", image: "setup:1", imageID: simulatedImageID("setup:1"), ready: false, restartCount: 0 },
      { name: "mesh", image: "mesh:1", imageID: simulatedImageID("mesh:1"), ready: true, restartCount: 0 },
    ];
    return p;
  };
  const k = new ModelKubelet([withInit()], { restartSeconds: 1, readySeconds: 2, fails: () => false }, clock);
  assert.equal(k.nextEventTime(), null, "the plain init container's image is not a running one to restart");
  const next = withInit();
  next.spec!.initContainers![1]!.image = "mesh:2";
  k.write(next, 0);
  k.advance(1);
  let s = k.get("ns/p")!.status!;
  const mesh = () => s.initContainerStatuses!.find((c) => c.name === "mesh")!;
  assert.deepEqual([mesh().image, mesh().ready, mesh().restartCount, mesh().imageID], ["mesh:2", false, 1, simulatedImageID("mesh:2")]);
  assert.equal(s.containerStatuses!.length, 1, "no status made up among the pod's containers");
  assert.equal(s.conditions![0]!.status, "False");
  k.advance(3);
  s = k.get("ns/p")!.status!;
  assert.equal(mesh().ready, true);
  assert.deepEqual(s.conditions![0], { type: "Ready", status: "True", lastTransitionTime: "t3" });
});
