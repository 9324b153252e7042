import assert from "node:assert/strict";
import { test } from "node:test";
import type { Container } from "../../../../src/api/kube-types.js";
import type { EmittedContainer } from "../../../../src/core/inject/build-sidecar.js";
import {
  mergeContainers,
  mergeImagePullSecrets,
  mergeVolumes,
  sortEmittedByName,
} from "../../../../src/core/inject/merge.js";
import { names } from "./fixtures.js";

const c = (name: string, image = `${name}:pod`): Container => ({ name, image });
const emit = (name: string, injectPolicy?: string): EmittedContainer => ({ container: { name, image: `${name}:sidecar` }, injectPolicy });

test("E2a: emitted initContainers are sorted by name, then placed before/after the pod's", () => {
  const emitted = sortEmittedByName([emit("a-init", "AfterAppContainer"), emit("c-init", "BeforeAppContainer"), emit("b-init", "BeforeAppContainer")]);
  assert.deepEqual(
    names(mergeContainers([c("app1-init"), c("app2-init")], emitted)),
    ["b-init", "c-init", "app1-init", "app2-init", "a-init"],
  );
});

test("E2b: an emitted container with an existing name replaces it in place", () => {
  const merged = mergeContainers(
    [c("sidecar-1"), c("app-container"), c("sidecar-2")],
    [emit("new-sidecar-1", "BeforeAppContainer"), emit("sidecar-1", "BeforeAppContainer"), emit("sidecar-2", "AfterAppContainer")],
  )!;
  assert.deepEqual(names(merged), ["new-sidecar-1", "sidecar-1", "app-container", "sidecar-2"]);
  assert.equal(merged[1]!.image, "sidecar-1:sidecar");
  assert.equal(merged[3]!.image, "sidecar-2:sidecar");
});

test("placement: empty or unknown podInjectPolicy goes after the pod's containers", () => {
  assert.deepEqual(
    names(mergeContainers([c("app")], [emit("x", ""), emit("y", undefined), emit("z", "Sideways"), emit("w", "BeforeAppContainer")])),
    ["w", "app", "x", "y", "z"],
  );
});

test("placement: emitted order is kept on each side", () => {
  assert.deepEqual(
    names(mergeContainers([c("app")], [emit("b", "BeforeAppContainer"), emit("a", "BeforeAppContainer"), emit("d"), emit("c")])),
    ["b", "a", "app", "d", "c"],
  );
});

test("sorting by name is stable", () => {
  const sorted = sortEmittedByName([
    { container: { name: "b", image: "1" }, injectPolicy: undefined },
    { container: { name: "a", image: "1" }, injectPolicy: undefined },
    { container: { name: "b", image: "2" }, injectPolicy: undefined },
  ]);
  assert.deepEqual(sorted.map((e) => `${e.container.name}${e.container.image}`), ["a1", "b1", "b2"]);
});

test("nothing emitted keeps the pod's list itself (no patch for it)", () => {
  const list = [c("app")];
  assert.equal(mergeContainers(list, []), list);
  assert.equal(mergeContainers(undefined, []), undefined);
});

test("volumes: the pod's definition wins, then the first injected one", () => {
  const pod = [{ name: "shared", hostPath: { path: "/pod" } }];
  const merged = mergeVolumes(pod, [
    { name: "shared", emptyDir: {} },
    { name: "new", emptyDir: {} },
    { name: "new", hostPath: { path: "/second" } },
  ])!;
  assert.deepEqual(merged, [{ name: "shared", hostPath: { path: "/pod" } }, { name: "new", emptyDir: {} }]);
});

test("volumes: nothing new keeps the pod's list itself", () => {
  const pod = [{ name: "shared", emptyDir: {} }];
  assert.equal(mergeVolumes(pod, [{ name: "shared", emptyDir: {} }]), pod);
  assert.equal(mergeVolumes(undefined, []), undefined);
});

test("imagePullSecrets: pod duplicates removed (first kept), injected ones appended when new", () => {
  assert.deepEqual(
    mergeImagePullSecrets([{ name: "a" }, { name: "b" }, { name: "a" }], [{ name: "b" }, { name: "c" }, { name: "c" }]),
    [{ name: "a" }, { name: "b" }, { name: "c" }],
  );
});

test("imagePullSecrets: nothing to change keeps the pod's list itself", () => {
  const pod = [{ name: "a" }];
  assert.equal(mergeImagePullSecrets(pod, [{ name: "a" }]), pod);
  assert.equal(mergeImagePullSecrets(undefined, []), undefined);
});
