// Messages between the manager's main thread (controller, leader election,
// certificates, /metrics and /readyz) and the webhook thread (the admission
// server and its caches). Plain data only: they are structured-cloned.
import type { ResolvedCredentials } from "../kube/relayed-credentials.js";
import type { HeldSidecarSet } from "./held-sidecarsets.js";
import type { LogLevel } from "../observability/logger.js";
import type { ServedCertificate } from "../webhook/server.js";

/** What the webhook thread is started with (its workerData). */
export interface WebhookThreadConfig {
  /** API server and credentials as the main thread resolved them; refreshed with "credentials" messages. */
  credentials?: ResolvedCredentials;
  /** Only when `credentials` cannot be relayed (a proxy): the thread loads the kubeconfig itself. */
  kubeconfig?: string;
  /** Manager namespace: ControllerRevisions and the whitelist ConfigMap. */
  namespace: string;
  port: number;
  host: string;
  certificate: PemPair;
  /** --cert-mode=files: the thread polls these itself, so rotation never waits on the main thread. */
  certificateFiles?: { certFile: string; keyFile: string };
  logLevel: LogLevel;
  sortInjectedContainersByName: boolean;
  allowPatchPodMetadataWithoutWhitelist: boolean;
  nativeSidecarInPlaceUpgrade: boolean;
  /** Made-up pod admissions to run while the caches sync (admission-warm-up.ts); 0 runs none. */
  admissionWarmUp: number;
}

export interface PemPair {
  cert: string;
  key: string;
}

/**
 * Admissions served since the last batch: [path, HTTP status, seconds] each, injections per SidecarSet, and
 * the connections accepted and those closed for the server's connection limit.
 */
export interface WebhookMetricsBatch {
  requests: [string, number, number][];
  injections: Record<string, number>;
  connections: number;
  connectionsLimited: number;
}

export interface WebhookThreadState {
  synced: boolean;
  serving: boolean;
  /** Cached objects per informer. */
  cached: Record<string, number>;
  /** Event-loop delay of the webhook thread since the previous state that started a new window, in seconds. */
  eventLoopDelay: { p99: number; max: number };
  /** The thread's own V8 heap (the process's default metrics cover the main thread's only), in bytes. */
  heap: { used: number; total: number };
  /** The webhook server's open connections, and those of them idle (absent before it listens). */
  connections?: { open: number; idle: number };
  /** The certificate the server presents (absent before it listens). */
  certificate?: ServedCertificate;
}

export type ToWebhookThread =
  | { type: "certificate"; pair: PemPair }
  | { type: "credentials"; credentials: ResolvedCredentials }
  /** Asks for the state; the pending metrics batch is sent first. `newWindow` restarts the event-loop delay window. */
  | { type: "state"; id: number; newWindow: boolean }
  /** The start of a shutdown: keep answering, report not ready, close each connection after its next answer. */
  | { type: "retire" }
  | { type: "stop" };

export type FromWebhookThread =
  | { type: "log"; lines: string[] }
  | { type: "metrics"; batch: WebhookMetricsBatch }
  | { type: "serving"; port: number }
  | { type: "failed"; message: string }
  | { type: "state"; id: number; state: WebhookThreadState }
  /** The SidecarSets the thread's cache holds, after every change of that cache. */
  | { type: "sidecarsets"; held: HeldSidecarSet[] }
  | { type: "stopped" };
