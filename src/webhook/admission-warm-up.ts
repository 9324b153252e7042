// A new process runs its first admissions in V8's interpreter and baseline
// tiers: the functions of the pod webhook's path are compiled to optimized
// code only after each has run some hundreds of times. At the rate pods are
// created (a few a second), that is minutes of admissions two to three times
// slower than the same work later, right after every start of a replica
// (docs/benchmarks.md, "The first admissions of a new process"). So before the
// webhooks report ready, the path is run on made-up pods against made-up
// SidecarSets, through a handler of its own: nothing reaches the real caches,
// the answer memo, the metrics or the log.
import { setImmediate as nextTurn } from "node:timers/promises";
import { canonicalJson } from "../api/canonical-json.js";
import { defaultSidecarSet } from "../api/defaults.js";
import type { SidecarSet } from "../api/types.js";
import { silentLogger } from "../observability/logger.js";
import { admissionRoute, createPodHandler } from "./handlers/index.js";
import type { AdmissionCache } from "./handlers/cache-view.js";
import { jsonPieces, type WebhookHandler } from "./server.js";
import { loopbackSender } from "./loopback-sender.js";
import { textBytes } from "./text-bytes.js";

export interface WarmUpOptions {
  /** Admissions to run; 0 runs none. */
  admissions: number;
  /** Stops early once this much time has passed (a slow or busy machine must not hold readiness back). */
  budgetMs: number;
  /** Stops early when aborted (the manager is stopping). */
  signal?: AbortSignal;
  /**
   * Sends a review's text to the server's own port (where `warmUpRoute()` serves `WARM_UP_PATH`) and gives
   * back the answer's text, so that TLS, HTTP and the server's own steps are warmed up too; without it the
   * route is called in process.
   */
  send?: (review: string) => Promise<string>;
}

export interface WarmUpResult {
  admissions: number;
  /** How many of them got sidecars; the others matched no SidecarSet. */
  injected: number;
  /** How many went through the server's port (`send`); the rest were run in process. */
  sent: number;
  /** Why sending stopped, when it failed: the admissions left were run in process. */
  sendError?: string;
  ms: number;
}

/** A slow or busy machine stops the warm-up after this long rather than hold readiness back. */
export const WARM_UP_BUDGET_MS = 3_000;

/** Where the server serves `warmUpRoute()` while it warms up; no webhook configuration names it. */
export const WARM_UP_PATH = "/warm-up/mutate-pod";

/** Admissions between two turns of the event loop, so that the thread keeps serving meanwhile (conversions, /readyz). */
const CHUNK = 25;
const NAMESPACE = "warm-up";
const APP_LABEL = "sidecarset.kruise.io/warm-up-app";

/** Runs the pod webhook's whole path (decode, inject, encode) on made-up pods, in chunks. */
export async function warmUpPodAdmission(opts: WarmUpOptions): Promise<WarmUpResult> {
  const started = performance.now();
  const inProcess = inProcessAdmission(warmUpRoute());
  const send = opts.send;
  const result: WarmUpResult = { admissions: 0, injected: 0, sent: 0, ms: 0 };
  while (result.admissions < opts.admissions && !opts.signal?.aborted && performance.now() - started < opts.budgetMs) {
    const end = Math.min(opts.admissions, result.admissions + CHUNK);
    for (let i = result.admissions; i < end; i++) {
      const review = JSON.stringify(podCreationReview(i));
      let response: AdmissionResponse;
      if (send && result.sendError === undefined) {
        try {
          response = await sentAdmission(send, review);
          result.sent++;
        } catch (e) {
          // The port may not be reachable from here (a bind address of another host's); the handlers still are.
          result.sendError = e instanceof Error ? e.message : String(e);
          response = await inProcess(review);
        }
      } else {
        response = await inProcess(review);
      }
      if (response?.allowed !== true) throw new Error(`a warm-up admission was not allowed: ${JSON.stringify(response).slice(0, 300)}`);
      if (response.patch !== undefined) result.injected++;
      result.admissions++;
    }
    await nextTurn();
  }
  result.ms = performance.now() - started;
  return result;
}

export interface ServingWarmUp {
  admissions: number;
  /** The server's routes object (the route is added to it meanwhile), where it listens, and its port. */
  server: { routes: Record<string, WebhookHandler>; bindAddress: string; port: number };
  signal?: AbortSignal;
}

/**
 * The warm-up as the webhook thread runs it before it serves: through its own listening server, at a route
 * that is there only meanwhile, within WARM_UP_BUDGET_MS.
 */
export async function warmUpThroughServer({ admissions, server, signal }: ServingWarmUp): Promise<WarmUpResult> {
  server.routes[WARM_UP_PATH] = warmUpRoute();
  const sender = loopbackSender({ bindAddress: server.bindAddress, port: server.port, path: WARM_UP_PATH });
  try {
    return await warmUpPodAdmission({ admissions, budgetMs: WARM_UP_BUDGET_MS, ...(signal ? { signal } : {}), send: (review) => sender.send(review) });
  } finally {
    sender.close();
    delete server.routes[WARM_UP_PATH];
  }
}

/** The pod webhook's route over made-up SidecarSets: the same code as the real one, none of its state. */
export function warmUpRoute(): WebhookHandler {
  const sets = warmUpSidecarSets();
  const cache: AdmissionCache = {
    sidecarSets: () => sets,
    namespaceLabels: (name) => ({ "kubernetes.io/metadata.name": name }),
    revisions: () => [],
    whitelist: () => undefined,
    // Fixed content: the answer memo's path is taken too, for the pods of a template.
    version: () => 0,
  };
  const logger = silentLogger();
  return admissionRoute(createPodHandler({ cache, now: () => new Date(), random: Math.random, logger }), logger);
}

type AdmissionResponse = { allowed?: boolean; patch?: string } | undefined;

async function sentAdmission(send: (review: string) => Promise<string>, review: string): Promise<AdmissionResponse> {
  return (JSON.parse(await send(review)) as { response?: AdmissionResponse }).response;
}

function inProcessAdmission(route: WebhookHandler): (review: string) => Promise<AdmissionResponse> {
  return async (review) => {
    // Parsed from text, as the server hands a request body to its route.
    const reply = await route({ path: WARM_UP_PATH, body: JSON.parse(review) as unknown, abandoned: false, signal: NEVER_ABORTED });
    // What the server does next with the answer's text, before writing it.
    textBytes(jsonPieces(reply.body, reply.json));
    return reply.status === 200 ? (reply.body as { response?: AdmissionResponse }).response : undefined;
  };
}

const NEVER_ABORTED = new AbortController().signal;

/**
 * Twenty SidecarSets as the webhook cache holds them: defaulted, with their hash annotations, keys in the
 * API server's order (sorted, as it writes custom resources) and parsed from JSON text. Four select the
 * warm-up's app, with what injection has to work out: shared volumes, transferred env, a volume each, both
 * injection positions; the others select other apps, by labels or by expressions.
 */
function warmUpSidecarSets(): SidecarSet[] {
  const sets: SidecarSet[] = [];
  for (let i = 0; i < 20; i++) {
    const selects = i % 5 === 0;
    const selector = selects
      ? { matchLabels: { [APP_LABEL]: "web" } }
      : i % 2 === 0
        ? { matchLabels: { [APP_LABEL]: `other-${i}` } }
        : { matchExpressions: [{ key: APP_LABEL, operator: "In", values: [`other-${i}`, `another-${i}`] }] };
    const set = defaultSidecarSet({
      apiVersion: "apps.kruise.io/v1alpha1",
      kind: "SidecarSet",
      metadata: { name: `warm-up-${String(i).padStart(2, "0")}`, uid: `00000000-0000-4000-8000-0000000000${String(i).padStart(2, "0")}`, generation: 1 },
      spec: {
        selector,
        containers: [
          {
            name: `agent-${i}`,
            image: `registry.invalid/agent-${i}:1.0`,
            podInjectPolicy: i % 10 === 0 ? "BeforeAppContainer" : "AfterAppContainer",
            shareVolumePolicy: { type: i % 2 === 0 ? "enabled" : "disabled" },
            transferEnv: [{ sourceContainerName: "app", envName: "TZ" }],
            volumeMounts: [{ name: `agent-${i}-data`, mountPath: `/var/lib/agent-${i}` }],
            env: [{ name: "AGENT_ID", value: String(i) }],
            resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "32Mi" } },
          },
        ],
        volumes: [{ name: `agent-${i}-data`, emptyDir: {} }],
      },
    } as SidecarSet);
    // The API server writes custom resources as Go marshals generic maps: keys sorted at every level.
    sets.push(JSON.parse(canonicalJson(set)) as SidecarSet);
  }
  return sets;
}

/**
 * The review of the i-th made-up pod, its fields in the order the API server writes a Pod (as defaulted
 * before admission). Of every four pods two select the warm-up's SidecarSets and differ from all others,
 * one is the pod of a template (`generateName`, the same each time: the answer memo's path), and one
 * selects none.
 */
function podCreationReview(i: number): Record<string, unknown> {
  const kind = i % 4;
  const app = kind === 3 ? "unselected" : "web";
  const metadata: Record<string, unknown> =
    kind === 2
      ? { generateName: "web-7d9f8b6c5-", namespace: NAMESPACE, creationTimestamp: null, labels: { [APP_LABEL]: app, "pod-template-hash": "7d9f8b6c5" } }
      : { name: `web-${i}`, namespace: NAMESPACE, creationTimestamp: null, labels: { [APP_LABEL]: app, instance: String(i) } };
  return {
    kind: "AdmissionReview",
    apiVersion: "admission.k8s.io/v1",
    request: {
      uid: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      requestKind: { group: "", version: "v1", kind: "Pod" },
      requestResource: { group: "", version: "v1", resource: "pods" },
      namespace: NAMESPACE,
      operation: "CREATE",
      userInfo: { username: "system:serviceaccount:kube-system:replicaset-controller", groups: ["system:serviceaccounts", "system:authenticated"] },
      object: {
        kind: "Pod",
        apiVersion: "v1",
        metadata,
        spec: {
          volumes: [
            { name: "logs", emptyDir: {} },
            { name: "config", configMap: { name: "web-config", defaultMode: 420 } },
          ],
          containers: [
            {
              name: "app",
              image: "registry.invalid/web:1.0",
              env: [
                { name: "TZ", value: "Europe/Berlin" },
                { name: "POD_NAME", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } } },
              ],
              resources: {},
              volumeMounts: [
                { name: "logs", mountPath: "/var/log/app" },
                { name: "config", readOnly: true, mountPath: "/etc/app" },
              ],
              terminationMessagePath: "/dev/termination-log",
              terminationMessagePolicy: "File",
              imagePullPolicy: "IfNotPresent",
            },
          ],
          restartPolicy: "Always",
          terminationGracePeriodSeconds: 30,
          dnsPolicy: "ClusterFirst",
          securityContext: {},
          schedulerName: "default-scheduler",
          enableServiceLinks: true,
          preemptionPolicy: "PreemptLowerPriority",
        },
        status: {},
      },
      oldObject: null,
      dryRun: false,
      options: { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1" },
    },
  };
}
