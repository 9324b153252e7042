// A complete local installation in one process: the real control plane, our
// CRD, namespace, RBAC and webhook configurations applied from the manifests,
// the fake kubelet (so pods run "for real enough") and the manager itself,
// serving the webhooks on 127.0.0.1. `sidecarset start` and `sidecarset demo`
// are built on it.
import { createWriteStream, type WriteStream } from "node:fs";
import { join } from "node:path";
import { CRD_NAME } from "../manifests/crd.js";
import { GROUP, VERSION } from "../api/types.js";
import { selectManifests, toYaml } from "../manifests/index.js";
import { loadKubeConfig, RawKubeClient } from "../kube/client.js";
import { DEFAULT_MANAGER_OPTIONS } from "../manager/options.js";
import { Manager, type RunningManager } from "../manager/manager.js";
import { createLogger, type LogLevel } from "../observability/logger.js";
import { applyYaml } from "./apply.js";
import { kubectlCommand } from "./binary.js";
import { startCluster, type Cluster } from "./cluster.js";
import { startFakeKubelet, type FakeKubelet, type FakeKubeletOptions } from "./fake-kubelet.js";
import { freePorts } from "./ports.js";
import { waitUntil } from "./wait.js";

export const LOCAL_WEBHOOK_HOST = "127.0.0.1";

export interface LocalEnvironmentOptions {
  /** The control-plane binary (see binary.ts). */
  binary: string;
  /** A fixed state dir (kept after a stop); default a temp dir that is removed. */
  dir?: string;
  /** The cluster's name in the kubeconfig. */
  name?: string;
  kubelet?: FakeKubeletOptions;
  managerLogLevel?: LogLevel;
  /** Progress lines for the user. */
  log: (line: string) => void;
}

export interface LocalEnvironment {
  cluster: Cluster;
  kubelet: FakeKubelet;
  manager: RunningManager;
  /** Admin kubeconfig of the cluster. */
  kubeconfigPath: string;
  /** kubectl for this cluster: the symlink next to the control-plane binary. */
  kubectl: { path: string; args: string[] };
  managerLogPath: string;
  webhookPort: number;
  metricsPort: number;
  /** Wall time from the first process start to a serving manager. */
  startupMs: number;
  /** Stops the manager, the kubelet and the control plane, in that order. Idempotent. */
  stop(): Promise<void>;
}

export async function startLocalEnvironment(opts: LocalEnvironmentOptions): Promise<LocalEnvironment> {
  const started = Date.now();
  const cluster = await startCluster({
    binary: opts.binary,
    ...(opts.dir !== undefined ? { dir: opts.dir } : {}),
    name: opts.name ?? "sidecarset-local",
    // This process stops the components itself, in order, on Ctrl-C.
    detached: true,
    handleSignals: false,
    log: (line) => opts.log(line),
  });
  let kubelet: FakeKubelet | undefined;
  let manager: Manager | undefined;
  let managerLog: WriteStream | undefined;
  const client = new RawKubeClient(loadKubeConfig({ kubeconfigPath: cluster.kubeconfigPath }).kubeConfig, { userAgent: "sidecarset-local" });
  const stopAll = async (): Promise<void> => {
    await manager?.stop().catch(() => undefined);
    await kubelet?.stop().catch(() => undefined);
    client.close();
    await cluster.stop();
    await new Promise<void>((r) => (managerLog ? managerLog.end(r) : r()));
  };
  try {
    const [webhookPort, metricsPort] = (await freePorts(2)) as [number, number];
    const manifests = selectManifests(["crd", "namespace", "rbac", "webhook"], { webhookHost: LOCAL_WEBHOOK_HOST, webhookPort });
    await applyYaml(client, toYaml(manifests), { source: "the install manifests" });
    await waitForCrdEstablished(client);
    opts.log("installed the SidecarSet CRD, the manager namespace, RBAC and the webhook configurations");

    kubelet = await startFakeKubelet(cluster.kubeconfigPath, {
      startupDelayMs: 200,
      restartDelayMs: 1000,
      log: (line) => opts.log(`fake kubelet: ${line}`),
      ...opts.kubelet,
    });
    opts.log(`fake kubelet registered node ${kubelet.nodeName}`);

    const managerLogPath = join(cluster.dir, "manager.log");
    managerLog = createWriteStream(managerLogPath, { flags: "a" });
    const logger = createLogger({ level: opts.managerLogLevel ?? "info", destination: managerLog, base: { component: "sidecarset-manager" } });
    manager = new Manager(
      {
        ...DEFAULT_MANAGER_OPTIONS,
        kubeconfig: cluster.kubeconfigPath,
        webhookHost: LOCAL_WEBHOOK_HOST,
        webhookBindAddress: LOCAL_WEBHOOK_HOST,
        webhookPort,
        metricsBindAddress: "127.0.0.1",
        metricsPort,
        identity: "sidecarset-local",
      },
      logger,
    );
    const running = await manager.start();
    opts.log(`manager serving webhooks on https://${LOCAL_WEBHOOK_HOST}:${running.webhookPort} (log: ${managerLogPath})`);
    await waitForWebhooksCalled(client);

    let stopping: Promise<void> | undefined;
    return {
      cluster,
      kubelet,
      manager: running,
      kubeconfigPath: cluster.kubeconfigPath,
      kubectl: kubectlCommand(cluster.binary),
      managerLogPath,
      webhookPort: running.webhookPort,
      metricsPort: running.metricsPort,
      startupMs: Date.now() - started,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** Until the CRD is established its kind is not served; creating a SidecarSet earlier fails. */
export async function waitForCrdEstablished(client: Pick<RawKubeClient, "get">, timeoutMs = 30_000): Promise<void> {
  await waitUntil("the SidecarSet CRD to be established", timeoutMs, async () => {
    const crd = await client.get<{ status?: { conditions?: { type: string; status: string }[] } }>(
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`,
    );
    return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false;
  });
}

/**
 * The manager points the webhook configurations and the CRD's conversion at itself, with a CA it may have made
 * just now, and the API server takes them up a moment later (seconds on a busy machine). Until then a SidecarSet
 * applied as v1alpha1 fails its conversion ("certificate signed by unknown authority"). A server-side dry run of
 * one goes through the conversion and the SidecarSet webhooks, and stores nothing.
 */
export async function waitForWebhooksCalled(client: Pick<RawKubeClient, "create">, timeoutMs = 60_000): Promise<void> {
  const probe = {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: "SidecarSet",
    metadata: { name: `sidecarset-local-probe-${process.pid}` },
    spec: { selector: { matchLabels: { "sidecarset.local/probe": "none" } }, containers: [{ name: "probe", image: "probe:1" }] },
  };
  const collection = `/apis/${GROUP}/${VERSION}/sidecarsets`;
  await waitUntil(
    "the API server to call the manager's webhooks with its certificate",
    timeoutMs,
    async () => {
      await client.create(collection, probe, { query: { dryRun: "All" } });
      return true;
    },
    200,
  );
}
