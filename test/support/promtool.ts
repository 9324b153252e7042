// The promtool hack/build-promtool.sh builds (pinned by hack/promtool/go.mod):
// Prometheus's own checker and rule-test runner, for the alerting rules and the
// manager's /metrics.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot, requireCachedBuild } from "../../src/local/binary.js";

export const PROMTOOL_BUILD_SCRIPT = join(repoRoot, "hack/build-promtool.sh");

/** $SIDECARSET_PROMTOOL or the cached build; throws with the command that builds it when there is none. */
export function resolvePromtool(): string {
  return requireCachedBuild(
    PROMTOOL_BUILD_SCRIPT,
    "SIDECARSET_PROMTOOL",
    "the promtool binary is not built; run `bash hack/build-promtool.sh` (a cold build takes about 3 minutes) " +
      "or `npm run test:e2e`, which builds it, or point $SIDECARSET_PROMTOOL at a promtool 3.x",
  );
}

export interface PromtoolResult {
  status: number;
  /** stdout and stderr together, in the order promtool wrote them. */
  output: string;
}

/** Runs promtool with `args`, writing `stdin` to it when given; resolves whatever its exit code. */
export function runPromtool(binary: string, args: string[], stdin?: string): Promise<PromtoolResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(binary, args, { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ status: code ?? 1, output }));
    child.stdin.end(stdin ?? "");
  });
}
