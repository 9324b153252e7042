import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Container, Pod } from "../../../src/api/kube-types.js";
import { trimPodForController } from "../../../src/controller/pod-trim.js";
import { planUpgrade } from "../../../src/core/rollout/plan.js";
import { upgradePod } from "../../../src/core/rollout/upgrade-pod.js";
import { makePod, makeSet, names, NOW, type PodState } from "../core/rollout/fixtures.js";

const stateArb: fc.Arbitrary<PodState> = fc.oneof(
  fc.constant({}),
  fc.constant({ ready: false }),
  fc.constant({ updated: true }),
  fc.constant({ updated: true, consistent: false }),
  fc.constant({ notUpgradable: true }),
  fc.constant({ busy: true }),
  fc.constant({ phase: "Pending", nodeName: "" }),
);

/**
 * What a real pod carries besides names and images: env, mounts, probes, resources, volumes, init containers;
 * in its status addresses, times, container IDs, mounts and resources.
 */
function withBulk(pod: Pod, i: number, digest: boolean): Pod {
  const bulk = (c: Container): Container => ({
    ...c,
    ...(digest && c.name === "sidecar" ? { image: `${c.image}@sha256:${"a".repeat(64)}` } : {}),
    env: [{ name: "TZ", value: "UTC" }, { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
    volumeMounts: [{ name: "data", mountPath: `/data-${i}` }],
    readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
    resources: { requests: { cpu: "10m" }, limits: { memory: "64Mi" } },
    command: ["sh", "-c", "sleep 1d"],
  });
  const status = pod.status!;
  return {
    ...pod,
    status: {
      ...status,
      podIP: `10.0.0.${i}`,
      podIPs: [{ ip: `10.0.0.${i}` }],
      hostIP: "192.168.0.1",
      hostIPs: [{ ip: "192.168.0.1" }],
      startTime: "2026-01-31T23:00:00Z",
      qosClass: "Burstable",
      containerStatuses: status.containerStatuses!.map((c) => ({
        ...c,
        containerID: `containerd://${c.name}-${i}`,
        started: true,
        volumeMounts: [{ name: "data", mountPath: `/data-${i}` }],
        allocatedResources: { cpu: "10m" },
      })),
    },
    spec: {
      ...pod.spec!,
      containers: pod.spec!.containers.map(bulk),
      initContainers: [{ name: "init", image: "init:1", command: ["true"] }, { name: "native", image: "native:1", restartPolicy: "Always" }],
      volumes: [{ name: "data", emptyDir: {} }],
      serviceAccountName: "default",
      tolerations: [{ key: "k", operator: "Exists" }],
    },
  };
}

test("property: the controller decides and writes the same for a trimmed pod as for the whole pod", () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ state: stateArb, createdAt: fc.integer({ min: 0, max: 9 }), digest: fc.boolean() }), { maxLength: 30 }),
      fc.record({ partition: fc.integer({ min: 0, max: 10 }), maxUnavailable: fc.integer({ min: 0, max: 5 }) }),
      (specs, strategy) => {
        const set = makeSet(strategy);
        const whole = specs.map((s, i) => withBulk(makePod(`pod-${i}`, { ...s.state, createdAt: s.createdAt }), i, s.digest));
        const trimmed = whole.map(trimPodForController);
        const a = planUpgrade(set, whole, { now: NOW });
        const b = planUpgrade(set, trimmed, { now: NOW });
        assert.deepEqual(b.status, a.status);
        assert.deepEqual(names(b.order), names(a.order));
        assert.deepEqual(names(b.upgrade), names(a.upgrade));
        assert.deepEqual(names(b.notUpgradable), names(a.notUpgradable));
        assert.deepEqual(names(b.busy), names(a.busy));
        assert.deepEqual(b.pods, a.pods);
        for (let i = 0; i < whole.length; i++) {
          const full = upgradePod(set, whole[i]!, { now: NOW });
          const lean = upgradePod(set, trimmed[i]!, { now: NOW });
          assert.deepEqual(lean.ok && lean.patch, full.ok && full.patch, "the same patch");
        }
      },
    ),
    { numRuns: 200 },
  );
});

test("a trimmed pod keeps metadata whole; of the status the phase, conditions and which image each container runs and how it fares; of the spec every container's name and image in place, the native sidecar marker and the node", () => {
  const lean = makePod("p", { sidecar: { waiting: "CrashLoopBackOff", restartedAt: 3 } });
  const pod = withBulk(structuredClone(lean), 0, false);
  const trimmed = trimPodForController(pod);
  assert.deepEqual(trimmed.metadata, pod.metadata);
  assert.deepEqual(trimmed.status, lean.status, "exactly the status a pod without the bulk has");
  assert.ok(trimmed.status?.containerStatuses?.[1]?.lastState?.terminated && trimmed.status.containerStatuses[1].state?.waiting);
  assert.deepEqual(trimmed.spec, {
    nodeName: "node-1",
    containers: [
      { name: "app", image: "app:v1" },
      { name: "sidecar", image: "sidecar:v1" },
    ],
    initContainers: [{ name: "init", image: "init:1" }, { name: "native", image: "native:1", restartPolicy: "Always" }],
  });
});
