import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultSidecarSet } from "../../../src/api/defaults.js";
import { revisionData, revisionFnv, revisionHashSuffix, revisionName } from "../../../src/api/revision.js";
import type { SidecarSet } from "../../../src/api/types.js";

const dnsF = {
  name: "dns-f",
  image: "dns:1.0",
  imagePullPolicy: "IfNotPresent",
  terminationMessagePath: "/dev/termination-log",
  terminationMessagePolicy: "File",
  podInjectPolicy: "BeforeAppContainer" as const,
  upgradeStrategy: { upgradeType: "ColdUpgrade" as const },
  shareVolumePolicy: { type: "disabled" as const },
};

const EXAMPLE_DATA =
  '{"spec":{"$patch":"replace","containers":[{"image":"dns:1.0","imagePullPolicy":"IfNotPresent","name":"dns-f",' +
  '"podInjectPolicy":"BeforeAppContainer","resources":{},"shareVolumePolicy":{"type":"disabled"},' +
  '"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File",' +
  '"upgradeStrategy":{"upgradeType":"ColdUpgrade"}}],"imagePullSecrets":null,"initContainers":null,' +
  '"patchPodMetadata":null,"volumes":null}}';

test("revision data of the docs/behaviour.md §3.2 example is byte-identical", () => {
  const set: SidecarSet = { metadata: { name: "sidecarset-test" }, spec: { containers: [dnsF] } };
  assert.equal(revisionData(set), EXAMPLE_DATA);
});

test("revision name of the docs/behaviour.md §3.2 example uses 32-bit FNV-1 and SafeEncode", () => {
  assert.equal(revisionFnv(EXAMPLE_DATA, 0), 3448237518);
  assert.equal(revisionHashSuffix(EXAMPLE_DATA, 0), "788d67c95d");
  assert.equal(revisionName("sidecarset-test", EXAMPLE_DATA, 0), "sidecarset-test-788d67c95d");
});

/** FNV-1 written out with BigInt, independent of the implementation under test. */
function referenceFnv1(bytes: Uint8Array): number {
  let h = 0x811c9dc5n;
  for (const b of bytes) h = ((h * 0x01000193n) & 0xffffffffn) ^ BigInt(b);
  return Number(h);
}
function referenceFnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x01000193n) & 0xffffffffn;
  return Number(h);
}

const fnvInputs: { data: string; count: number }[] = [
  { data: "", count: 0 },
  { data: "a", count: 7 },
  { data: '{"x":"ünï 😀"}', count: 12 },
  { data: "lone \ud800 surrogate", count: 1 },
  { data: EXAMPLE_DATA, count: 2147483647 },
];
for (const c of fnvInputs) {
  test(`FNV-1 (not 1a) runs over the UTF-8 data then the decimal collision count: ${JSON.stringify(c.data).slice(0, 30)}`, () => {
    const bytes = new TextEncoder().encode(c.data + String(c.count));
    assert.equal(revisionFnv(c.data, c.count), referenceFnv1(bytes));
    assert.notEqual(revisionFnv(c.data, c.count), referenceFnv1a(bytes));
  });
}

test("a collision count gives a different name for the same data", () => {
  assert.notEqual(revisionName("s", EXAMPLE_DATA, 0), revisionName("s", EXAMPLE_DATA, 1));
  assert.equal(revisionName("s", EXAMPLE_DATA, 1), `s-${revisionHashSuffix(EXAMPLE_DATA, 1)}`);
});

test("the name prefix is cut to 223 characters as Kubernetes does", () => {
  const long = "a".repeat(300);
  assert.equal(revisionName(long, "", 0), `${"a".repeat(223)}-${revisionHashSuffix("", 0)}`);
});

test("absent and empty lists are written as null", () => {
  const empty: SidecarSet = {
    metadata: { name: "s" },
    spec: { containers: [], initContainers: [], volumes: [], imagePullSecrets: [], patchPodMetadata: [] },
  };
  const expected =
    '{"spec":{"$patch":"replace","containers":null,"imagePullSecrets":null,"initContainers":null,' +
    '"patchPodMetadata":null,"volumes":null}}';
  assert.equal(revisionData(empty), expected);
  assert.equal(revisionData({ metadata: { name: "s" }, spec: {} }), expected);
});

test("fields other than containers, initContainers, volumes, imagePullSecrets and patchPodMetadata stay out of the data", () => {
  const base: SidecarSet = { metadata: { name: "s" }, spec: { containers: [dnsF] } };
  const edited: SidecarSet = {
    metadata: { name: "t", labels: { a: "b" } },
    spec: { containers: [dnsF], selector: { matchLabels: { a: "b" } }, updateStrategy: { type: "NotUpdate" }, revisionHistoryLimit: 1 },
  };
  assert.equal(revisionData(edited), revisionData(base));
});

// Expected data computed by OpenKruise's algorithm in Go (struct → generic map → json.Marshal).
test("nested Kubernetes types keep Go key presence and sort keys at every level", () => {
  const set: SidecarSet = {
    metadata: { name: "rich" },
    spec: {
      containers: [
        {
          name: "envoy",
          image: "reg.io/envoy:v1<2>&3",
          env: [{ name: "CPU", valueFrom: { resourceFieldRef: { resource: "limits.cpu" } } }],
          resources: { limits: { memory: "1.5Gi", cpu: "0.5" } },
          readinessProbe: { grpc: { port: 15001 } },
          securityContext: { seccompProfile: { localhostProfile: "" } as never },
          shareVolumeDevicePolicy: {},
          resourcesPolicy: { targetContainersMode: "sum", resourcesExpr: { limits: { cpu: "cpu*50%" } } },
        },
      ],
    },
  };
  assert.equal(
    revisionData(set),
    '{"spec":{"$patch":"replace","containers":[{"env":[{"name":"CPU","valueFrom":{"resourceFieldRef":' +
      '{"divisor":"0","resource":"limits.cpu"}}}],"image":"reg.io/envoy:v1\\u003c2\\u003e\\u00263","name":"envoy",' +
      '"readinessProbe":{"grpc":{"port":15001,"service":null}},"resources":{"limits":{"cpu":"500m","memory":"1536Mi"}},' +
      '"resourcesPolicy":{"resourcesExpr":{"limits":{"cpu":"cpu*50%"}},"targetContainersMode":"sum"},' +
      '"securityContext":{"seccompProfile":{"localhostProfile":"","type":""}},"shareVolumeDevicePolicy":{},' +
      '"shareVolumePolicy":{},"upgradeStrategy":{}}],"imagePullSecrets":null,"initContainers":null,' +
      '"patchPodMetadata":null,"volumes":null}}',
  );
});

test("revision data of a defaulted SidecarSet with volumes, secrets and patches matches Go's", () => {
  const set: SidecarSet = {
    metadata: { name: "volumes" },
    spec: {
      containers: [{ name: "c1", image: "img:1" }],
      volumes: [
        { name: "nothing" },
        { name: "host", hostPath: { path: "/var/log" } },
        { name: "sec", secret: { secretName: "s" } },
        { name: "cm", configMap: { name: "c", items: [{ key: "a", path: "b" }] } },
        { name: "dapi", downwardAPI: { items: [{ path: "labels", fieldRef: { fieldPath: "metadata.labels" } }] } },
        {
          name: "proj",
          projected: {
            sources: [
              { serviceAccountToken: { path: "token" } },
              { downwardAPI: { items: [{ path: "n", fieldRef: { fieldPath: "metadata.name" } }] } },
            ],
          },
        },
      ],
      imagePullSecrets: [{ name: "regcred" }],
      patchPodMetadata: [{ annotations: { "oom-score": '{"log-agent":1}', b: "<x>" } }],
    },
  };
  const data = revisionData(defaultSidecarSet(set));
  assert.equal(
    data,
    '{"spec":{"$patch":"replace","containers":[{"image":"img:1","imagePullPolicy":"IfNotPresent","name":"c1",' +
      '"podInjectPolicy":"BeforeAppContainer","resources":{},"shareVolumePolicy":{"type":"disabled"},' +
      '"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File",' +
      '"upgradeStrategy":{"upgradeType":"ColdUpgrade"}}],"imagePullSecrets":[{"name":"regcred"}],"initContainers":null,' +
      '"patchPodMetadata":[{"annotations":{"b":"\\u003cx\\u003e","oom-score":"{\\"log-agent\\":1}"},"patchPolicy":"Retain"}],' +
      '"volumes":[{"emptyDir":{},"name":"nothing"},{"hostPath":{"path":"/var/log","type":""},"name":"host"},' +
      '{"name":"sec","secret":{"defaultMode":420,"secretName":"s"}},' +
      '{"configMap":{"defaultMode":420,"items":[{"key":"a","path":"b"}],"name":"c"},"name":"cm"},' +
      '{"downwardAPI":{"defaultMode":420,"items":[{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.labels"},"path":"labels"}]},"name":"dapi"},' +
      '{"name":"proj","projected":{"defaultMode":420,"sources":[{"serviceAccountToken":{"expirationSeconds":3600,"path":"token"}},' +
      '{"downwardAPI":{"items":[{"fieldRef":{"apiVersion":"v1","fieldPath":"metadata.name"},"path":"n"}]}}]}}]}}',
  );
  assert.equal(revisionFnv(data, 0), 4137010138);
});

test("an ephemeral volume's template metadata is written with creationTimestamp null, as Kubernetes 1.32 types do", () => {
  const set: SidecarSet = {
    metadata: { name: "s" },
    spec: {
      volumes: [
        {
          name: "scratch",
          ephemeral: { volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } } },
        },
      ],
    },
  };
  assert.match(
    revisionData(set),
    /"volumes":\[\{"ephemeral":\{"volumeClaimTemplate":\{"metadata":\{"creationTimestamp":null\},"spec":\{"accessModes":\["ReadWriteOnce"\],"resources":\{"requests":\{"storage":"1Gi"\}\}\}\}\},"name":"scratch"\}\]/,
  );
});
