// Builds the `sidecarset` command tree. Each command lives in its own file and
// only parses arguments and prints; the decisions are in core/.
import { Command, CommanderError } from "commander";
import { createRequire } from "node:module";
import { defaultsCommand } from "./defaults.js";
import { demoCommand } from "./demo.js";
import { hashCommand } from "./hash.js";
import { injectCommand } from "./inject.js";
import { managerCommand } from "./manager.js";
import { manifestsCommand } from "./manifests.js";
import { planCommand } from "./plan.js";
import { simulateCommand } from "./simulate.js";
import { startCommand } from "./start.js";
import { validateCommand } from "./validate.js";

/** Exit code for wrong arguments, as most Unix tools use. */
export const USAGE_EXIT_CODE = 2;

function packageVersion(): string {
  const require = createRequire(import.meta.url);
  try {
    return (require("../../package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
}

export function buildProgram(): Command {
  const program = new Command("sidecarset")
    .description(
      "Inject sidecar containers into new Pods and upgrade them in place. " +
        "Serves OpenKruise's apps.kruise.io/v1alpha1 SidecarSet API; the offline commands work without a cluster.",
    )
    .version(packageVersion())
    .addHelpText(
      "after",
      `
Examples:
  sidecarset inject -f deployment.yaml --sidecarsets examples/log-agent/
  sidecarset validate -f examples/
  sidecarset plan --sidecarset sidecarset.yaml --pods pods.yaml
  sidecarset manager --kubeconfig ~/.kube/config`,
    );
  const commands = [
    injectCommand(),
    validateCommand(),
    defaultsCommand(),
    hashCommand(),
    planCommand(),
    simulateCommand(),
    manifestsCommand(),
    managerCommand(),
    startCommand(),
    demoCommand(),
  ];
  for (const c of commands) program.addCommand(c);
  applyExitOverride(program);
  return program;
}

/**
 * Commander exits the process itself on usage errors; the override turns them
 * into exceptions so `run` can choose the exit code (2) and tests can run
 * commands in-process. addCommand() does not copy settings, hence the walk.
 */
function applyExitOverride(cmd: Command): void {
  cmd.exitOverride();
  cmd.showHelpAfterError("(run with --help for usage)");
  for (const sub of cmd.commands) applyExitOverride(sub);
}

/** Runs the CLI and returns the process exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
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
