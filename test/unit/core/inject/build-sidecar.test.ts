import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../../../src/api/kube-types.js";
import type { SidecarContainer } from "../../../../src/api/types.js";
import { buildContext, buildSidecarContainer, buildSidecarSet } from "../../../../src/core/inject/build-sidecar.js";
import { envOf, inject, injected, names, pod, sidecar, sidecarSet } from "./fixtures.js";

// E3 (case inject-020): the pod's nginx container, the SidecarSet's dns-e/dns-f.
const e3Pod: Pod = pod({
  containers: [
    {
      name: "nginx",
      image: "nginx:1.0",
      env: [
        { name: "hello1", value: "world1" },
        { name: "hello2", value: "world2" },
        { name: "POD_NAME", value: "bar" },
        { name: "OD_NAME", value: "od_name" },
      ],
      volumeMounts: [
        { name: "volume-a", mountPath: "/a/b" },
        { name: "volume-b", mountPath: "/e/f" },
        { name: "volume-staragent", mountPath: "/staragent" },
        { name: "volume-b", mountPath: "/e/expansion", subPathExpr: "foo/$(POD_NAME)/$(OD_NAME)/conf" },
      ],
    },
  ],
  volumes: [
    { name: "volume-a", emptyDir: {} },
    { name: "volume-b", emptyDir: {} },
    { name: "volume-staragent", emptyDir: {} },
  ],
});

const e3Set = sidecarSet("sidecarset-e3", {
  initContainers: [
    sidecar("dns-e", {
      podInjectPolicy: "BeforeAppContainer",
      shareVolumePolicy: { type: "enabled" },
      volumeMounts: [
        { name: "volume-3", mountPath: "/g/h/i" },
        { name: "volume-4", mountPath: "/j/k/l" },
        { name: "volume-staragent", mountPath: "/staragent" },
      ],
    }),
  ],
  containers: [
    sidecar("dns-f", {
      podInjectPolicy: "AfterAppContainer",
      shareVolumePolicy: { type: "enabled" },
      volumeMounts: [
        { name: "volume-1", mountPath: "/a/b/c" },
        { name: "volume-2", mountPath: "/d/e/f" },
        { name: "volume-staragent", mountPath: "/staragent" },
      ],
    }),
  ],
  volumes: ["volume-1", "volume-2", "volume-3", "volume-4", "volume-staragent"].map((name) => ({ name, emptyDir: {} })),
});

test("E3: shared mounts follow own mounts, a duplicate mountPath drops the shared one, subPathExpr envs are copied", () => {
  const r = injected(inject(e3Pod, [e3Set]));
  const dnsE = r.pod.spec!.initContainers!.find((c) => c.name === "dns-e")!;
  const dnsF = r.pod.spec!.containers.find((c) => c.name === "dns-f")!;
  assert.deepEqual(dnsE.volumeMounts!.map((m) => m.mountPath), ["/g/h/i", "/j/k/l", "/staragent", "/a/b", "/e/f", "/e/expansion"]);
  assert.deepEqual(dnsF.volumeMounts!.map((m) => m.mountPath), ["/a/b/c", "/d/e/f", "/staragent", "/a/b", "/e/f", "/e/expansion"]);
  const expectedEnv = [{ name: "IS_INJECTED", value: "true" }, { name: "POD_NAME", value: "bar" }, { name: "OD_NAME", value: "od_name" }];
  assert.deepEqual(envOf(dnsE), expectedEnv);
  assert.deepEqual(envOf(dnsF), expectedEnv);
  assert.deepEqual(names(r.pod.spec!.containers), ["nginx", "dns-f"]);
  assert.deepEqual(names(r.pod.spec!.volumes), ["volume-a", "volume-b", "volume-staragent", "volume-3", "volume-4", "volume-1", "volume-2"]);
  assert.deepEqual(
    dnsF.volumeMounts!.find((m) => m.mountPath === "/e/expansion"),
    { name: "volume-b", mountPath: "/e/expansion", subPathExpr: "foo/$(POD_NAME)/$(OD_NAME)/conf" },
  );
});

test("shareVolumePolicy disabled: only own mounts, no copied envs", () => {
  const ctx = buildContext(e3Pod, []);
  const r = buildSidecarContainer(sidecar("s", { shareVolumePolicy: { type: "disabled" }, volumeMounts: [{ name: "v", mountPath: "/v" }] }), "spec.containers[0]", ctx);
  assert.ok(r.ok);
  assert.deepEqual(r.container.volumeMounts, [{ name: "v", mountPath: "/v" }]);
  assert.deepEqual(envOf(r.container), [{ name: "IS_INJECTED", value: "true" }]);
});

test("shared mounts skip containers already injected (IS_INJECTED=true) and never read initContainers", () => {
  const p = pod({
    initContainers: [{ name: "init", image: "i", volumeMounts: [{ name: "i", mountPath: "/init" }] }],
    containers: [
      { name: "old-sidecar", image: "o", env: [{ name: "IS_INJECTED", value: "true" }], volumeMounts: [{ name: "o", mountPath: "/old" }] },
      { name: "not-injected", image: "n", env: [{ name: "IS_INJECTED", value: "false" }], volumeMounts: [{ name: "n", mountPath: "/n" }] },
      { name: "app", image: "a", volumeMounts: [{ name: "a", mountPath: "/app" }] },
    ],
  });
  const r = buildSidecarContainer(sidecar("s", { shareVolumePolicy: { type: "enabled" } }), "spec.containers[0]", buildContext(p, []));
  assert.ok(r.ok);
  assert.deepEqual(r.container.volumeMounts!.map((m) => m.mountPath), ["/n", "/app"]);
});

test("a shared mount whose path is an own devicePath is dropped", () => {
  const p = pod({ containers: [{ name: "app", image: "a", volumeMounts: [{ name: "a", mountPath: "/dev/xvda" }, { name: "b", mountPath: "/b" }] }] });
  const r = buildSidecarContainer(
    sidecar("s", { shareVolumePolicy: { type: "enabled" }, volumeDevices: [{ name: "blk", devicePath: "/dev/xvda" }] }),
    "spec.containers[0]",
    buildContext(p, []),
  );
  assert.ok(r.ok);
  assert.deepEqual(r.container.volumeMounts!.map((m) => m.mountPath), ["/b"]);
});

test("shareVolumeDevicePolicy enabled: app devices follow own ones unless the path is taken", () => {
  const p = pod({
    containers: [
      {
        name: "app",
        image: "a",
        volumeDevices: [
          { name: "d1", devicePath: "/dev/own" },
          { name: "d2", devicePath: "/dev/app" },
          { name: "d3", devicePath: "/mnt/data" },
        ],
      },
    ],
  });
  const s: SidecarContainer = sidecar("s", {
    shareVolumeDevicePolicy: { type: "enabled" },
    volumeDevices: [{ name: "mine", devicePath: "/dev/own" }],
    volumeMounts: [{ name: "m", mountPath: "/mnt/data" }],
  });
  const r = buildSidecarContainer(s, "spec.containers[0]", buildContext(p, []));
  assert.ok(r.ok);
  assert.deepEqual(r.container.volumeDevices, [{ name: "mine", devicePath: "/dev/own" }, { name: "d2", devicePath: "/dev/app" }]);
});

test("shareVolumeDevicePolicy absent: devices are not shared", () => {
  const p = pod({ containers: [{ name: "app", image: "a", volumeDevices: [{ name: "d", devicePath: "/dev/app" }] }] });
  const r = buildSidecarContainer(sidecar("s"), "spec.containers[0]", buildContext(p, []));
  assert.ok(r.ok);
  assert.equal(r.container.volumeDevices, undefined);
});

test("env order: own env, IS_INJECTED, transfer envs, then subPathExpr envs; the first of a name wins", () => {
  const p = pod({
    containers: [
      {
        name: "app",
        image: "a",
        env: [{ name: "A", value: "from-app" }, { name: "B", value: "b" }, { name: "C", value: "c" }],
        volumeMounts: [{ name: "v", mountPath: "/v", subPathExpr: "$(C)/$(B)/$(MISSING)" }],
      },
    ],
  });
  const s = sidecar("s", {
    env: [{ name: "A", value: "own" }],
    shareVolumePolicy: { type: "enabled" },
    transferEnv: [{ sourceContainerName: "app", envNames: ["A", "B"] }],
  });
  const r = buildSidecarContainer(s, "spec.containers[0]", buildContext(p, []));
  assert.ok(r.ok);
  assert.deepEqual(envOf(r.container), [
    { name: "A", value: "own" },
    { name: "IS_INJECTED", value: "true" },
    { name: "B", value: "b" },
    { name: "C", value: "c" },
  ]);
});

test("the emitted container carries no SidecarSet-only field and does not alias the SidecarSet", () => {
  const s = sidecar("s", {
    podInjectPolicy: "AfterAppContainer",
    upgradeStrategy: { upgradeType: "ColdUpgrade" },
    shareVolumePolicy: { type: "disabled" },
    shareVolumeDevicePolicy: { type: "disabled" },
    transferEnv: [],
    env: [{ name: "X", value: "1" }],
    ports: [{ containerPort: 80 }],
  });
  const r = buildSidecarContainer(s, "spec.containers[0]", buildContext(pod({}), []));
  assert.ok(r.ok);
  assert.deepEqual(Object.keys(r.container).sort(), ["env", "image", "name", "ports"]);
  r.container.ports![0]!.containerPort = 81;
  assert.equal(s.ports![0]!.containerPort, 80);
  assert.equal(s.env!.length, 1, "the SidecarSet's env list is untouched");
});

test("volumes: those referenced by own mounts, then own devices; unknown names ignored", () => {
  const set = sidecarSet("v", {
    containers: [
      sidecar("s", {
        volumeMounts: [{ name: "m", mountPath: "/m" }, { name: "nowhere", mountPath: "/x" }],
        volumeDevices: [{ name: "d", devicePath: "/dev/d" }],
      }),
    ],
    volumes: [
      { name: "d", persistentVolumeClaim: { claimName: "c" } },
      { name: "m", emptyDir: {} },
      { name: "unused", emptyDir: {} },
    ],
  });
  const r = buildSidecarSet(set, buildContext(pod({}), [set]));
  assert.ok(r.ok);
  assert.deepEqual(names(r.build.volumes), ["m", "d"]);
});

test("sidecarList: container names plus native-sidecar initContainer names, sorted", () => {
  const set = sidecarSet("l", {
    initContainers: [sidecar("plain-init"), sidecar("native", { restartPolicy: "Always" })],
    containers: [sidecar("zeta"), sidecar("alpha")],
  });
  const r = buildSidecarSet(set, buildContext(pod({}), [set]));
  assert.ok(r.ok);
  assert.deepEqual(r.build.sidecarList, ["alpha", "native", "zeta"]);
});
