// `sidecarset demo`: the log-agent scenario end to end, with live progress —
// on a local control plane it starts itself, or on a cluster a manager
// already serves (--kubeconfig, or $KUBECONFIG).
import { Command } from "commander";
import { copyFileSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seconds, wholeNumber } from "./arguments.js";
import { CRD_NAME } from "../manifests/crd.js";
import { MUTATING_WEBHOOK_CONFIGURATION_NAME } from "../manifests/options.js";
import type { RawKubeClient } from "../kube/client.js";
import { ensureControlPlane, repoRoot } from "../local/binary.js";
import type { Check } from "../local/demo-report.js";
import type { DemoOutput, DemoResult } from "../local/demo-scenario.js";
import type { LocalEnvironment } from "../local/environment.js";
import { chooseCluster, onInterrupt } from "../local/session.js";
import { localUsage } from "./start.js";

export interface DemoFlags {
  kubeconfig?: string;
  replicas: number;
  partition: number;
  maxUnavailable: number;
  restartSeconds: number;
  image: string;
  keep: boolean;
}

interface Out {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Plain lines for a pipe or a log; some emphasis on a terminal (unless NO_COLOR). */
export function demoOutput(out: Out, began: number, env: NodeJS.ProcessEnv = process.env): DemoOutput & { line(text: string): void } {
  const color = Boolean(out.isTTY) && !env.NO_COLOR;
  const paint = (code: string, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const stamp = () => paint("2", `[${((Date.now() - began) / 1000).toFixed(1).padStart(5)}s]`);
  const write = (text: string) => void out.write(`${text}\n`);
  return {
    line: write,
    step: (title) => write(`\n${paint("1", `== ${title}`)}`),
    info: (text) => write(`${stamp()} ${paint("36", "->")} ${text}`),
    progress: (text) => write(`${stamp()} ${text}`),
    check: (c: Check) => write(`  ${c.ok ? paint("32", color ? "✓" : "[ok]  ") : paint("31", color ? "✗" : "[FAIL]")} ${c.text}`),
  };
}

/** Copies the component and manager logs out of a cluster dir that is about to be removed. */
function saveLogs(dir: string): string | undefined {
  try {
    const target = mkdtempSync(join(tmpdir(), "sidecarset-demo-logs-"));
    for (const f of readdirSync(dir).filter((f) => f.endsWith(".log"))) copyFileSync(join(dir, f), join(target, f));
    return target;
  } catch {
    return undefined;
  }
}

async function requireManager(client: RawKubeClient): Promise<void> {
  const { isNotFound } = await import("../kube/errors.js");
  const missing: string[] = [];
  for (const [path, what] of [
    [`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${CRD_NAME}`, `the CRD ${CRD_NAME}`],
    [`/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${MUTATING_WEBHOOK_CONFIGURATION_NAME}`, "the SidecarSet webhooks"],
  ] as const) {
    try {
      await client.get(path);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      missing.push(what);
    }
  }
  if (missing.length > 0) {
    throw new Error(`this cluster has no SidecarSet manager (${missing.join(" and ")} missing); ` +
      "run `sidecarset start --kubeconfig <file> --install` in another terminal, or run the demo without a kubeconfig to use a local cluster");
  }
}

export function demoCommand(out: Out = process.stdout): Command {
  return new Command("demo")
    .description(
      "Run the log-agent scenario end to end with live progress: a SidecarSet with a logtail sidecar, a Deployment whose " +
        "pods get it injected, then an in-place image upgrade held by a partition and paced by maxUnavailable, then the " +
        "partition removed. Starts a local control plane unless --kubeconfig or $KUBECONFIG names a cluster a manager serves.",
    )
    .option("--kubeconfig <path>", "run on this cluster (a manager must serve it) instead of a local one")
    .option("--replicas <n>", "pods of the Deployment", wholeNumber(1), 20)
    .option("--partition <n>", "pods kept on the old sidecar image until the partition is removed", wholeNumber(0), 10)
    .option("--max-unavailable <n>", "pods upgraded (and so unavailable) at the same time at most", wholeNumber(1), 3)
    .option("--restart-seconds <s>", "local cluster: how long the fake kubelet takes to restart a sidecar for its new image", seconds, 2)
    .option("--image <image>", "the sidecar image to upgrade to", "busybox:1.37")
    .option("--keep", "leave the cluster (and on a given cluster, the demo's objects) in place; a local cluster runs until Ctrl-C", false)
    .addHelpText(
      "after",
      `
The first run builds the local control plane from source (Go 1.26, about 11 minutes); later runs start it in seconds.

Examples:
  sidecarset demo
  sidecarset demo --replicas 50 --partition 40 --max-unavailable 5 --restart-seconds 1
  sidecarset demo --keep            # then explore with the printed kubeconfig and kubectl`,
    )
    .action(async (flags: DemoFlags) => {
      if (flags.partition > flags.replicas) {
        throw new Error(`--partition ${flags.partition} is more than --replicas ${flags.replicas}; the partition counts pods kept on the old image`);
      }
      // Loaded only to run: the Kubernetes client costs seconds to load, which every other command would pay.
      const { loadKubeConfig, RawKubeClient } = await import("../kube/client.js");
      const { cleanupDemo, runDemo } = await import("../local/demo-scenario.js");
      const { startLocalEnvironment } = await import("../local/environment.js");
      const began = Date.now();
      const say = demoOutput(out, began);
      let choice = chooseCluster({ kubeconfig: flags.kubeconfig });
      // A local cluster that `sidecarset start` serves right now is a cluster with a manager.
      if (choice.mode === "local" && choice.running) choice = { mode: "kubeconfig", kubeconfig: join(choice.dir, "admin.kubeconfig"), source: "KUBECONFIG" };
      const examplesDir = join(repoRoot, "examples", "log-agent");
      const demo = { replicas: flags.replicas, partition: flags.partition, maxUnavailable: flags.maxUnavailable, image: flags.image, examplesDir, out: say };
      const interrupt = onInterrupt();
      try {
        if (choice.mode === "kubeconfig") {
          const client = new RawKubeClient(loadKubeConfig({ kubeconfigPath: choice.kubeconfig }).kubeConfig, { userAgent: "sidecarset-demo" });
          try {
            say.line(`sidecarset demo on ${client.server} (kubeconfig ${choice.kubeconfig}, from ${choice.source})`);
            await requireManager(client);
            const result = await Promise.race([runDemo({ ...demo, client, waveAllowanceMs: 60_000 }), interrupt.received.then(() => undefined)]);
            if (!result) return void (process.exitCode = 130);
            finish(say, result, began);
            if (flags.keep) say.line(`Left in place: SidecarSet ${result.created.sidecarSet} and namespace ${result.created.namespace}.`);
            else await cleanupDemo(client, result.created);
          } finally {
            client.close();
          }
          return;
        }
        say.line("sidecarset demo on a local control plane (etcd, kube-apiserver, kube-controller-manager, a fake kubelet) with the manager in this process");
        const binary = await ensureControlPlane({ log: (l) => say.line(`  ${l}`) });
        let env: LocalEnvironment | undefined;
        let result: DemoResult | undefined;
        try {
          const starting = startLocalEnvironment({
            binary,
            kubelet: { startupDelayMs: 200, restartDelayMs: Math.round(flags.restartSeconds * 1000) },
            log: (l) => say.line(`  ${l}`),
          });
          env = await Promise.race([starting, interrupt.received.then(() => undefined)]);
          if (!env) {
            await starting.then((e) => e.stop(), () => undefined);
            return void (process.exitCode = 130);
          }
          const client = new RawKubeClient(loadKubeConfig({ kubeconfigPath: env.kubeconfigPath }).kubeConfig, { userAgent: "sidecarset-demo" });
          try {
            result = await Promise.race([
              runDemo({ ...demo, client, waveAllowanceMs: flags.restartSeconds * 1000 + 5000 }),
              interrupt.received.then(() => undefined),
            ]);
          } finally {
            client.close();
          }
          if (!result) return void (process.exitCode = 130);
          finish(say, result, began);
          if (flags.keep) {
            say.line("");
            say.line("The local cluster keeps running with the demo in it; Ctrl-C stops it.");
            for (const l of localUsage(env, process.cwd(), true)) say.line(l);
            await interrupt.received;
          }
        } catch (err) {
          const logs = env ? saveLogs(env.cluster.dir) : undefined;
          if (logs) say.line(`the control-plane and manager logs are in ${logs}`);
          throw err;
        } finally {
          if (env) {
            say.line("stopping the local cluster");
            await env.stop();
          }
        }
      } finally {
        interrupt.dispose();
      }
    });
}

function finish(say: ReturnType<typeof demoOutput>, result: DemoResult, began: number): void {
  say.line("");
  if (result.ok) say.line(`Demo passed in ${((Date.now() - began) / 1000).toFixed(1)}s: every sidecar was upgraded in place.`);
  else {
    say.line(`Demo FAILED after ${((Date.now() - began) / 1000).toFixed(1)}s: see the checks above.`);
    process.exitCode = 1;
  }
}
