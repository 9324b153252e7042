// `sidecarset plan`: what the controller would do with a SidecarSet and a set
// of pods right now — status, upgrade order, the pods upgraded this round and
// why every other pod waits.
import { Command } from "commander";
import { formatFieldError } from "../api/errors.js";
import { isRecord } from "../api/is-record.js";
import type { Pod } from "../api/kube-types.js";
import type { SidecarSet } from "../api/types.js";
import { podKey, podNamespace, type NamespaceLabels } from "../core/rollout/matching.js";
import { planUpgrade, stopReasonText, type Plan } from "../core/rollout/plan.js";
import { InputError, nothingFound, readDocuments } from "./documents.js";
import { addSidecarSetsOptions, nativeSidecarOption, nowOption, outputOption, podsOption, requiredSidecarSets, type SidecarSetsFlags } from "./flags.js";
import { PROCESS_IO, renderTable, reportingInputErrors, type CommandIo } from "./output.js";
import { addClusterOptions, withCluster, type LiveFlags } from "./live-command.js";
import { readOneSidecarSet, where } from "./sidecarsets.js";

export interface PlanFlags {
  sidecarsets: string[];
  pods: string[];
  namespaces?: string[];
  now?: Date;
  output: "table" | "json";
  nativeSidecarInPlaceUpgrade?: boolean;
}

/** The JSON form of a plan: pods as `namespace/name`. */
export interface PlanJson {
  status: { matchedPods: number; updatedPods: number; readyPods: number; updatedReadyPods: number };
  order: string[];
  upgrade: string[];
  notUpgradable: string[];
  busy: string[];
  partition: number;
  maxUnavailable: number;
  unavailable: number;
}

const EXAMPLES = `
The SidecarSet is defaulted as the defaulting webhook would (hash annotations included).
Pods: multi-document YAML, a JSON array, or a v1 List such as kubectl prints. Without
--namespaces, a namespaceSelector sees each namespace with only its kubernetes.io/metadata.name label.

With a NAME instead of files, the SidecarSet, its pods and the Namespaces are read from the
cluster with your kubeconfig (read-only).

Examples:
  sidecarset plan log-agent
  kubectl get pods -A -l app=web -o yaml > pods.yaml
  sidecarset plan --sidecarsets sidecarset.yaml --pods pods.yaml
  sidecarset plan --sidecarsets sidecarset.yaml --pods pods.yaml -o json | jq .upgrade

Documents given to --pods that are not Pods are skipped, each with a line on stderr.

Exit status: 0 on success, 1 when an input cannot be read, holds no SidecarSet (or several) or
no Pod, or the updateStrategy is invalid.`;

export interface LoadedPods {
  pods: Pod[];
  /** One line per document that is not a Pod: `file:line: Kind name: not a Pod; skipped`. */
  skipped: string[];
}

/**
 * Reads pods. Documents of other kinds are skipped and said so; no Pod at all,
 * or a Pod without a name, is an error.
 */
export function loadPods(paths: readonly string[]): LoadedPods {
  const pods: Pod[] = [];
  const skipped: string[] = [];
  for (const doc of readDocuments(paths)) {
    const o = doc.object;
    if (!isRecord(o)) throw new InputError(`${where(doc)}: expected a Pod object, got ${Array.isArray(o) ? "a list" : typeof o}`);
    if (o.kind !== undefined && o.kind !== "Pod") {
      const name = isRecord(o.metadata) && typeof o.metadata.name === "string" ? ` ${o.metadata.name}` : "";
      skipped.push(`${where(doc)}: ${String(o.kind)}${name}: not a Pod; skipped`);
      continue;
    }
    const metadata = o.metadata;
    if (!isRecord(metadata) || typeof metadata.name !== "string" || metadata.name === "") {
      throw new InputError(`${where(doc)}: a Pod needs metadata.name`);
    }
    pods.push(o as Pod);
  }
  if (pods.length === 0) throw new InputError(nothingFound("Pod", paths));
  return { pods, skipped };
}

/** Namespace name → labels, from Namespace objects; each also carries its kubernetes.io/metadata.name label. */
export function loadNamespaceLabels(paths: readonly string[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const doc of readDocuments(paths)) {
    const o = doc.object;
    if (!isRecord(o) || o.kind !== "Namespace") continue;
    const metadata = isRecord(o.metadata) ? o.metadata : {};
    const name = typeof metadata.name === "string" ? metadata.name : "";
    if (name === "") throw new InputError(`${where(doc)}: a Namespace needs metadata.name`);
    const labels = isRecord(metadata.labels) ? (metadata.labels as Record<string, string>) : {};
    out[name] = { "kubernetes.io/metadata.name": name, ...labels };
  }
  return out;
}

/** Offline default: every namespace of the pods with only its name label, as the API server sets it. */
export function namespacesOfPods(pods: readonly Pod[]): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const p of pods) {
    const ns = podNamespace(p);
    out[ns] ??= { "kubernetes.io/metadata.name": ns };
  }
  return out;
}

export function planJson(plan: Plan): PlanJson {
  const keys = (pods: readonly Pod[]): string[] => pods.map(podKey);
  return {
    status: {
      matchedPods: plan.status.matchedPods,
      updatedPods: plan.status.updatedPods,
      readyPods: plan.status.readyPods,
      updatedReadyPods: plan.status.updatedReadyPods,
    },
    order: keys(plan.order),
    upgrade: keys(plan.upgrade),
    notUpgradable: keys(plan.notUpgradable),
    busy: keys(plan.busy),
    partition: plan.partition,
    maxUnavailable: plan.maxUnavailable,
    unavailable: plan.unavailable,
  };
}

/** kubectl-style age: 45s, 12m, 5h, 3d. */
export function formatAge(from: string | undefined, now: Date): string {
  const ms = from ? Date.parse(from) : NaN;
  if (Number.isNaN(ms)) return "?";
  const s = Math.max(0, Math.floor((now.getTime() - ms) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 2 * 3600) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function planTable(set: SidecarSet, plan: Plan, pods: readonly Pod[], now: Date): string {
  const s = plan.status;
  const lines = [
    `SidecarSet ${set.metadata.name ?? ""}: ${s.matchedPods} matched, ${s.updatedPods} updated, ${s.readyPods} ready, ${s.updatedReadyPods} updated and ready` +
      (s.notInjectedPods > 0 ? `, ${s.notInjectedPods} not injected` : ""),
    `partition ${plan.partition}, maxUnavailable ${plan.maxUnavailable}, unavailable ${plan.unavailable}` +
      (plan.stopped ? "" : ` (${plan.unavailableAfter} after this round)`),
    plan.stopped ? `no upgrades: ${stopReasonText(plan.stopped)}` : `upgrade now: ${plan.upgrade.length} of ${plan.order.length} waiting pod(s)`,
    "",
  ];
  const created = new Map(pods.map((p) => [podKey(p), p.metadata?.creationTimestamp]));
  const entries = [...plan.pods].sort((a, b) => (a.position ?? Infinity) - (b.position ?? Infinity));
  const rows = [["#", "POD", "STATE", "READY", "AGE", "WHY"]];
  for (const e of entries) {
    rows.push([
      e.position === undefined ? "-" : String(e.position),
      e.pod,
      e.state,
      e.state === "not-injected" ? "-" : e.ready && e.consistent ? "yes" : "no",
      formatAge(created.get(e.pod), now),
      e.reason,
    ]);
  }
  return lines.join("\n") + "\n" + renderTable(rows);
}

export interface PlanRun {
  stdout: string;
  stderr: string;
  exitCode: 0 | 1;
}

/** Reads the inputs, plans, and renders; input errors are thrown. */
export function runPlan(flags: PlanFlags, now: Date = flags.now ?? new Date()): PlanRun {
  const set = readOneSidecarSet(flags.sidecarsets);
  const { pods, skipped } = loadPods(flags.pods);
  const namespaceLabels: NamespaceLabels = flags.namespaces ? loadNamespaceLabels(flags.namespaces) : namespacesOfPods(pods);
  const plan = planUpgrade(set, pods, { now, namespaceLabels, nativeSidecarInPlaceUpgrade: flags.nativeSidecarInPlaceUpgrade === true });
  const stdout = flags.output === "json" ? `${JSON.stringify(planJson(plan), null, 2)}\n` : planTable(set, plan, pods, now);
  const stderr = [...skipped, ...plan.errors.map((e) => `error: ${formatFieldError(e)}`)].map((l) => `${l}\n`).join("");
  return { stdout, stderr, exitCode: plan.errors.length > 0 ? 1 : 0 };
}

export function planCommand(io: CommandIo = PROCESS_IO): Command {
  const cmd = new Command("plan").argument("[sidecarset]", "live: the SidecarSet NAME in the cluster, instead of --sidecarsets and --pods");
  addSidecarSetsOptions(cmd, "the SidecarSet (exactly one)")
    .description(
      "Show what the controller would do now: the SidecarSet's status, the upgrade order of waiting pods, " +
        "which pods are upgraded this round, and why every other pod waits.",
    )
    .addOption(podsOption("the pods: multi-document YAML, a JSON array or a v1 List (- for stdin)"))
    .option("--namespaces <paths...>", "Namespace objects, for a namespaceSelector")
    .addOption(nowOption("the time of the decision"))
    .addOption(nativeSidecarOption())
    .addOption(outputOption(["table", "json"]));
  addClusterOptions(cmd).addHelpText("after", EXAMPLES);
  return cmd.action(async (name: string | undefined, flags: PlanFlags & SidecarSetsFlags & LiveFlags) => {
    if (name !== undefined) {
      if (flags.sidecarsets || flags.sidecarset || flags.pods) cmd.error("error: give a SidecarSet NAME (live) or --sidecarsets and --pods (files), not both");
      return planLive(name, flags, io);
    }
    return planFiles(cmd, flags, io);
  });
}

function planFiles(cmd: Command, flags: PlanFlags & SidecarSetsFlags, io: CommandIo): void {
  reportingInputErrors(io, () => {
    const sidecarsets = requiredSidecarSets(cmd, flags);
    if (!flags.pods) cmd.error("error: required option '--pods <paths...>' not specified");
    const r = runPlan({ ...flags, sidecarsets });
    io.out.write(r.stdout);
    if (r.stderr) io.err.write(r.stderr);
    process.exitCode = r.exitCode;
  })();
}

/** `plan NAME`: the same plan over the SidecarSet and pods as the cluster holds them now. */
function planLive(name: string, flags: PlanFlags & LiveFlags, io: CommandIo): Promise<void> {
  return withCluster(flags, io, async (client, live) => {
    const inputs = await live.readPlanInputs(client, name);
    const now = flags.now ?? new Date();
    const plan = planUpgrade(inputs.set, inputs.pods, {
      now,
      namespaceLabels: inputs.namespaceLabels,
      canaryNames: inputs.canaryNames,
      nativeSidecarInPlaceUpgrade: flags.nativeSidecarInPlaceUpgrade === true,
    });
    io.out.write(flags.output === "json" ? `${JSON.stringify(planJson(plan), null, 2)}\n` : planTable(inputs.set, plan, inputs.pods, now));
    for (const e of plan.errors) io.err.write(`error: ${formatFieldError(e)}\n`);
    return plan.errors.length > 0 ? 1 : 0;
  });
}
