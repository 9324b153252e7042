// Entry point of `npm run test:e2e`: makes sure the control-plane binary
// exists (building it, with progress, when it does not), then runs the e2e
// test files one at a time, each against its own control plane.
//
//   npm run test:e2e                       all of test/e2e/**/*.test.ts
//   npm run test:e2e -- test/e2e/x.test.ts only the given files
//
// In CI (CI=true) a missing toolchain or a failed build is a failure. Outside
// CI, a machine without Go and without a cached binary skips the e2e tests
// with a message saying so.
import { spawn, spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const buildScript = join(repoRoot, "hack/build-testbin.sh");
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

function ensureBinary(): string | undefined {
  const cached = spawnSync("bash", [buildScript, "--check"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (cached.status === 0) return lastLine(cached.stdout);

  const go = spawnSync("go", ["version"], { encoding: "utf8" });
  if (go.error || go.status !== 0) {
    const why = "the control-plane binary is not built and there is no Go toolchain (Go 1.26) to build it";
    if (inCI) {
      console.error(`e2e: FAILED: ${why}; CI must be able to start the control plane`);
      process.exit(1);
    }
    console.error(`e2e: SKIPPED: ${why}. Install Go 1.26 and run \`npm run testbin\`, then \`npm run test:e2e\`.`);
    return undefined;
  }
  console.error("e2e: building the control-plane binary first (progress below)");
  // Progress goes to stderr as it happens; the path comes back on stdout's last line.
  const build = spawnSync("bash", [buildScript], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  if (build.status !== 0) {
    console.error("e2e: FAILED: the control-plane build failed (see the log lines above)");
    process.exit(1);
  }
  return lastLine(build.stdout);
}

function main(): void {
  const requested = process.argv.slice(2);
  const files = requested.length > 0 ? requested : testFiles(join(repoRoot, "test/e2e"));
  if (files.length === 0) {
    console.error("e2e: no test files under test/e2e");
    process.exit(1);
  }
  const binary = ensureBinary();
  if (!binary) return;

  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--test", "--test-concurrency=1", "--test-reporter=spec", ...files],
    { cwd: repoRoot, stdio: "inherit", env: { ...process.env, SIDECARSET_TESTBIN: binary } },
  );
  // The test processes stop their control planes on SIGINT/SIGTERM; pass the signal on and wait.
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main();
