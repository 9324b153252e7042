// Builds the `sidecarset` command tree. Each command lives in its own file and
// only parses arguments and prints; the decisions are in core/.
import { Command, CommanderError } from "commander";
import { basename } from "node:path";
import { convertCommand } from "./convert.js";
import { defaultsCommand } from "./defaults.js";
import { demoCommand } from "./demo.js";
import { explainCommand } from "./explain.js";
import { hashCommand } from "./hash.js";
import { injectCommand } from "./inject.js";
import { managerCommand } from "./manager.js";
import { manifestsCommand } from "./manifests.js";
import { planCommand } from "./plan.js";
import { preflightCommand } from "./preflight.js";
import { rolloutCommand } from "./rollout.js";
import { simulateCommand } from "./simulate.js";
import { startCommand } from "./start.js";
import { validateCommand } from "./validate.js";
import { packageVersion } from "../manifests/options.js";
import { versionCommand } from "./version.js";

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

export function buildProgram(name = "sidecarset"): Command {
  const program = new Command(name)
    .description(
      "Inject sidecar containers into new Pods and upgrade them in place. " +
        "Serves OpenKruise's apps.kruise.io/v1alpha1 SidecarSet API; the offline commands work without a cluster.",
    )
    .version(packageVersion())
    .addHelpText(
      "after",
      `
Examples (from a checkout; examples/ holds separate scenarios that are valid together, see examples/README.md):
${TOP_LEVEL_EXAMPLES.map((e) => `  ${e}`).join("\n")}`,
    );
  const commands = [
    injectCommand(),
    validateCommand(),
    defaultsCommand(),
    hashCommand(),
    convertCommand(),
    planCommand(),
    explainCommand(),
    rolloutCommand(),
    simulateCommand(),
    manifestsCommand(),
    preflightCommand(),
    managerCommand(),
    startCommand(),
    demoCommand(),
    versionCommand(name),
  ];
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
  const program = buildProgram(name);
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
