// The control-plane binary (etcd, kube-apiserver, kube-controller-manager and
// kubectl in one executable) that hack/build-testbin.sh builds from the Go
// modules into a cache outside the work tree. Finding it is instant; building
// it the first time takes about 11 minutes.
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The checkout this module runs from (src/local or dist/local, two levels down). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const buildScript = join(repoRoot, "hack/build-testbin.sh");

/** The cached binary ($SIDECARSET_TESTBIN first), or undefined when it is not built yet. */
export function locateControlPlane(): string | undefined {
  return locateCachedBuild(buildScript, "SIDECARSET_TESTBIN");
}

/**
 * The binary a hack/build-*.sh script keeps in its cache, or the one the
 * environment variable names; undefined when neither exists.
 */
export function locateCachedBuild(script: string, envVar: string): string | undefined {
  const fromEnv = process.env[envVar];
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  if (!existsSync(script)) return undefined;
  try {
    const out = execFileSync("bash", [script, "--check"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const path = lastLine(out);
    if (path && existsSync(path)) return path;
  } catch {
    // not built
  }
  return undefined;
}

/** As locateCachedBuild, but throws `notBuilt` (which should say how to build it) when there is none. */
export function requireCachedBuild(script: string, envVar: string, notBuilt: string): string {
  const found = locateCachedBuild(script, envVar);
  if (found) return found;
  throw new Error(notBuilt);
}

/** The cached binary; throws with the command that builds it when there is none. */
export function resolveTestbin(): string {
  return requireCachedBuild(
    buildScript,
    "SIDECARSET_TESTBIN",
    "the control-plane binary is not built; run `npm run testbin` (a cold build takes about 11 minutes) or `npm run test:e2e`",
  );
}

export interface BuildOptions {
  /** Each progress line of the build as it happens. */
  log: (line: string) => void;
}

/**
 * The cached binary, building it first when needed. A cold build downloads
 * the Kubernetes modules and compiles about 2500 packages; its progress lines
 * are passed on so a user knows it is working.
 */
export async function ensureControlPlane(opts: BuildOptions): Promise<string> {
  const found = locateControlPlane();
  if (found) return found;
  if (!existsSync(buildScript)) {
    throw new Error(`the control-plane binary is not built and ${buildScript} is missing; run this from a checkout of the repository`);
  }
  opts.log("the local control plane (etcd, kube-apiserver, kube-controller-manager, kubectl) is built from source once;");
  opts.log("a first build needs Go 1.26 and takes about 11 minutes on 2 cores (later starts take seconds)");
  return new Promise<string>((resolvePromise, reject) => {
    const child = spawn("bash", [buildScript], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let pending = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      pending += d;
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        opts.log(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (pending) opts.log(pending);
      const path = lastLine(stdout);
      if (code === 0 && path && existsSync(path)) resolvePromise(path);
      else reject(new Error(`building the control plane failed (exit code ${code}); see the lines above`));
    });
  });
}

/**
 * How to run kubectl from this binary: the `kubectl` symlink the build script
 * keeps next to it, or the binary with `kubectl` as its first argument when
 * the symlink is missing (a binary given through $SIDECARSET_TESTBIN).
 */
export function kubectlCommand(binary: string): { path: string; args: string[] } {
  const link = join(dirname(binary), "kubectl");
  return existsSync(link) ? { path: link, args: [] } : { path: binary, args: ["kubectl"] };
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop()?.trim() ?? "";
}
