// `sidecarset inject`: shows offline what the pod webhook would do — the
// SidecarSets are defaulted as the cluster stores them, then injected into
// bare Pods and into the pod templates of workloads.
import { Command, InvalidArgumentError } from "commander";
import { defaultSidecarSet } from "../api/defaults.js";
import { isRecord } from "../api/is-record.js";
import type { ControllerRevision, Pod } from "../api/kube-types.js";
import { KIND, type SidecarSet } from "../api/types.js";
import { injectPod } from "../core/inject/index.js";
import { nothingFound, readDocuments, readErrorMessage, type SourceDocument } from "./documents.js";
import {
  addSidecarSetsOptions,
  filenameOption,
  namespaceOption,
  nowOption,
  outputOption,
  requiredSidecarSets,
  validationOptions,
  type SidecarSetsFlags,
} from "./flags.js";
import { formatObjects, OBJECT_FORMATS, PROCESS_IO, plural, type CommandIo, type ObjectFormat } from "./output.js";
import { checkSidecarSets, readWhitelist } from "./validate.js";

export interface InjectFlags {
  filename: string[];
  sidecarsets: string[];
  /** The namespace of objects that name none (as `kubectl apply -n`). */
  namespace?: string;
  namespaceLabels?: Record<string, string>;
  now?: Date;
  output?: ObjectFormat;
  sortInjectedContainersByName?: boolean;
  whitelist?: string;
  allowPatchPodMetadataWithoutWhitelist?: boolean;
  nativeSidecarInPlaceUpgrade?: boolean;
}

export interface InjectReport {
  /** What goes to stdout (empty when the input could not be read or a SidecarSet is invalid). */
  output: string;
  /** One line each, for stderr: what happened to each object, validation findings, read errors. */
  messages: string[];
  exitCode: 0 | 1;
}

const EXAMPLES = `
The SidecarSets are checked first, exactly as \`sidecarset validate\` checks them; if one is
invalid, nothing is injected. Documents from --sidecarsets that are not SidecarSets are ignored,
except ControllerRevisions, which serve pinned revisions (injectionStrategy.revision). Sidecars
are injected into Pods and into the pod templates of Deployments, StatefulSets, DaemonSets,
ReplicaSets, Jobs, CronJobs and any object with spec.template.spec (the template takes the
object's namespace, else -n, else default). Other documents are printed unchanged, and so is a
document whose injection is denied. For every document one line on stderr says what happened:
file:line: Kind namespace/name: injected a, b | no SidecarSet matched | denied: reason.

Offline, every namespace carries its kubernetes.io/metadata.name label plus the labels given
with --namespace-labels.

Examples:
  # Preview the log-agent sidecar in a Deployment
  sidecarset inject -f deployment.yaml --sidecarsets examples/log-agent/

  # From stdin, as JSON
  kubectl get pod web-0 -o yaml | sidecarset inject -f - --sidecarsets sidecarsets/ -o json

  # SidecarSets selecting namespaces by label, at a fixed time
  sidecarset inject -f pod.yaml --sidecarsets mesh.yaml --namespace-labels mesh=enabled --now 2026-01-02T03:04:05Z

Exit status: 0 on success, 1 when a SidecarSet is invalid, an injection is denied, no SidecarSet
is given, or a file cannot be read.`;

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

export function injectCommand(io: CommandIo = PROCESS_IO): Command {
  const cmd = new Command("inject")
    .description(
      "Show what the pod webhook would inject: prints the given Pods and workloads with the matching " +
        "SidecarSets' sidecars, volumes and annotations added.",
    )
    .addOption(filenameOption("Pods or workloads"));
  addSidecarSetsOptions(cmd, "the SidecarSets (and ControllerRevisions of pinned revisions)")
    .addOption(namespaceOption("the namespace of objects that name none"))
    .option("--namespace-labels <labels>", "labels every namespace carries, as k=v,k2=v2 (for namespaceSelector)", parseLabelList)
    .addOption(nowOption("the time recorded in the hash annotations"))
    .addOption(outputOption(OBJECT_FORMATS))
    .option("--sort-injected-containers-by-name", "sort injected containers by name, as the manager flag of that name does");
  for (const o of validationOptions()) cmd.addOption(o);
  cmd.addHelpText("after", EXAMPLES);
  cmd.action((flags: InjectFlags & SidecarSetsFlags) => {
    const sidecarsets = requiredSidecarSets(cmd, flags);
    const report = runInject({ ...flags, sidecarsets, now: flags.now ?? new Date() }, Math.random);
    if (report.output) io.out.write(report.output);
    for (const m of report.messages) io.err.write(`${m}\n`);
    process.exitCode = report.exitCode;
  });
  return cmd;
}

interface Cluster {
  sidecarSets: SidecarSet[];
  revisions: ControllerRevision[];
  /** Validation warnings about the SidecarSets, printed before the summaries. */
  warnings: string[];
}

/** Reads, checks, defaults and injects; returns what to print and the exit code. */
export function runInject(flags: InjectFlags, random: () => number): InjectReport {
  let cluster: Cluster;
  let docs: SourceDocument[];
  try {
    const read = readCluster(flags.sidecarsets, flags);
    if ("refused" in read) return { output: "", messages: read.refused, exitCode: 1 };
    cluster = read;
    docs = readDocuments(flags.filename);
  } catch (e) {
    return { output: "", messages: [readErrorMessage(e)], exitCode: 1 };
  }
  if (docs.length === 0) return { output: "", messages: [nothingFound("document", flags.filename)], exitCode: 1 };

  const messages = [...cluster.warnings];
  let denied = false;
  const objects = docs.map((doc) => {
    const r = injectDocument(doc.object, cluster, flags, random);
    if (r.denied) denied = true;
    messages.push(`${doc.file}:${doc.line}: ${describeObject(doc.object, flags.namespace)}: ${r.outcome}`);
    return r.object;
  });
  return { output: formatObjects(objects, flags.output ?? "yaml"), messages, exitCode: denied ? 1 : 0 };
}

/**
 * The SidecarSets as the cluster would hold them: checked as `validate` checks
 * them (its lines, on refusal), then defaulted.
 */
function readCluster(paths: readonly string[], flags: InjectFlags): Cluster | { refused: string[] } {
  const docs = readDocuments(paths);
  const setDocs = docs.filter((d) => isRecord(d.object) && d.object.kind === KIND);
  if (setDocs.length === 0) return { refused: [nothingFound("SidecarSet", paths)] };
  const revisions = docs.map((d) => d.object).filter((o): o is ControllerRevision => isRecord(o) && o.kind === "ControllerRevision");
  const findings = checkSidecarSets(setDocs, {
    whitelist: flags.whitelist === undefined ? undefined : readWhitelist(flags.whitelist),
    allowPatchPodMetadataWithoutWhitelist: flags.allowPatchPodMetadataWithoutWhitelist === true,
    nativeSidecarInPlaceUpgrade: flags.nativeSidecarInPlaceUpgrade === true,
    revisions,
  });
  if (findings.invalid > 0) {
    return { refused: [...findings.lines, `${plural(findings.invalid, "invalid SidecarSet")}; nothing injected`] };
  }
  const sidecarSets = setDocs.map((d) => defaultSidecarSet(d.object as unknown as SidecarSet));
  return { sidecarSets, revisions, warnings: findings.lines };
}

/**
 * `Pod shop/web-0`, `Deployment demo/web`: what a summary line is about. Only
 * objects that hold a pod get a namespace (the one their pods are created in).
 */
function describeObject(object: unknown, namespace: string | undefined): string {
  if (!isRecord(object)) return Array.isArray(object) ? "a list" : typeof object;
  const meta = isRecord(object.metadata) ? object.metadata : {};
  const kind = typeof object.kind === "string" ? object.kind : "(no kind)";
  const name =
    typeof meta.name === "string" && meta.name !== ""
      ? meta.name
      : typeof meta.generateName === "string" && meta.generateName !== ""
        ? `${meta.generateName}*`
        : "(no name)";
  if (object.kind !== "Pod" && !podTemplateOf(object)) return `${kind} ${name}`;
  const ns = typeof meta.namespace === "string" && meta.namespace !== "" ? meta.namespace : (namespace ?? "default");
  return `${kind} ${ns}/${name}`;
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

interface DocumentResult {
  object: unknown;
  /** For the summary line: `injected a, b`, `no SidecarSet matched`, `denied: …`. */
  outcome: string;
  denied?: true;
}

function injectDocument(object: unknown, cluster: Cluster, flags: InjectFlags, random: () => number): DocumentResult {
  if (!isRecord(object)) return { object, outcome: "not an object; printed unchanged" };
  if (object.kind === "Pod") {
    const r = injectInto(object as Pod, cluster, flags, random);
    return { ...r, object: r.pod ?? object };
  }
  const template = podTemplateOf(object);
  if (!template) return { object, outcome: "no pod template; printed unchanged" };
  const meta = isRecord(object.metadata) ? object.metadata : {};
  const templateMeta = isRecord(template.metadata) ? template.metadata : {};
  const pod: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { ...templateMeta, ...(typeof meta.namespace === "string" ? { namespace: meta.namespace } : {}) },
    spec: template.spec as Pod["spec"],
  };
  const r = injectInto(pod, cluster, flags, random);
  if (!r.pod) return { ...r, object };
  const injectedTemplate = {
    ...template,
    metadata: { ...templateMeta, annotations: r.pod.metadata?.annotations },
    spec: r.pod.spec,
  };
  return { outcome: r.outcome, object: replaceTemplate(object, injectedTemplate) };
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
): { pod?: Pod; outcome: string; denied?: true } {
  const result = injectPod({
    pod,
    ...(flags.namespace !== undefined ? { requestNamespace: flags.namespace } : {}),
    sidecarSets: cluster.sidecarSets,
    namespaceLabels: (ns) => ({ ...(flags.namespaceLabels ?? {}), "kubernetes.io/metadata.name": ns }),
    revisions: cluster.revisions,
    now: flags.now ?? new Date(),
    random,
    sortInjectedContainersByName: flags.sortInjectedContainersByName === true,
  });
  switch (result.kind) {
    case "denied":
      return { outcome: `denied: ${result.message}`, denied: true };
    case "injected":
      return { pod: result.pod, outcome: `injected ${result.injected.join(", ")}` };
    case "unchanged": {
      const matched = result.match.applied.map((s) => s.metadata.name ?? "");
      return { outcome: matched.length === 0 ? "no SidecarSet matched" : `matched ${matched.join(", ")}; nothing to add` };
    }
  }
}
