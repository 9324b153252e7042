// `sidecarset inject`: shows offline what the pod webhook would do — the
// SidecarSets are defaulted as the cluster stores them, then injected into
// bare Pods and into the pod templates of workloads.
import { Command, InvalidArgumentError, Option } from "commander";
import { stringify } from "yaml";
import { defaultSidecarSet } from "../api/defaults.js";
import type { ControllerRevision, Pod } from "../api/kube-types.js";
import { KIND, type SidecarSet } from "../api/types.js";
import { injectPod } from "../core/inject/index.js";
import { DocumentParseError, isRecord, readDocuments, type SourceDocument } from "./documents.js";

export interface Output {
  write(text: string): unknown;
}

export interface InjectIo {
  out: Output;
  err: Output;
}

export interface InjectFlags {
  filename: string[];
  sidecarsets: string[];
  namespaceLabels?: Record<string, string>;
  now?: Date;
  output?: "yaml" | "json";
  sortInjectedContainersByName?: boolean;
}

export interface InjectReport {
  /** What goes to stdout (empty when the input could not be read). */
  output: string;
  /** One line each, for stderr: denials and read errors as `file:line: message`. */
  messages: string[];
  exitCode: 0 | 1;
}

const EXAMPLES = `
The SidecarSets are defaulted first, as the defaulting webhook would. Documents from
--sidecarsets that are not SidecarSets are ignored, except ControllerRevisions, which serve
pinned revisions (injectionStrategy.revision). Sidecars are injected into Pods and into the
pod templates of Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs and any
object with spec.template.spec (the template takes the object's namespace). Other documents
are printed unchanged, and so is a document whose injection is denied: the denial is printed
on stderr as file:line: message and the exit status is 1.

Offline, every namespace carries its kubernetes.io/metadata.name label plus the labels given
with --namespace-labels.

Examples:
  # Preview the log-agent sidecar in a Deployment
  sidecarset inject -f deployment.yaml --sidecarsets examples/log-agent/

  # From stdin, as JSON
  kubectl get pod web-0 -o yaml | sidecarset inject -f - --sidecarsets sidecarsets/ -o json

  # SidecarSets selecting namespaces by label, at a fixed time
  sidecarset inject -f pod.yaml --sidecarsets mesh.yaml --namespace-labels mesh=enabled --now 2026-01-02T03:04:05Z

Exit status: 0 on success, 1 when an injection is denied or a file cannot be read.`;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `k=v,k2=v2` → labels. */
export function parseLabelList(value: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of value.split(",")) {
    if (pair.trim() === "") continue;
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new InvalidArgumentError(`"${pair}" is not key=value; use a list like env=prod,team=a`);
    labels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return labels;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

export function parseRfc3339(value: string): Date {
  const d = new Date(value);
  if (!RFC3339.test(value) || Number.isNaN(d.getTime())) {
    throw new InvalidArgumentError(`"${value}" is not an RFC 3339 time like 2026-01-02T03:04:05Z`);
  }
  return d;
}

export function injectCommand(io: InjectIo = { out: process.stdout, err: process.stderr }): Command {
  const cmd = new Command("inject")
    .description(
      "Show what the pod webhook would inject: prints the given Pods and workloads with the matching " +
        "SidecarSets' sidecars, volumes and annotations added.",
    )
    .option("-f, --filename <path>", "Pods or workloads: a file, a directory, or - for stdin (repeatable)", collect, [])
    .option("--sidecarsets <path>", "SidecarSets: a file or a directory (repeatable)", collect, [])
    .option("--namespace-labels <labels>", "labels every namespace carries, as k=v,k2=v2 (for namespaceSelector)", parseLabelList)
    .option("--now <time>", "the time recorded in the hash annotations, RFC 3339 (default: now)", parseRfc3339)
    .addOption(new Option("-o, --output <format>", "output format").choices(["yaml", "json"]).default("yaml"))
    .option("--sort-injected-containers-by-name", "sort injected containers by name, as the manager flag of that name does")
    .addHelpText("after", EXAMPLES);
  cmd.action((flags: InjectFlags) => {
    if (flags.filename.length === 0) cmd.error("error: required option '-f, --filename <path>' not specified");
    if (flags.sidecarsets.length === 0) cmd.error("error: required option '--sidecarsets <path>' not specified");
    const report = runInject({ ...flags, now: flags.now ?? new Date() }, Math.random);
    if (report.output) io.out.write(report.output);
    for (const m of report.messages) io.err.write(`${m}\n`);
    process.exitCode = report.exitCode;
  });
  return cmd;
}

interface Cluster {
  sidecarSets: SidecarSet[];
  revisions: ControllerRevision[];
}

/** Reads, defaults and injects; returns what to print and the exit code. */
export function runInject(flags: InjectFlags, random: () => number): InjectReport {
  let cluster: Cluster;
  let docs: SourceDocument[];
  try {
    cluster = readCluster(flags.sidecarsets);
    docs = readDocuments(flags.filename);
  } catch (e) {
    return { output: "", messages: [readError(e)], exitCode: 1 };
  }

  const messages: string[] = [];
  const objects = docs.map((doc) => {
    const r = injectDocument(doc.object, cluster, flags, random);
    if (r.denied) messages.push(`${doc.file}:${doc.line}: ${r.denied}`);
    return r.object;
  });
  return { output: render(objects, flags.output ?? "yaml"), messages, exitCode: messages.length > 0 ? 1 : 0 };
}

function readCluster(paths: readonly string[]): Cluster {
  const sidecarSets: SidecarSet[] = [];
  const revisions: ControllerRevision[] = [];
  for (const doc of readDocuments(paths)) {
    const o = doc.object;
    if (!isRecord(o)) continue;
    if (o.kind === KIND) sidecarSets.push(defaultSidecarSet(o as unknown as SidecarSet));
    else if (o.kind === "ControllerRevision") revisions.push(o as ControllerRevision);
  }
  return { sidecarSets, revisions };
}

function readError(e: unknown): string {
  if (e instanceof DocumentParseError) return e.message;
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err === "object" && typeof err.path === "string") return `${err.path}: cannot read: ${err.code ?? err.message}`;
  return e instanceof Error ? e.message : String(e);
}

/** Where a document keeps the pod to inject into: itself, or a template. */
function podTemplateOf(o: Record<string, unknown>): Record<string, unknown> | undefined {
  const spec = o.spec;
  if (!isRecord(spec)) return undefined;
  if (o.kind === "CronJob") {
    const jobTemplate = spec.jobTemplate;
    const jobSpec = isRecord(jobTemplate) ? jobTemplate.spec : undefined;
    const template = isRecord(jobSpec) ? jobSpec.template : undefined;
    return isRecord(template) && isRecord(template.spec) ? template : undefined;
  }
  const template = spec.template;
  return isRecord(template) && isRecord(template.spec) ? template : undefined;
}

function injectDocument(
  object: unknown,
  cluster: Cluster,
  flags: InjectFlags,
  random: () => number,
): { object: unknown; denied?: string } {
  if (!isRecord(object)) return { object };
  if (object.kind === "Pod") {
    const r = injectInto(object as Pod, cluster, flags, random);
    return r.denied ? { object, denied: r.denied } : { object: r.pod ?? object };
  }
  const template = podTemplateOf(object);
  if (!template) return { object };
  const meta = isRecord(object.metadata) ? object.metadata : {};
  const templateMeta = isRecord(template.metadata) ? template.metadata : {};
  const pod: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { ...templateMeta, ...(typeof meta.namespace === "string" ? { namespace: meta.namespace } : {}) },
    spec: template.spec as Pod["spec"],
  };
  const r = injectInto(pod, cluster, flags, random);
  if (r.denied || !r.pod) return { object, denied: r.denied };
  const injectedTemplate = {
    ...template,
    metadata: { ...templateMeta, annotations: r.pod.metadata?.annotations },
    spec: r.pod.spec,
  };
  return { object: replaceTemplate(object, injectedTemplate) };
}

function replaceTemplate(o: Record<string, unknown>, template: Record<string, unknown>): Record<string, unknown> {
  const spec = o.spec as Record<string, unknown>;
  if (o.kind === "CronJob") {
    const jobTemplate = spec.jobTemplate as Record<string, unknown>;
    const jobSpec = jobTemplate.spec as Record<string, unknown>;
    return { ...o, spec: { ...spec, jobTemplate: { ...jobTemplate, spec: { ...jobSpec, template } } } };
  }
  return { ...o, spec: { ...spec, template } };
}

function injectInto(
  pod: Pod,
  cluster: Cluster,
  flags: InjectFlags,
  random: () => number,
): { pod?: Pod; denied?: string } {
  const result = injectPod({
    pod,
    sidecarSets: cluster.sidecarSets,
    namespaceLabels: (ns) => ({ ...(flags.namespaceLabels ?? {}), "kubernetes.io/metadata.name": ns }),
    revisions: cluster.revisions,
    now: flags.now ?? new Date(),
    random,
    sortInjectedContainersByName: flags.sortInjectedContainersByName === true,
  });
  switch (result.kind) {
    case "denied":
      return { denied: result.message };
    case "injected":
      return { pod: result.pod };
    case "unchanged":
      return {};
  }
}

function render(objects: unknown[], format: "yaml" | "json"): string {
  if (format === "json") return `${JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }, null, 2)}\n`;
  return objects.map((o) => stringify(o, { aliasDuplicateObjects: false, lineWidth: 0 })).join("---\n");
}
