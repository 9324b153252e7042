// A whole test installation: the real control plane, our manifests applied as
// a user would (`sidecarset manifests … | kubectl apply -f -`), the manager as
// its own process with only its ServiceAccount's rights, and the fake kubelet.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import type { KubernetesObject } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { compiledCliBuilt } from "./compiled-cli.js";
import { startCluster, type Cluster, type ClusterOptions } from "./cluster.js";
import { startFakeKubelet, type FakeKubelet, type FakeKubeletOptions } from "./fake-kubelet.js";
import { apiErrorCode, createNamespace, kubeClients, rawRequest, waitFor, type KubeClients } from "./kube.js";
import { freePorts } from "./ports.js";
import { exitWhenOrphaned } from "./orphan-watchdog.js";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const MANAGER_NAMESPACE = "sidecarset-system";

export interface EnvironmentOptions {
  kubelet?: FakeKubeletOptions;
  /** Extra `sidecarset manager` flags. */
  managerArgs?: string[];
  /**
   * The manager's entry point as a JavaScript file; by default what
   * `cliNodeArgs` runs (the compiled build under the e2e runner).
   */
  managerEntry?: string;
  /** Node.js options of the manager process, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
  managerNodeArgs?: string[];
  /** Options of the control plane, e.g. an audit log. */
  cluster?: ClusterOptions;
}

/** How a manager process is stopped: SIGTERM lets it drain and release its Lease, SIGKILL is a crash. */
export type StopSignal = "SIGTERM" | "SIGKILL";

/** A further manager process next to the environment's own, on its own webhook and metrics ports. */
export interface ManagerReplica {
  webhookPort: number;
  metricsPort: number;
  log: string;
  stop(signal?: StopSignal): Promise<void>;
}

export interface Environment {
  cluster: Cluster;
  clients: KubeClients;
  kubelet: FakeKubelet;
  webhookPort: number;
  metricsPort: number;
  managerLog: string;
  /** Runs the CLI and returns stdout (throws with stderr on a non-zero exit). */
  cli(args: string[], input?: string): Promise<string>;
  /** Stops the manager (SIGTERM by default) and starts it again with the environment's flags plus `extraArgs`. */
  restartManager(extraArgs?: string[], opts?: { signal?: StopSignal }): Promise<void>;
  /** Stops the manager without starting another; restartManager starts it again. */
  stopManager(signal?: StopSignal): Promise<void>;
  /** Sends the running manager a signal, e.g. SIGSTOP and SIGCONT to freeze it for a while. */
  signalManager(signal: NodeJS.Signals): void;
  /**
   * Starts another manager with the environment's flags plus `extraArgs`, on
   * its own ports and log, authenticated as `kubeconfig` (default: the
   * manager's restricted identity). Stopped with the environment.
   */
  startReplica(extraArgs?: string[], opts?: { kubeconfig?: string }): Promise<ManagerReplica>;
  stop(): Promise<void>;
}

/**
 * Node arguments that run the `sidecarset` executable with `args`: the
 * compiled build when the e2e runner compiled it, else the sources.
 */
export function cliNodeArgs(args: string[]): string[] {
  return compiledCliBuilt() ? [join(REPO_ROOT, "dist/cli/main.js"), ...args] : sourceCliNodeArgs(args);
}

/** Node arguments that run the `sidecarset` executable from its sources (src/cli/main.ts, through tsx), as `npm start` does. */
export function sourceCliNodeArgs(args: string[]): string[] {
  return ["--import", "tsx", join(REPO_ROOT, "src/cli/main.ts"), ...args];
}

/**
 * `sidecarset manager` and the flags of a replica of the test installation:
 * the manager namespace, and webhooks and metrics on 127.0.0.1 at the given
 * ports (out-of-cluster mode: it points the webhook configurations at itself).
 * A SIGTERM stops it without the shutdown delay, which only a test of it
 * asks for: the tests stop and restart managers often. The webhook view
 * Leases last 6 s instead of 20: a replica a test kills holds the statuses of
 * SidecarSets changed after its death back that long at most.
 */
export function managerFlags(kubeconfigPath: string, webhookPort: number, metricsPort: number): string[] {
  return [
    "manager",
    "--shutdown-delay",
    "0s",
    "--webhook-view-lease-duration",
    "6s",
    "--kubeconfig",
    kubeconfigPath,
    "--namespace",
    MANAGER_NAMESPACE,
    "--webhook-host",
    "127.0.0.1",
    "--webhook-bind-address",
    "127.0.0.1",
    "--webhook-port",
    String(webhookPort),
    "--metrics-bind-address",
    "127.0.0.1",
    "--metrics-port",
    String(metricsPort),
  ];
}

/** This process's environment without the variables `names`, for a child that must not see them. */
export function processEnvWithout(...names: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of names) delete env[name];
  return env;
}

/** Runs the CLI as its own process; resolves with its exit code and output, whatever the code. */
export function runCli(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, cliNodeArgs(args), {
      cwd: REPO_ROOT,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

export async function cli(args: string[], input?: string): Promise<string> {
  const r = await runCli(args, input);
  if (r.code !== 0) throw new Error(`sidecarset ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
}

const discovery = new Map<string, Promise<ApiResource[]>>();

/** The collection path of an object's kind, found through API discovery. */
export async function collectionPath(clients: KubeClients, apiVersion: string, kind: string, namespace?: string): Promise<string> {
  const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  let resources = discovery.get(base);
  if (!resources) {
    resources = rawRequest<{ resources: ApiResource[] }>(clients.kc, "GET", base).then((r) => r.resources);
    discovery.set(base, resources);
    resources.catch(() => discovery.delete(base));
  }
  const resource = (await resources).find((r) => r.kind === kind && !r.name.includes("/"));
  if (!resource) throw new Error(`the API server does not serve ${kind} in ${apiVersion}`);
  return resource.namespaced ? `${base}/namespaces/${namespace || "default"}/${resource.name}` : `${base}/${resource.name}`;
}

/**
 * Creates each object, or replaces it when it exists (kubectl apply for our
 * purposes). Raw JSON on purpose: the typed clients drop fields they do not
 * model, such as a CRD schema's x-kubernetes-int-or-string.
 */
export async function applyYaml(clients: KubeClients, text: string, namespace?: string): Promise<void> {
  for (const doc of parseAllDocuments(text)) {
    const obj = doc.toJS() as KubernetesObject | null;
    if (!obj) continue;
    const ns = obj.metadata?.namespace ?? namespace;
    const collection = await collectionPath(clients, obj.apiVersion ?? "", obj.kind ?? "", ns);
    const body = ns && collection.includes("/namespaces/") ? { ...obj, metadata: { ...obj.metadata, namespace: ns } } : obj;
    try {
      await rawRequest(clients.kc, "POST", collection, body);
    } catch (err) {
      if (apiErrorCode(err) !== 409) throw err;
      const path = `${collection}/${encodeURIComponent(obj.metadata?.name ?? "")}`;
      const existing = await rawRequest<KubernetesObject>(clients.kc, "GET", path);
      await rawRequest(clients.kc, "PUT", path, { ...body, metadata: { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion } });
    }
  }
}

async function waitForCrd(clients: KubeClients): Promise<void> {
  await waitFor("the SidecarSet CRD to be established", async () => {
    const crd = await clients.apiextensions.readCustomResourceDefinition({ name: "sidecarsets.apps.kruise.io" });
    return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True");
  });
}

interface ManagerProcess {
  child: ChildProcess;
  exited: Promise<void>;
}

/** Ends a manager process; a SIGTERM that is not honoured within 15s becomes a SIGKILL. */
async function stopProcess(manager: ManagerProcess, signal: StopSignal): Promise<void> {
  manager.child.kill(signal);
  const timer = setTimeout(() => manager.child.kill("SIGKILL"), 15_000);
  await manager.exited;
  clearTimeout(timer);
}

interface ManagerEndpoint {
  kubeconfig: string;
  webhookPort: number;
  metricsPort: number;
  log: string;
}

export async function startEnvironment(opts: EnvironmentOptions = {}): Promise<Environment> {
  // Test files start their control planes side by side, sometimes beside a build of dist/: one start took 75 s
  // in a CI run with three files at a time, and the default allows each component 90 s.
  const cluster = await startCluster({ readyTimeoutMs: 180_000, ...opts.cluster });
  let kubelet: FakeKubelet | undefined;
  let manager: ManagerProcess | undefined;
  const replicas = new Set<ManagerProcess>();
  try {
    const clients = kubeClients(cluster.kubeconfigPath);
    const [webhookPort, metricsPort] = (await freePorts(2)) as [number, number];
    const manifests = await cli([
      "manifests",
      "--only",
      "crd,namespace,rbac,webhook",
      "--webhook-host",
      "127.0.0.1",
      "--webhook-port",
      String(webhookPort),
    ]);
    await applyYaml(clients, manifests);
    await waitForCrd(clients);
    // SIDECARSET_E2E_KUBELET_LAG_MS makes the kubelet stand-in learn of pod changes that late in every file, as a
    // busy node's does: a run with it looks for behaviour that depends on a prompt kubelet.
    const lag = Number(process.env.SIDECARSET_E2E_KUBELET_LAG_MS ?? 0) || 0;
    kubelet = await startFakeKubelet(cluster.kubeconfigPath, { startupDelayMs: 50, restartDelayMs: 300, changesSeenAfterMs: lag, ...opts.kubelet });
    const managerLog = join(cluster.dir, "manager.log");
    const primary: ManagerEndpoint = { kubeconfig: cluster.restrictedKubeconfigPath, webhookPort, metricsPort, log: managerLog };
    const startManager = async (extra: string[], { kubeconfig, webhookPort, metricsPort, log: managerLog } = primary): Promise<ManagerProcess> => {
      const managerCommand = (rest: string[]): string[] => (opts.managerEntry ? [opts.managerEntry, ...rest] : cliNodeArgs(rest));
      const args = managerCommand([
        ...managerFlags(kubeconfig, webhookPort, metricsPort),
        "--expectation-timeout",
        "20s",
        "--log-level",
        "debug",
        ...(opts.managerArgs ?? []),
        ...extra,
      ]);
      const out = createWriteStream(managerLog, { flags: "a" });
      // A pod name per endpoint, as a Deployment's replica has one: a restarted manager takes its own webhook view
      // Lease over instead of leaving the last one to expire.
      const childEnv = { ...process.env, POD_NAME: `manager-${metricsPort}` };
      const child = spawn(process.execPath, [...(opts.managerNodeArgs ?? []), ...args], { cwd: REPO_ROOT, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
      child.stdout!.pipe(out);
      child.stderr!.pipe(out);
      const exited = new Promise<void>((r) => child.on("exit", () => r()));
      let gone = false;
      void exited.then(() => (gone = true));
      await waitFor(
        "the manager to be ready",
        async () => {
          if (gone) throw new Error(`the manager exited; log:\n${readFileSync(managerLog, "utf8").slice(-4000)}`);
          const res = await fetch(`http://127.0.0.1:${metricsPort}/readyz`).catch(() => undefined);
          return res?.ok;
        },
        { timeoutMs: 120_000, intervalMs: 200 },
      ).catch((e: Error) => {
        child.kill("SIGKILL");
        throw new Error(`${e.message}\nmanager log tail:\n${readFileSync(managerLog, "utf8").slice(-4000)}`);
      });
      return { child, exited };
    };
    const stopManager = async (signal: StopSignal = "SIGTERM") => {
      if (!manager) return;
      await stopProcess(manager, signal);
      manager = undefined;
    };
    manager = await startManager([]);
    const env: Environment = {
      cluster,
      clients,
      kubelet,
      webhookPort,
      metricsPort,
      managerLog,
      cli,
      restartManager: async (extra = [], { signal } = {}) => {
        await stopManager(signal);
        manager = await startManager(extra);
      },
      stopManager,
      signalManager: (signal) => {
        if (!manager) throw new Error("no manager is running");
        manager.child.kill(signal);
      },
      startReplica: async (extra = [], { kubeconfig = cluster.restrictedKubeconfigPath } = {}) => {
        const [replicaWebhookPort, replicaMetricsPort] = (await freePorts(2)) as [number, number];
        const endpoint = { kubeconfig, webhookPort: replicaWebhookPort, metricsPort: replicaMetricsPort, log: join(cluster.dir, `manager-${replicaMetricsPort}.log`) };
        const replica = await startManager(extra, endpoint);
        replicas.add(replica);
        return {
          webhookPort: endpoint.webhookPort,
          metricsPort: endpoint.metricsPort,
          log: endpoint.log,
          stop: async (signal = "SIGTERM") => {
            if (replicas.delete(replica)) await stopProcess(replica, signal);
          },
        };
      },
      stop: async () => {
        await Promise.all([...replicas].map((r) => stopProcess(r, "SIGTERM")));
        replicas.clear();
        await stopManager();
        await kubelet?.stop();
        await cluster.stop();
      },
    };
    return env;
  } catch (e) {
    manager?.child.kill("SIGKILL");
    await kubelet?.stop().catch(() => undefined);
    await cluster.stop();
    throw e;
  }
}

/**
 * Starts an environment before the file's tests and stops it after them;
 * the returned function gives the running environment to the tests.
 */
export function useEnvironment(opts: EnvironmentOptions = {}): () => Environment {
  let env: Environment | undefined;
  let stopWatching = () => {};
  before(async () => {
    env = await startEnvironment(opts);
    stopWatching = exitWhenOrphaned(() => env?.stop() ?? Promise.resolve());
  });
  after(async () => {
    stopWatching();
    await env?.stop();
  });
  return () => {
    if (!env) throw new Error("the test environment is not running (its before hook has not run or failed)");
    return env;
  };
}

export { createNamespace, rawRequest, waitFor };
