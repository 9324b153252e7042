// `sidecarset start` (what `npm start` runs): the manager with a cluster to
// work on. Without a configured cluster it starts a local one — the real
// control plane, our CRD and webhook configurations, a fake kubelet — runs
// the manager against it and prints how to use it; with a kubeconfig it runs
// the manager against that cluster from this machine.
import { Command, Option } from "commander";
import { relative, join } from "node:path";
import { port, seconds } from "./arguments.js";
import { CRD_NAME } from "../manifests/crd.js";
import { selectManifests, toYaml } from "../manifests/index.js";
import { DEFAULT_MANAGER_OPTIONS } from "../manager/options.js";
import type { RawKubeClient } from "../kube/client.js";
import { ensureControlPlane, repoRoot } from "../local/binary.js";
import type { LocalEnvironment } from "../local/environment.js";
import { freePort } from "../local/ports.js";
import { chooseCluster, onInterrupt } from "../local/session.js";
import { isLogLevel, LOG_LEVELS, resolveLogLevel, type LogLevel } from "../observability/logger.js";

export interface StartFlags {
  kubeconfig?: string;
  dir?: string;
  local?: boolean;
  install?: boolean;
  webhookHost: string;
  webhookPort?: number;
  metricsPort?: number;
  restartSeconds: number;
  logLevel?: string;
}

interface Out {
  write(text: string): unknown;
}

const line = (out: Out, text = ""): void => void out.write(`${text}\n`);

/** A path to show: relative to the working directory when that is shorter. */
export function displayPath(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel !== "" && rel.length < path.length ? rel : path;
}

/**
 * The lines that tell a user how to reach the local cluster and what to try:
 * apply the log-agent example, or (`applied`) look at it when it runs already.
 */
export function localUsage(env: Pick<LocalEnvironment, "kubeconfigPath" | "kubectl">, cwd = process.cwd(), applied = false): string[] {
  const example = (file: string) => displayPath(join(repoRoot, "examples", "log-agent", file), cwd);
  const kubectl = env.kubectl.args.length === 0 ? env.kubectl.path : `${env.kubectl.path} ${env.kubectl.args.join(" ")}`;
  const binDir = env.kubectl.args.length === 0 ? env.kubectl.path.slice(0, env.kubectl.path.lastIndexOf("/")) : undefined;
  return [
    `  kubeconfig: ${env.kubeconfigPath}`,
    `  kubectl:    ${kubectl}`,
    "",
    "Try it in another terminal:",
    `  export KUBECONFIG=${env.kubeconfigPath}`,
    ...(binDir ? [`  export PATH=${binDir}:$PATH   # the kubectl above (any kubectl works)`] : [`  alias kubectl='${kubectl}'`]),
    ...(applied ? [] : [`  kubectl apply -f ${example("sidecarset.yaml")} -f ${example("deployment.yaml")}`]),
    "  kubectl get sidecarsets",
    "  kubectl get pods -n demo",
    ...(applied ? ["  kubectl describe sidecarset log-agent"] : []),
  ];
}

// The Kubernetes client, the manager and the local environment are imported
// when a command runs them: loading them costs seconds that `--help` and every
// other command would otherwise pay.

async function runLocal(dir: string, reason: string, flags: StartFlags, logLevel: LogLevel, out: Out): Promise<void> {
  const { startLocalEnvironment } = await import("../local/environment.js");
  const progress = (text: string) => line(out, `  ${text}`);
  line(out, `Starting a local Kubernetes control plane with the SidecarSet manager (state: ${dir}${reason === "default" ? "" : `, from ${reason}`})`);
  const binary = await ensureControlPlane({ log: progress });
  const interrupt = onInterrupt();
  let env: LocalEnvironment | undefined;
  try {
    const starting = startLocalEnvironment({
      binary,
      dir,
      managerLogLevel: logLevel,
      kubelet: { restartDelayMs: Math.round(flags.restartSeconds * 1000) },
      log: progress,
    });
    // A Ctrl-C during startup stops what has started so far.
    const first = await Promise.race([starting, interrupt.received.then(() => undefined)]);
    if (!first) {
      line(out, "interrupted; stopping");
      await starting.then((e) => e.stop(), () => undefined);
      return;
    }
    env = first;
    line(out);
    line(out, `Ready in ${(env.startupMs / 1000).toFixed(1)}s. Everything runs in this process; Ctrl-C stops it.`);
    line(out);
    for (const l of localUsage(env)) line(out, l);
    line(out);
    line(out, `  manager log: ${env.managerLogPath}`);
    line(out, `  metrics:     http://127.0.0.1:${env.metricsPort}/metrics`);
    line(out, `  component logs and kubeconfigs: ${env.cluster.dir}`);
    line(out, "  (every start begins with an empty cluster)");

    const why = await Promise.race([interrupt.received, env.manager.stopped.then(() => "the manager stopped" as const)]);
    line(out, why === "the manager stopped" ? `${why}; stopping the cluster` : "stopping the manager, the fake kubelet and the control plane…");
    await env.stop();
    line(out, "stopped");
  } finally {
    await env?.stop();
    interrupt.dispose();
  }
}

async function runAgainstKubeconfig(kubeconfig: string, source: string, flags: StartFlags, logLevel: LogLevel, err: Out): Promise<void> {
  const { loadKubeConfig, RawKubeClient } = await import("../kube/client.js");
  const { defaultIdentity, Manager } = await import("../manager/manager.js");
  const loaded = loadKubeConfig({ kubeconfigPath: kubeconfig });
  const client = new RawKubeClient(loaded.kubeConfig);
  try {
    line(err, `Running the manager against ${loaded.server} (kubeconfig ${kubeconfig}, from ${source})`);
    await ensureInstalled(client, Boolean(flags.install), err);
  } finally {
    client.close();
  }
  const local = flags.webhookHost === "127.0.0.1" || flags.webhookHost === "localhost";
  const webhookPort = flags.webhookPort ?? DEFAULT_MANAGER_OPTIONS.webhookPort;
  const metricsPort = flags.metricsPort ?? (await freePort());
  line(err, `The API server must reach https://${flags.webhookHost}:${webhookPort}; ` +
    (local ? "that works for an API server on this machine. For a cluster elsewhere pass --webhook-host <an address of this machine it can reach>." : "the webhook configurations point there."));
  line(err, `Metrics and health: http://127.0.0.1:${metricsPort}/metrics. Logs follow as JSON lines; Ctrl-C stops.`);
  const manager = new Manager({
    ...DEFAULT_MANAGER_OPTIONS,
    kubeconfig,
    webhookHost: flags.webhookHost,
    webhookBindAddress: local ? "127.0.0.1" : "0.0.0.0",
    webhookPort,
    metricsBindAddress: "127.0.0.1",
    metricsPort,
    logLevel,
    identity: defaultIdentity(),
  });
  const interrupt = onInterrupt();
  try {
    const running = await manager.start();
    await Promise.race([interrupt.received, running.stopped]);
  } finally {
    await manager.stop();
    interrupt.dispose();
  }
}

/** The CRD and the manager namespace must exist; --install applies them (and RBAC) from our manifests. */
async function ensureInstalled(client: RawKubeClient, install: boolean, err: Out): Promise<void> {
  const { isNotFound } = await import("../kube/errors.js");
  const { applyYaml, describeApplied } = await import("../local/apply.js");
  const { waitForCrdEstablished } = await import("../local/environment.js");
  const namespace = DEFAULT_MANAGER_OPTIONS.namespace;
  const missing: string[] = [];
  const exists = async (path: string, what: string) => {
    try {
      await client.get(path);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      missing.push(what);
    }
  };
  await exists(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`, `the CRD ${CRD_NAME}`);
  await exists(`/api/v1/namespaces/${namespace}`, `the namespace ${namespace}`);
  if (missing.length === 0) return;
  if (!install) {
    throw new Error(`${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not installed in this cluster; ` +
      "pass --install to apply the CRD, namespace and RBAC, or run `sidecarset manifests --only crd,namespace,rbac | kubectl apply -f -`");
  }
  const applied = await applyYaml(client, toYaml(selectManifests(["crd", "namespace", "rbac"])), { source: "the install manifests" });
  for (const a of applied) line(err, `  ${describeApplied(a)}`);
  await waitForCrdEstablished(client);
}

export function startCommand(out: Out = process.stdout, err: Out = process.stderr): Command {
  return new Command("start")
    .description(
      "Run the manager with a cluster to work on. Without --kubeconfig or $KUBECONFIG: start a local Kubernetes " +
        "control plane (etcd, kube-apiserver, kube-controller-manager, a fake kubelet), install the CRD and webhooks, " +
        "run the manager against it and print the kubeconfig and kubectl to use. With a kubeconfig: run the manager " +
        "against that cluster from this machine (its webhooks at --webhook-host).",
    )
    .option("--kubeconfig <path>", "run against this cluster instead of a local one (default: $KUBECONFIG when set)")
    .option("--dir <dir>", "state dir of the local cluster: kubeconfig, logs, etcd data (default ~/.cache/sidecarset/local)")
    .option("--local", "start the local cluster even when $KUBECONFIG is set", false)
    .option("--install", "with a kubeconfig: apply the CRD, the manager namespace and RBAC when they are missing", false)
    .option("--webhook-host <host>", "with a kubeconfig: the address the API server calls the webhooks at", "127.0.0.1")
    .option("--webhook-port <port>", `with a kubeconfig: the webhook port (default ${DEFAULT_MANAGER_OPTIONS.webhookPort}; a free port for the local cluster)`, port({ zeroPicksFree: false }))
    .option("--metrics-port <port>", "with a kubeconfig: port of /metrics, /healthz and /readyz on 127.0.0.1 (default: a free port)", port({ zeroPicksFree: false }))
    .option("--restart-seconds <s>", "local cluster: how long the fake kubelet takes to restart a container for a new image", seconds, 1)
    .addOption(new Option("--log-level <level>", "manager log level (default: $LOG_LEVEL or info)").choices([...LOG_LEVELS]))
    .addHelpText(
      "after",
      `
The first local start builds the control plane from source (Go 1.26, about 11 minutes); later starts take seconds.

Examples:
  npm start                                   # local cluster, state in ~/.cache/sidecarset/local
  sidecarset start --dir /tmp/sidecarset     # local cluster, state elsewhere
  sidecarset start --kubeconfig ~/.kube/config --install --webhook-host 192.168.1.10`,
    )
    .action(async (flags: StartFlags) => {
      if (flags.logLevel !== undefined && !isLogLevel(flags.logLevel)) return;
      const logLevel = resolveLogLevel(flags.logLevel);
      const choice = chooseCluster(flags);
      if (choice.mode === "local") await runLocal(choice.dir, choice.reason, flags, logLevel, out);
      else await runAgainstKubeconfig(choice.kubeconfig, choice.source, flags, logLevel, err);
    });
}
