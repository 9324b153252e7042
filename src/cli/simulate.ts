// `sidecarset simulate`: runs the real planner against a model kubelet, wave
// by wave, and prints the timeline of the rollout.
import { Command, InvalidArgumentError } from "commander";
import type { Pod } from "../api/kube-types.js";
import type { NamespaceLabels } from "../core/rollout/matching.js";
import { noFailures, parseFailSpec, type FailPredicate } from "../sim/fail.js";
import { generatePods } from "../sim/generate.js";
import { simulate, type SimulationResult, type StopReason } from "../sim/simulate.js";
import { renderSvg } from "../sim/svg.js";
import { seconds, wholeNumber } from "./arguments.js";
import { InputError } from "./documents.js";
import { addSidecarSetsOptions, nativeSidecarOption, outputOption, podsOption, requiredSidecarSets, type SidecarSetsFlags } from "./flags.js";
import { PROCESS_IO, renderTable, reportingInputErrors, type CommandIo } from "./output.js";
import { loadPods, namespacesOfPods } from "./plan.js";
import { readOneSidecarSet } from "./sidecarsets.js";

export interface SimulateFlags {
  sidecarsets: string[];
  pods?: string[];
  replicas?: number;
  restartSeconds: number;
  readySeconds: number;
  fail?: string;
  untilPartitionDone?: boolean;
  nativeSidecarInPlaceUpgrade?: boolean;
  output: "table" | "json" | "svg";
}

const EXAMPLES = `
Each round the planner decides as the controller would; the model kubelet restarts an upgraded
sidecar after --restart-seconds and reports it ready --ready-seconds later. With --replicas, the
pods are generated: running, ready, selected by the SidecarSet and injected with an older version.

Examples:
  # 1000 pods, partition 980, maxUnavailable 10%: 20 pods are upgraded, then the partition stops it
  sidecarset simulate --sidecarsets sidecarset.yaml --replicas 1000
  # ... and then the remaining 980 in waves of at most 100
  sidecarset simulate --sidecarsets sidecarset.yaml --replicas 1000 --until-partition-done
  # 5% of the pods (10 of 200) never start the new image; draw it
  sidecarset simulate --sidecarsets sidecarset.yaml --replicas 200 --fail 5% -o svg > rollout.svg
  # native sidecars (initContainers with restartPolicy: Always), as a manager run with the flag upgrades them
  sidecarset simulate --sidecarsets mesh.yaml --replicas 100 --native-sidecar-in-place-upgrade

A --fail selector that matches none of the pods is an error (the generated pods carry only the
labels the SidecarSet selects).`;

function parseFail(value: string): string {
  try {
    parseFailSpec(value);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
  return value;
}

const REASONS: Record<StopReason, string> = {
  done: "done",
  "partition-reached": "partition reached",
  paused: "paused",
  "not-update": "NotUpdate",
  "blocked-by-unavailable": "blocked by unavailable pods",
  "nothing-upgradable": "nothing left that can be upgraded",
  "invalid-strategy": "invalid updateStrategy",
  "upgrade-failed": "upgrade failed",
  "round-limit": "round limit",
};

export function simulationTable(r: SimulationResult, header: string): string {
  const rows = [["WAVE", "TIME", "UPGRADED", "UPDATED", "READY", "UNAVAILABLE", "NOTE"]];
  for (const w of r.waves) {
    if (w.kind === "partition-released") {
      rows.push(["-", `${w.time}s`, "-", "-", "-", "-", "partition released (--until-partition-done)"]);
      continue;
    }
    const note = w.kind === "hot-upgrade-flip" ? "hot-upgrade flip: old containers parked" : "";
    rows.push([String(w.wave), `${w.time}s`, String(w.pods.length), String(w.updated), String(w.ready), String(w.unavailable), note]);
  }
  const f = r.final;
  return (
    `${header}\n\n` +
    renderTable(rows) +
    `\nstopped at ${r.stopped.time}s: ${REASONS[r.stopped.reason]} — ${r.stopped.message}\n` +
    `final: ${f.matchedPods} matched, ${f.updatedPods} updated, ${f.readyPods} ready, ${f.updatedReadyPods} updated and ready\n` +
    `most unavailable at once: ${r.maxUnavailableSeen} (maxUnavailable ${r.maxUnavailable})\n`
  );
}

/** The JSON form: everything but the per-pod timeline (the SVG draws that). */
export function simulationJson(r: SimulationResult): object {
  return {
    sidecarSet: r.sidecarSet,
    pods: r.pods,
    waves: r.waves,
    stopped: r.stopped,
    final: r.final,
    maxUnavailableSeen: r.maxUnavailableSeen,
    maxUnavailable: r.maxUnavailable,
    endTime: r.endTime,
  };
}

export function runSimulate(flags: SimulateFlags, start: Date = new Date()): { stdout: string; stderr: string; exitCode: 0 | 1 } {
  if ((flags.pods === undefined) === (flags.replicas === undefined)) {
    throw new Error("give either --pods <paths...> or --replicas <n>");
  }
  const set = readOneSidecarSet(flags.sidecarsets);
  let pods: Pod[];
  let namespaceLabels: NamespaceLabels;
  let skipped: string[] = [];
  if (flags.pods !== undefined) {
    ({ pods, skipped } = loadPods(flags.pods));
    namespaceLabels = namespacesOfPods(pods);
  } else {
    ({ pods, namespaceLabels } = generatePods(set, flags.replicas!, start));
  }
  let fails: FailPredicate = noFailures();
  if (flags.fail !== undefined) {
    try {
      fails = parseFailSpec(flags.fail).choose(pods);
    } catch (e) {
      throw new InputError(e instanceof Error ? e.message : String(e));
    }
  }
  const result = simulate(set, pods, {
    restartSeconds: flags.restartSeconds,
    readySeconds: flags.readySeconds,
    fails,
    untilPartitionDone: flags.untilPartitionDone === true,
    start,
    namespaceLabels,
    nativeSidecarInPlaceUpgrade: flags.nativeSidecarInPlaceUpgrade === true,
  });
  const header =
    `Simulated rollout of SidecarSet ${result.sidecarSet} over ${result.pods} matched pod(s): ` +
    `restart ${flags.restartSeconds}s, ready ${flags.readySeconds}s, failing: ${fails.description}`;
  let stdout: string;
  if (flags.output === "json") stdout = `${JSON.stringify(simulationJson(result), null, 2)}\n`;
  else if (flags.output === "svg") stdout = renderSvg(result);
  else stdout = simulationTable(result, header);
  const failed = result.stopped.reason === "invalid-strategy" || result.stopped.reason === "upgrade-failed";
  return { stdout, stderr: skipped.map((l) => `${l}\n`).join(""), exitCode: failed ? 1 : 0 };
}

export function simulateCommand(io: CommandIo = PROCESS_IO): Command {
  const cmd = new Command("simulate");
  addSidecarSetsOptions(cmd, "the SidecarSet (exactly one)")
    .description(
      "Drive the real planner against a model kubelet, wave by wave, until the rollout stops, and print " +
        "the timeline: per wave the time, the pods upgraded, the updated/ready/unavailable counts, and why it stopped.",
    )
    .addOption(podsOption("the starting pods: multi-document YAML, a JSON array or a v1 List"))
    .option("--replicas <n>", "generate this many pods instead", wholeNumber(1, 1_000_000))
    .option("--restart-seconds <s>", "seconds until the kubelet restarts an upgraded container", seconds, 5)
    .option("--ready-seconds <s>", "seconds from the restart until the container is ready", seconds, 10)
    .option("--fail <selector|fraction>", "pods whose new image never runs: a label selector (zone=a) or a fraction (0.1, 10%)", parseFail)
    .option("--until-partition-done", "when the partition stops the rollout, release it and go on until every pod is updated")
    .addOption(nativeSidecarOption())
    .addOption(outputOption(["table", "json", "svg"]))
    .addHelpText("after", EXAMPLES);
  return cmd.action(
    reportingInputErrors(io, (flags: SimulateFlags & SidecarSetsFlags) => {
      const sidecarsets = requiredSidecarSets(cmd, flags);
      if ((flags.pods === undefined) === (flags.replicas === undefined)) cmd.error("error: give either --pods <paths...> or --replicas <n>");
      const r = runSimulate({ ...flags, sidecarsets });
      io.out.write(r.stdout);
      if (r.stderr) io.err.write(r.stderr);
      process.exitCode = r.exitCode;
    }),
  );
}
