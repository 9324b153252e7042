// Small helpers for tests that talk to the test control plane: typed clients
// from a kubeconfig, raw JSON requests (objects exactly as the apiserver sends
// them), and wait-for helpers that poll against a deadline. Tests never sleep
// for a fixed time: they wait for the state they need.
import {
  AdmissionregistrationV1Api,
  ApiException,
  ApiextensionsV1Api,
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  Watch,
} from "@kubernetes/client-node";
import { Agent, request as httpsRequest, type RequestOptions } from "node:https";
import type { Pod } from "../../src/api/kube-types.js";

export function loadKubeConfig(kubeconfigPath: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  return kc;
}

export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  admission: AdmissionregistrationV1Api;
  apiextensions: ApiextensionsV1Api;
  rbac: RbacAuthorizationV1Api;
  coordination: CoordinationV1Api;
  custom: CustomObjectsApi;
  objects: KubernetesObjectApi;
}

export function kubeClients(kubeconfigPath: string): KubeClients {
  const kc = loadKubeConfig(kubeconfigPath);
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    admission: kc.makeApiClient(AdmissionregistrationV1Api),
    apiextensions: kc.makeApiClient(ApiextensionsV1Api),
    rbac: kc.makeApiClient(RbacAuthorizationV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    objects: KubernetesObjectApi.makeApiClient(kc),
  };
}

/** The content type of a JSON merge patch sent with rawRequest. */
export const MERGE_PATCH = "application/merge-patch+json";

/** Options for the typed clients' patch calls (they default to JSON Patch). */
export const mergePatch = (): ReturnType<typeof setHeaderOptions> => setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
export const strategicMergePatch = (): ReturnType<typeof setHeaderOptions> => setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);

/** The HTTP status of a failed API call, from either the typed clients or rawRequest. */
export function apiErrorCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  if (err instanceof KubeRequestError) return err.status;
  return undefined;
}

export class KubeRequestError extends Error {
  constructor(readonly method: string, readonly path: string, readonly status: number, readonly body: string) {
    super(`${method} ${path}: HTTP ${status}: ${body.slice(0, 500)}`);
  }
}

// The typed clients open a new TLS connection for every call; rawRequest keeps
// connections alive per kubeconfig, which matters when hundreds of pods change.
const agents = new WeakMap<KubeConfig, Agent>();

/**
 * One API request with the kubeconfig's credentials over a kept-alive
 * connection; the answer is parsed JSON as the apiserver sent it (string
 * timestamps, unknown fields kept).
 */
export async function rawRequest<T>(
  kc: KubeConfig,
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster");
  const url = new URL(cluster.server + path);
  const opts: RequestOptions = { method, headers: { accept: "application/json" } };
  await kc.applyToHTTPSOptions(opts);
  let agent = agents.get(kc);
  if (!agent) {
    const { ca, cert, key, rejectUnauthorized } = opts;
    agent = new Agent({ keepAlive: true, maxSockets: 32, ca, cert, key, ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized }) });
    agents.set(kc, agent);
  }
  opts.agent = agent;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  if (payload !== undefined) opts.headers = { ...opts.headers, "content-type": contentType, "content-length": Buffer.byteLength(payload) };
  return new Promise<T>((resolve, reject) => {
    const req = httpsRequest(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) return reject(new KubeRequestError(method, path, status, text));
        try {
          resolve((text ? JSON.parse(text) : undefined) as T);
        } catch (err) {
          reject(err);
        }
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns a value other than undefined/false, or the
 * deadline passes. Errors thrown by the probe count as "not yet" but the last
 * one is reported on timeout, with `description`.
 */
export async function waitFor<T>(
  description: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  opts: WaitOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      last = "";
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${description}${last ? ` (last error: ${last})` : ""}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function listPods(kc: KubeConfig, namespace: string, labelSelector?: string): Promise<Pod[]> {
  const query = labelSelector ? `?labelSelector=${encodeURIComponent(labelSelector)}` : "";
  return rawRequest<{ items: Pod[] }>(kc, "GET", `/api/v1/namespaces/${namespace}/pods${query}`).then((l) => l.items);
}

export function getPod(kc: KubeConfig, namespace: string, name: string): Promise<Pod> {
  return rawRequest<Pod>(kc, "GET", `/api/v1/namespaces/${namespace}/pods/${name}`);
}

/** Waits until pod `namespace`/`name` exists and satisfies `accept`; returns it as last read. */
export function waitForPod(
  kc: KubeConfig,
  namespace: string,
  name: string,
  accept: (pod: Pod) => boolean,
  description = `pod ${namespace}/${name} to be accepted`,
  opts: WaitOptions = {},
): Promise<Pod> {
  return waitFor(
    description,
    async () => {
      const pod = await getPod(kc, namespace, name);
      return accept(pod) ? pod : undefined;
    },
    opts,
  );
}

export function isPodReady(pod: Pod): boolean {
  return pod.status?.phase === "Running" && (pod.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

/** Waits until `count` pods match the selector and all satisfy `accept` (default: Running and Ready). */
export function waitForPods(
  kc: KubeConfig,
  namespace: string,
  labelSelector: string,
  count: number,
  accept: (pod: Pod) => boolean = isPodReady,
  opts: WaitOptions = {},
): Promise<Pod[]> {
  return waitFor(
    `${count} pods matching "${labelSelector}" in ${namespace} to be accepted`,
    async () => {
      const pods = (await listPods(kc, namespace, labelSelector)).filter((p) => !p.metadata?.deletionTimestamp);
      return pods.length === count && pods.every(accept) ? pods : undefined;
    },
    { timeoutMs: 60_000, ...opts },
  );
}

/**
 * Creates a namespace and waits for its `default` ServiceAccount: until the
 * controller-manager creates it, the ServiceAccount admission plugin rejects pods.
 */
export async function createNamespace(clients: KubeClients, name: string, labels: Record<string, string> = {}): Promise<void> {
  await clients.core.createNamespace({ body: { metadata: { name, labels } } });
  await waitFor(`ServiceAccount ${name}/default`, async () => {
    try {
      return await clients.core.readNamespacedServiceAccount({ name: "default", namespace: name });
    } catch (err) {
      if (apiErrorCode(err) === 404) return undefined;
      throw err;
    }
  });
}

export interface PodRecorder {
  /** Every version of the watched pods the apiserver reported, in order. */
  events: { type: string; pod: Pod }[];
  stop(): void;
}

/**
 * Records every change to the pods of a namespace (optionally narrowed by a
 * field selector such as "metadata.name=x"), so a test can assert on
 * transient states, e.g. "not ready while restarting", that polling could miss.
 */
export async function recordPodEvents(
  kc: KubeConfig,
  namespace: string,
  fieldSelector?: string,
  /** Also called with each event as it arrives, e.g. to check an invariant at every instant. */
  onEvent?: (type: string, pod: Pod) => void,
  /** Called when the watch ends before stop (it is not resumed): a caller waiting on events would wait for ever. */
  onEnd?: (error: unknown) => void,
): Promise<PodRecorder> {
  const events: PodRecorder["events"] = [];
  let failure: unknown;
  const controller = await new Watch(kc).watch(
    `/api/v1/namespaces/${namespace}/pods`,
    fieldSelector ? { fieldSelector } : {},
    (type, obj) => {
      events.push({ type, pod: obj as Pod });
      onEvent?.(type, obj as Pod);
    },
    (err) => {
      failure = err;
      if (!stopped) onEnd?.(err);
    },
  );
  let stopped = false;
  return {
    events,
    stop: () => {
      stopped = true;
      controller.abort();
      if (failure && (failure as Error).name !== "AbortError") throw new Error(`pod watch failed: ${(failure as Error).message}`);
    },
  };
}
