// The SidecarSets the cluster benchmarks create through the API server. Kept
// apart from admission-workload.ts, which the in-process benchmarks load: this
// module's imports bring in the test suite's API client.
import { sidecarSetObject } from "../../test/support/sidecarsets.js";

/**
 * The cluster benchmarks' SidecarSet number `i` in `namespace`, selecting `app`: a volume, `shareVolumePolicy`
 * and `transferEnv: TZ` from the pods' `app` container.
 */
export function clusterSidecarSet(i: number, namespace: string, app: string): ReturnType<typeof sidecarSetObject> {
  return sidecarSetObject(clusterSidecarSetName(i), {
    namespace,
    selector: { matchLabels: { app } },
    updateStrategy: { maxUnavailable: "10%" },
    volumes: [{ name: `vol-${i}`, emptyDir: {} }],
    containers: [
      {
        name: `agent-${i}`,
        image: "registry.local/agent:1",
        shareVolumePolicy: { type: "enabled" },
        transferEnv: [{ sourceContainerName: "app", envName: "TZ" }],
        volumeMounts: [{ name: `vol-${i}`, mountPath: `/agent-${i}` }],
      },
    ],
  });
}

export const clusterSidecarSetName = (i: number): string => `bench-${String(i).padStart(3, "0")}`;
