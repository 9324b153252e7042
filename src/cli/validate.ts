// `sidecarset validate`: checks SidecarSet manifests offline the way the
// validating webhook would — each one defaulted first, then every rule,
// including conflicts among the SidecarSets given together.
import { Command } from "commander";
import { parseAllDocuments } from "yaml";
import { defaultSidecarSet } from "../api/defaults.js";
import { formatFieldError } from "../api/errors.js";
import { isRecord } from "../api/is-record.js";
import { WHITELIST_CONFIGMAP, WHITELIST_CONFIGMAP_KEY } from "../api/keys.js";
import type { ControllerRevision } from "../api/kube-types.js";
import { KIND, type SidecarSet } from "../api/types.js";
import { checkShape, validateWithDefaults, type ValidationContext } from "../api/validation/index.js";
import { currentSidecarSets, type CurrentSidecarSets } from "./validate-current.js";
import { filenameOption, outputOption, validationOptions } from "./flags.js";
import { plural, PROCESS_IO, reportingInputErrors, type CommandIo } from "./output.js";
import { expandPaths, nothingFound, parseDocuments, readErrorMessage, readText, type SourceDocument } from "./documents.js";

/** `out` gets one line per finding, `err` the summary. */
export type ValidateIo = CommandIo;

export interface ValidateFlags {
  filename: string[];
  /** Files of the SidecarSets the cluster holds now: same name = an update of it, others = existing SidecarSets. */
  current?: string[];
  /** A file holding the whitelist JSON, or the ConfigMap that carries it. */
  whitelist?: string;
  allowPatchPodMetadataWithoutWhitelist?: boolean;
  nativeSidecarInPlaceUpgrade?: boolean;
}

export interface ValidateReport {
  lines: string[];
  summary: string;
  /** The same as data, for `-o json`. */
  json: ValidateJson;
  exitCode: 0 | 1;
}

export interface ValidateJson {
  checked: number;
  valid: number;
  invalid: number;
  skipped: number;
  /** Files or documents that could not be read, one message each. */
  unreadable: string[];
  findings: Finding[];
}

const EXAMPLES = `
Every SidecarSet is defaulted first, as the defaulting webhook would, then checked with the
validating webhook's rules. SidecarSets given together are also checked against each other
(container, volume and annotation conflicts). Other kinds of documents are skipped.
Offline, a namespace is assumed to carry only its kubernetes.io/metadata.name label, and pinned
revisions (injectionStrategy.revision) are not looked up.

Examples:
  # One file, a directory, or stdin
  sidecarset validate -f sidecarset.yaml
  sidecarset validate -f examples/ -f extra.yaml
  kubectl get sidecarsets -o yaml | sidecarset validate -f -

  # Changes to SidecarSets a cluster holds, checked as updates of them
  kubectl get sidecarsets -o yaml > current.yaml
  sidecarset validate -f sidecarset.yaml --current current.yaml

  # SidecarSets with patchPodMetadata, checked against the cluster's whitelist
  kubectl get configmap ${WHITELIST_CONFIGMAP} -n sidecarset-system -o yaml > whitelist.yaml
  sidecarset validate -f sidecarset.yaml --whitelist whitelist.yaml

Exit status: 0 when every SidecarSet is valid, 1 when one is not or a file cannot be read.`;

export function validateCommand(io: ValidateIo = PROCESS_IO): Command {
  const cmd = new Command("validate")
    .description(
      "Check SidecarSet manifests as the validating webhook would, without a cluster. " +
        "Prints one line per problem: file: name: field.path: message.",
    )
    .addOption(filenameOption("SidecarSets"))
    .addOption(outputOption(["text", "json"]))
    .option(
      "--current <paths...>",
      "the SidecarSets the cluster holds now (repeatable): one with the name of a given SidecarSet makes its check an update, the others are checked for conflicts",
    );
  for (const o of validationOptions()) cmd.addOption(o);
  cmd.addHelpText("after", EXAMPLES);
  cmd.action(
    reportingInputErrors(io, (flags: ValidateFlags & { output: "text" | "json" }) => {
      const report = runValidate(flags);
      if (flags.output === "json") io.out.write(`${JSON.stringify(report.json, null, 2)}\n`);
      else {
        for (const line of report.lines) io.out.write(`${line}\n`);
        io.err.write(`${report.summary}\n`);
      }
      process.exitCode = report.exitCode;
    }),
  );
  return cmd;
}

interface Given {
  doc: SourceDocument;
  name: string;
  defaulted: unknown;
}

export interface ValidationOptions {
  /** The whitelist JSON (see readWhitelist). */
  whitelist?: string;
  allowPatchPodMetadataWithoutWhitelist?: boolean;
  nativeSidecarInPlaceUpgrade?: boolean;
  /** The ControllerRevisions that pinned revisions may name; unknown when none were given. */
  revisions?: ControllerRevision[];
  /** What the cluster holds now (`--current`). */
  current?: CurrentSidecarSets;
}

/** One problem with one SidecarSet. */
export interface Finding {
  file: string;
  /** Where the SidecarSet's document starts. */
  line: number;
  name: string;
  severity: "error" | "warning";
  /** The field, for errors about one. */
  path?: string;
  message: string;
}

/** What checking a group of SidecarSets found: each problem as data and as a `file: name: …` line. */
export interface Findings {
  items: Finding[];
  lines: string[];
  checked: number;
  invalid: number;
  errors: number;
  warnings: number;
}

/**
 * The SidecarSets a cluster would hold besides `self`: one per name (a second
 * manifest of a name replaces the first there), never another version of itself.
 */
function othersInCluster(given: readonly Given[], self: Given, keep: (g: Given) => boolean): unknown[] {
  const byName = new Map<string, Given>();
  for (const g of given) {
    if (g === self || !keep(g)) continue;
    if (self.name !== "" && g.name === self.name) continue;
    if (g.name === "" || !byName.has(g.name)) byName.set(g.name === "" ? `\0${byName.size}` : g.name, g);
  }
  return [...byName.values()].map((g) => g.defaulted);
}

/**
 * Defaults and validates SidecarSet documents as the webhooks would, each
 * against the others given with it. `inject` checks its input with it too.
 */
export function checkSidecarSets(sets: readonly SourceDocument[], options: ValidationOptions): Findings {
  const given: Given[] = sets.map((doc) => ({ doc, name: nameOf(doc), defaulted: defaultForOthers(doc.object) }));
  const existing = options.current?.othersThan(new Set(given.map((g) => g.name))) ?? [];
  const contextWith = (others: unknown[], name: string): ValidationContext => ({
    ...updateOf(options.current?.stored(name)),
    others: [...existing, ...others] as SidecarSet[],
    namespaces: (name) => ({ "kubernetes.io/metadata.name": name }),
    revisions: options.revisions ?? "unknown",
    whitelist: options.whitelist,
    allowPatchPodMetadataWithoutWhitelist: options.allowPatchPodMetadataWithoutWhitelist === true,
    nativeSidecarInPlaceUpgrade: options.nativeSidecarInPlaceUpgrade === true,
  });
  // Only SidecarSets the cluster would admit can conflict with others; an invalid one would not be there.
  const admissible = new Set(
    given.filter(
      (g) =>
        validateWithDefaults(g.doc.object, contextWith(othersInCluster(given, g, () => true), g.name), defaultSidecarSet, { skipConflicts: true })
          .errors.length === 0,
    ),
  );

  const findings: Findings = { items: [], lines: [], checked: given.length, invalid: 0, errors: 0, warnings: 0 };
  given.forEach((g, i) => {
    const result = validateWithDefaults(g.doc.object, contextWith(othersInCluster(given, g, (o) => admissible.has(o)), g.name), defaultSidecarSet);
    result.warnings.unshift(...(g.doc.notes ?? []));
    const duplicate = g.name === "" ? undefined : given.slice(0, i).find((o) => o.name === g.name);
    if (duplicate) {
      result.warnings.push(
        `another SidecarSet named ${JSON.stringify(g.name)} is defined at ${duplicate.doc.file}:${duplicate.doc.line}; a cluster holds only one of them`,
      );
    }
    const label = g.name !== "" ? g.name : `(no name, line ${g.doc.line})`;
    const at = { file: g.doc.file, line: g.doc.line, name: g.name };
    for (const e of result.errors) {
      findings.items.push({ ...at, severity: "error", ...(e.path ? { path: e.path } : {}), message: e.message });
      findings.lines.push(`${g.doc.file}: ${label}: ${formatFieldError(e)}`);
    }
    for (const w of result.warnings) {
      findings.items.push({ ...at, severity: "warning", message: w });
      findings.lines.push(`${g.doc.file}: ${label}: warning: ${w}`);
    }
    if (result.errors.length > 0) findings.invalid++;
    findings.errors += result.errors.length;
    findings.warnings += result.warnings.length;
  });
  return findings;
}

/** Reads, defaults and validates; returns what to print and the exit code. */
export function runValidate(flags: ValidateFlags): ValidateReport {
  const lines: string[] = [];
  const docs = readAll(flags.filename, lines);
  const currentDocs = readAll(flags.current ?? [], lines);
  const unreadable = lines.length;
  const whitelist = flags.whitelist === undefined ? undefined : readWhitelist(flags.whitelist);
  const sets = docs.filter((d) => isRecord(d.object) && d.object.kind === KIND);
  const skipped = docs.length - sets.length;
  const findings = checkSidecarSets(sets, {
    whitelist,
    allowPatchPodMetadataWithoutWhitelist: flags.allowPatchPodMetadataWithoutWhitelist === true,
    nativeSidecarInPlaceUpgrade: flags.nativeSidecarInPlaceUpgrade === true,
    current: currentSidecarSets(currentDocs, defaultForOthers),
  });
  const summary = summarize(findings, unreadable, skipped, flags.filename);
  const failed = findings.invalid > 0 || unreadable > 0 || findings.checked === 0;
  const json: ValidateJson = {
    checked: findings.checked,
    valid: findings.checked - findings.invalid,
    invalid: findings.invalid,
    skipped,
    unreadable: lines.slice(0, unreadable),
    findings: findings.items,
  };
  lines.push(...findings.lines);
  return { lines, summary, json, exitCode: failed ? 1 : 0 };
}

function updateOf(stored: unknown): Pick<ValidationContext, "operation" | "oldObject"> {
  return stored === undefined ? { operation: "CREATE" } : { operation: "UPDATE", oldObject: stored as SidecarSet };
}

/** Every document that can be read; one line in `unreadable` for each file or path that cannot. */
function readAll(paths: readonly string[], unreadable: string[]): SourceDocument[] {
  const docs: SourceDocument[] = [];
  let files: string[] = [];
  for (const p of paths) {
    try {
      files = files.concat(expandPaths([p]));
    } catch (e) {
      unreadable.push(readErrorMessage(e));
    }
  }
  for (const file of files) {
    try {
      docs.push(...parseDocuments(readText(file), file));
    } catch (e) {
      unreadable.push(readErrorMessage(e));
    }
  }
  return docs;
}

/** The whitelist JSON from a file holding it, or from the ConfigMap that carries it (undefined: key missing). */
export function readWhitelist(file: string): string | undefined {
  const text = readText(file);
  const docs = parseAllDocuments(text);
  const first = Array.isArray(docs) ? docs[0] : docs;
  if (first && first.errors.length === 0) {
    const value: unknown = first.toJS();
    if (isRecord(value) && value.kind === "ConfigMap") {
      const data = isRecord(value.data) ? value.data : {};
      const raw = data[WHITELIST_CONFIGMAP_KEY];
      return typeof raw === "string" ? raw : undefined;
    }
  }
  return text;
}

/** Others are compared after defaulting, as the cluster stores them. */
function defaultForOthers(object: unknown): unknown {
  try {
    return defaultSidecarSet(checkShape(object, "SidecarSet").value as SidecarSet);
  } catch {
    return object;
  }
}

function nameOf(doc: SourceDocument): string {
  const o = doc.object;
  if (isRecord(o) && isRecord(o.metadata) && typeof o.metadata.name === "string") return o.metadata.name;
  return "";
}

function summarize(findings: Findings, unreadable: number, skipped: number, paths: readonly string[]): string {
  const { checked, invalid, errors, warnings } = findings;
  const parts: string[] = [];
  if (checked === 0) parts.push(nothingFound("SidecarSet", paths));
  else {
    parts.push(
      `${plural(checked, "SidecarSet")} checked: ${checked - invalid} valid, ${invalid} invalid (${plural(errors, "error")}, ${plural(warnings, "warning")})`,
    );
  }
  if (unreadable > 0) parts.push(`${plural(unreadable, "file")} could not be read`);
  if (skipped > 0) parts.push(`${plural(skipped, "other document")} skipped`);
  return parts.join("; ");
}
