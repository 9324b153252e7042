// Helpers for the rollout end-to-end tests: SidecarSet and Deployment
// manifests, a namespace with a SidecarSet and the app it selects, changing
// the sidecar image, proving that the controller reconciled again (so
// "nothing more happened" is an observation, not a sleep), replaying a
// recorded pod watch, and server-side Tables.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import type { ControllerRevision, Pod } from "../../src/api/kube-types.js";
import { runPlan } from "../../src/cli/plan.js";
import { CUSTOM_VERSION_LABEL, SIDECARSET_UPGRADABLE_CONDITION } from "../../src/api/keys.js";
import type { Environment } from "./environment.js";
import { applyYaml, MANAGER_NAMESPACE } from "./environment.js";
import { createNamespace, isPodReady, KubeRequestError, listPods, rawRequest, waitFor, type PodRecorder, type WaitOptions } from "./kube.js";
import { getSidecarSet, patchSidecarSet, sidecarSetObject, waitForObserved, type SidecarSetObject, type SidecarSetStatus } from "./sidecarsets.js";

export const SIDECAR = "agent";

export interface SidecarSetOptions {
  /** Pods with label app=<selectorApp> (default: the SidecarSet's name) in `namespace`. */
  namespace: string;
  image: string;
  selectorApp?: string;
  updateStrategy?: Record<string, unknown>;
  /** Replaces the default single sidecar `agent`. */
  containers?: Record<string, unknown>[];
}

export function sidecarSetManifest(name: string, opts: SidecarSetOptions): string {
  return JSON.stringify(
    sidecarSetObject(name, {
      namespace: opts.namespace,
      selector: { matchLabels: { app: opts.selectorApp ?? name } },
      updateStrategy: opts.updateStrategy ?? {},
      containers: opts.containers ?? [{ name: SIDECAR, image: opts.image, command: ["sleep", "infinity"] }],
    }),
  );
}

/** A Deployment whose pods carry app=<app> plus `labels`; `podSpec` adds pod spec fields. */
export function deploymentManifest(
  name: string,
  namespace: string,
  replicas: number,
  app: string,
  labels: Record<string, string> = {},
  podSpec: Record<string, unknown> = {},
): string {
  const podLabels = { app, ...labels };
  return JSON.stringify({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace },
    spec: {
      replicas,
      selector: { matchLabels: podLabels },
      template: {
        metadata: { labels: podLabels },
        spec: { containers: [{ name: "app", image: "registry.local/app:1" }], terminationGracePeriodSeconds: 1, ...podSpec },
      },
    },
  });
}

/** Changes the image of sidecar `container` (a merge patch replaces the whole list, so the others are sent as read). */
export async function setSidecarImage(env: Environment, name: string, image: string, updateStrategy?: Record<string, unknown>, container = SIDECAR): Promise<void> {
  const current = await getSidecarSet(env, name);
  const containers = current.spec.containers.map((c) => (c.name === container ? { ...c, image } : c));
  await patchSidecarSet(env, name, { spec: { containers, ...(updateStrategy ? { updateStrategy } : {}) } });
}

/** The image the pod spec asks for in container `name`. */
export function specImage(pod: Pod, name = SIDECAR): string | undefined {
  return pod.spec?.containers.find((c) => c.name === name)?.image;
}

/** The image the kubelet reports running in container `name`. */
export function statusImage(pod: Pod, name = SIDECAR): string | undefined {
  return pod.status?.containerStatuses?.find((c) => c.name === name)?.image;
}

/** Running, Ready, and the sidecar runs what the spec asks for. */
export function runsSpecImage(pod: Pod, name = SIDECAR): boolean {
  return isPodReady(pod) && specImage(pod, name) === statusImage(pod, name);
}

export const podName = (p: Pod): string => p.metadata?.name ?? "";

/** Active pods (no deletionTimestamp) of app=<app>. */
export async function activePods(env: Environment, namespace: string, app: string): Promise<Pod[]> {
  return (await listPods(env.clients.kc, namespace, `app=${app}`)).filter((p) => !p.metadata?.deletionTimestamp);
}

/** Waits for `count` active pods of app=<app> that all satisfy `accept` (default: ready on their spec image). */
export function waitForAppPods(
  env: Environment,
  namespace: string,
  app: string,
  count: number,
  accept: (p: Pod) => boolean = (p) => runsSpecImage(p),
  opts: WaitOptions = {},
): Promise<Pod[]> {
  return waitFor(
    `${count} accepted pods of app=${app} in ${namespace}`,
    async () => {
      const pods = await activePods(env, namespace, app);
      return pods.length === count && pods.every(accept) ? pods : undefined;
    },
    { timeoutMs: 90_000, ...opts },
  );
}

export type StatusCounts = Required<Pick<SidecarSetStatus, "matchedPods" | "updatedPods" | "readyPods" | "updatedReadyPods">>;

/**
 * Waits until the SidecarSet's status was written for its current generation
 * and its counts equal `expected` (fields left out are not compared).
 */
export function waitForStatus(env: Environment, name: string, expected: Partial<StatusCounts>, opts: WaitOptions = {}): Promise<SidecarSetObject> {
  let last: unknown;
  return waitFor(
    `status of ${name} to be ${JSON.stringify(expected)}`,
    async () => {
      const set = await getSidecarSet(env, name);
      last = set.status;
      const s = set.status ?? {};
      if (s.observedGeneration !== set.metadata.generation) return undefined;
      for (const [k, v] of Object.entries(expected)) if (s[k as keyof typeof s] !== v) return undefined;
      return set;
    },
    { timeoutMs: 90_000, ...opts },
  ).catch((e: Error) => {
    throw new Error(`${e.message}; last status ${JSON.stringify(last)}`);
  });
}

/** A namespace, SidecarSet and Deployment all called by one name (see deployWithSidecarSet). */
export interface AppWithSidecarSet {
  replicas: number;
  image: string;
  updateStrategy?: Record<string, unknown>;
  /** Replaces the default single sidecar `agent`. */
  containers?: Record<string, unknown>[];
  /** Pod spec fields added to the Deployment's template. */
  podSpec?: Record<string, unknown>;
}

/**
 * Creates namespace `name` with SidecarSet `name` selecting app=`name` there
 * and Deployment `name` of such pods; returns without waiting for the pods.
 */
export async function deployWithSidecarSet(env: Environment, name: string, app: AppWithSidecarSet): Promise<void> {
  await createNamespace(env.clients, name);
  await applyYaml(env.clients, sidecarSetManifest(name, { namespace: name, image: app.image, updateStrategy: app.updateStrategy, containers: app.containers }));
  // A pod created before the manager's cache holds the SidecarSet is, rightly, not injected.
  await waitForObserved(env, name);
  await waitForInjection(env, name, name);
  await applyYaml(env.clients, deploymentManifest(name, name, app.replicas, name, {}, app.podSpec));
}

/**
 * Waits until the pod webhook injects SidecarSet `name` into a pod of app=<app>,
 * asked with a server-side dry run (nothing is created). The status shows what
 * the controller saw; right after the API server itself restarted, the
 * webhook's own watch may come back a moment later than the controller's.
 */
export function waitForInjection(env: Environment, namespace: string, name: string, app = name): Promise<Pod> {
  const probe = { apiVersion: "v1", kind: "Pod", metadata: { generateName: "injection-probe-", labels: { app } }, spec: { containers: [{ name: "app", image: "registry.local/app:1" }] } };
  return waitFor(`the pod webhook to inject ${name} into pods of app=${app}`, async () => {
    const pod = await rawRequest<Pod>(env.clients.kc, "POST", `/api/v1/namespaces/${namespace}/pods?dryRun=All`, probe);
    const injected = (pod.metadata?.annotations?.["kruise.io/sidecarset-injected-list"] ?? "").split(",");
    return injected.includes(name) ? pod : undefined;
  });
}

/**
 * deployWithSidecarSet, then waits until every pod is ready on its spec's
 * sidecar image and the status counts `settled` (by default all matched,
 * updated and ready). Returns the pods.
 */
export async function deploySettled(env: Environment, name: string, app: AppWithSidecarSet & { settled?: Partial<StatusCounts> }): Promise<Pod[]> {
  await deployWithSidecarSet(env, name, app);
  const pods = await waitForAppPods(env, name, name, app.replicas);
  await waitForStatus(env, name, app.settled ?? { matchedPods: app.replicas, updatedPods: app.replicas, readyPods: app.replicas });
  return pods;
}

async function readRevision(env: Environment, name: string): Promise<ControllerRevision> {
  return rawRequest<ControllerRevision>(env.clients.kc, "GET", `/apis/apps/v1/namespaces/${MANAGER_NAMESPACE}/controllerrevisions/${name}`);
}

let probeCounter = 0;

/**
 * Proves that the controller ran complete reconciles of the SidecarSet after
 * this call started. A custom-version label changes no hash, but the
 * controller copies it onto the current ControllerRevision in the revision
 * step of a reconcile. Reconciles of one SidecarSet never overlap, so seeing
 * the second label means the round that copied the first one (and whatever
 * upgrades it decided) has finished.
 */
export async function awaitTwoReconciles(env: Environment, name: string): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const version = `probe-${++probeCounter}`;
    await patchSidecarSet(env, name, { metadata: { labels: { [CUSTOM_VERSION_LABEL]: version } } });
    await waitFor(`a reconcile of ${name} to copy ${CUSTOM_VERSION_LABEL}=${version} onto its ControllerRevision`, async () => {
      const set = await getSidecarSet(env, name);
      const revision = set.status?.latestRevision;
      if (!revision) return undefined;
      return (await readRevision(env, revision)).metadata?.labels?.[CUSTOM_VERSION_LABEL] === version;
    });
  }
}

/** For each recorded event in order: the latest version of every pod seen so far (deleted pods dropped). */
export function* replay(recorder: PodRecorder): Generator<{ index: number; type: string; pod: Pod; pods: Map<string, Pod> }> {
  const pods = new Map<string, Pod>();
  for (const [index, { type, pod }] of recorder.events.entries()) {
    const key = pod.metadata?.uid ?? podName(pod);
    if (type === "DELETED") pods.delete(key);
    else if (type === "ADDED" || type === "MODIFIED") pods.set(key, pod);
    else continue;
    yield { index, type, pod, pods };
  }
}

/** Pod names in the order their spec first asked for `image` in `container`, from a recording. */
export function upgradeOrder(recorder: PodRecorder, image: string, container = SIDECAR): string[] {
  const order: string[] = [];
  for (const { pod } of recorder.events) {
    const name = podName(pod);
    if (specImage(pod, container) === image && !order.includes(name)) order.push(name);
  }
  return order;
}

/** The condition type SidecarSetUpgradable of a pod, if any. */
export function upgradableCondition(pod: Pod): { status: string; reason?: string; message?: string } | undefined {
  return pod.status?.conditions?.find((c) => c.type === SIDECARSET_UPGRADABLE_CONDITION);
}

/** A GET with an explicit Accept header (rawRequest always asks for plain JSON), e.g. for a server-side Table. */
export async function getWithAccept<T>(kc: KubeConfig, path: string, accept: string): Promise<T> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("the kubeconfig has no current cluster");
  const opts: RequestOptions = { method: "GET", headers: { accept } };
  await kc.applyToHTTPSOptions(opts);
  return new Promise<T>((resolve, reject) => {
    const req = httpsRequest(new URL(cluster.server + path), opts, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) return reject(new KubeRequestError("GET", path, status, text));
        try {
          resolve(JSON.parse(text) as T);
        } catch (err) {
          reject(err);
        }
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

export interface PlanJson {
  order: string[];
  upgrade: string[];
  notUpgradable: string[];
  busy: string[];
}

/**
 * `sidecarset plan -o json` on a SidecarSet and pods as read from the API
 * server. It runs the command's code in this process: spawning the CLI for
 * every step of a rollout would cost seconds each.
 */
export function planOf(set: SidecarSetObject, pods: readonly Pod[]): PlanJson {
  const dir = mkdtempSync(join(tmpdir(), "sidecarset-plan-"));
  try {
    const setFile = join(dir, "sidecarset.json");
    const podsFile = join(dir, "pods.json");
    writeFileSync(setFile, JSON.stringify({ apiVersion: "apps.kruise.io/v1alpha1", kind: "SidecarSet", ...set }));
    writeFileSync(podsFile, JSON.stringify(pods.map((p) => ({ apiVersion: "v1", kind: "Pod", ...p }))));
    const run = runPlan({ sidecarsets: [setFile], pods: [podsFile], output: "json" });
    if (run.exitCode !== 0) throw new Error(`sidecarset plan failed: ${run.stderr}`);
    return JSON.parse(run.stdout) as PlanJson;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * For each pod in the order its spec first asked for `image`: that pod's name
 * and every pod as the watch showed it just before (the state the controller
 * decided on, or a slightly newer one).
 */
export function snapshotsBeforeUpgrades(recorder: PodRecorder, image: string, container = SIDECAR): { upgraded: string; before: Pod[] }[] {
  const seen = new Set<string>();
  const out: { upgraded: string; before: Pod[] }[] = [];
  let previous: Pod[] = [];
  for (const { pod, pods } of replay(recorder)) {
    const name = podName(pod);
    if (specImage(pod, container) === image && !seen.has(name)) {
      seen.add(name);
      out.push({ upgraded: name, before: previous });
    }
    previous = [...pods.values()];
  }
  return out;
}
