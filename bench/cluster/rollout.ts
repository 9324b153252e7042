// Cluster benchmark: an in-place rollout of 1,000 pods with
// `maxUnavailable: 10%` on the project's real control plane, the shipped
// build of the manager (dist/) and a fake kubelet whose container restart
// takes 1 s. Prints the wall time from the SidecarSet update until every pod
// is updated and ready, its ratio to the physical limit (waves × restart
// time: a wave cannot start before the previous one is ready again), and the
// manager's pod writes per upgraded pod (API server request counts, less the
// kubelet's own status writes).
//
//   npm run bench:cluster -- rollout [--pods N]
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { apiServerMetrics } from "../support/api-server-metrics.js";
import { performance } from "node:perf_hooks";
import { applyYaml, REPO_ROOT, startEnvironment, type Environment } from "../../test/support/environment.js";
import { createNamespace, waitFor } from "../../test/support/kube.js";
import { deploymentManifest, setSidecarImage, sidecarSetManifest } from "../../test/support/rollout.js";
import { getSidecarSet, waitForObserved } from "../../test/support/sidecarsets.js";

const arg = (name: string): string | undefined => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
};
const PODS = Number(arg("--pods") ?? 1000);
const RESTART_MS = 1_000;
const NAME = "fleet";

/** PATCH and UPDATE requests on pods (main resource) and pods/status. */
async function podWrites(env: Environment): Promise<{ pods: number; status: number }> {
  const text = await apiServerMetrics(env);
  let pods = 0;
  let status = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    if (!/resource="pods"/.test(line) || !/verb="(PATCH|UPDATE)"/.test(line)) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    const sub = /subresource="([^"]*)"/.exec(line)?.[1] ?? "";
    if (sub === "") pods += value;
    else if (sub === "status") status += value;
  }
  return { pods, status };
}

async function main(): Promise<void> {
  const entry = join(REPO_ROOT, "dist/cli/main.js");
  if (!existsSync(entry) || process.argv.includes("--build")) {
    const built = spawnSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "inherit" });
    if (built.status !== 0) throw new Error("npm run build failed");
  }
  const env = await startEnvironment({ managerEntry: entry, managerArgs: ["--log-level", "info"], kubelet: { restartDelayMs: RESTART_MS } });
  try {
    await createNamespace(env.clients, NAME);
    await applyYaml(env.clients, sidecarSetManifest(NAME, { namespace: NAME, image: "registry.local/agent:1", updateStrategy: { maxUnavailable: "10%" } }));
    await waitForObserved(env, NAME);
    await applyYaml(env.clients, deploymentManifest(NAME, NAME, PODS, NAME));
    await waitFor(`${PODS} pods ready with the sidecar`, async () => (await getSidecarSet(env, NAME)).status?.readyPods === PODS, { timeoutMs: 900_000, intervalMs: 1_000 });

    const before = await podWrites(env);
    const kubeletBefore = env.kubelet.statusWrites();
    const t0 = performance.now();
    await setSidecarImage(env, NAME, "registry.local/agent:2", { maxUnavailable: "10%" });
    await waitFor(
      "every pod updated and ready",
      async () => {
        const set = await getSidecarSet(env, NAME);
        const s = set.status;
        return s !== undefined && s.observedGeneration === set.metadata.generation && s.updatedPods === PODS && s.updatedReadyPods === PODS;
      },
      { timeoutMs: 900_000, intervalMs: 100 },
    );
    const wallMs = performance.now() - t0;
    const after = await podWrites(env);
    const kubeletWrites = env.kubelet.statusWrites() - kubeletBefore;
    const managerWrites = after.pods - before.pods + (after.status - before.status - kubeletWrites);
    const waves = Math.ceil(PODS / Math.ceil(PODS * 0.1));
    const limitMs = waves * RESTART_MS;
    console.log("PODS  MAXUNAVAILABLE  RESTART  WAVES  WALL S  LIMIT S  RATIO  POD WRITES/POD (spec + status)  TARGET");
    console.log(
      `${String(PODS).padEnd(6)}${"10%".padEnd(16)}${`${RESTART_MS / 1000} s`.padEnd(9)}${String(waves).padEnd(7)}${(wallMs / 1000).toFixed(1).padEnd(8)}${(limitMs / 1000).toFixed(1).padEnd(9)}${(wallMs / limitMs).toFixed(2).padEnd(7)}${`${(managerWrites / PODS).toFixed(2)} (${((after.pods - before.pods) / PODS).toFixed(2)} + ${((after.status - before.status - kubeletWrites) / PODS).toFixed(2)})`.padEnd(32)}ratio ≤ 1.15, ≤ 2 writes/pod`,
    );
  } finally {
    await env.stop();
  }
}

await main();
