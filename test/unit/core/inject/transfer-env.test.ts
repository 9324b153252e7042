import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../../../src/api/kube-types.js";
import type { TransferEnvVar } from "../../../../src/api/types.js";
import { isQualifiedName, sourceContainerName, splitSubscriptedPath, transferEnvs } from "../../../../src/core/inject/transfer-env.js";
import { pod, sidecar } from "./fixtures.js";

const appPod: Pod = pod({
  labels: { app: "web", "sidecar.example.com/source": "nginx" },
  annotations: { "example.com/source": "worker" },
  containers: [
    { name: "nginx", image: "nginx", env: [{ name: "hello1", value: "world1" }, { name: "hello2", value: "world2" }, { name: "TZ", value: "UTC" }] },
    { name: "worker", image: "w", env: [{ name: "hello2", value: "from-worker" }, { name: "SECRET", valueFrom: { secretKeyRef: { name: "s", key: "k" } } }] },
  ],
});

const cases: { name: string; transferEnv: TransferEnvVar[]; want: unknown[] }[] = [
  {
    name: "E4: one env by name from the named container",
    transferEnv: [{ sourceContainerName: "nginx", envName: "hello2" }],
    want: [{ name: "hello2", value: "world2" }],
  },
  {
    name: "envName and envNames together, in sorted order",
    transferEnv: [{ sourceContainerName: "nginx", envName: "hello2", envNames: ["TZ", "hello1", "hello2"] }],
    want: [
      { name: "TZ", value: "UTC" },
      { name: "hello1", value: "world1" },
      { name: "hello2", value: "world2" },
    ],
  },
  {
    name: "the whole EnvVar is copied, valueFrom included",
    transferEnv: [{ sourceContainerName: "worker", envName: "SECRET" }],
    want: [{ name: "SECRET", valueFrom: { secretKeyRef: { name: "s", key: "k" } } }],
  },
  {
    name: "a missing variable is skipped silently",
    transferEnv: [{ sourceContainerName: "nginx", envNames: ["nope", "hello1"] }],
    want: [{ name: "hello1", value: "world1" }],
  },
  { name: "a missing container is skipped silently", transferEnv: [{ sourceContainerName: "gone", envName: "hello1" }], want: [] },
  {
    name: "source container from a pod label",
    transferEnv: [{ sourceContainerNameFrom: { fieldRef: { fieldPath: "metadata.labels['sidecar.example.com/source']" } }, envName: "hello2" }],
    want: [{ name: "hello2", value: "world2" }],
  },
  {
    name: "source container from a pod annotation",
    transferEnv: [{ sourceContainerNameFrom: { fieldRef: { fieldPath: "metadata.annotations['example.com/source']" } }, envName: "hello2" }],
    want: [{ name: "hello2", value: "from-worker" }],
  },
  {
    name: "the fieldRef wins over sourceContainerName",
    transferEnv: [
      {
        sourceContainerName: "nginx",
        sourceContainerNameFrom: { fieldRef: { fieldPath: "metadata.annotations['example.com/source']" } },
        envName: "hello2",
      },
    ],
    want: [{ name: "hello2", value: "from-worker" }],
  },
  {
    name: "a missing label gives the empty name: nothing copied",
    transferEnv: [{ sourceContainerNameFrom: { fieldRef: { fieldPath: "metadata.labels['absent']" } }, envName: "hello2" }],
    want: [],
  },
  {
    name: "an unsupported fieldPath skips the entry, not the others",
    transferEnv: [
      { sourceContainerNameFrom: { fieldRef: { fieldPath: "spec.nodeName" } }, envName: "hello2" },
      { sourceContainerName: "nginx", envName: "hello1" },
    ],
    want: [{ name: "hello1", value: "world1" }],
  },
  {
    name: "an invalid label key skips the entry",
    transferEnv: [{ sourceContainerNameFrom: { fieldRef: { fieldPath: "metadata.labels['bad key']" } }, envName: "hello2" }],
    want: [],
  },
];

for (const c of cases) {
  test(`transferEnv: ${c.name}`, () => {
    assert.deepEqual(transferEnvs(sidecar("s", { transferEnv: c.transferEnv }), appPod), c.want);
  });
}

test("transferEnv: later definitions of a repeated name win, as a name-keyed table does", () => {
  const p = pod({ containers: [{ name: "a", image: "a", env: [{ name: "X", value: "1" }, { name: "X", value: "2" }] }] });
  assert.deepEqual(transferEnvs(sidecar("s", { transferEnv: [{ sourceContainerName: "a", envName: "X" }] }), p), [{ name: "X", value: "2" }]);
});

test("transferEnv: pod initContainers are never a source", () => {
  const p = pod({ initContainers: [{ name: "init", image: "i", env: [{ name: "X", value: "1" }] }] });
  assert.deepEqual(transferEnvs(sidecar("s", { transferEnv: [{ sourceContainerName: "init", envName: "X" }] }), p), []);
});

test("subscripted field paths split into path and key", () => {
  assert.deepEqual(splitSubscriptedPath("metadata.labels['app']"), { path: "metadata.labels", key: "app" });
  assert.deepEqual(splitSubscriptedPath("metadata.annotations['a/b']"), { path: "metadata.annotations", key: "a/b" });
  assert.equal(splitSubscriptedPath("metadata.labels"), undefined);
  assert.equal(splitSubscriptedPath("['app']"), undefined);
});

test("qualified names follow Kubernetes rules", () => {
  for (const ok of ["app", "a.b_c-d", "example.com/app", "A1"]) assert.equal(isQualifiedName(ok), true, ok);
  for (const bad of ["", "-a", "a-", "a b", "/a", "a/b/c", "Example.com/a", "x".repeat(64)]) assert.equal(isQualifiedName(bad), false, bad);
});

test("a label or annotation named like an Object method names no container unless the pod has it", () => {
  for (const path of ["metadata.labels", "metadata.annotations"]) {
    const entry: TransferEnvVar = { sourceContainerNameFrom: { fieldRef: { fieldPath: `${path}['constructor']` } }, envName: "hello2" };
    assert.equal(sourceContainerName(entry, appPod), "", path);
  }
  const labelled = pod({ labels: { constructor: "nginx" }, containers: appPod.spec!.containers });
  const entry: TransferEnvVar = { sourceContainerNameFrom: { fieldRef: { fieldPath: "metadata.labels['constructor']" } }, envName: "hello2" };
  assert.equal(sourceContainerName(entry, labelled), "nginx");
});
