// `sidecarset rollout status|history|pause|resume|undo`: a SidecarSet's
// rollout against the live cluster, as `kubectl rollout` handles a
// Deployment's (docs/behaviour.md §7a.4). Where it stands comes from the
// controller's own plan over the pods; the writes are merge patches of the
// SidecarSet, which the manager then acts on.
import { Command, InvalidArgumentError } from "commander";
import { planUpgrade } from "../core/rollout/plan.js";
import { InputError } from "./documents.js";
import { addClusterOptions, withCluster, type LiveCluster, type LiveFlags } from "./live-command.js";
import { parseDuration } from "./manager.js";
import { nativeSidecarOption, outputOption } from "./flags.js";
import { PROCESS_IO, renderTable, type CommandIo } from "./output.js";
import { parseSidecarSetTarget } from "./explain.js";
import { historyRows, pausePatch, resumePatch, rolloutProgress, undoPatch, undoTarget, type RolloutProgress } from "./rollout-view.js";

/** How often `status --watch` reads the cluster again. */
const WATCH_INTERVAL_MS = 1000;

interface StatusFlags extends LiveFlags {
  watch?: boolean;
  timeout?: number;
  output: "text" | "json";
  nativeSidecarInPlaceUpgrade?: boolean;
}

interface UndoFlags extends LiveFlags {
  toRevision?: number;
}

function revisionNumber(value: string): number {
  if (!/^[0-9]+$/.test(value)) throw new InvalidArgumentError(`"${value}" is not a revision number; see \`rollout history\``);
  return Number(value);
}

export function rolloutCommand(io: CommandIo = PROCESS_IO): Command {
  const rollout = new Command("rollout").description(
    "Follow, pause, resume or undo a SidecarSet's rollout in the live cluster, as kubectl rollout does for Deployments. See docs/rollout.md.",
  );
  rollout.addCommand(statusCommand(io));
  rollout.addCommand(historyCommand(io));
  rollout.addCommand(pauseCommand(io, "pause"));
  rollout.addCommand(pauseCommand(io, "resume"));
  rollout.addCommand(undoCommand(io));
  return rollout;
}

function statusCommand(io: CommandIo): Command {
  const cmd = new Command("status")
    .description(
      "Print where the rollout stands. Exit 0 when every matched pod not kept by the partition runs the current revision " +
        "and is ready; 1 when it is halted (progress deadline), the timeout passes, or (without --watch) it is not complete yet.",
    )
    .argument("<sidecarset>", "the SidecarSet (NAME or sidecarset/NAME)", parseSidecarSetTarget)
    .option("-w, --watch", "keep printing progress until the rollout completes, halts or times out")
    .option("--timeout <duration>", "with --watch: give up after this long (e.g. 5m); default: never", parseDuration)
    .addOption(nativeSidecarOption())
    .addOption(outputOption(["text", "json"]));
  addClusterOptions(cmd).addHelpText("after", "\nExamples:\n  sidecarset rollout status log-agent --watch --timeout 10m");
  return cmd.action((name: string, flags: StatusFlags) =>
    withCluster(flags, io, async (client, live) => {
      const deadline = flags.timeout === undefined ? undefined : Date.now() + flags.timeout;
      let printed = "";
      for (;;) {
        let inputs: Awaited<ReturnType<LiveCluster["readPlanInputs"]>>;
        try {
          inputs = await live.readPlanInputs(client, name);
        } catch (e) {
          // A watch outlives a dropped connection or a restarting API server; a missing SidecarSet ends it.
          if (!flags.watch || e instanceof InputError || (deadline !== undefined && Date.now() >= deadline)) throw e;
          io.err.write(`warning: reading SidecarSet ${name} failed (${e instanceof Error ? e.message : String(e)}); retrying\n`);
          await new Promise((r) => setTimeout(r, WATCH_INTERVAL_MS));
          continue;
        }
        const plan = planUpgrade(inputs.set, inputs.pods, {
          now: new Date(),
          namespaceLabels: inputs.namespaceLabels,
          canaryNames: inputs.canaryNames,
          nativeSidecarInPlaceUpgrade: flags.nativeSidecarInPlaceUpgrade === true,
        });
        const progress = rolloutProgress(inputs.set, plan);
        const text = formatProgress(progress, flags.output);
        if (text !== printed) io.out.write(text);
        printed = text;
        if (progress.state === "complete") return 0;
        if (progress.state === "halted" || !flags.watch) return 1;
        if (deadline !== undefined && Date.now() >= deadline) {
          io.err.write(`timed out waiting for SidecarSet ${name} to complete its rollout\n`);
          return 1;
        }
        await new Promise((r) => setTimeout(r, WATCH_INTERVAL_MS));
      }
    }),
  );
}

function formatProgress(p: RolloutProgress, output: string): string {
  return output === "json" ? `${JSON.stringify(p)}\n` : `${p.lines.join("\n")}\n`;
}

function historyCommand(io: CommandIo): Command {
  const cmd = new Command("history")
    .description("List the SidecarSet's ControllerRevisions: revision, name, images, created; * marks the current one.")
    .argument("<sidecarset>", "the SidecarSet (NAME or sidecarset/NAME)", parseSidecarSetTarget)
    .addOption(outputOption(["text", "json"]));
  addClusterOptions(cmd);
  return cmd.action((name: string, flags: LiveFlags & { output: string }) =>
    withCluster(flags, io, async (client, live) => {
      const set = await live.readSidecarSet(client, name);
      const rows = historyRows(set, await live.listRevisions(client, flags.managerNamespace, name));
      if (flags.output === "json") {
        io.out.write(`${JSON.stringify(rows, null, 2)}\n`);
        return 0;
      }
      const table = [["REVISION", "NAME", "IMAGES", "CREATED"]];
      for (const r of rows) table.push([`${r.revision}${r.current ? "*" : ""}`, r.name, r.images.join(",") || "-", r.created || "-"]);
      io.out.write(renderTable(table));
      return 0;
    }),
  );
}

function pauseCommand(io: CommandIo, verb: "pause" | "resume"): Command {
  const cmd = new Command(verb)
    .description(
      verb === "pause"
        ? "Set updateStrategy.paused: no further pod is upgraded (injection goes on)."
        : "Clear updateStrategy.paused and stamp sidecarset.io/resumed-at, which also lifts a progress-deadline halt.",
    )
    .argument("<sidecarset>", "the SidecarSet (NAME or sidecarset/NAME)", parseSidecarSetTarget);
  addClusterOptions(cmd);
  return cmd.action((name: string, flags: LiveFlags) =>
    withCluster(flags, io, async (client, live) => {
      await live.readSidecarSet(client, name);
      const patch = verb === "pause" ? pausePatch() : resumePatch(new Date());
      await live.patchSidecarSet(client, name, patch);
      io.out.write(`sidecarset/${name} ${verb === "pause" ? "paused" : "resumed"}\n`);
      return 0;
    }),
  );
}

function undoCommand(io: CommandIo): Command {
  const cmd = new Command("undo")
    .description("Write a revision's containers (and the volumes, secrets and pod metadata it holds) back into the spec, which starts a new rollout.")
    .argument("<sidecarset>", "the SidecarSet (NAME or sidecarset/NAME)", parseSidecarSetTarget)
    .option("--to-revision <n>", "the revision to go back to (default: the one before the current)", revisionNumber);
  addClusterOptions(cmd);
  return cmd.action((name: string, flags: UndoFlags) =>
    withCluster(flags, io, async (client, live) => {
      const set = await live.readSidecarSet(client, name);
      const target = undoTarget(set, await live.listRevisions(client, flags.managerNamespace, name), flags.toRevision);
      if (!target.ok) throw new InputError(target.message);
      const patch = undoPatch(set, target.revision);
      if ("error" in patch) throw new InputError(`revision ${target.revision.revision ?? 0} cannot be restored: ${patch.error}`);
      await live.patchSidecarSet(client, name, patch);
      io.out.write(`sidecarset/${name} rolled back to revision ${target.revision.revision ?? 0} (${target.revision.metadata?.name ?? ""})\n`);
      return 0;
    }),
  );
}
