// A real Kubernetes control plane on this machine: etcd, kube-apiserver and
// kube-controller-manager, each its own process, started from the binary
// hack/build-testbin.sh builds. The end-to-end tests and `sidecarset demo`
// use a throw-away temp dir (tmpfs when there is one) that is removed when the
// cluster stops, when the process exits, or when it is interrupted;
// `sidecarset start` uses a fixed state dir whose kubeconfig path stays the
// same from one run to the next. A cluster left behind by a process that was
// killed outright is reaped by the next start.
import { spawn, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { stringify as toYaml } from "yaml";
import { resolveTestbin } from "./binary.js";
import { defaultBaseDir, DIR_PREFIX, OWNER_FILE, prepareStateDir, reapOrphanedClusters } from "./cluster-dirs.js";
import { freePorts, isPortClash } from "./ports.js";

export { resolveTestbin } from "./binary.js";

/** The user the restricted token authenticates as: the manager's ServiceAccount identity. */
export const RESTRICTED_USER = "system:serviceaccount:sidecarset-system:sidecarset-manager";
export const RESTRICTED_GROUPS = ["system:serviceaccounts", "system:serviceaccounts:sidecarset-system", "system:authenticated"];

/** Controllers the tests rely on; pod GC and node lifecycle stay off so the fake node is never evicted. */
export const DEFAULT_CONTROLLERS = [
  "deployment-controller", "replicaset-controller", "statefulset-controller", "daemonset-controller",
  "job-controller", "cronjob-controller", "namespace-controller", "serviceaccount-controller",
  "serviceaccount-token-controller", "root-ca-certificate-publisher-controller", "garbage-collector-controller",
];

export interface ClusterOptions {
  /** The k8s-testbin binary; default $SIDECARSET_TESTBIN, else the cached build. */
  binary?: string;
  /** Where the temp dir goes; default /dev/shm (tmpfs) when writable, else the OS temp dir. */
  baseDir?: string;
  /**
   * A fixed state dir instead of a temp dir: emptied when the cluster starts
   * (refused when it holds files sidecarset did not put there, or a cluster
   * that still runs) and kept, logs and kubeconfigs included, after it stops.
   */
  dir?: string;
  /** The cluster's name in the kubeconfigs; default "sidecarset-test". */
  name?: string;
  /**
   * Run the components in their own process group, so a Ctrl-C in the
   * terminal reaches only this process, which then stops them in order.
   */
  detached?: boolean;
  /** Stop the cluster and exit on SIGINT/SIGTERM; default true. Off when the caller shuts down itself. */
  handleSignals?: boolean;
  /** How long each component may take to become ready. */
  readyTimeoutMs?: number;
  /** Keep the temp dir (logs, kubeconfigs) after stop; default $SIDECARSET_KEEP_CLUSTER_DIR=1. */
  keepDir?: boolean;
  controllers?: string[];
  extraApiserverArgs?: string[];
  /** Have the apiserver log every write request (audit level Metadata) to `auditLogPath`. */
  auditLog?: boolean;
  extraControllerManagerArgs?: string[];
  /** Progress lines; default writes to stderr. */
  log?: (line: string) => void;
}

export interface Cluster {
  /** The binary the components run from (its `kubectl` symlink is next to it). */
  binary: string;
  server: string;
  kubeconfigPath: string;
  restrictedKubeconfigPath: string;
  /**
   * The manager's identity again, through a token of its own (another user
   * uid): a second replica that uses it is told apart from the first in the audit log.
   */
  replicaKubeconfigPath: string;
  /** Where the audit log goes when `auditLog` is set. */
  auditLogPath: string;
  adminToken: string;
  restrictedToken: string;
  /** The CA that verifies the apiserver's serving certificate. */
  caPem: string;
  dir: string;
  logPaths: Record<ComponentName, string>;
  /** Wall time from the first spawn to a ready controller-manager. */
  startupMs: number;
  /**
   * Stops one component (SIGKILL: a crash) and starts it again with the same
   * flags, data and certificates; resolves once it is ready again. For fault tests.
   */
  restart(name: "etcd" | "kube-apiserver", opts?: { signal?: "SIGTERM" | "SIGKILL"; downMs?: number }): Promise<void>;
  /** Compacts etcd's history up to its current revision: older resourceVersions become unwatchable. */
  compactEtcd(): Promise<number>;
  stop(): Promise<void>;
}

type ComponentName = "etcd" | "kube-apiserver" | "kube-controller-manager";

interface Component {
  name: ComponentName;
  child: ChildProcess;
  logPath: string;
  exit: Promise<void>;
  exited: boolean;
}

const STOP_GRACE_MS = 10_000;

function tail(path: string, lines = 40): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).map((l) => `  | ${l}`).join("\n");
  } catch {
    return "  | (no log)";
  }
}

function probe(url: string, opts: { token?: string; ca?: string; insecure?: boolean } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const headers: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
    const onResponse = (res: import("node:http").IncomingMessage): void => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolvePromise({ status: res.statusCode ?? 0, body }));
    };
    const req = url.startsWith("https:")
      ? httpsRequest(url, { headers, ca: opts.ca, rejectUnauthorized: !opts.insecure, timeout: 2000 }, onResponse)
      : httpRequest(url, { headers, timeout: 2000 }, onResponse);
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

class StartError extends Error {
  constructor(message: string, readonly portClash: boolean) {
    super(message);
  }
}

async function waitReady(component: Component, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    if (component.exited) {
      const log = existsSync(component.logPath) ? readFileSync(component.logPath, "utf8") : "";
      throw new StartError(`${component.name} exited before it was ready (exit code ${component.child.exitCode}); the last lines of its log:\n${tail(component.logPath)}`, isPortClash(log));
    }
    try {
      if (await check()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new StartError(`${component.name} was not ready after ${timeoutMs}ms (last probe error: ${lastError || "none"}); the last lines of its log:\n${tail(component.logPath)}`, false);
}

function kubeconfig(cluster: string, server: string, caPem: string, user: string, token: string): string {
  return toYaml({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: cluster, cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") } }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: user, context: { cluster, user } }],
    "current-context": user,
  });
}

interface LiveCluster {
  components: Component[];
  dir: string;
  keepDir: boolean;
  handleSignals: boolean;
  stop: () => Promise<void>;
}

// Clusters that have not been stopped yet: the exit hook ends them all, the
// signal hooks those whose owner did not take over shutdown itself.
const live = new Set<LiveCluster>();

function killNow(): void {
  for (const entry of live) {
    for (const c of entry.components) if (!c.exited) try { c.child.kill("SIGKILL"); } catch { /* gone */ }
    if (!entry.keepDir) rmSync(entry.dir, { recursive: true, force: true });
  }
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  const code = signal === "SIGINT" ? 130 : 143;
  const ours = [...live].filter((e) => e.handleSignals);
  void Promise.allSettled(ours.map((e) => e.stop())).finally(() => process.exit(code));
}

// Who wrote what, not the bodies: one line per create/update/patch/delete once the response is sent.
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived", "ResponseStarted"]
rules:
  - level: Metadata
    verbs: ["create", "update", "patch", "delete"]
  - level: None
`;

const signalHandlers = (): number => [...live].filter((e) => e.handleSignals).length;

function trackLive(entry: LiveCluster): void {
  if (live.size === 0) process.on("exit", killNow);
  if (entry.handleSignals && signalHandlers() === 0) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  live.add(entry);
}

function untrackLive(entry: LiveCluster): void {
  if (!live.delete(entry)) return;
  if (live.size === 0) process.off("exit", killNow);
  if (entry.handleSignals && signalHandlers() === 0) {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

async function stopComponent(c: Component): Promise<void> {
  if (c.exited) return;
  c.child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  // The timer also keeps the event loop alive while the (unref'd) child shuts down.
  const killed = new Promise<void>((r) => (timer = setTimeout(() => { if (!c.exited) c.child.kill("SIGKILL"); r(); }, STOP_GRACE_MS)));
  await Promise.race([c.exit, killed]);
  clearTimeout(timer);
  await c.exit;
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const binary = opts.binary ?? resolveTestbin();
  const baseDir = opts.baseDir ?? defaultBaseDir();
  const log = opts.log ?? ((line: string) => process.stderr.write(`[cluster] ${line}\n`));
  if (!opts.dir) reapOrphanedClusters(baseDir);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binary, baseDir, opts, log);
    } catch (err) {
      // Another program took a port between our probe and the bind: new ports, new try.
      if (err instanceof StartError && err.portClash && attempt < 3) {
        log(`a port was taken by another process; retrying with new ports (attempt ${attempt + 1})`);
        continue;
      }
      throw err;
    }
  }
}

async function startOnce(binary: string, baseDir: string, opts: ClusterOptions, log: (line: string) => void): Promise<Cluster> {
  const started = Date.now();
  const readyTimeoutMs = opts.readyTimeoutMs ?? 90_000;
  const fixedDir = opts.dir !== undefined;
  // A fixed state dir is the user's: it stays, with its logs, after a stop.
  const keepDir = fixedDir || (opts.keepDir ?? process.env.SIDECARSET_KEEP_CLUSTER_DIR === "1");
  let dir: string;
  if (opts.dir !== undefined) {
    dir = opts.dir;
    prepareStateDir(dir);
  } else {
    dir = mkdtempSync(join(baseDir, DIR_PREFIX));
  }
  const components: Component[] = [];
  const owner = (): void => writeFileSync(join(dir, OWNER_FILE), JSON.stringify({ pid: process.pid, children: components.map((c) => c.child.pid) }));
  owner();

  let stopping: Promise<void> | undefined;
  const entry: LiveCluster = {
    components,
    dir,
    keepDir,
    handleSignals: opts.handleSignals ?? true,
    stop: (): Promise<void> => (stopping ??= (async () => {
      const [etcd, ...rest] = components;
      await Promise.all(rest.map(stopComponent));
      if (etcd) await stopComponent(etcd);
      if (!keepDir) rmSync(dir, { recursive: true, force: true });
      else if (fixedDir) rmSync(join(dir, OWNER_FILE), { force: true });
      else log(`kept ${dir}`);
      untrackLive(entry);
    })()),
  };
  trackLive(entry);

  // The apiserver calls webhooks on 127.0.0.1; a proxy from the environment must never see that traffic.
  const noProxy = ["127.0.0.1", "localhost", process.env.NO_PROXY, process.env.no_proxy].filter(Boolean).join(",");
  const env = { ...process.env, NO_PROXY: noProxy, no_proxy: noProxy };
  const argsOf = new Map<ComponentName, string[]>();
  const run = (name: ComponentName, args: string[]): Component => {
    argsOf.set(name, args);
    const logPath = join(dir, `${name}.log`);
    const fd = openSync(logPath, "a");
    const child = spawn(binary, [name, ...args], { stdio: ["ignore", fd, fd], env, detached: opts.detached ?? false });
    closeSync(fd);
    child.unref(); // the exit hook ends it if the test process finishes without stop()
    const component: Component = { name, child, logPath, exited: false, exit: Promise.resolve() };
    component.exit = new Promise<void>((r) => child.once("exit", () => { component.exited = true; r(); }));
    child.once("error", () => { component.exited = true; });
    components.push(component);
    owner();
    return component;
  };

  try {
    const [etcdClient, etcdPeer, apiPort, kcmPort] = (await freePorts(4)) as [number, number, number, number];
    const adminToken = randomBytes(24).toString("hex");
    const restrictedToken = randomBytes(24).toString("hex");
    const replicaToken = randomBytes(24).toString("hex");
    const saKey = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    writeFileSync(join(dir, "sa.key"), saKey.privateKey, { mode: 0o600 });
    writeFileSync(join(dir, "sa.pub"), saKey.publicKey);
    writeFileSync(join(dir, "tokens.csv"), [
      `${adminToken},admin,admin-uid,"system:masters"`,
      `${restrictedToken},${RESTRICTED_USER},sidecarset-manager-uid,"${RESTRICTED_GROUPS.join(",")}"`,
      `${replicaToken},${RESTRICTED_USER},sidecarset-manager-replica-uid,"${RESTRICTED_GROUPS.join(",")}"`,
    ].join("\n") + "\n", { mode: 0o600 });

    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    const peerUrl = `http://127.0.0.1:${etcdPeer}`;
    const etcd = run("etcd", [
      "--name=test", `--data-dir=${join(dir, "etcd-data")}`, "--unsafe-no-fsync",
      `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=test=${peerUrl}`,
      "--log-level=warn",
    ]);
    await waitReady(etcd, readyTimeoutMs, async () => {
      const res = await probe(`${etcdUrl}/health`);
      return res.status === 200 && res.body.includes('"health":"true"');
    });

    const certDir = join(dir, "apiserver-certs");
    mkdirSync(certDir);
    const auditLogPath = join(dir, "audit.log");
    if (opts.auditLog) writeFileSync(join(dir, "audit-policy.yaml"), AUDIT_POLICY);
    const server = `https://127.0.0.1:${apiPort}`;
    const apiserver = run("kube-apiserver", [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1", `--secure-port=${apiPort}`, "--advertise-address=127.0.0.1",
      `--cert-dir=${certDir}`,
      `--service-account-key-file=${join(dir, "sa.pub")}`,
      `--service-account-signing-key-file=${join(dir, "sa.key")}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      "--authorization-mode=RBAC",
      `--token-auth-file=${join(dir, "tokens.csv")}`,
      "--endpoint-reconciler-type=none",
      "--service-cluster-ip-range=10.96.0.0/16",
      "--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,DefaultTolerationSeconds,MutatingAdmissionWebhook,ValidatingAdmissionWebhook,ResourceQuota",
      "--allow-privileged=true",
      "--profiling=false",
      ...(opts.auditLog ? [`--audit-policy-file=${join(dir, "audit-policy.yaml")}`, `--audit-log-path=${auditLogPath}`] : []),
      ...(opts.extraApiserverArgs ?? []),
    ]);
    const caPath = join(certDir, "apiserver.crt");
    let caPem = "";
    await waitReady(apiserver, readyTimeoutMs, async () => {
      if (!caPem) {
        if (!existsSync(caPath)) return false;
        caPem = readFileSync(caPath, "utf8");
      }
      return (await probe(`${server}/readyz`, { token: adminToken, ca: caPem })).status === 200;
    });

    const kubeconfigPath = join(dir, "admin.kubeconfig");
    const restrictedKubeconfigPath = join(dir, "restricted.kubeconfig");
    const clusterName = opts.name ?? "sidecarset-test";
    writeFileSync(kubeconfigPath, kubeconfig(clusterName, server, caPem, "admin", adminToken), { mode: 0o600 });
    writeFileSync(restrictedKubeconfigPath, kubeconfig(clusterName, server, caPem, "sidecarset-manager", restrictedToken), { mode: 0o600 });
    const replicaKubeconfigPath = join(dir, "replica.kubeconfig");
    writeFileSync(replicaKubeconfigPath, kubeconfig(clusterName, server, caPem, "sidecarset-manager", replicaToken), { mode: 0o600 });

    const kcm = run("kube-controller-manager", [
      `--kubeconfig=${kubeconfigPath}`,
      "--leader-elect=false",
      "--use-service-account-credentials=false",
      `--service-account-private-key-file=${join(dir, "sa.key")}`,
      `--root-ca-file=${caPath}`,
      `--controllers=${(opts.controllers ?? DEFAULT_CONTROLLERS).join(",")}`,
      "--bind-address=127.0.0.1", `--secure-port=${kcmPort}`, `--cert-dir=${join(dir, "kcm-certs")}`,
      // Deployments of 100+ pods must not be throttled by the client-side rate limiter.
      "--kube-api-qps=500", "--kube-api-burst=1000",
      "--concurrent-deployment-syncs=10", "--concurrent-replicaset-syncs=10",
      "--profiling=false",
      ...(opts.extraControllerManagerArgs ?? []),
    ]);
    await waitReady(kcm, readyTimeoutMs, async () => (await probe(`https://127.0.0.1:${kcmPort}/healthz`, { insecure: true })).status === 200);

    const startupMs = Date.now() - started;
    log(`control plane ready in ${(startupMs / 1000).toFixed(1)}s at ${server} (dir ${dir})`);
    const readiness: Record<"etcd" | "kube-apiserver", () => Promise<boolean>> = {
      etcd: async () => {
        const res = await probe(`${etcdUrl}/health`);
        return res.status === 200 && res.body.includes('"health":"true"');
      },
      "kube-apiserver": async () => (await probe(`${server}/readyz`, { token: adminToken, ca: caPem })).status === 200,
    };
    const restart: Cluster["restart"] = async (name, { signal = "SIGTERM", downMs = 0 } = {}) => {
      const at = components.findIndex((c) => c.name === name);
      const old = components[at];
      if (!old) throw new Error(`no ${name} is running`);
      if (signal === "SIGKILL") {
        old.child.kill("SIGKILL");
        await old.exit;
      } else {
        await stopComponent(old);
      }
      components.splice(at, 1);
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      const fresh = run(name, argsOf.get(name)!);
      // etcd first in the list: stop() ends it last.
      if (name === "etcd") components.unshift(components.pop()!);
      await waitReady(fresh, readyTimeoutMs, readiness[name]);
      log(`${name} restarted`);
    };
    const etcdCall = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
      const res = await fetch(`${etcdUrl}${path}`, { method: "POST", body: JSON.stringify(body) });
      const out = (await res.json()) as Record<string, unknown>;
      if (!res.ok) throw new Error(`etcd ${path}: ${res.status} ${JSON.stringify(out)}`);
      return out;
    };
    const compactEtcd = async (): Promise<number> => {
      // A range over one key answers with the store's current revision in its header.
      const range = await etcdCall("/v3/kv/range", { key: Buffer.from("/").toString("base64") });
      const revision = Number((range.header as { revision?: string } | undefined)?.revision);
      await etcdCall("/v3/kv/compaction", { revision: String(revision), physical: true });
      return revision;
    };
    return {
      binary, server, kubeconfigPath, restrictedKubeconfigPath, replicaKubeconfigPath, auditLogPath, adminToken, restrictedToken, caPem, dir, startupMs,
      logPaths: { etcd: etcd.logPath, "kube-apiserver": apiserver.logPath, "kube-controller-manager": kcm.logPath },
      restart,
      compactEtcd,
      stop: entry.stop,
    };
  } catch (err) {
    await entry.stop();
    throw err;
  }
}
