// The helm binary hack/build-helm.sh builds (pinned by hack/helm/go.mod) and a
// way to run it against a test cluster without touching the user's helm
// configuration, repositories or cache.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot, requireCachedBuild } from "../../src/local/binary.js";

export const HELM_BUILD_SCRIPT = join(repoRoot, "hack/build-helm.sh");

/** $SIDECARSET_HELM or the cached build; throws with the command that builds it when there is none. */
export function resolveHelm(): string {
  return requireCachedBuild(
    HELM_BUILD_SCRIPT,
    "SIDECARSET_HELM",
    "the helm binary is not built; run `bash hack/build-helm.sh` (a cold build takes about 4 minutes) " +
      "or `npm run test:e2e`, which builds it, or point $SIDECARSET_HELM at a helm v4",
  );
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface Helm {
  /** Runs helm; resolves whatever its exit code. */
  run(args: string[]): Promise<HelmResult>;
  /** Runs helm and resolves with stdout; rejects with stderr on a non-zero exit. */
  ok(args: string[]): Promise<string>;
  /** Removes helm's own config, cache and data dirs. */
  cleanup(): void;
}

/** helm with its config, cache and data in a temp dir, talking to the cluster of `kubeconfig` (if any). */
export function helmClient(binary: string, kubeconfig?: string): Helm {
  const home = mkdtempSync(join(tmpdir(), "sidecarset-helm-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HELM_CONFIG_HOME: join(home, "config"),
    HELM_CACHE_HOME: join(home, "cache"),
    HELM_DATA_HOME: join(home, "data"),
    KUBECONFIG: kubeconfig ?? join(home, "no-cluster"),
  };
  const run = (args: string[]): Promise<HelmResult> =>
    new Promise((resolvePromise, reject) => {
      const child = spawn(binary, args, { env, cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.on("error", reject);
      child.on("close", (code) => resolvePromise({ status: code ?? 1, stdout, stderr }));
    });
  return {
    run,
    async ok(args) {
      const r = await run(args);
      if (r.status !== 0) throw new Error(`helm ${args.join(" ")} exited ${r.status}:\n${r.stderr}`);
      return r.stdout;
    },
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}
