// `sidecarset manager`: the long-running process (webhooks + controller).
import { Command, InvalidArgumentError, Option } from "commander";
import { port, wholeNumber } from "./arguments.js";
import { DEFAULT_MANAGER_OPTIONS, type CertMode, type ManagerOptions } from "../manager/options.js";
import { isLogLevel, LOG_LEVELS, resolveLogLevel } from "../observability/logger.js";

/** "60s", "1m30s", "500ms", "2h" or a plain number of seconds → milliseconds. */
export function parseDuration(value: string): number {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let consumed = 0;
  for (const m of v.matchAll(re)) {
    total += Number(m[1]) * units[m[2]!]!;
    consumed += m[0].length;
  }
  if (consumed !== v.length || consumed === 0) {
    throw new InvalidArgumentError(`"${value}" is not a duration; use a number of seconds or a form like 60s, 1m30s, 500ms`);
  }
  return Math.round(total);
}

/** Milliseconds in a form parseDuration reads back: 60000 → "60s", 1500 → "1500ms". */
export function formatDuration(ms: number): string {
  const whole = Math.round(ms);
  return whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`;
}

interface ManagerFlags {
  kubeconfig?: string;
  namespace?: string;
  webhookPort: number;
  webhookBindAddress: string;
  webhookHost?: string;
  metricsPort: number;
  metricsBindAddress: string;
  leaderElect: boolean;
  leaseName: string;
  certMode: CertMode;
  certSecret: string;
  certDir: string;
  webhookService: string;
  sidecarsetWorkers: number;
  expectationTimeout: number;
  logLevel?: string;
  sortInjectedContainersByName: boolean;
  allowPatchPodMetadataWithoutWhitelist: boolean;
  nativeSidecarInPlaceUpgrade: boolean;
  selfScopingWebhook?: boolean;
  scopeNarrowingGrace: number;
  admissionWarmUp: number;
  shutdownDelay: number;
  webhookViewLeaseDuration: number;
}

export function managerOptionsFromFlags(
  flags: ManagerFlags,
  identity: string,
  env: NodeJS.ProcessEnv = process.env,
): ManagerOptions {
  return {
    ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
    namespace: flags.namespace ?? env.POD_NAMESPACE ?? DEFAULT_MANAGER_OPTIONS.namespace,
    webhookPort: flags.webhookPort,
    webhookBindAddress: flags.webhookBindAddress,
    ...(flags.webhookHost ? { webhookHost: flags.webhookHost } : {}),
    metricsPort: flags.metricsPort,
    metricsBindAddress: flags.metricsBindAddress,
    leaderElect: flags.leaderElect,
    leaseName: flags.leaseName,
    certMode: flags.certMode,
    certSecret: flags.certSecret,
    certDir: flags.certDir,
    webhookServiceName: flags.webhookService,
    workers: flags.sidecarsetWorkers,
    expectationTimeoutMs: flags.expectationTimeout,
    logLevel: resolveLogLevel(flags.logLevel, env),
    sortInjectedContainersByName: flags.sortInjectedContainersByName,
    allowPatchPodMetadataWithoutWhitelist: flags.allowPatchPodMetadataWithoutWhitelist,
    nativeSidecarInPlaceUpgrade: flags.nativeSidecarInPlaceUpgrade,
    ...(flags.selfScopingWebhook !== undefined ? { selfScopingWebhook: flags.selfScopingWebhook } : {}),
    scopeNarrowingGraceMs: flags.scopeNarrowingGrace,
    admissionWarmUp: flags.admissionWarmUp,
    shutdownDelayMs: flags.shutdownDelay,
    webhookViewLeaseMs: flags.webhookViewLeaseDuration,
    identity,
    ...(env.POD_NAME ? { podName: env.POD_NAME } : {}),
  };
}

export function managerCommand(): Command {
  const d = DEFAULT_MANAGER_OPTIONS;
  return new Command("manager")
    .description(
      "Run the manager: the admission webhooks (pod injection, SidecarSet defaulting and validation) and the " +
        "SidecarSet controller (status, in-place sidecar upgrades). Logs are JSON lines on stdout.",
    )
    .option("--kubeconfig <path>", "kubeconfig to use (default: $KUBECONFIG, in-cluster service account, ~/.kube/config)")
    .option("--namespace <ns>", `manager namespace: revisions, whitelist ConfigMap, cert Secret, Lease (default: $POD_NAMESPACE or ${d.namespace})`)
    .option("--webhook-port <port>", "HTTPS port of the admission webhooks", port({ zeroPicksFree: true }), d.webhookPort)
    .option("--webhook-bind-address <addr>", "address the webhook server listens on", d.webhookBindAddress)
    .option(
      "--webhook-host <host>",
      "out-of-cluster mode: install webhook configurations that call https://HOST:PORT/... (an IP or a DNS name in the certificate)",
    )
    .option("--metrics-port <port>", "HTTP port of /metrics, /healthz and /readyz", port({ zeroPicksFree: true }), d.metricsPort)
    .option("--metrics-bind-address <addr>", "address the metrics server listens on", d.metricsBindAddress)
    .option("--leader-elect", "run the controller only on the holder of a coordination.k8s.io Lease (webhooks serve on every replica)", false)
    .option("--lease-name <name>", "name of the leader-election Lease", d.leaseName)
    .addOption(
      new Option("--cert-mode <mode>", "self-signed: create a CA and serving cert, keep them in a Secret, write the caBundle; files: read tls.crt/tls.key from --cert-dir (cert-manager)")
        .choices(["self-signed", "files"])
        .default(d.certMode),
    )
    .option("--cert-secret <name>", "Secret that holds the self-signed certificates", d.certSecret)
    .option("--cert-dir <dir>", "directory with tls.crt and tls.key for --cert-mode=files (reloaded when they change)", d.certDir)
    .option("--webhook-service <name>", "Service in front of the webhooks (its DNS names go into the certificate)", d.webhookServiceName)
    .option("--sidecarset-workers <n>", "SidecarSets reconciled in parallel", wholeNumber(1), d.workers)
    .addOption(
      new Option("--expectation-timeout <duration>", "how long to wait for the cache to show a pod write before going on (60s, 1m30s, 500ms)")
        .argParser(parseDuration)
        .default(d.expectationTimeoutMs, formatDuration(d.expectationTimeoutMs)),
    )
    .addOption(new Option("--log-level <level>", "log level (default: $LOG_LEVEL or info)").choices([...LOG_LEVELS]))
    .option("--sort-injected-containers-by-name", "inject sidecar containers sorted by name instead of SidecarSet order", false)
    .option(
      "--allow-patch-pod-metadata-without-whitelist",
      "accept patchPodMetadata when no whitelist ConfigMap (or no rule for the SidecarSet) exists",
      false,
    )
    .option(
      "--native-sidecar-in-place-upgrade",
      "allow RollingUpdate for SidecarSets with native sidecars (initContainers with restartPolicy: Always) and roll their image changes out in place; needs kubelets of Kubernetes 1.32 or later",
      false,
    )
    .option(
      "--self-scoping-webhook",
      "limit the pod webhook with matchConditions to pods a SidecarSet could select (default: on when the API server is 1.30 or later)",
    )
    .option("--no-self-scoping-webhook", "call the pod webhook for every pod")
    .addOption(
      new Option("--scope-narrowing-grace <duration>", "how long the pod webhook keeps covering pods no SidecarSet selects any more before its scope narrows")
        .argParser(parseDuration)
        .default(d.scopeNarrowingGraceMs, formatDuration(d.scopeNarrowingGraceMs)),
    )
    .option(
      "--admission-warm-up <n>",
      "made-up pod admissions run at start, before the webhooks report ready, so that the first real ones run optimized code (0: none)",
      wholeNumber(0),
      d.admissionWarmUp,
    )
    .addOption(
      new Option(
        "--shutdown-delay <duration>",
        "on SIGTERM, how long the webhooks keep answering before the server stops, reporting not ready and closing each connection after its next answer, so that API servers that have not yet seen this replica leave are not refused (the controller stops at once; Ctrl-C skips the delay)",
      )
        .argParser(parseDuration)
        .default(d.shutdownDelayMs, formatDuration(d.shutdownDelayMs)),
    )
    .addOption(
      new Option(
        "--webhook-view-lease-duration <duration>",
        "each replica renews a Lease saying which SidecarSet generations its pod webhook holds, and status.observedGeneration waits until the other replicas' pod webhooks hold the new one, at most this long per generation (a replica whose Lease stops changing for this long counts as gone); 0s turns this off",
      )
        .argParser(parseDuration)
        .default(d.webhookViewLeaseMs, formatDuration(d.webhookViewLeaseMs)),
    )
    .addHelpText(
      "after",
      `
Examples:
  # In a cluster (what deploy/manager/manager.yaml runs):
  sidecarset manager --leader-elect
  # From a workstation against a cluster that can reach this machine:
  sidecarset manager --kubeconfig ~/.kube/config --webhook-host 10.0.0.5 --webhook-port 9443`,
    )
    .action(async (flags: ManagerFlags) => {
      if (flags.logLevel !== undefined && !isLogLevel(flags.logLevel)) return;
      // Loaded only to run: the Kubernetes client costs seconds to load, which every offline command would pay.
      const { defaultIdentity, Manager } = await import("../manager/manager.js");
      const manager = new Manager(managerOptionsFromFlags(flags, defaultIdentity()));
      const running = await manager.start();
      // SIGTERM is what the kubelet sends a replica that is leaving; SIGINT is a person at a terminal.
      process.once("SIGTERM", () => void manager.stop({ afterShutdownDelay: true }));
      process.once("SIGINT", () => void manager.stop());
      await running.stopped;
      await manager.stop();
    });
}
