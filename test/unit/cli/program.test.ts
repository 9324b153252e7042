// The command tree as a whole: its name as a kubectl plugin, `version`, and
// the flags every command shares.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import type { Command } from "commander";
import { buildProgram, commandName, renameInHelp, run } from "../../../src/cli/program.js";
import { versionInfo } from "../../../src/cli/version.js";
import { captureOutput } from "./capture.js";

function helpOf(cmd: Command): string {
  let help = "";
  cmd.configureOutput({ writeOut: (s) => (help += s) });
  cmd.outputHelp();
  return help;
}

test("run through kubectl (as kubectl-sidecarset) the command is called kubectl sidecarset", () => {
  assert.equal(commandName("/usr/local/bin/kubectl-sidecarset"), "kubectl sidecarset");
  assert.equal(commandName("/usr/local/bin/sidecarset"), "sidecarset");
  assert.equal(commandName("/repo/src/cli/main.ts"), "sidecarset");
  assert.equal(commandName(undefined), "sidecarset");
});

test("as a plugin, usage and example lines say kubectl sidecarset; other text is left alone", async () => {
  const r = await captureOutput(() => run(["inject", "--help"], "kubectl sidecarset"));
  assert.equal(r.exitCode, 0);
  assert.match(r.stdout, /^Usage: kubectl sidecarset inject \[options\]$/m);
  assert.match(r.stdout, /^ {2}kubectl sidecarset inject -f deployment\.yaml /m);
  assert.match(r.stdout, /\| kubectl sidecarset inject -f - /);
  assert.doesNotMatch(r.stdout, /^\s*sidecarset /m);
  assert.equal(renameInHelp("  kubectl get configmap x -n sidecarset-system", "kubectl sidecarset"), "  kubectl get configmap x -n sidecarset-system");
  const top = await captureOutput(() => run(["--help"], "kubectl sidecarset"));
  assert.match(top.stdout, /^Usage: kubectl sidecarset \[options\] \[command\]$/m);
  assert.match(top.stdout, /^ {2}kubectl sidecarset validate -f examples\/$/m);
  const usageError = await captureOutput(() => run(["validate"], "kubectl sidecarset"));
  assert.equal(usageError.exitCode, 2);
});

test("version prints the package version, the SidecarSet API versions the CRD serves and the build", async () => {
  const { version } = JSON.parse((await captureOutput(() => run(["version", "-o", "json"]))).stdout) as { version: string };
  const pkg = (await import("../../../package.json", { with: { type: "json" } })).default as { version: string };
  assert.equal(version, pkg.version);
  const info = versionInfo();
  assert.deepEqual(info.servedApiVersions, ["apps.kruise.io/v1alpha1", "apps.kruise.io/v1beta1"]);
  assert.equal(info.build.from, "sources");
  const text = await captureOutput(() => run(["version"], "kubectl sidecarset"));
  assert.equal(
    text.stdout,
    `kubectl sidecarset ${pkg.version}\nserves: apps.kruise.io/v1alpha1 SidecarSet, apps.kruise.io/v1beta1 SidecarSet\nbuild: TypeScript sources, Node.js ${process.version} ${process.platform}/${process.arch}\n`,
  );
});

test("every command that reads manifests takes -f/--filename for several paths; every command that prints objects or results takes -o", async () => {
  const program = await buildProgram();
  const byName = new Map(program.commands.map((c) => [c.name(), c]));
  for (const name of ["inject", "validate", "defaults", "hash"]) {
    const f = byName.get(name)!.options.find((o) => o.long === "--filename");
    assert.ok(f, `${name} has --filename`);
    assert.equal(f.short, "-f", name);
    assert.ok(f.variadic, `${name} -f takes several paths`);
  }
  for (const name of ["inject", "validate", "defaults", "hash", "plan", "simulate", "manifests", "version"]) {
    const o = byName.get(name)!.options.find((opt) => opt.long === "--output");
    assert.ok(o?.short === "-o" && (o.argChoices?.length ?? 0) >= 2, `${name} has -o with choices`);
  }
  for (const name of ["inject", "plan", "simulate"]) {
    const help = helpOf(byName.get(name)!);
    assert.match(help, /--sidecarsets <paths\.\.\.>/, name);
    assert.doesNotMatch(help, /--sidecarset </, name);
  }
});

test("the same kind of value is refused with the same words in every command", async () => {
  const cases: { args: string[]; message: string }[] = [
    { args: ["manifests", "--webhook-port", "70000"], message: '"70000" is not a port number between 1 and 65535' },
    { args: ["start", "--webhook-port", "70000"], message: '"70000" is not a port number between 1 and 65535' },
    { args: ["manager", "--webhook-port", "70000"], message: '"70000" is not a port number between 0 and 65535 (0 picks a free one)' },
    { args: ["preflight", "--webhook-port", "70000"], message: '"70000" is not a port number between 1 and 65535' },
    { args: ["manifests", "--replicas", "0"], message: '"0" is not a whole number of at least 1' },
    { args: ["manager", "--sidecarset-workers", "0"], message: '"0" is not a whole number of at least 1' },
    { args: ["demo", "--replicas", "0"], message: '"0" is not a whole number of at least 1' },
    { args: ["start", "--restart-seconds", "-1"], message: '"-1" is not a number of seconds ≥ 0' },
    { args: ["demo", "--restart-seconds", "-1"], message: '"-1" is not a number of seconds ≥ 0' },
    { args: ["simulate", "--sidecarsets", "x.yaml", "--replicas", "1", "--ready-seconds", "-1"], message: '"-1" is not a number of seconds ≥ 0' },
  ];
  for (const c of cases) {
    const r = await captureOutput(() => run(c.args));
    assert.equal(r.exitCode, 2, c.args.join(" "));
    assert.ok(r.stderr.includes(c.message), `${c.args.join(" ")}: ${r.stderr}`);
  }
});

/** Every module the CLI loads at start: static imports (not `import type`, not `import()`) from program.ts on. */
function staticImportGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const visit = (file: string): void => {
    if (graph.has(file)) return;
    const text = readFileSync(file, "utf8");
    const specifiers = [...text.matchAll(/^(?:import|export)\s+(?!type\s)[^;]*?\sfrom\s+"([^"]+)";/gms)].map((m) => m[1]!);
    graph.set(file, specifiers);
    for (const s of specifiers) if (s.startsWith(".")) visit(resolve(dirname(file), s.replace(/\.js$/, ".ts")));
  };
  visit(entry);
  return graph;
}

test("the offline commands start without loading the Kubernetes client (it costs seconds to load)", () => {
  // program.ts loads each command's module when that command runs: every one of them is an entry.
  const program = fileURLToPath(new URL("../../../src/cli/program.ts", import.meta.url));
  const commandModules = [...readFileSync(program, "utf8").matchAll(/import\("(\.\/[^"]+)"\)/g)].map((m) => resolve(dirname(program), m[1]!.replace(/\.js$/, ".ts")));
  assert.ok(commandModules.length >= 15, "every command module is found");
  const graph = new Map<string, string[]>();
  for (const entry of [program, ...commandModules]) for (const [file, specifiers] of staticImportGraph(entry)) graph.set(file, specifiers);
  assert.ok(graph.size > 20, "the graph follows the imports");
  const loaders = [...graph].filter(([, specifiers]) => specifiers.some((s) => s.startsWith("@kubernetes/"))).map(([f]) => f);
  assert.deepEqual(loaders, []);
});

test("each entry of the command table loads the command of its name, and the tree holds them all in that order", async () => {
  const { COMMANDS } = await import("../../../src/cli/program.js");
  for (const c of COMMANDS) assert.equal((await c.load())("sidecarset").name(), c.name);
  assert.deepEqual((await buildProgram()).commands.map((c) => c.name()), COMMANDS.map((c) => c.name));
});
