// docs/behaviour.md §4.3: Kubernetes container and volume rules on a SidecarSet's
// containers, initContainers and volumes.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SidecarContainer, SidecarSet } from "../../../../src/api/types.js";
import type { Volume } from "../../../../src/api/kube-types.js";
import { container, initContainer, validate, withSet } from "./fixtures.js";

const C = "spec.containers[0]";
const VOLUMES: Volume[] = [
  { name: "logs", emptyDir: {} },
  { name: "data", persistentVolumeClaim: { claimName: "data" } },
];

/** One container `c` with `extra`, and spec.volumes = VOLUMES. */
function withContainer(extra: Partial<SidecarContainer>): SidecarSet {
  return withSet((s) => {
    s.spec.containers = [container("c", extra)];
    s.spec.volumes = structuredClone(VOLUMES);
  });
}

interface Case {
  name: string;
  set: SidecarSet;
  /** Expected error paths, in order; [] = accepted. */
  paths: string[];
}

const cases: Case[] = [
  // names
  { name: "a container name that is not a DNS-1123 label is rejected", set: withContainer({ name: "Log" }), paths: [`${C}.name`] },
  {
    name: "container names must be unique across containers and initContainers",
    set: withSet((s) => (s.spec.initContainers = [initContainer("log-agent-c")])),
    paths: ["spec.initContainers[0].name"],
  },
  // image and policies
  { name: "an image with surrounding whitespace is rejected", set: withContainer({ image: "busybox " }), paths: [`${C}.image`] },
  { name: "an unknown imagePullPolicy is rejected", set: withContainer({ imagePullPolicy: "Sometimes" }), paths: [`${C}.imagePullPolicy`] },
  { name: "a missing terminationMessagePolicy is rejected", set: withContainer({ terminationMessagePolicy: undefined }), paths: [`${C}.terminationMessagePolicy`] },
  { name: "restartPolicy on a container is rejected", set: withContainer({ restartPolicy: "Always" }), paths: [`${C}.restartPolicy`] },
  {
    name: "an initContainer restartPolicy other than Always is rejected",
    set: withSet((s) => (s.spec.initContainers = [initContainer("i", { restartPolicy: "OnFailure" })])),
    paths: ["spec.initContainers[0].restartPolicy"],
  },
  // ports
  { name: "containerPort 0 is rejected", set: withContainer({ ports: [{ containerPort: 0, protocol: "TCP" }] }), paths: [`${C}.ports[0].containerPort`] },
  { name: "containerPort 70000 is rejected", set: withContainer({ ports: [{ containerPort: 70000, protocol: "TCP" }] }), paths: [`${C}.ports[0].containerPort`] },
  { name: "hostPort 70000 is rejected", set: withContainer({ ports: [{ containerPort: 80, hostPort: 70000, protocol: "TCP" }] }), paths: [`${C}.ports[0].hostPort`] },
  { name: "protocol ICMP is rejected", set: withContainer({ ports: [{ containerPort: 80, protocol: "ICMP" }] }), paths: [`${C}.ports[0].protocol`] },
  { name: "an upper-case port name is rejected", set: withContainer({ ports: [{ name: "HTTP", containerPort: 80, protocol: "TCP" }] }), paths: [`${C}.ports[0].name`] },
  {
    name: "port names must be unique within a container",
    set: withContainer({ ports: [{ name: "http", containerPort: 80, protocol: "TCP" }, { name: "http", containerPort: 81, protocol: "TCP" }] }),
    paths: [`${C}.ports[1].name`],
  },
  {
    name: "a host port bound by two containers is rejected",
    set: withSet((s) => {
      s.spec.containers = [
        container("a", { ports: [{ containerPort: 80, hostPort: 8080, protocol: "TCP" }] }),
        container("b", { ports: [{ containerPort: 81, hostPort: 8080, protocol: "TCP" }] }),
      ];
    }),
    paths: ["spec.containers[1].ports[0].hostPort"],
  },
  {
    name: "valid ports are accepted",
    set: withContainer({ ports: [{ name: "http", containerPort: 80, protocol: "TCP" }, { name: "dns", containerPort: 53, hostPort: 53, protocol: "UDP" }] }),
    paths: [],
  },
  // env
  { name: "an env name starting with a digit is rejected", set: withContainer({ env: [{ name: "1ABC", value: "x" }] }), paths: [`${C}.env[0].name`] },
  {
    name: "valueFrom together with value is rejected",
    set: withContainer({ env: [{ name: "A", value: "x", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } }] }),
    paths: [`${C}.env[0].valueFrom`],
  },
  {
    name: "valueFrom with two sources is rejected",
    set: withContainer({
      env: [{ name: "A", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" }, secretKeyRef: { name: "s", key: "k" } } }],
    }),
    paths: [`${C}.env[0].valueFrom`],
  },
  {
    name: "an env fieldRef to an unsupported field is rejected",
    set: withContainer({ env: [{ name: "A", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.labels" } } }] }),
    paths: [`${C}.env[0].valueFrom.fieldRef.fieldPath`],
  },
  {
    name: "a configMapKeyRef without name is rejected",
    set: withContainer({ env: [{ name: "A", valueFrom: { configMapKeyRef: { key: "k" } as never } }] }),
    paths: [`${C}.env[0].valueFrom.configMapKeyRef.name`],
  },
  {
    name: "a cpu divisor of 1Mi is rejected",
    set: withContainer({ env: [{ name: "A", valueFrom: { resourceFieldRef: { resource: "limits.cpu", divisor: "1Mi" } } }] }),
    paths: [`${C}.env[0].valueFrom.resourceFieldRef.divisor`],
  },
  {
    name: "downward-API env vars are accepted",
    set: withContainer({
      env: [
        { name: "POD_IP", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "status.podIP" } } },
        { name: "APP", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.labels['app']" } } },
        { name: "CPU", valueFrom: { resourceFieldRef: { resource: "limits.cpu", divisor: "1m" } } },
      ],
    }),
    paths: [],
  },
  // volumeMounts and volumeDevices
  { name: "a mount of an unknown volume is rejected", set: withContainer({ volumeMounts: [{ name: "nope", mountPath: "/x" }] }), paths: [`${C}.volumeMounts[0].name`] },
  { name: "a mount without mountPath is rejected", set: withContainer({ volumeMounts: [{ name: "logs", mountPath: "" }] }), paths: [`${C}.volumeMounts[0].mountPath`] },
  {
    name: "two mounts on one path are rejected",
    set: withContainer({ volumeMounts: [{ name: "logs", mountPath: "/x" }, { name: "data", mountPath: "/x" }] }),
    paths: [`${C}.volumeMounts[1].mountPath`],
  },
  { name: "an absolute subPath is rejected", set: withContainer({ volumeMounts: [{ name: "logs", mountPath: "/x", subPath: "/etc" }] }), paths: [`${C}.volumeMounts[0].subPath`] },
  { name: "a subPath with '..' is rejected", set: withContainer({ volumeMounts: [{ name: "logs", mountPath: "/x", subPath: "a/../../b" }] }), paths: [`${C}.volumeMounts[0].subPath`] },
  {
    name: "subPath with subPathExpr is rejected",
    set: withContainer({ volumeMounts: [{ name: "logs", mountPath: "/x", subPath: "a", subPathExpr: "$(POD)" }] }),
    paths: [`${C}.volumeMounts[0].subPathExpr`],
  },
  {
    name: "Bidirectional propagation needs a privileged container",
    set: withContainer({ volumeMounts: [{ name: "logs", mountPath: "/x", mountPropagation: "Bidirectional" }] }),
    paths: [`${C}.volumeMounts[0].mountPropagation`],
  },
  { name: "a device on an emptyDir volume is rejected", set: withContainer({ volumeDevices: [{ name: "logs", devicePath: "/dev/x" }] }), paths: [`${C}.volumeDevices[0].name`] },
  {
    name: "a path used as mountPath and devicePath is one error on each side",
    set: withContainer({ volumeMounts: [{ name: "logs", mountPath: "/dev/x" }], volumeDevices: [{ name: "data", devicePath: "/dev/x" }] }),
    paths: [`${C}.volumeMounts[0].mountPath`, `${C}.volumeDevices[0].devicePath`],
  },
  {
    name: "mounts and a block device of a claim are accepted",
    set: withContainer({ volumeMounts: [{ name: "logs", mountPath: "/var/log", subPathExpr: "$(POD_NAME)" }], volumeDevices: [{ name: "data", devicePath: "/dev/data" }] }),
    paths: [],
  },
  // resources
  { name: "requests above limits are rejected", set: withContainer({ resources: { limits: { cpu: "500m" }, requests: { cpu: "1" } } }), paths: [`${C}.resources.requests[cpu]`] },
  { name: "an invalid quantity is rejected", set: withContainer({ resources: { limits: { memory: "1 GB" } } }), paths: [`${C}.resources.limits[memory]`] },
  { name: "a negative quantity is rejected", set: withContainer({ resources: { requests: { cpu: "-1" } } }), paths: [`${C}.resources.requests[cpu]`] },
  { name: "an unknown resource name is rejected", set: withContainer({ resources: { limits: { gpu: "1" } } }), paths: [`${C}.resources.limits[gpu]`] },
  {
    name: "an extended resource request without a limit is rejected",
    set: withContainer({ resources: { requests: { "example.com/gpu": "1" } } }),
    paths: [`${C}.resources.limits[example.com/gpu]`],
  },
  {
    name: "requests equal to limits in another notation are accepted",
    set: withContainer({ resources: { limits: { cpu: "500m", memory: "1Gi", "example.com/gpu": "1" }, requests: { cpu: 0.5 as never, memory: "1024Mi", "example.com/gpu": "1" } } }),
    paths: [],
  },
  { name: "resource claims are rejected (the pod defines none)", set: withContainer({ resources: { claims: [{ name: "gpu" }] } }), paths: [`${C}.resources.claims[0].name`] },
  // probes and lifecycle
  { name: "a probe without handler is rejected", set: withContainer({ livenessProbe: { successThreshold: 1 } }), paths: [`${C}.livenessProbe`] },
  {
    name: "a probe with two handlers is rejected",
    set: withContainer({ readinessProbe: { exec: { command: ["true"] }, tcpSocket: { port: 80 } } }),
    paths: [`${C}.readinessProbe`],
  },
  {
    name: "a liveness probe needs successThreshold 1",
    set: withContainer({ livenessProbe: { exec: { command: ["true"] }, successThreshold: 2 } }),
    paths: [`${C}.livenessProbe.successThreshold`],
  },
  {
    name: "a negative periodSeconds is rejected",
    set: withContainer({ readinessProbe: { exec: { command: ["true"] }, periodSeconds: -1 } }),
    paths: [`${C}.readinessProbe.periodSeconds`],
  },
  {
    name: "terminationGracePeriodSeconds on a readiness probe is rejected",
    set: withContainer({ readinessProbe: { exec: { command: ["true"] }, terminationGracePeriodSeconds: 5 } }),
    paths: [`${C}.readinessProbe.terminationGracePeriodSeconds`],
  },
  {
    name: "an httpGet port 0 is rejected",
    set: withContainer({ livenessProbe: { httpGet: { path: "/", port: 0, scheme: "HTTP" }, successThreshold: 1 } }),
    paths: [`${C}.livenessProbe.httpGet.port`],
  },
  {
    name: "probes on an initContainer that runs to completion are rejected",
    set: withSet((s) => (s.spec.initContainers = [initContainer("i", { livenessProbe: { exec: { command: ["true"] }, successThreshold: 1 } })])),
    paths: ["spec.initContainers[0].livenessProbe"],
  },
  {
    name: "probes on a native sidecar initContainer are accepted",
    set: withSet((s) => {
      s.spec.updateStrategy = { type: "NotUpdate" };
      s.spec.initContainers = [
        initContainer("i", {
          restartPolicy: "Always",
          readinessProbe: { httpGet: { path: "/ready", port: "http", scheme: "HTTP" }, periodSeconds: 10 },
          startupProbe: { tcpSocket: { port: 8080 }, successThreshold: 1 },
        }),
      ];
    }),
    paths: [],
  },
  { name: "a preStop sleep of 0 seconds is rejected", set: withContainer({ lifecycle: { preStop: { sleep: { seconds: 0 } } } }), paths: [`${C}.lifecycle.preStop.sleep.seconds`] },
  { name: "a preStop exec hook is accepted", set: withContainer({ lifecycle: { preStop: { exec: { command: ["sleep", "5"] } } } }), paths: [] },
  // securityContext
  {
    name: "privileged with allowPrivilegeEscalation false is rejected",
    set: withContainer({ securityContext: { privileged: true, allowPrivilegeEscalation: false } }),
    paths: [`${C}.securityContext`],
  },
  { name: "a negative runAsUser is rejected", set: withContainer({ securityContext: { runAsUser: -1 } }), paths: [`${C}.securityContext.runAsUser`] },
  {
    name: "a Localhost seccomp profile needs localhostProfile",
    set: withContainer({ securityContext: { seccompProfile: { type: "Localhost" } } }),
    paths: [`${C}.securityContext.seccompProfile.localhostProfile`],
  },
  { name: "resizePolicy on an initContainer is rejected", set: withSet((s) => (s.spec.initContainers = [initContainer("i", { resizePolicy: [{ resourceName: "cpu", restartPolicy: "NotRequired" }] })])), paths: ["spec.initContainers[0].resizePolicy"] },
  // volumes
  { name: "a volume without source is rejected", set: withSet((s) => (s.spec.volumes = [{ name: "v" }])), paths: ["spec.volumes[0]"] },
  { name: "a volume with two sources is rejected", set: withSet((s) => (s.spec.volumes = [{ name: "v", emptyDir: {}, hostPath: { path: "/x" } }])), paths: ["spec.volumes[0]"] },
  { name: "an upper-case volume name is rejected", set: withSet((s) => (s.spec.volumes = [{ name: "Logs", emptyDir: {} }])), paths: ["spec.volumes[0].name"] },
  { name: "a hostPath without path is rejected", set: withSet((s) => (s.spec.volumes = [{ name: "v", hostPath: { path: "" } }])), paths: ["spec.volumes[0].hostPath.path"] },
  { name: "a defaultMode above 0777 is rejected", set: withSet((s) => (s.spec.volumes = [{ name: "v", secret: { secretName: "s", defaultMode: 1000 } }])), paths: ["spec.volumes[0].secret.defaultMode"] },
  {
    name: "a configMap item escaping the volume is rejected",
    set: withSet((s) => (s.spec.volumes = [{ name: "v", configMap: { name: "cm", items: [{ key: "k", path: "../k" }] } }])),
    paths: ["spec.volumes[0].configMap.items[0].path"],
  },
  {
    name: "a projected token shorter than 10 minutes is rejected",
    set: withSet((s) => (s.spec.volumes = [{ name: "v", projected: { sources: [{ serviceAccountToken: { path: "token", expirationSeconds: 60 } }] } }])),
    paths: ["spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds"],
  },
  {
    name: "common volume sources are accepted",
    set: withSet(
      (s) =>
        (s.spec.volumes = [
          { name: "a", emptyDir: { sizeLimit: "1Gi" } },
          { name: "b", configMap: { name: "cm", defaultMode: 420, items: [{ key: "k", path: "conf/k" }] } },
          { name: "c", secret: { secretName: "s", defaultMode: 420 } },
          { name: "d", hostPath: { path: "/var/log", type: "" } },
          { name: "e", downwardAPI: { defaultMode: 420, items: [{ path: "labels", fieldRef: { apiVersion: "v1", fieldPath: "metadata.labels" } }] } },
          { name: "f", projected: { defaultMode: 420, sources: [{ serviceAccountToken: { path: "token", expirationSeconds: 3600 } }] } },
          {
            name: "g",
            ephemeral: { volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } } },
          },
        ]),
    ),
    paths: [],
  },
];

for (const c of cases) {
  test(`docs/behaviour.md §4.3: ${c.name}`, () => {
    const { errors } = validate(c.set);
    assert.deepEqual(
      errors.map((e) => e.path),
      c.paths,
      JSON.stringify(errors),
    );
  });
}

test("docs/behaviour.md §4.3: messages say what was given and what is allowed", () => {
  const { errors } = validate(withContainer({ ports: [{ containerPort: 70000, protocol: "TCP" }] }));
  assert.equal(errors[0]!.message, "70000 is not a port number; use 1 to 65535");
});
