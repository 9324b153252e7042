// `sidecarset plan`: what the controller would do with a SidecarSet and a set
// of pods right now — status, upgrade order, the pods upgraded this round and
// why every other pod waits.
import { Command, InvalidArgumentError } from "commander";
import { defaultSidecarSet } from "../api/defaults.js";
import { formatFieldError } from "../api/errors.js";
import { sidecarSetHash, sidecarSetHashWithoutImage } from "../api/hash.js";
import { SIDECARSET_HASH_ANNOTATION, SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION } from "../api/keys.js";
import type { Pod } from "../api/kube-types.js";
import { KIND, type SidecarSet } from "../api/types.js";
import { checkShape } from "../api/validation/index.js";
import { podKey, podNamespace, type NamespaceLabels } from "../core/rollout/matching.js";
import { planUpgrade, stopReasonText, type Plan } from "../core/rollout/plan.js";
import { isRecord, readDocuments, type SourceDocument } from "./documents.js";

export interface Output {
  write(text: string): unknown;
}

export interface CommandIo {
  out: Output;
  err: Output;
}

export interface PlanFlags {
  sidecarset: string;
  pods: string;
  namespaces?: string;
  now?: Date;
  output: "table" | "json";
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

Examples:
  kubectl get pods -A -l app=web -o yaml > pods.yaml
  sidecarset plan --sidecarset sidecarset.yaml --pods pods.yaml
  sidecarset plan --sidecarset sidecarset.yaml --pods pods.yaml -o json | jq .upgrade

Exit status: 0 on success, 1 when an input cannot be read or the updateStrategy is invalid.`;

export function parseTime(value: string): Date {
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`${JSON.stringify(value)} is not an RFC 3339 time like 2026-01-02T03:04:05Z`);
  return new Date(ms);
}

export function parseOutput<T extends string>(allowed: readonly T[]): (value: string) => T {
  return (value) => {
    if ((allowed as readonly string[]).includes(value)) return value as T;
    throw new InvalidArgumentError(`${JSON.stringify(value)} is not an output format; use ${allowed.join(", ")}`);
  };
}

function where(doc: SourceDocument): string {
  return `${doc.file}:${doc.line}`;
}

/**
 * Reads the one SidecarSet of a file, checks its shape and defaults it. Shape
 * errors are thrown as one message listing each problem with its location.
 */
export function loadSidecarSet(file: string): SidecarSet {
  const docs = readDocuments([file]).filter((d) => isRecord(d.object) && d.object.kind === KIND);
  if (docs.length === 0) throw new Error(`${file}: no document of kind ${KIND}`);
  if (docs.length > 1) throw new Error(`${file}: ${docs.length} SidecarSets (at ${docs.map(where).join(", ")}); give exactly one`);
  const doc = docs[0]!;
  const shape = checkShape(doc.object, KIND);
  if (shape.errors.length > 0) {
    throw new Error(`${where(doc)}: the SidecarSet is malformed:\n${shape.errors.map((e) => `  ${formatFieldError(e)}`).join("\n")}`);
  }
  const set = defaultSidecarSet(shape.value as SidecarSet);
  const annotations = (set.metadata.annotations ??= {});
  annotations[SIDECARSET_HASH_ANNOTATION] ||= sidecarSetHash(set);
  annotations[SIDECARSET_HASH_WITHOUT_IMAGE_ANNOTATION] ||= sidecarSetHashWithoutImage(set);
  return set;
}

/** Reads pods; documents of other kinds are skipped, a Pod without a name is an error. */
export function loadPods(file: string): Pod[] {
  const pods: Pod[] = [];
  for (const doc of readDocuments([file])) {
    const o = doc.object;
    if (!isRecord(o)) throw new Error(`${where(doc)}: expected a Pod object, got ${Array.isArray(o) ? "a list" : typeof o}`);
    if (o.kind !== undefined && o.kind !== "Pod") continue;
    const metadata = o.metadata;
    if (!isRecord(metadata) || typeof metadata.name !== "string" || metadata.name === "") {
      throw new Error(`${where(doc)}: a Pod needs metadata.name`);
    }
    pods.push(o as Pod);
  }
  return pods;
}

/** Namespace name → labels, from Namespace objects; each also carries its kubernetes.io/metadata.name label. */
export function loadNamespaceLabels(file: string): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const doc of readDocuments([file])) {
    const o = doc.object;
    if (!isRecord(o) || o.kind !== "Namespace") continue;
    const metadata = isRecord(o.metadata) ? o.metadata : {};
    const name = typeof metadata.name === "string" ? metadata.name : "";
    if (name === "") throw new Error(`${where(doc)}: a Namespace needs metadata.name`);
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

export function renderTable(rows: readonly string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n") + "\n";
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
  const set = loadSidecarSet(flags.sidecarset);
  const pods = loadPods(flags.pods);
  const namespaceLabels: NamespaceLabels = flags.namespaces ? loadNamespaceLabels(flags.namespaces) : namespacesOfPods(pods);
  const plan = planUpgrade(set, pods, { now, namespaceLabels });
  const stdout = flags.output === "json" ? `${JSON.stringify(planJson(plan), null, 2)}\n` : planTable(set, plan, pods, now);
  const stderr = plan.errors.map((e) => `error: ${formatFieldError(e)}\n`).join("");
  return { stdout, stderr, exitCode: plan.errors.length > 0 ? 1 : 0 };
}

export function planCommand(io: CommandIo = { out: process.stdout, err: process.stderr }): Command {
  return new Command("plan")
    .description(
      "Show what the controller would do now: the SidecarSet's status, the upgrade order of waiting pods, " +
        "which pods are upgraded this round, and why every other pod waits.",
    )
    .requiredOption("--sidecarset <file>", "the SidecarSet (YAML or JSON)")
    .requiredOption("--pods <file>", "the pods: multi-document YAML, a JSON array or a v1 List (- for stdin)")
    .option("--namespaces <file>", "Namespace objects, for a namespaceSelector")
    .option("--now <time>", "the time of the decision, RFC 3339 (default: now)", parseTime)
    .option("-o, --output <format>", "table or json", parseOutput(["table", "json"] as const), "table")
    .addHelpText("after", EXAMPLES)
    .action((flags: PlanFlags) => {
      const r = runPlan(flags);
      io.out.write(r.stdout);
      if (r.stderr) io.err.write(r.stderr);
      process.exitCode = r.exitCode;
    });
}
