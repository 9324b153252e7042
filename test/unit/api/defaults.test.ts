import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultImagePullPolicy, defaultSidecarSet } from "../../../src/api/defaults.js";
import { sidecarSetHash, sidecarSetHashWithoutImage } from "../../../src/api/hash.js";
import { SIDECARSET_HASH_ANNOTATION, SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION } from "../../../src/api/keys.js";
import type { SidecarContainer, SidecarSet, SidecarSetSpec } from "../../../src/api/types.js";
import { richContainer } from "./fixtures.js";

function defaulted(spec: SidecarSetSpec): SidecarSet {
  return defaultSidecarSet({ metadata: { name: "s" }, spec });
}

/** Reads a dotted path such as `containers.0.ports.0.protocol` from the defaulted spec. */
function at(value: unknown, path: string): unknown {
  let v = value;
  for (const key of path.split(".")) v = (v as Record<string, unknown> | undefined)?.[key];
  return v;
}

const c = (extra: Partial<SidecarContainer> = {}): SidecarContainer => ({ name: "c", image: "img:1", ...extra });

// One row per docs/behaviour.md §2.6 rule: the spec given, where to look, what defaulting leaves there.
const rules: { rule: string; spec: SidecarSetSpec; path: string; want: unknown }[] = [
  // step 1
  { rule: "updateStrategy.type defaults to RollingUpdate", spec: {}, path: "updateStrategy.type", want: "RollingUpdate" },
  { rule: "updateStrategy.maxUnavailable defaults to the integer 1", spec: {}, path: "updateStrategy.maxUnavailable", want: 1 },
  { rule: "updateStrategy.partition defaults to the integer 0", spec: {}, path: "updateStrategy.partition", want: 0 },
  { rule: "a given updateStrategy.type is kept", spec: { updateStrategy: { type: "NotUpdate" } }, path: "updateStrategy.type", want: "NotUpdate" },
  { rule: "a given partition percentage is kept", spec: { updateStrategy: { partition: "10%" } }, path: "updateStrategy.partition", want: "10%" },
  // step 2
  { rule: "initContainers default to AfterAppContainer", spec: { initContainers: [c()] }, path: "initContainers.0.podInjectPolicy", want: "AfterAppContainer" },
  { rule: "containers default to BeforeAppContainer", spec: { containers: [c()] }, path: "containers.0.podInjectPolicy", want: "BeforeAppContainer" },
  { rule: "an empty podInjectPolicy is defaulted", spec: { containers: [c({ podInjectPolicy: "" as never })] }, path: "containers.0.podInjectPolicy", want: "BeforeAppContainer" },
  { rule: "a given podInjectPolicy is kept", spec: { containers: [c({ podInjectPolicy: "AfterAppContainer" })] }, path: "containers.0.podInjectPolicy", want: "AfterAppContainer" },
  { rule: "upgradeType defaults to ColdUpgrade on containers", spec: { containers: [c()] }, path: "containers.0.upgradeStrategy.upgradeType", want: "ColdUpgrade" },
  { rule: "upgradeType defaults to ColdUpgrade on initContainers", spec: { initContainers: [c()] }, path: "initContainers.0.upgradeStrategy.upgradeType", want: "ColdUpgrade" },
  { rule: "a given HotUpgrade is kept with its empty image", spec: { containers: [c({ upgradeStrategy: { upgradeType: "HotUpgrade", hotUpgradeEmptyImage: "e:1" } })] }, path: "containers.0.upgradeStrategy.hotUpgradeEmptyImage", want: "e:1" },
  { rule: "shareVolumePolicy.type defaults to disabled", spec: { containers: [c()] }, path: "containers.0.shareVolumePolicy.type", want: "disabled" },
  { rule: "shareVolumePolicy.type defaults on initContainers too", spec: { initContainers: [c()] }, path: "initContainers.0.shareVolumePolicy.type", want: "disabled" },
  // step 3
  { rule: "terminationMessagePath defaults to /dev/termination-log", spec: { containers: [c()] }, path: "containers.0.terminationMessagePath", want: "/dev/termination-log" },
  { rule: "terminationMessagePolicy defaults to File", spec: { containers: [c()] }, path: "containers.0.terminationMessagePolicy", want: "File" },
  { rule: "a given terminationMessagePolicy is kept", spec: { containers: [c({ terminationMessagePolicy: "FallbackToLogsOnError" })] }, path: "containers.0.terminationMessagePolicy", want: "FallbackToLogsOnError" },
  { rule: "port protocol defaults to TCP", spec: { containers: [c({ ports: [{ containerPort: 80 }] })] }, path: "containers.0.ports.0.protocol", want: "TCP" },
  { rule: "a given port protocol is kept", spec: { containers: [c({ ports: [{ containerPort: 53, protocol: "UDP" }] })] }, path: "containers.0.ports.0.protocol", want: "UDP" },
  { rule: "env fieldRef apiVersion defaults to v1", spec: { containers: [c({ env: [{ name: "N", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }] })] }, path: "containers.0.env.0.valueFrom.fieldRef.apiVersion", want: "v1" },
  { rule: "transferEnv fieldRef apiVersion defaults to v1", spec: { containers: [c({ transferEnv: [{ sourceContainerNameFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } }, envName: "E" }] })] }, path: "containers.0.transferEnv.0.sourceContainerNameFrom.fieldRef.apiVersion", want: "v1" },
  { rule: "cpu 0.1 is rewritten 100m", spec: { containers: [c({ resources: { requests: { cpu: "0.1" } } })] }, path: "containers.0.resources.requests.cpu", want: "100m" },
  { rule: "cpu 1000m is rewritten 1", spec: { containers: [c({ resources: { limits: { cpu: "1000m" } } })] }, path: "containers.0.resources.limits.cpu", want: "1" },
  { rule: "memory 1.5Gi is rewritten 1536Mi", spec: { containers: [c({ resources: { limits: { memory: "1.5Gi" } } })] }, path: "containers.0.resources.limits.memory", want: "1536Mi" },
  { rule: "memory 2048Mi is rewritten 2Gi", spec: { containers: [c({ resources: { requests: { memory: "2048Mi" } } })] }, path: "containers.0.resources.requests.memory", want: "2Gi" },
  { rule: "quantities finer than milli round up", spec: { containers: [c({ resources: { requests: { cpu: "100u" } } })] }, path: "containers.0.resources.requests.cpu", want: "1m" },
  { rule: "a numeric quantity becomes its canonical string", spec: { containers: [c({ resources: { requests: { cpu: 2 as never } } })] }, path: "containers.0.resources.requests.cpu", want: "2" },
  { rule: "an invalid quantity is left for validation", spec: { containers: [c({ resources: { requests: { cpu: "lots" } } })] }, path: "containers.0.resources.requests.cpu", want: "lots" },
  { rule: "liveness probe timeoutSeconds defaults to 1", spec: { containers: [c({ livenessProbe: { exec: { command: ["true"] } } })] }, path: "containers.0.livenessProbe.timeoutSeconds", want: 1 },
  { rule: "liveness probe periodSeconds defaults to 10", spec: { containers: [c({ livenessProbe: {} })] }, path: "containers.0.livenessProbe.periodSeconds", want: 10 },
  { rule: "readiness probe successThreshold defaults to 1", spec: { containers: [c({ readinessProbe: {} })] }, path: "containers.0.readinessProbe.successThreshold", want: 1 },
  { rule: "readiness probe failureThreshold defaults to 3", spec: { containers: [c({ readinessProbe: {} })] }, path: "containers.0.readinessProbe.failureThreshold", want: 3 },
  { rule: "a probe value of 0 counts as unset", spec: { containers: [c({ readinessProbe: { periodSeconds: 0 } })] }, path: "containers.0.readinessProbe.periodSeconds", want: 10 },
  { rule: "a given probe value is kept", spec: { containers: [c({ readinessProbe: { periodSeconds: 5 } })] }, path: "containers.0.readinessProbe.periodSeconds", want: 5 },
  { rule: "probe httpGet path defaults to /", spec: { containers: [c({ livenessProbe: { httpGet: { port: 80 } } })] }, path: "containers.0.livenessProbe.httpGet.path", want: "/" },
  { rule: "probe httpGet scheme defaults to HTTP", spec: { containers: [c({ readinessProbe: { httpGet: { port: 80 } } })] }, path: "containers.0.readinessProbe.httpGet.scheme", want: "HTTP" },
  { rule: "postStart httpGet path defaults to /", spec: { containers: [c({ lifecycle: { postStart: { httpGet: { port: 80 } } } })] }, path: "containers.0.lifecycle.postStart.httpGet.path", want: "/" },
  { rule: "preStop httpGet scheme defaults to HTTP", spec: { containers: [c({ lifecycle: { preStop: { httpGet: { port: 80 } } } })] }, path: "containers.0.lifecycle.preStop.httpGet.scheme", want: "HTTP" },
  { rule: "the startup probe is not defaulted", spec: { containers: [c({ startupProbe: { httpGet: { port: 80 } } })] }, path: "containers.0.startupProbe", want: { httpGet: { port: 80 } } },
  { rule: "resourcesPolicy regex defaults to .* when absent", spec: { containers: [c({ resourcesPolicy: { targetContainersMode: "sum", resourcesExpr: {} } })] }, path: "containers.0.resourcesPolicy.targetContainersNameRegex", want: ".*" },
  { rule: "an empty resourcesPolicy regex is kept for validation to reject", spec: { containers: [c({ resourcesPolicy: { targetContainersMode: "sum", targetContainersNameRegex: "", resourcesExpr: {} } })] }, path: "containers.0.resourcesPolicy.targetContainersNameRegex", want: "" },
  // step 4
  { rule: "a volume without source becomes emptyDir {}", spec: { volumes: [{ name: "v" }] }, path: "volumes.0.emptyDir", want: {} },
  { rule: "a volume with a null source becomes emptyDir {}", spec: { volumes: [{ name: "v", hostPath: null as never }] }, path: "volumes.0.emptyDir", want: {} },
  { rule: "secret defaultMode defaults to 420", spec: { volumes: [{ name: "v", secret: { secretName: "s" } }] }, path: "volumes.0.secret.defaultMode", want: 420 },
  { rule: "configMap defaultMode defaults to 420", spec: { volumes: [{ name: "v", configMap: { name: "c" } }] }, path: "volumes.0.configMap.defaultMode", want: 420 },
  { rule: "downwardAPI defaultMode defaults to 420", spec: { volumes: [{ name: "v", downwardAPI: {} }] }, path: "volumes.0.downwardAPI.defaultMode", want: 420 },
  { rule: "projected defaultMode defaults to 420", spec: { volumes: [{ name: "v", projected: { sources: [] } }] }, path: "volumes.0.projected.defaultMode", want: 420 },
  { rule: "a given defaultMode is kept, even 0", spec: { volumes: [{ name: "v", secret: { defaultMode: 0 } }] }, path: "volumes.0.secret.defaultMode", want: 0 },
  { rule: "hostPath type defaults to the empty string", spec: { volumes: [{ name: "v", hostPath: { path: "/x" } }] }, path: "volumes.0.hostPath.type", want: "" },
  { rule: "serviceAccountToken expirationSeconds defaults to 3600", spec: { volumes: [{ name: "v", projected: { sources: [{ serviceAccountToken: { path: "t" } }] } }] }, path: "volumes.0.projected.sources.0.serviceAccountToken.expirationSeconds", want: 3600 },
  { rule: "downwardAPI volume fieldRef apiVersion defaults to v1", spec: { volumes: [{ name: "v", downwardAPI: { items: [{ path: "p", fieldRef: { fieldPath: "metadata.name" } }] } }] }, path: "volumes.0.downwardAPI.items.0.fieldRef.apiVersion", want: "v1" },
  { rule: "projected downwardAPI fieldRef apiVersion defaults to v1", spec: { volumes: [{ name: "v", projected: { sources: [{ downwardAPI: { items: [{ path: "p", fieldRef: { fieldPath: "metadata.name" } }] } }] } }] }, path: "volumes.0.projected.sources.0.downwardAPI.items.0.fieldRef.apiVersion", want: "v1" },
  // step 5
  { rule: "revisionHistoryLimit defaults to 10", spec: {}, path: "revisionHistoryLimit", want: 10 },
  { rule: "a given revisionHistoryLimit is kept, even 0", spec: { revisionHistoryLimit: 0 }, path: "revisionHistoryLimit", want: 0 },
  { rule: "patchPodMetadata patchPolicy defaults to Retain", spec: { patchPodMetadata: [{ annotations: { a: "b" } }] }, path: "patchPodMetadata.0.patchPolicy", want: "Retain" },
  { rule: "a given patchPolicy is kept", spec: { patchPodMetadata: [{ annotations: { a: "b" }, patchPolicy: "Overwrite" }] }, path: "patchPodMetadata.0.patchPolicy", want: "Overwrite" },
  { rule: "injection revision policy defaults to Always when a revision is set", spec: { injectionStrategy: { revision: { revisionName: "r" } } }, path: "injectionStrategy.revision.policy", want: "Always" },
  { rule: "no revision means no injection policy", spec: { injectionStrategy: { paused: true } }, path: "injectionStrategy", want: { paused: true } },
];
for (const r of rules) {
  test(`defaulting: ${r.rule}`, () => {
    assert.deepEqual(at(defaulted(r.spec).spec, r.path), r.want);
  });
}

// imagePullPolicy follows Kubernetes' reading of the reference (checked against its ParseImageName).
const DIGEST = "sha256:0123456789012345678901234567890123456789012345678901234567890123";
const pullPolicies: { image: unknown; want: "Always" | "IfNotPresent"; why: string }[] = [
  { image: "nginx", want: "Always", why: "no tag and no digest means latest" },
  { image: "nginx:latest", want: "Always", why: "the latest tag" },
  { image: "nginx:1.0", want: "IfNotPresent", why: "a fixed tag" },
  { image: `nginx@${DIGEST}`, want: "IfNotPresent", why: "a digest without tag" },
  { image: `nginx:1.0@${DIGEST}`, want: "IfNotPresent", why: "a tag and a digest" },
  { image: `nginx:latest@${DIGEST}`, want: "Always", why: "the latest tag with a digest" },
  { image: "localhost:5000/team/app", want: "Always", why: "a registry port is not a tag" },
  { image: "a:LATEST", want: "IfNotPresent", why: "tags are case-sensitive" },
  { image: "Nginx", want: "IfNotPresent", why: "an invalid reference (uppercase repository)" },
  { image: "nginx@sha256:abc", want: "IfNotPresent", why: "an invalid reference (short digest)" },
  { image: "0123456789012345678901234567890123456789012345678901234567890123", want: "IfNotPresent", why: "a bare 64-hex id is not a name" },
  { image: "", want: "IfNotPresent", why: "an empty image" },
  { image: undefined, want: "IfNotPresent", why: "no image" },
];
for (const p of pullPolicies) {
  test(`imagePullPolicy for ${JSON.stringify(p.image)} is ${p.want}: ${p.why}`, () => {
    assert.equal(defaultImagePullPolicy(p.image), p.want);
    assert.equal(at(defaulted({ containers: [{ name: "c", image: p.image as string }] }).spec, "containers.0.imagePullPolicy"), p.want);
  });
}

test("a given imagePullPolicy is kept", () => {
  assert.equal(at(defaulted({ containers: [c({ image: "nginx", imagePullPolicy: "Never" })] }).spec, "containers.0.imagePullPolicy"), "Never");
});

test("defaulting writes both hash annotations computed from the defaulted object (docs/behaviour.md §3.1 vectors)", () => {
  const out = defaulted({ containers: [{ name: "dns-f", image: "dns:1.0" }] });
  assert.equal(out.metadata.annotations?.[SIDECARSET_HASH_ANNOTATION], "6wbd76bd7984x24fb4f44fv9222cw9v9bcf85x766744wddd4zwx927zzz2zb684");
  assert.equal(out.metadata.annotations?.[SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION], "82684vwf9d4cb4wz4vffx4ddfbb47ww4z4wwxdbwb8w2zbb7zvf4524cdd49bv94");
});

test("hash annotations overwrite user values and other annotations stay", () => {
  const out = defaultSidecarSet({
    metadata: { name: "s", annotations: { [SIDECARSET_HASH_ANNOTATION]: "mine", team: "a" } },
    spec: { containers: [c()] },
  });
  assert.equal(out.metadata.annotations?.team, "a");
  assert.equal(out.metadata.annotations?.[SIDECARSET_HASH_ANNOTATION], sidecarSetHash(out));
  assert.equal(out.metadata.annotations?.[SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION], sidecarSetHashWithoutImage(out));
});

test("defaulting a container with most fields gives Go's defaulted hashes", () => {
  const out = defaulted({
    containers: [structuredClone(richContainer)],
  });
  assert.equal(out.metadata.annotations?.[SIDECARSET_HASH_ANNOTATION], "z6cv426wv87v4c428bf8c5vbv6xx79v767b7xb445486b76858w4c287w89f4fd2");
  assert.equal(out.metadata.annotations?.[SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION], "vwd8bb94d6b7fdwxzdb76v62v5bd5vffvxw5zw9d7bdc7b4zzf25z92vbxd26b7b");
});

test("defaulting returns a new object and leaves its input untouched", () => {
  const input: SidecarSet = {
    metadata: { name: "s", annotations: { a: "b" } },
    spec: { containers: [c({ resources: { limits: { cpu: "0.1" } }, ports: [{ containerPort: 80 }] })], volumes: [{ name: "v" }] },
  };
  const snapshot = structuredClone(input);
  const out = defaultSidecarSet(input);
  assert.deepEqual(input, snapshot);
  assert.notEqual(out, input);
  assert.notEqual(out.spec.containers, input.spec.containers);
});

test("defaulting is idempotent", () => {
  const once = defaulted({ containers: [c({ livenessProbe: { httpGet: { port: 80 } } })], volumes: [{ name: "v" }] });
  assert.deepEqual(defaultSidecarSet(once), once);
});

test("a SidecarSet without spec or metadata is defaulted without throwing", () => {
  const out = defaultSidecarSet({} as SidecarSet);
  assert.equal(out.spec.revisionHistoryLimit, 10);
  assert.equal(typeof out.metadata.annotations?.[SIDECARSET_HASH_ANNOTATION], "string");
});
