// The admission workload the benchmarks share: 100 SidecarSets of which 10
// select the pod (shared volumes, transferEnv, a volume each), that pod, and the
// AdmissionReview an API server wraps a pod creation in.
import { defaultSidecarSet } from "../../src/api/defaults.js";
import type { Pod } from "../../src/api/kube-types.js";
import type { SidecarSet } from "../../src/api/types.js";

/** `count` SidecarSets (100 by default), defaulted: every tenth of the first 100 selects `app: web`, the rest other apps. */
export function sidecarSets(count = 100): SidecarSet[] {
  return sidecarSetManifests(count).map(defaultSidecarSet);
}

/** The same SidecarSets as a user writes them, without the defaults the API server's webhook adds. */
export function sidecarSetManifests(count = 100): SidecarSet[] {
  const sets: SidecarSet[] = [];
  for (let i = 0; i < count; i++) {
    const matches = i % 10 === 0 && i < 100;
    sets.push({
      // Names sort in creation order whatever the count, as a cache's list is kept in injection order.
      metadata: { name: `sidecar-${String(i).padStart(Math.max(3, String(count - 1).length), "0")}` },
      spec: {
        selector: { matchLabels: { app: matches ? "web" : `other-${i}` } },
        containers: [
          {
            name: `agent-${i}`,
            image: `registry.local/agent-${i}:1.0`,
            podInjectPolicy: i % 20 === 0 ? "BeforeAppContainer" : "AfterAppContainer",
            shareVolumePolicy: { type: i % 3 === 0 ? "enabled" : "disabled" },
            transferEnv: [{ sourceContainerName: "web-server", envName: "TZ" }],
            volumeMounts: [{ name: `agent-${i}-data`, mountPath: `/var/lib/agent-${i}` }],
            env: [{ name: "AGENT_ID", value: String(i) }],
            resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "32Mi" } },
          },
        ],
        volumes: [{ name: `agent-${i}-data`, emptyDir: {} }],
      },
    });
  }
  return sets;
}

export function pod(): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { generateName: "web-", namespace: "demo", labels: { app: "web", "pod-template-hash": "abc" } },
    spec: {
      containers: [
        {
          name: "web-server",
          image: "registry.local/web:1.0",
          env: [
            { name: "TZ", value: "Europe/Berlin" },
            { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
          ],
          volumeMounts: [
            { name: "app-logs", mountPath: "/var/log/app" },
            { name: "config", mountPath: "/etc/app", readOnly: true },
          ],
        },
      ],
      volumes: [
        { name: "app-logs", emptyDir: {} },
        { name: "config", configMap: { name: "web-config" } },
      ],
    },
  };
}

/** The AdmissionReview an API server sends the pod webhook for the creation of `object` in `namespace`. */
export function podCreationReview(uid: string, namespace: string, object: unknown): Record<string, unknown> {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace,
      operation: "CREATE",
      userInfo: { username: "bench" },
      object,
    },
  };
}
