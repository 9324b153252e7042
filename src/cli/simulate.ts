// `sidecarset simulate`: runs the real planner against a model kubelet, wave
// by wave, and prints the timeline of the rollout.
import { Command, InvalidArgumentError } from "commander";
import type { Pod } from "../api/kube-types.js";
import type { NamespaceLabels } from "../core/rollout/matching.js";
import { noFailures, parseFailSpec, type FailPredicate } from "../sim/fail.js";
import { generatePods } from "../sim/generate.js";
import { simulate, type SimulationResult, type StopReason } from "../sim/simulate.js";
import { renderSvg } from "../sim/svg.js";
import { loadPods, loadSidecarSet, namespacesOfPods, parseOutput, renderTable, type CommandIo } from "./plan.js";

export interface SimulateFlags {
  sidecarset: string;
  pods?: string;
  replicas?: number;
  restartSeconds: number;
  readySeconds: number;
  fail?: string;
  untilPartitionDone?: boolean;
  output: "table" | "json" | "svg";
}

const EXAMPLES = `
Each round the planner decides as the controller would; the model kubelet restarts an upgraded
sidecar after --restart-seconds and reports it ready --ready-seconds later. With --replicas, the
pods are generated: running, ready, selected by the SidecarSet and injected with an older version.

Examples:
  # 1000 pods, partition 980, maxUnavailable 10%: 20 pods are upgraded, then the partition stops it
  sidecarset simulate --sidecarset sidecarset.yaml --replicas 1000
  # ... and then the remaining 980 in waves of at most 100
  sidecarset simulate --sidecarset sidecarset.yaml --replicas 1000 --until-partition-done
  # 5% of the pods never start the new image; draw it
  sidecarset simulate --sidecarset sidecarset.yaml --replicas 200 --fail 5% -o svg > rollout.svg`;

function parseNonNegative(what: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === "" || !Number.isFinite(n) || n < 0) {
      throw new InvalidArgumentError(`${JSON.stringify(value)} is not a ${what}; use a number ≥ 0`);
    }
    return n;
  };
}

function parseReplicas(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1_000_000) {
    throw new InvalidArgumentError(`${JSON.stringify(value)} is not a pod count; use a whole number from 1 to 1000000`);
  }
  return n;
}

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

export function runSimulate(flags: SimulateFlags, start: Date = new Date()): { stdout: string; exitCode: 0 | 1 } {
  if ((flags.pods === undefined) === (flags.replicas === undefined)) {
    throw new Error("give either --pods <file> or --replicas <n>");
  }
  const set = loadSidecarSet(flags.sidecarset);
  let pods: Pod[];
  let namespaceLabels: NamespaceLabels;
  if (flags.pods !== undefined) {
    pods = loadPods(flags.pods);
    namespaceLabels = namespacesOfPods(pods);
  } else {
    ({ pods, namespaceLabels } = generatePods(set, flags.replicas!, start));
  }
  const fails: FailPredicate = flags.fail !== undefined ? parseFailSpec(flags.fail) : noFailures();
  const result = simulate(set, pods, {
    restartSeconds: flags.restartSeconds,
    readySeconds: flags.readySeconds,
    fails,
    untilPartitionDone: flags.untilPartitionDone === true,
    start,
    namespaceLabels,
  });
  const header =
    `Simulated rollout of SidecarSet ${result.sidecarSet} over ${result.pods} matched pod(s): ` +
    `restart ${flags.restartSeconds}s, ready ${flags.readySeconds}s, failing: ${fails.description}`;
  let stdout: string;
  if (flags.output === "json") stdout = `${JSON.stringify(simulationJson(result), null, 2)}\n`;
  else if (flags.output === "svg") stdout = renderSvg(result);
  else stdout = simulationTable(result, header);
  const failed = result.stopped.reason === "invalid-strategy" || result.stopped.reason === "upgrade-failed";
  return { stdout, exitCode: failed ? 1 : 0 };
}

export function simulateCommand(io: CommandIo = { out: process.stdout, err: process.stderr }): Command {
  return new Command("simulate")
    .description(
      "Drive the real planner against a model kubelet, wave by wave, until the rollout stops, and print " +
        "the timeline: per wave the time, the pods upgraded, the updated/ready/unavailable counts, and why it stopped.",
    )
    .requiredOption("--sidecarset <file>", "the SidecarSet (YAML or JSON)")
    .option("--pods <file>", "the starting pods: multi-document YAML, a JSON array or a v1 List")
    .option("--replicas <n>", "generate this many pods instead", parseReplicas)
    .option("--restart-seconds <s>", "seconds until the kubelet restarts an upgraded container", parseNonNegative("number of seconds"), 5)
    .option("--ready-seconds <s>", "seconds from the restart until the container is ready", parseNonNegative("number of seconds"), 10)
    .option("--fail <selector|fraction>", "pods whose new image never runs: a label selector (zone=a) or a fraction (0.1, 10%)", parseFail)
    .option("--until-partition-done", "when the partition stops the rollout, release it and go on until every pod is updated")
    .option("-o, --output <format>", "table, json or svg", parseOutput(["table", "json", "svg"] as const), "table")
    .addHelpText("after", EXAMPLES)
    .action((flags: SimulateFlags) => {
      const r = runSimulate(flags);
      io.out.write(r.stdout);
      process.exitCode = r.exitCode;
    });
}
