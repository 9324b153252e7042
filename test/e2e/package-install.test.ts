// The package as a user installs it: `npm pack`, then a global install into a
// fresh prefix. The installed executables run the compiled code (no sources,
// no tsx in the package), the offline commands work from the installed
// examples, and kubectl finds `kubectl-sidecarset` on the PATH and runs it as
// its plugin against the live cluster.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { kubectlCommand, locateControlPlane } from "../../src/local/binary.js";
import { compiledCliBuilt } from "../support/compiled-cli.js";
import { REPO_ROOT, useEnvironment, waitFor } from "../support/environment.js";
import { sidecarSetManifest } from "../support/rollout.js";
import { applyYaml } from "../support/environment.js";

const env = useEnvironment();
const dir = mkdtempSync(join(tmpdir(), "sidecarset-package-"));
const prefix = join(dir, "prefix");
let tarball = "";

before(() => {
  // `npm pack` compiles dist/ first (prepack), unless the e2e runner already did: a second compile would rewrite
  // the files that the other test files' managers and commands are loading meanwhile.
  const compiled = compiledCliBuilt() ? ["--ignore-scripts"] : [];
  const packed = execFileSync("npm", ["pack", ...compiled, "--pack-destination", dir, "--json"], { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const [info] = JSON.parse(packed) as { filename: string; files: { path: string }[] }[];
  tarball = join(dir, info!.filename);
  execFileSync("npm", ["install", "--global", "--prefix", prefix, tarball, "--prefer-offline", "--no-audit", "--no-fund"], { stdio: ["ignore", "ignore", "inherit"] });
});
after(() => rmSync(dir, { recursive: true, force: true }));

const installed = (): string => join(prefix, "lib", "node_modules", "sidecarset");

function sidecarset(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  return spawnSync(join(prefix, "bin", "sidecarset"), args, { cwd: dir, encoding: "utf8", env: { ...process.env, ...extraEnv } });
}

test("the package holds the compiled code, the manifests and the examples, and neither sources nor tests", () => {
  const listing = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).split("\n");
  assert.ok(listing.includes("package/dist/cli/main.js"));
  assert.ok(listing.includes("package/bin/sidecarset.js"));
  assert.ok(listing.some((f) => f.startsWith("package/examples/log-agent/")));
  assert.ok(listing.some((f) => f.startsWith("package/deploy/")));
  assert.deepEqual(listing.filter((f) => /^package\/(src|test|bench)\//.test(f)), []);
  assert.ok(!existsSync(join(installed(), "node_modules", "tsx")), "no development dependency is installed with it");
});

test("the installed build script finds the control plane the checkout built (its cache key and helpers are packed)", () => {
  const check = spawnSync("bash", [join(installed(), "hack", "build-testbin.sh"), "--check"], { encoding: "utf8" });
  assert.equal(check.status, 0, check.stderr);
  assert.equal(check.stdout.trim(), locateControlPlane());
});

test("the installed sidecarset runs the compiled code and the offline commands work from the installed examples", () => {
  const version = sidecarset(["version", "-o", "json"]);
  assert.equal(version.status, 0, version.stderr);
  assert.equal((JSON.parse(version.stdout) as { build: { from: string } }).build.from, "compiled");
  const example = join(installed(), "examples", "log-agent", "sidecarset.yaml");
  const validate = sidecarset(["validate", "-f", example]);
  assert.equal(validate.status, 0, validate.stderr);
  assert.match(validate.stdout + validate.stderr, /1 SidecarSet checked: 1 valid, 0 invalid/);
  const inject = sidecarset(["inject", "-f", join(installed(), "examples", "log-agent", "deployment.yaml"), "--sidecarsets", example]);
  assert.equal(inject.status, 0, inject.stderr);
  assert.match(inject.stdout, /name: logtail/);
});

test("kubectl runs the installed kubectl-sidecarset as its plugin, against the live cluster", async () => {
  const binary = locateControlPlane();
  assert.ok(binary, "the control-plane binary (with kubectl) is built");
  const kubectl = kubectlCommand(binary);
  const name = "packaged";
  await applyYaml(env().clients, sidecarSetManifest(name, { namespace: name, image: "registry.local/agent:1" }));
  const pathEnv = { PATH: `${join(prefix, "bin")}:${dirname(process.execPath)}:${process.env.PATH ?? ""}`, KUBECONFIG: env().cluster.kubeconfigPath };
  const plugins = spawnSync(kubectl.path, [...kubectl.args, "plugin", "list"], { encoding: "utf8", env: { ...process.env, ...pathEnv } });
  assert.match(plugins.stdout, /kubectl-sidecarset/);
  const history = await waitFor("the SidecarSet's first revision", () => {
    const r = spawnSync(kubectl.path, [...kubectl.args, "sidecarset", "rollout", "history", name], { encoding: "utf8", env: { ...process.env, ...pathEnv } });
    return r.status === 0 && /\b1\b/.test(r.stdout) ? r : undefined;
  });
  assert.match(history.stdout, /registry\.local\/agent:1/);
  const help = spawnSync(kubectl.path, [...kubectl.args, "sidecarset", "rollout", "--help"], { encoding: "utf8", env: { ...process.env, ...pathEnv } });
  assert.match(help.stdout, /Usage: kubectl sidecarset rollout/);
  assert.ok(readdirSync(join(prefix, "bin")).includes("kubectl-sidecarset"));
});
