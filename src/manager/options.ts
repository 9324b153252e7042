// Everything the manager process can be told, with its defaults.
import { DEFAULT_MANAGER_NAMESPACE } from "../api/keys.js";
import { DEFAULT_EXPECTATION_TIMEOUT_MS } from "../core/rollout/expectations.js";
import { WEBHOOK_CERT_SECRET_NAME, WEBHOOK_SERVICE_NAME } from "../manifests/options.js";
import type { LogLevel } from "../observability/logger.js";

export type CertMode = "self-signed" | "files";

export interface ManagerOptions {
  kubeconfig?: string;
  /** Manager namespace: ControllerRevisions, the whitelist ConfigMap, the cert Secret, the Lease. */
  namespace: string;
  webhookPort: number;
  /** Address the webhook server binds to. */
  webhookBindAddress: string;
  /**
   * Out-of-cluster mode: the manager installs the webhook configurations itself,
   * pointing at https://HOST:PORT/…, with its own CA.
   */
  webhookHost?: string;
  metricsPort: number;
  metricsBindAddress: string;
  leaderElect: boolean;
  leaseName: string;
  certMode: CertMode;
  certSecret: string;
  certDir: string;
  webhookServiceName: string;
  workers: number;
  expectationTimeoutMs: number;
  logLevel: LogLevel;
  sortInjectedContainersByName: boolean;
  allowPatchPodMetadataWithoutWhitelist: boolean;
  /**
   * `--native-sidecar-in-place-upgrade` (docs/behaviour.md §7a.6): SidecarSets with native
   * sidecars may be RollingUpdate, and their image changes are rolled out in place.
   */
  nativeSidecarInPlaceUpgrade: boolean;
  /**
   * `--self-scoping-webhook`: the Lease holder limits the pod webhook with
   * matchConditions to pods a SidecarSet could select. Undefined: on when the
   * API server is 1.30 or later.
   */
  selfScopingWebhook?: boolean;
  /** `--scope-narrowing-grace`: how long a scope no longer needed stays covered. */
  scopeNarrowingGraceMs: number;
  /** `--admission-warm-up`: made-up pod admissions run at start, before the webhooks report ready (0: none). */
  admissionWarmUp: number;
  /**
   * `--shutdown-delay`: on SIGTERM, how long the webhooks keep answering (not ready, each connection closed
   * after its next answer) before the server stops, while the API servers learn that this replica is leaving.
   */
  shutdownDelayMs: number;
  /**
   * `--webhook-view-lease-duration`: each replica renews a Lease saying which SidecarSet generations its pod
   * webhook holds, and the Lease holder's status.observedGeneration waits for the others' (docs/behaviour.md §6.4),
   * at most this long per generation. 0: no such Lease is written or read.
   */
  webhookViewLeaseMs: number;
  /** Identity in the Lease and in events; the pod name in a cluster. */
  identity: string;
  /** The pod this replica runs in (`$POD_NAME`): its webhook view Lease is named after it, so a restart takes it over. */
  podName?: string;
}

export const DEFAULT_MANAGER_OPTIONS: Omit<ManagerOptions, "identity"> = {
  namespace: DEFAULT_MANAGER_NAMESPACE,
  webhookPort: 9443,
  webhookBindAddress: "0.0.0.0",
  metricsPort: 8080,
  metricsBindAddress: "0.0.0.0",
  leaderElect: false,
  leaseName: "sidecarset-manager",
  certMode: "self-signed",
  certSecret: WEBHOOK_CERT_SECRET_NAME,
  certDir: "/etc/sidecarset/certs",
  webhookServiceName: WEBHOOK_SERVICE_NAME,
  workers: 3,
  expectationTimeoutMs: DEFAULT_EXPECTATION_TIMEOUT_MS,
  logLevel: "info",
  sortInjectedContainersByName: false,
  allowPatchPodMetadataWithoutWhitelist: false,
  nativeSidecarInPlaceUpgrade: false,
  scopeNarrowingGraceMs: 30_000,
  admissionWarmUp: 1_000,
  shutdownDelayMs: 5_000,
  webhookViewLeaseMs: 20_000,
};
