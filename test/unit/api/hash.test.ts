import assert from "node:assert/strict";
import { test } from "node:test";
import { compareGoStrings, encodeGoJsonList, goJsonString, type GoTypeName } from "../../../src/api/canonical-json.js";
import {
  safeEncode,
  sidecarSetHash,
  sidecarSetHashInput,
  sidecarSetHashWithoutImage,
} from "../../../src/api/hash.js";
import { isNativeSidecar } from "../../../src/api/sidecar-containers.js";
import type { SidecarContainer, SidecarSet } from "../../../src/api/types.js";
import { richContainer } from "./fixtures.js";

/** One struct as Go marshals it: the single element of a one-element slice. */
const encodeGoJson = (value: unknown, type: GoTypeName): string => encodeGoJsonList([value], type).slice(1, -1);

function set(spec: SidecarSet["spec"], name = "s"): SidecarSet {
  return { metadata: { name }, spec };
}

const dnsF: SidecarContainer = {
  name: "dns-f",
  image: "dns:1.0",
  imagePullPolicy: "IfNotPresent",
  terminationMessagePath: "/dev/termination-log",
  terminationMessagePolicy: "File",
  podInjectPolicy: "BeforeAppContainer",
  upgradeStrategy: { upgradeType: "ColdUpgrade" },
  shareVolumePolicy: { type: "disabled" },
};

// docs/behaviour.md §3.1 verified vectors.
const specVectors = [
  {
    name: "container1 not defaulted",
    set: set({ containers: [{ name: "container1", image: "test-image" }] }),
    input:
      '{"containers":[{"name":"container1","image":"test-image","resources":{},"upgradeStrategy":{},"shareVolumePolicy":{}}]}',
    hash: "w26c4x8fz245642fdv499b464248f974xddx4x55z5dw55bc6x66464fxz77dc78",
  },
  {
    name: "dns-f after defaulting",
    set: set({ containers: [dnsF] }),
    input:
      '{"containers":[{"name":"dns-f","image":"dns:1.0","resources":{},"terminationMessagePath":"/dev/termination-log",' +
      '"terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent","podInjectPolicy":"BeforeAppContainer",' +
      '"upgradeStrategy":{"upgradeType":"ColdUpgrade"},"shareVolumePolicy":{"type":"disabled"}}]}',
    hash: "6wbd76bd7984x24fb4f44fv9222cw9v9bcf85x766744wddd4zwx927zzz2zb684",
  },
];
for (const v of specVectors) {
  test(`hash of ${v.name} matches the verified vector and its canonical JSON`, () => {
    assert.equal(sidecarSetHashInput(v.set), v.input);
    assert.equal(sidecarSetHash(v.set), v.hash);
  });
}

test("hash without image of defaulted dns-f matches the verified vector (image key removed)", () => {
  const s = set({ containers: [dnsF] });
  assert.equal(sidecarSetHashInput(s, false), specVectors[1]!.input.replace('"image":"dns:1.0",', ""));
  assert.equal(sidecarSetHashWithoutImage(s), "82684vwf9d4cb4wz4vffx4ddfbb47ww4z4wwxdbwb8w2zbb7zvf4524cdd49bv94");
});

const rich = richContainer;
const richInput =
  '{"containers":[{"name":"envoy","image":"reg.io/envoy:v1\\u003c2\\u003e\\u00263","command":["/bin/envoy"],' +
  '"args":["--log-level","info\\u2028x\\u2029"],"ports":[{"name":"admin","containerPort":15000},' +
  '{"containerPort":53,"protocol":"UDP"}],"env":[{"name":"POD","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}},' +
  '{"name":"CPU","valueFrom":{"resourceFieldRef":{"resource":"limits.cpu","divisor":"0"}}},' +
  '{"name":"OPT","valueFrom":{"configMapKeyRef":{"name":"cm","key":"k","optional":false}}}],' +
  '"resources":{"limits":{"cpu":"500m","memory":"1536Mi"},"requests":{"cpu":"100m","memory":"2Gi"}},' +
  '"livenessProbe":{"httpGet":{"port":"admin"}},"readinessProbe":{"grpc":{"port":15001,"service":null}},' +
  '"startupProbe":{"tcpSocket":{"port":15000},"terminationGracePeriodSeconds":0},' +
  '"lifecycle":{"preStop":{"sleep":{"seconds":5}}},"securityContext":{"capabilities":{"drop":["ALL"]},' +
  '"privileged":false,"runAsNonRoot":true,"seccompProfile":{"type":"","localhostProfile":""}},"tty":true,' +
  '"upgradeStrategy":{"upgradeType":"HotUpgrade","hotUpgradeEmptyImage":"empty:1"},"shareVolumePolicy":{},' +
  '"shareVolumeDevicePolicy":{},"transferEnv":[{"sourceContainerName":"app","envNames":["A","B"]}],' +
  '"resourcesPolicy":{"targetContainersMode":"sum","resourcesExpr":{"limits":{"cpu":"cpu*50%"}}}}]}';

test("a container with most fields serializes in declaration order with Go presence rules and canonical quantities", () => {
  assert.equal(sidecarSetHashInput(set({ containers: [rich] })), richInput);
});

test("hash of a container with most fields matches Go's", () => {
  const s = set({ containers: [rich] });
  assert.equal(sidecarSetHash(s), "f5d4bfdxw5w485d42cw9vx4f42844zvv694c68bddf44z6dvx97xvvwzc48d6678");
  assert.equal(sidecarSetHashWithoutImage(s), "5cx8wx26wz62xb2dd2x77c5c94c784z45ffb4f5696v2bvw495wzdf84zwd698z4");
});

const c1: SidecarContainer = { name: "c1", image: "img:1" };
const plainInit: SidecarContainer = { name: "init", image: "busybox:1" };
const nativeInit: SidecarContainer = { name: "proxy", image: "envoy:1", restartPolicy: "Always" };
const NO_INIT_HASH = "524wd9xv4f65w766v9w5d4z4fcw86748zwvxc76749f8446c8v6c2z7v4zv49ww4";

test("plain initContainers are not part of the hash", () => {
  assert.equal(sidecarSetHash(set({ containers: [c1] })), NO_INIT_HASH);
  assert.equal(sidecarSetHash(set({ containers: [c1], initContainers: [plainInit] })), NO_INIT_HASH);
});

test("one native-sidecar initContainer brings the whole initContainers list into the hash", () => {
  const s = set({ containers: [c1], initContainers: [plainInit, nativeInit] });
  assert.match(sidecarSetHashInput(s), /,"initContainers":\[\{"name":"init",.*\{"name":"proxy",/);
  assert.equal(sidecarSetHash(s), "7xd2dzv4z4422f2xb9fb574v498d27787z26c4xbxvd4x88446f8bzzf7bxv4dz2");
  assert.equal(sidecarSetHashWithoutImage(s), "5856dc64fvv4zbv4dccbbd8fd22vccf5x849fvdzfbdw89z4bx2x249fcczv86v9");
});

test("native sidecar means restartPolicy Always and nothing else", () => {
  assert.equal(isNativeSidecar({ restartPolicy: "Always" }), true);
  assert.equal(isNativeSidecar({ restartPolicy: "Never" }), false);
  assert.equal(isNativeSidecar({}), false);
  assert.equal(isNativeSidecar(undefined), false);
});

test("empty containers hash as [] and absent containers as null", () => {
  assert.equal(sidecarSetHashInput(set({ containers: [] })), '{"containers":[]}');
  assert.equal(sidecarSetHashInput(set({})), '{"containers":null}');
  assert.equal(sidecarSetHash(set({ containers: [] })), "5662x672v59974vdzvf4bdfwc4v526wx5w7884vx5c7fc2f246v484v5988xb9z7");
  assert.equal(sidecarSetHash(set({})), "x5vwx9w6vv4dv72c9w4c2f6v74fbwx545b45bbfz6z2dvf8w887xw86fvcb4cf48");
});

test("volumes, imagePullSecrets, patchPodMetadata, selectors, strategies and metadata do not change the hash", () => {
  const base = set({ containers: [c1] });
  const edited: SidecarSet = {
    metadata: { name: "other", labels: { a: "b" }, annotations: { x: "y" } },
    spec: {
      containers: [c1],
      selector: { matchLabels: { app: "x" } },
      volumes: [{ name: "v", emptyDir: {} }],
      imagePullSecrets: [{ name: "regcred" }],
      patchPodMetadata: [{ annotations: { k: "v" } }],
      updateStrategy: { type: "NotUpdate" },
      revisionHistoryLimit: 3,
    },
  };
  assert.equal(sidecarSetHash(edited), sidecarSetHash(base));
  assert.equal(sidecarSetHashWithoutImage(edited), sidecarSetHashWithoutImage(base));
});

test("the hash without image ignores image changes but not other container changes", () => {
  const a = set({ containers: [{ name: "c1", image: "img:1" }] });
  const b = set({ containers: [{ name: "c1", image: "img:2" }] });
  const c = set({ containers: [{ name: "c1", image: "img:1", args: ["-v"] }] });
  assert.notEqual(sidecarSetHash(a), sidecarSetHash(b));
  assert.equal(sidecarSetHashWithoutImage(a), sidecarSetHashWithoutImage(b));
  assert.notEqual(sidecarSetHashWithoutImage(a), sidecarSetHashWithoutImage(c));
});

test("keys outside the Go types are not part of the hash", () => {
  const withUnknown = set({ containers: [{ ...c1, unknownField: "x" } as SidecarContainer] });
  assert.equal(sidecarSetHash(withUnknown), NO_INIT_HASH);
});

test("safeEncode maps hex digits to the Kubernetes name alphabet", () => {
  assert.equal(safeEncode("0123456789abcdef"), "456789bcdfvwxz24");
  assert.equal(safeEncode("3448237518"), "788d67c95d");
});

const escapes: { input: string; json: string; rule: string }[] = [
  { input: "<a>&b", json: '"\\u003ca\\u003e\\u0026b"', rule: "HTML characters are escaped as Go does" },
  { input: "x\u2028y\u2029", json: '"x\\u2028y\\u2029"', rule: "line and paragraph separators are escaped" },
  { input: 'q"\\', json: '"q\\"\\\\"', rule: "quotes and backslashes are escaped" },
  { input: "\t\n\r\b\f\u0001\u001f", json: '"\\t\\n\\r\\b\\f\\u0001\\u001f"', rule: "control characters use short or \\u00XX escapes" },
  { input: "ünï😀\u007f", json: '"ünï😀\u007f"', rule: "other characters are written as UTF-8, not escaped" },
  { input: "a\ud800b", json: '"a\ufffdb"', rule: "an unpaired surrogate becomes U+FFFD as in Go strings" },
  { input: "/dev/termination-log", json: '"/dev/termination-log"', rule: "plain ASCII is written as is" },
];
for (const e of escapes) {
  test(`string escaping: ${e.rule}`, () => {
    assert.equal(goJsonString(e.input), e.json);
  });
}

test("map keys sort by UTF-8 bytes, as Go sorts them", () => {
  assert.ok(compareGoStrings("\uffff", "😀") < 0);
  assert.ok(compareGoStrings("B", "a") < 0);
  assert.ok(compareGoStrings("a", "ab") < 0);
  const out = encodeGoJson({ limits: { "😀": "1", "\uffff": "1", memory: "1Gi", cpu: "1" } }, "ResourceRequirements");
  assert.equal(out, '{"limits":{"cpu":"1","memory":"1Gi","\uffff":"1","😀":"1"}}');
});

test("int-or-string values keep their type and absent required fields take Go's zero values", () => {
  assert.equal(encodeGoJson({ port: "http" }, "HTTPGetAction"), '{"port":"http"}');
  assert.equal(encodeGoJson({ port: 8080 }, "HTTPGetAction"), '{"port":8080}');
  assert.equal(encodeGoJson({}, "HTTPGetAction"), '{"port":0}');
  assert.equal(encodeGoJson({}, "GRPCAction"), '{"port":0,"service":null}');
  assert.equal(encodeGoJson({ service: "" }, "GRPCAction"), '{"port":0,"service":""}');
  assert.equal(encodeGoJson({}, "ResourceFieldSelector"), '{"resource":"","divisor":"0"}');
});

test("pointer fields are written as given, value fields are omitted when zero", () => {
  assert.equal(encodeGoJson({ readOnly: false, recursiveReadOnly: "" }, "VolumeMount"), '{"name":"","recursiveReadOnly":"","mountPath":""}');
  assert.equal(encodeGoJson({ optional: false, key: "k" }, "SecretKeySelector"), '{"key":"k","optional":false}');
  assert.equal(encodeGoJson({ hostPort: 0, containerPort: 0, protocol: "" }, "ContainerPort"), '{"containerPort":0}');
});
