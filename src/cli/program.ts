// Builds the `sidecarset` command tree. Each command lives in its own file and
// only parses arguments and prints; the decisions are in core/.
import { Command, CommanderError } from "commander";
import { basename } from "node:path";
import { packageVersion } from "../manifests/options.js";

/** Exit code for wrong arguments, as most Unix tools use. */
export const USAGE_EXIT_CODE = 2;

/** The name users type: `kubectl sidecarset` when kubectl runs us as its plugin `kubectl-sidecarset`. */
export function commandName(executable: string | undefined): string {
  return executable !== undefined && basename(executable).startsWith("kubectl-") ? "kubectl sidecarset" : "sidecarset";
}

/**
 * Help texts are written for `sidecarset`; as a plugin every example line and
 * usage line names `kubectl sidecarset` instead. Only commander's own output
 * (help, usage errors) passes through here, never a command's results.
 */
export function renameInHelp(text: string, name: string): string {
  return name === "sidecarset" ? text : text.replace(/(^\s*|Usage: |\| )sidecarset(?= )/gm, `$1${name}`);
}

export const TOP_LEVEL_EXAMPLES = [
  "sidecarset validate -f examples/",
  "sidecarset inject -f examples/log-agent/deployment.yaml --sidecarsets examples/log-agent/",
  "sidecarset simulate --sidecarsets examples/simulate/log-agent-1000.yaml --replicas 1000",
  "sidecarset manager --kubeconfig ~/.kube/config",
];

type CommandBuilder = (programName: string) => Command;

/**
 * Every command, in the order help lists them, each loaded only when asked
 * for: a command's modules (the YAML reader, the client library, the engine)
 * then cost nothing to the others, and a kubectl plugin call starts fast.
 */
export const COMMANDS: readonly { name: string; load: () => Promise<CommandBuilder> }[] = [
  { name: "inject", load: async () => { const m = await import("./inject.js"); return () => m.injectCommand(); } },
  { name: "validate", load: async () => { const m = await import("./validate.js"); return () => m.validateCommand(); } },
  { name: "defaults", load: async () => { const m = await import("./defaults.js"); return () => m.defaultsCommand(); } },
  { name: "hash", load: async () => { const m = await import("./hash.js"); return () => m.hashCommand(); } },
  { name: "convert", load: async () => { const m = await import("./convert.js"); return () => m.convertCommand(); } },
  { name: "plan", load: async () => { const m = await import("./plan.js"); return () => m.planCommand(); } },
  { name: "explain", load: async () => { const m = await import("./explain.js"); return () => m.explainCommand(); } },
  { name: "rollout", load: async () => { const m = await import("./rollout.js"); return () => m.rolloutCommand(); } },
  { name: "simulate", load: async () => { const m = await import("./simulate.js"); return () => m.simulateCommand(); } },
  { name: "manifests", load: async () => { const m = await import("./manifests.js"); return () => m.manifestsCommand(); } },
  { name: "preflight", load: async () => { const m = await import("./preflight.js"); return () => m.preflightCommand(); } },
  { name: "manager", load: async () => { const m = await import("./manager.js"); return () => m.managerCommand(); } },
  { name: "start", load: async () => { const m = await import("./start.js"); return () => m.startCommand(); } },
  { name: "demo", load: async () => { const m = await import("./demo.js"); return () => m.demoCommand(); } },
  { name: "version", load: async () => (await import("./version.js")).versionCommand },
];

/** Builders already loaded: a second run in the same process builds its tree without waiting. */
const loaded = new Map<string, CommandBuilder>();

async function builderOf(entry: (typeof COMMANDS)[number]): Promise<CommandBuilder> {
  let builder = loaded.get(entry.name);
  if (!builder) loaded.set(entry.name, (builder = await entry.load()));
  return builder;
}

/** The whole command tree (help, tests). */
export async function buildProgram(name = "sidecarset"): Promise<Command> {
  const builders = await Promise.all(COMMANDS.map(builderOf));
  return programWith(name, builders.map((build) => build(name)));
}

/**
 * The tree `argv` needs: only the command it names when it names one, else
 * every command (top-level help and "unknown command" suggestions list them).
 */
async function programFor(argv: readonly string[], name: string): Promise<Command> {
  const named = COMMANDS.find((c) => c.name === argv[0]);
  if (!named) return buildProgram(name);
  const build = loaded.get(named.name) ?? (await builderOf(named));
  return programWith(name, [build(name)]);
}

function programWith(name: string, commands: Command[]): Command {
  const program = new Command(name)
    .description(
      "Inject sidecar containers into new Pods and upgrade them in place. " +
        "Serves OpenKruise's SidecarSet API, apps.kruise.io/v1alpha1 and v1beta1; the offline commands work without a cluster.",
    )
    .version(packageVersion())
    .addHelpText(
      "after",
      `
Examples (from a checkout; examples/ holds separate scenarios that are valid together, see examples/README.md):
${TOP_LEVEL_EXAMPLES.map((e) => `  ${e}`).join("\n")}`,
    );
  for (const c of commands) program.addCommand(c);
  applyExitOverride(program, name);
  return program;
}

/**
 * Commander exits the process itself on usage errors; the override turns them
 * into exceptions so `run` can choose the exit code (2) and tests can run
 * commands in-process. addCommand() does not copy settings, hence the walk.
 */
function applyExitOverride(cmd: Command, name: string): void {
  cmd.exitOverride();
  cmd.showHelpAfterError("(run with --help for usage)");
  if (name !== "sidecarset") {
    cmd.configureOutput({
      writeOut: (s) => process.stdout.write(renameInHelp(s, name)),
      writeErr: (s) => process.stderr.write(renameInHelp(s, name)),
    });
  }
  for (const sub of cmd.commands) applyExitOverride(sub, name);
}

/** Runs the CLI and returns the process exit code; `name` is what the user typed to run it. */
export async function run(argv: readonly string[], name = "sidecarset"): Promise<number> {
  let program: Command;
  try {
    program = await programFor(argv, name);
  } catch (e) {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") {
        return 0;
      }
      return USAGE_EXIT_CODE;
    }
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  return typeof process.exitCode === "number" ? process.exitCode : 0;
}
