// Entry point of `npm run test:e2e`: makes sure the control-plane binary
// exists (building it, with progress, when it does not), and the helm and
// promtool binaries when a selected file uses them, then runs the e2e test
// files, each against its own control plane (but the monitoring file, which
// needs none), two at a time on a machine with two or more CPUs: most of a
// file's time is spent waiting for restarts, rollouts and watches, so two
// share the CPUs without waiting for each other. Three at a time on two vCPUs
// took the suite from 811–911 s to 651–775 s, but each test ran a fifth to a
// third slower, and under that load a rollout test that counts failed sidecar
// restarts failed once: two stays the default.
//
// The files run the compiled build, as it ships: the runner compiles dist/
// first (about 16 s) and the managers and CLI commands the tests start run
// `dist/cli/main.js`, each starting in a fraction of the time the sources take
// through tsx (a manager ready after 3 s against 5, a command 0.2 s against
// 0.5): two at a time, the suite took 677 s, against 811–911 s from the
// sources. `sidecarset start` and `demo`, which a user runs from a checkout
// with `npm start`, still run from the sources. A test file run by itself with
// `node --test` runs everything from the sources.
//
//   npm run test:e2e                       all of test/e2e/**/*.test.ts
//   npm run test:e2e -- test/e2e/x.test.ts only the given files
//   SIDECARSET_E2E_CONCURRENCY=1 npm run test:e2e   one file at a time
//
// In CI (CI=true) a missing toolchain or a failed build is a failure. Outside
// CI, a machine without Go and without a cached control plane skips the e2e
// tests with a message saying so; without a cached helm or promtool only the
// files that use it fail, each saying how to build it.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { COMPILED_CLI_ENV } from "./compiled-cli.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const inCI = /^(1|true|yes)$/i.test(process.env.CI ?? "");

function testFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".test.ts"))
    .map((f) => relative(repoRoot, join(dir, f)))
    .sort();
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop()?.trim() ?? "";
}

interface Build {
  script: string;
  /** The binary, in messages. */
  what: string;
  /** What CI needs it for, in messages. */
  neededFor: string;
  /** Builds it alone, for the message that asks a user to. */
  command: string;
}

const CONTROL_PLANE: Build = {
  script: "hack/build-testbin.sh",
  what: "control-plane",
  neededFor: "start the control plane",
  command: "npm run testbin",
};
const HELM: Build = { script: "hack/build-helm.sh", what: "helm", neededFor: "install the Helm chart", command: "bash hack/build-helm.sh" };
const PROMTOOL: Build = {
  script: "hack/build-promtool.sh",
  what: "promtool",
  neededFor: "check the alerting rules and /metrics",
  command: "bash hack/build-promtool.sh",
};

/** The binary's path, building it first when needed; undefined when there is no Go to build it (outside CI). */
function ensureBuilt(b: Build): string | undefined {
  const script = join(repoRoot, b.script);
  const cached = spawnSync("bash", [script, "--check"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (cached.status === 0) return lastLine(cached.stdout);

  const go = spawnSync("go", ["version"], { encoding: "utf8" });
  if (go.error || go.status !== 0) {
    const why = `the ${b.what} binary is not built and there is no Go toolchain (Go 1.26) to build it`;
    if (inCI) {
      console.error(`e2e: FAILED: ${why}; CI must be able to ${b.neededFor}`);
      process.exit(1);
    }
    console.error(`e2e: ${b === CONTROL_PLANE ? "SKIPPED" : "WARNING"}: ${why}. Install Go 1.26 and run \`${b.command}\`, then \`npm run test:e2e\`.`);
    return undefined;
  }
  console.error(`e2e: building the ${b.what} binary first (progress below)`);
  // Progress goes to stderr as it happens; the path comes back on stdout's last line.
  const build = spawnSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (build.status !== 0) {
    console.error(`e2e: FAILED: the ${b.what} build failed (see the log lines above)`);
    process.exit(1);
  }
  return lastLine(build.stdout);
}

/** Compiles dist/ from the sources, so that the tests run what they are checked against. */
function compileDist(): void {
  console.error("e2e: compiling dist/ (npm run build)");
  const build = spawnSync("npm", ["run", "--silent", "build"], { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "inherit", "inherit"] });
  if (build.status !== 0) {
    console.error("e2e: FAILED: npm run build failed (see the compiler's output above)");
    process.exit(1);
  }
}

/** A test file that runs helm (or promtool) imports the support module that finds it. */
function importsSupport(file: string, module: "helm" | "promtool"): boolean {
  try {
    return readFileSync(resolve(repoRoot, file), "utf8").includes(`from "../support/${module}.js"`);
  } catch {
    return false; // node --test reports the missing file
  }
}

/** How many test files run at once: SIDECARSET_E2E_CONCURRENCY, else 2, or 1 on a single CPU. */
function concurrency(): number {
  const asked = process.env.SIDECARSET_E2E_CONCURRENCY;
  if (asked === undefined || asked === "") return Math.min(2, availableParallelism());
  const n = Number(asked);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`e2e: SIDECARSET_E2E_CONCURRENCY must be a whole number of files at once (1 or more), not "${asked}"`);
    process.exit(1);
  }
  return n;
}

function main(): void {
  const requested = process.argv.slice(2);
  const files = requested.length > 0 ? requested : testFiles(join(repoRoot, "test/e2e"));
  if (files.length === 0) {
    console.error("e2e: no test files under test/e2e");
    process.exit(1);
  }
  const jobs = concurrency();
  const binary = ensureBuilt(CONTROL_PLANE);
  if (!binary) return;
  const env: NodeJS.ProcessEnv = { ...process.env, SIDECARSET_TESTBIN: binary };
  // Without them those files fail, saying how to build them; the others still run.
  const helm = files.some((f) => importsSupport(f, "helm")) ? ensureBuilt(HELM) : undefined;
  if (helm) env.SIDECARSET_HELM = helm;
  const promtool = files.some((f) => importsSupport(f, "promtool")) ? ensureBuilt(PROMTOOL) : undefined;
  if (promtool) env.SIDECARSET_PROMTOOL = promtool;

  compileDist();
  env[COMPILED_CLI_ENV] = "1";

  console.error(`e2e: ${files.length} test file(s), ${Math.min(jobs, files.length)} at a time`);
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--test", `--test-concurrency=${jobs}`, "--test-reporter=spec", ...files],
    { cwd: repoRoot, stdio: "inherit", env },
  );
  // The test processes stop their control planes on SIGINT/SIGTERM; pass the signal on and wait.
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main();
