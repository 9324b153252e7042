import type { SidecarContainer } from "../../../src/api/types.js";

// A container using most Container fields; expected hashes computed by Go encoding/json over the
// k8s.io/api types (OpenKruise's algorithm), so key order, presence and quantity text are Go's.
export const richContainer: SidecarContainer = {
  name: "envoy",
  image: "reg.io/envoy:v1<2>&3",
  command: ["/bin/envoy"],
  args: ["--log-level", "info\u2028x\u2029"],
  ports: [{ name: "admin", containerPort: 15000, hostPort: 0 }, { containerPort: 53, protocol: "UDP" }],
  env: [
    { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
    { name: "CPU", valueFrom: { resourceFieldRef: { resource: "limits.cpu" } } },
    { name: "OPT", valueFrom: { configMapKeyRef: { name: "cm", key: "k", optional: false } } },
  ],
  resources: { limits: { memory: "1.5Gi", cpu: "0.5" }, requests: { cpu: "100m", memory: "2048Mi" } },
  livenessProbe: { httpGet: { port: "admin" }, periodSeconds: 0 },
  readinessProbe: { grpc: { port: 15001 } },
  startupProbe: { tcpSocket: { port: 15000 }, terminationGracePeriodSeconds: 0 },
  lifecycle: { preStop: { sleep: { seconds: 5 } } },
  securityContext: { privileged: false, runAsNonRoot: true, capabilities: { drop: ["ALL"] }, seccompProfile: { localhostProfile: "" } as never },
  stdin: false,
  tty: true,
  upgradeStrategy: { upgradeType: "HotUpgrade", hotUpgradeEmptyImage: "empty:1" },
  shareVolumeDevicePolicy: {},
  transferEnv: [{ sourceContainerName: "app", envNames: ["A", "B"] }],
  resourcesPolicy: { targetContainersMode: "sum", resourcesExpr: { limits: { cpu: "cpu*50%" } } },
};
