// Sidecars kept between pods whose inputs repeat (src/core/inject/built-sidecars.ts):
// every injection must equal the one made without them.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Container, Pod } from "../../../../src/api/kube-types.js";
import { knownJson, knownJsonPieces } from "../../../../src/api/known-json.js";
import type { SidecarSet } from "../../../../src/api/types.js";
import { BuiltSidecars } from "../../../../src/core/inject/built-sidecars.js";
import { containerNamed, inject, injected, pod, sidecar, sidecarSet } from "./fixtures.js";

/**
 * SidecarSets that take from the pod in every way a built sidecar can, and one that takes nothing, injected
 * first: the keys of what sidecars take from one pod are shared between its SidecarSets when they take the same.
 */
function sets(): SidecarSet[] {
  return [
    sidecarSet("basic", { containers: [sidecar("basic")] }),
    sidecarSet("share", {
      containers: [sidecar("share", { shareVolumePolicy: { type: "enabled" }, env: [{ name: "OWN", value: "1" }] })],
      volumes: [{ name: "share-data", emptyDir: {} }],
    }),
    sidecarSet("transfer", {
      containers: [sidecar("transfer", { transferEnv: [{ sourceContainerName: "app", envNames: ["TZ", "REGION"] }] })],
    }),
    sidecarSet("sized", {
      containers: [sidecar("sized", { resourcesPolicy: { targetContainersMode: "sum", resourcesExpr: { limits: { cpu: "max(cpu*50%, 50m)" } } } })],
    }),
    sidecarSet("devices", {
      containers: [sidecar("devices", { shareVolumeDevicePolicy: { type: "enabled" } })],
    }),
    sidecarSet("hot", {
      containers: [sidecar("hot", { upgradeStrategy: { upgradeType: "HotUpgrade", hotUpgradeEmptyImage: "empty:1" } })],
    }),
    sidecarSet("native", {
      initContainers: [sidecar("native", { restartPolicy: "Always", transferEnv: [{ sourceContainerName: "app", envName: "TZ" }] })],
    }),
  ];
}

interface Variant {
  /** Which second (and millisecond in it) the pod is admitted at. */
  at: number;
  /** What the pod brings: nothing, an injected list, another SidecarSet's record (of either hash), a working hot-upgrade map. */
  brings: "nothing" | "list" | "hash" | "withoutImage" | "working";
  /** Without the hot-upgrade SidecarSet; with a replaced "share" SidecarSet (another revision). */
  hot: boolean;
  revised: boolean;
  tz: string | undefined;
  region: string | undefined;
  cpu: string | undefined;
  mounts: string[];
  subPath: boolean;
  device: boolean;
  label: number;
}

const variant: fc.Arbitrary<Variant> = fc.record({
  at: fc.constantFrom(0, 400, 999, 1_000, 2_500),
  brings: fc.constantFrom("nothing", "nothing", "list", "hash", "withoutImage", "working"),
  hot: fc.boolean(),
  revised: fc.boolean(),
  tz: fc.constantFrom("UTC", "Europe/Berlin", undefined),
  region: fc.constantFrom("eu", "us", undefined),
  cpu: fc.constantFrom("100m", "2", undefined),
  mounts: fc.subarray(["logs", "cache", "config"]),
  subPath: fc.boolean(),
  device: fc.boolean(),
  label: fc.integer({ min: 0, max: 3 }),
});

function podOf(v: Variant): Pod {
  const env = [
    ...(v.tz ? [{ name: "TZ", value: v.tz }] : []),
    ...(v.region ? [{ name: "REGION", value: v.region }] : []),
    { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
  ];
  const app: Container = {
    name: "app",
    image: "app:1",
    env,
    volumeMounts: v.mounts.map((m) => ({ name: m, mountPath: `/var/${m}`, ...(v.subPath && m === "logs" ? { subPathExpr: "$(POD)" } : {}) })),
    ...(v.device ? { volumeDevices: [{ name: "disk", devicePath: "/dev/xvda" }] } : {}),
    ...(v.cpu ? { resources: { limits: { cpu: v.cpu } } } : {}),
  };
  const brought = {
    nothing: undefined,
    list: { "kruise.io/sidecarset-injected-list": "elsewhere" },
    working: { "kruise.io/sidecarset-working-hotupgrade-container": '{"elsewhere":"elsewhere-1"}' },
    hash: { "kruise.io/sidecarset-hash": '{"elsewhere":{"updateTimestamp":"2025-01-01T00:00:00Z","hash":"h","sidecarSetName":"elsewhere","sidecarList":["x"]}}' },
    withoutImage: {
      "kruise.io/sidecarset-hash-without-image": '{"elsewhere":{"updateTimestamp":"2025-01-01T00:00:00Z","hash":"w","sidecarSetName":"elsewhere","sidecarList":["x"]}}',
    },
  }[v.brings] as Record<string, string> | undefined;
  return pod({
    labels: { app: "web", seq: String(v.label) },
    ...(brought ? { annotations: brought } : {}),
    containers: [app],
    volumes: v.mounts.map((m) => ({ name: m, emptyDir: {} })),
  });
}

/** The SidecarSets a variant's pod meets: the webhook's objects, or "share" replaced by its next revision. */
function setsFor(v: Variant, current: SidecarSet[], revised: SidecarSet[]): SidecarSet[] {
  return (v.revised ? revised : current).filter((s) => v.hot || s.metadata.name !== "hot");
}

function revise(all: SidecarSet[]): SidecarSet[] {
  return all.map((s) =>
    s.metadata.name === "share" ? { ...s, metadata: { ...s.metadata, annotations: { ...s.metadata.annotations, "kruise.io/sidecarset-hash": "hash-share-2" } } } : s,
  );
}

test("property: with built sidecars (and their annotations) kept, every pod gets the injection and the patch text it gets without them", () => {
  fc.assert(
    fc.property(fc.array(variant, { minLength: 1, maxLength: 12 }), (variants) => {
      const built = new BuiltSidecars();
      const all = sets();
      const revised = revise(all);
      for (const v of variants) {
        const now = new Date(Date.parse("2026-03-01T10:00:00.000Z") + v.at);
        const kept = injected(inject(podOf(v), setsFor(v, all, revised), { builtSidecars: built, now }));
        const afresh = injected(inject(podOf(v), setsFor(v, sets(), revise(sets())), { now }));
        assert.equal(JSON.stringify(kept.pod), JSON.stringify(afresh.pod));
        assert.equal(knownJsonPieces(kept.patch, 3)!.join(""), JSON.stringify(afresh.patch));
      }
    }),
    { numRuns: 150 },
  );
});

test("a pod with the same inputs gets the same frozen containers, whose texts are known; other inputs get their own", () => {
  const built = new BuiltSidecars();
  const all = sets();
  const berlin: Variant = { at: 0, brings: "nothing", hot: true, revised: false, tz: "Europe/Berlin", region: "eu", cpu: "2", mounts: ["logs"], subPath: false, device: false, label: 0 };
  const first = injected(inject(podOf(berlin), all, { builtSidecars: built })).pod;
  const second = injected(inject(podOf({ ...berlin, label: 1 }), all, { builtSidecars: built })).pod;
  const utc = injected(inject(podOf({ ...berlin, tz: "UTC" }), all, { builtSidecars: built })).pod;
  for (const name of ["share", "transfer", "sized", "devices", "native"]) {
    const c = containerNamed(first, name)!;
    assert.equal(containerNamed(second, name), c, `${name}: the same inputs, the same object`);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.env), `${name} is frozen`);
    assert.equal(knownJson(c), JSON.stringify(c));
  }
  assert.deepEqual(containerNamed(first, "sized")!.resources, { limits: { cpu: "1" } }, "half the app's 2 CPUs");
  const small = injected(inject(podOf({ ...berlin, cpu: "100m" }), all, { builtSidecars: built })).pod;
  assert.deepEqual(containerNamed(small, "sized")!.resources, { limits: { cpu: "50m" } }, "other resources, another container");
  assert.notEqual(containerNamed(utc, "transfer"), containerNamed(first, "transfer"), "another TZ to transfer");
  assert.deepEqual(containerNamed(utc, "transfer")!.env!.find((e) => e.name === "TZ"), { name: "TZ", value: "UTC" });
  assert.equal(containerNamed(utc, "share"), containerNamed(first, "share"), "the shared mounts did not change");
  for (const name of ["hot-1", "hot-2"]) {
    assert.equal(containerNamed(second, name), containerNamed(first, name), `${name}: a hot-upgrade pair is kept with its SidecarSet's lists`);
    assert.equal(knownJson(containerNamed(first, name)), JSON.stringify(containerNamed(first, name)));
  }
});

test("without kept sidecars the injected pod is the caller's to change: nothing in it is frozen", () => {
  const result = injected(inject(podOf({ at: 0, brings: "nothing", hot: true, revised: false, tz: "UTC", region: "eu", cpu: "2", mounts: ["logs"], subPath: false, device: false, label: 0 }), sets()));
  for (const c of [...(result.pod.spec?.initContainers ?? []), ...(result.pod.spec?.containers ?? [])]) {
    assert.equal(Object.isFrozen(c), false, c.name);
  }
});

test("with kept sidecars a SidecarSet's volumes go into the pod as they are; without, as copies", () => {
  const set = sidecarSet("mounted", {
    containers: [sidecar("mounted", { volumeMounts: [{ name: "mounted-data", mountPath: "/data" }] })],
    volumes: [{ name: "mounted-data", emptyDir: {} }],
  });
  const own = set.spec.volumes![0]!;
  const app = pod({ labels: { app: "web" }, containers: [{ name: "app", image: "app:1" }] });
  const volumeOf = (p: Pod) => p.spec?.volumes?.find((v) => v.name === "mounted-data");
  assert.equal(volumeOf(injected(inject(app, [set], { builtSidecars: new BuiltSidecars() })).pod), own);
  const copied = volumeOf(injected(inject(app, [set])).pod);
  assert.notEqual(copied, own);
  assert.deepEqual(copied, own);
});

test("at most 8 inputs are kept per sidecar, the oldest dropped first", () => {
  const built = new BuiltSidecars();
  const s = sidecar("agent");
  const containers = Array.from({ length: 9 }, (_, i) => built.remember(s, `inputs-${i}`, { name: "agent", image: `agent:${i}` }));
  assert.equal(built.get(s, "inputs-0"), undefined, "the first went when the ninth came");
  assert.equal(built.get(s, "inputs-1"), containers[1]);
  assert.equal(built.get(s, "inputs-8"), containers[8]);
  assert.equal(built.get(sidecar("agent"), "inputs-8"), undefined, "kept per SidecarSet container object");
});
