// The log-agent scenario of `sidecarset demo`, against any cluster a manager
// serves: the SidecarSet from examples/log-agent, a Deployment whose pods get
// the sidecar injected, then an in-place image upgrade held by a partition
// and paced by maxUnavailable, then the partition removed.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Container } from "../api/kube-types.js";
import type { SidecarSet } from "../api/types.js";
import { PatchType, type RawKubeClient } from "../kube/client.js";
import { isConflict, isNotFound } from "../kube/errors.js";
import { applyObjects, parseManifests, type ManifestObject } from "./apply.js";
import { baselineOf, finalChecks, type Check, type DemoNames } from "./demo-report.js";
import { DemoWatch, type DemoState } from "./demo-watch.js";
import { waitUntil } from "./wait.js";

export interface DemoOutput {
  step(title: string): void;
  info(text: string): void;
  progress(text: string): void;
  check(check: Check): void;
}

export interface DemoOptions {
  client: RawKubeClient;
  /** Directory with sidecarset.yaml and deployment.yaml (examples/log-agent). */
  examplesDir: string;
  replicas: number;
  partition: number;
  maxUnavailable: number;
  /** The sidecar image to upgrade to. */
  image: string;
  /** Time one upgrade wave may take (a sidecar restart plus a reconcile). */
  waveAllowanceMs: number;
  /** How long the partition is watched holding before it is removed. */
  holdMs?: number;
  out: DemoOutput;
}

export interface DemoResult {
  ok: boolean;
  checks: Check[];
  /** What the demo created, for a later cleanup: the namespace only when it did not exist. */
  created: { sidecarSet: string; namespace: string; deployment: string; namespaceCreated: boolean };
}

interface Scenario {
  sidecarSet: SidecarSet & ManifestObject;
  namespace: ManifestObject;
  deployment: ManifestObject & { spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { spec: { containers: Container[] } } } };
  names: DemoNames;
  oldImage: string;
}

function loadScenario(dir: string, replicas: number): Scenario {
  const read = (file: string) => parseManifests(readFileSync(join(dir, file), "utf8"), join(dir, file));
  const sidecarSet = read("sidecarset.yaml").find((o) => o.kind === "SidecarSet") as Scenario["sidecarSet"] | undefined;
  const objects = read("deployment.yaml");
  const namespace = objects.find((o) => o.kind === "Namespace");
  const deployment = objects.find((o) => o.kind === "Deployment") as Scenario["deployment"] | undefined;
  const sidecar = sidecarSet?.spec.containers?.[0];
  const app = deployment?.spec.template.spec.containers[0];
  if (!sidecarSet || !namespace || !deployment || !sidecar || !app) {
    throw new Error(`${dir} must hold a SidecarSet with a container (sidecarset.yaml) and a Namespace and a Deployment (deployment.yaml)`);
  }
  deployment.spec.replicas = replicas;
  return { sidecarSet, namespace, deployment, names: { sidecar: sidecar.name, app: app.name }, oldImage: sidecar.image ?? "" };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const pods = (n: number) => `${n} ${n === 1 ? "pod" : "pods"}`;

/** GET, change, PUT; a conflict with a concurrent writer (the controller, the webhook) is retried. */
async function updateSidecarSet(client: RawKubeClient, name: string, change: (set: SidecarSet) => void): Promise<void> {
  const path = `/apis/apps.kruise.io/v1alpha1/sidecarsets/${encodeURIComponent(name)}`;
  for (let attempt = 1; ; attempt++) {
    const set = await client.get<SidecarSet>(path);
    change(set);
    try {
      await client.replace(path, set);
      return;
    } catch (err) {
      if (!isConflict(err) || attempt >= 5) throw err;
    }
  }
}

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const { client, out, replicas, partition, maxUnavailable, image } = opts;
  const s = loadScenario(opts.examplesDir, replicas);
  const setName = s.sidecarSet.metadata?.name ?? "";
  const ns = s.namespace.metadata?.name ?? "";
  const deployName = s.deployment.metadata?.name ?? "";
  const { sidecar, app } = s.names;
  const created = { sidecarSet: setName, namespace: ns, deployment: deployName, namespaceCreated: false };
  const began = Date.now();

  try {
    await client.get(`/apis/apps.kruise.io/v1alpha1/sidecarsets/${encodeURIComponent(setName)}`);
    throw new Error(`SidecarSet ${setName} already exists in this cluster; delete it (kubectl delete sidecarset ${setName}) or use a fresh cluster`);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    await client.get(`/api/v1/namespaces/${encodeURIComponent(ns)}`);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    created.namespaceCreated = true;
  }

  out.step(`1. SidecarSet ${setName}: sidecar ${sidecar} (${s.oldImage}) for the pods of Deployment ${ns}/${deployName}`);
  await applyObjects(client, [s.sidecarSet, s.namespace]);
  // Until the controller-manager creates the default ServiceAccount, pods of the namespace are refused.
  await waitUntil(`ServiceAccount ${ns}/default`, 30_000, async () => {
    try {
      await client.get(`/api/v1/namespaces/${encodeURIComponent(ns)}/serviceaccounts/default`);
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  });
  const labelSelector = Object.entries(s.deployment.spec.selector.matchLabels).map(([k, v]) => `${k}=${v}`).join(",");
  const watch = new DemoWatch({
    client,
    sidecarSetName: setName,
    namespace: ns,
    labelSelector,
    names: s.names,
    onProgress: (line) => out.progress(line),
  });
  await watch.start();
  try {
    out.step(`2. Deployment ${deployName} with ${pods(replicas)}: the webhook injects ${sidecar} into each as it is created`);
    await applyObjects(client, [s.deployment]);
    const settled = (want: { updated: number; image: string; count: number }) => (st: DemoState) => {
      const p = st.progress;
      return p.pods === replicas && p.notReady === 0 && p.restarting === 0 && p.starting === 0 && p.matched === replicas && p.ready === replicas &&
        p.updated === want.updated && p.updatedReady === want.updated && (p.images.find(([i]) => i === want.image)?.[1] ?? 0) === want.count;
    };
    const injected = await watch.waitFor(`${replicas} ready pods with ${sidecar} injected`, 60_000 + replicas * 500, settled({ updated: replicas, image: s.oldImage, count: replicas }));
    out.info(`${replicas}/${replicas} pods run ${app} + ${sidecar} (${s.oldImage}); injected at creation, in ${seconds(Date.now() - began)}`);
    const baseline = baselineOf(injected.pods, s.names);

    const first = replicas - partition;
    out.step(`3. Upgrade ${sidecar} to ${image} with partition ${partition} and maxUnavailable ${maxUnavailable}: ` +
      `${pods(first)} ${first === 1 ? "upgrades" : "upgrade"} in place, at most ${maxUnavailable} at a time; ${partition} ${partition === 1 ? "stays" : "stay"} on ${s.oldImage}`);
    watch.trackUnavailable();
    const upgradeStarted = Date.now();
    await updateSidecarSet(client, setName, (set) => {
      const c = set.spec.containers?.find((x) => x.name === sidecar);
      if (c) c.image = image;
      set.spec.updateStrategy = { ...set.spec.updateStrategy, partition, maxUnavailable };
    });
    const waveMs = (pods: number) => 60_000 + Math.ceil(pods / Math.max(1, maxUnavailable)) * opts.waveAllowanceMs;
    await watch.waitFor(`${pods(first)} on ${image}`, waveMs(first), settled({ updated: first, image, count: first }));
    out.info(`${pods(first)} upgraded in ${seconds(Date.now() - upgradeStarted)}`);
    if (partition > 0) {
      // Nothing moves while the partition holds: watch it for a moment.
      await new Promise((r) => setTimeout(r, opts.holdMs ?? 2000));
      const held = watch.state().progress;
      out.info(`the partition holds: ${held.updated} upgraded, ${(held.images.find(([i]) => i === s.oldImage)?.[1] ?? 0)} still on ${s.oldImage}`);

      out.step(`4. Remove the partition: the other ${pods(partition)} ${partition === 1 ? "upgrades" : "upgrade"}`);
      const rest = Date.now();
      await client.patch(`/apis/apps.kruise.io/v1alpha1/sidecarsets/${encodeURIComponent(setName)}`,
        { spec: { updateStrategy: { partition: null } } }, PatchType.merge);
      await watch.waitFor(`all ${replicas} pods on ${image}`, waveMs(partition), settled({ updated: replicas, image, count: replicas }));
      out.info(`the other ${pods(partition)} upgraded in ${seconds(Date.now() - rest)}`);
    }
    watch.flush();

    out.step(`Summary: the scenario took ${seconds(Date.now() - began)}`);
    const checks = finalChecks(baseline, watch.state().pods, s.names, { image, maxUnavailable, maxNotReadySeen: watch.maxNotReadySeen });
    for (const c of checks) out.check(c);
    return { ok: checks.every((c) => c.ok), checks, created };
  } finally {
    await watch.stop();
  }
}

/** Deletes what runDemo created (on a cluster the user keeps). */
export async function cleanupDemo(client: RawKubeClient, created: DemoResult["created"]): Promise<void> {
  const ignoreMissing = (p: Promise<unknown>) => p.catch((err: unknown) => { if (!isNotFound(err)) throw err; });
  if (created.namespaceCreated) {
    await ignoreMissing(client.delete(`/api/v1/namespaces/${encodeURIComponent(created.namespace)}`));
  } else {
    await ignoreMissing(client.delete(`/apis/apps/v1/namespaces/${encodeURIComponent(created.namespace)}/deployments/${encodeURIComponent(created.deployment)}`));
  }
  await ignoreMissing(client.delete(`/apis/apps.kruise.io/v1alpha1/sidecarsets/${encodeURIComponent(created.sidecarSet)}`));
}
