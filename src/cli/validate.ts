// `sidecarset validate`: checks SidecarSet manifests offline the way the
// validating webhook would — each one defaulted first, then every rule,
// including conflicts among the SidecarSets given together.
import { Command } from "commander";
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { defaultSidecarSet } from "../api/defaults.js";
import { formatFieldError } from "../api/errors.js";
import { WHITELIST_CONFIGMAP, WHITELIST_CONFIGMAP_KEY } from "../api/keys.js";
import { KIND, type SidecarSet } from "../api/types.js";
import { checkShape, validateWithDefaults, type ValidationContext } from "../api/validation/index.js";
import { DocumentParseError, expandPaths, isRecord, parseDocuments, readText, type SourceDocument } from "./documents.js";
import { currentSidecarSets } from "./validate-current.js";

export interface Output {
  write(text: string): unknown;
}

export interface ValidateIo {
  /** One line per finding. */
  out: Output;
  /** The summary. */
  err: Output;
}

export interface ValidateFlags {
  filename: string[];
  /** A file holding the whitelist JSON, or the ConfigMap that carries it. */
  whitelist?: string;
  allowPatchPodMetadataWithoutWhitelist?: boolean;
  /** Files of the SidecarSets the cluster holds now: same name = an update of it, others = existing SidecarSets. */
  current?: string[];
}

export interface ValidateReport {
  lines: string[];
  summary: string;
  exitCode: 0 | 1;
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

  # SidecarSets with patchPodMetadata, checked against the cluster's whitelist
  kubectl get configmap ${WHITELIST_CONFIGMAP} -n sidecarset-system -o yaml > whitelist.yaml
  sidecarset validate -f sidecarset.yaml --whitelist whitelist.yaml

  # A change to SidecarSets in a cluster, checked against what it holds now
  kubectl get sidecarsets -o yaml > current.yaml
  sidecarset validate -f sidecarset.yaml --current current.yaml

Exit status: 0 when every SidecarSet is valid, 1 when one is not or a file cannot be read.`;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function validateCommand(io: ValidateIo = { out: process.stdout, err: process.stderr }): Command {
  const cmd = new Command("validate")
    .description(
      "Check SidecarSet manifests as the validating webhook would, without a cluster. " +
        "Prints one line per problem: file: name: field.path: message.",
    )
    .option("-f, --filename <path>", "file or directory of YAML/JSON manifests, or - for stdin (repeatable)", collect, [])
    .option(
      "--whitelist <file>",
      `the patchPodMetadata whitelist: a JSON file, or the ConfigMap ${WHITELIST_CONFIGMAP} holding key ${WHITELIST_CONFIGMAP_KEY}`,
    )
    .option(
      "--allow-patch-pod-metadata-without-whitelist",
      "accept patchPodMetadata when no whitelist (or no rule for the SidecarSet) exists, as the manager flag does",
    )
    .option(
      "--current <path>",
      "the SidecarSets the cluster holds now (repeatable): one with the name of a given SidecarSet makes its check an update, the others are checked for conflicts",
      collect,
      [],
    )
    .addHelpText("after", EXAMPLES);
  cmd.action((flags: ValidateFlags) => {
    if (flags.filename.length === 0) cmd.error("error: required option '-f, --filename <path>' not specified");
    const report = runValidate(flags);
    for (const line of report.lines) io.out.write(`${line}\n`);
    io.err.write(`${report.summary}\n`);
    process.exitCode = report.exitCode;
  });
  return cmd;
}

interface Given {
  doc: SourceDocument;
  name: string;
  defaulted: unknown;
}

/** Reads, defaults and validates; returns what to print and the exit code. */
export function runValidate(flags: ValidateFlags): ValidateReport {
  const lines: string[] = [];
  const read = readAll(flags.filename, lines);
  const currentRead = readAll(flags.current ?? [], lines);
  const { docs } = read;
  const unreadable = read.unreadable + currentRead.unreadable;
  const whitelist = flags.whitelist === undefined ? undefined : readWhitelist(flags.whitelist);
  const sets = docs.filter((d) => isRecord(d.object) && d.object.kind === KIND);
  const skipped = docs.length - sets.length;
  const given: Given[] = sets.map((doc) => ({ doc, name: nameOf(doc), defaulted: defaultForOthers(doc.object) }));
  const current = currentSidecarSets(currentRead.docs, defaultForOthers);
  const existing = current.othersThan(new Set(given.map((g) => g.name)));
  const othersOf = (i: number, keep: (j: number) => boolean): unknown[] =>
    given.filter((_, j) => j !== i && keep(j)).map((o) => o.defaulted);
  const contextWith = (others: unknown[], name = ""): ValidationContext => ({
    ...updateOf(current.stored(name)),
    others: [...existing, ...others] as SidecarSet[],
    namespaces: (name) => ({ "kubernetes.io/metadata.name": name }),
    revisions: "unknown",
    whitelist,
    allowPatchPodMetadataWithoutWhitelist: flags.allowPatchPodMetadataWithoutWhitelist === true,
  });
  // Only SidecarSets the cluster would admit can conflict with others; an invalid one would not be there.
  const admissible = given.map(
    (g, i) =>
      validateWithDefaults(g.doc.object, contextWith(othersOf(i, () => true), g.name), defaultSidecarSet, { skipConflicts: true })
        .errors.length === 0,
  );

  let invalid = 0;
  let errorCount = 0;
  let warningCount = 0;
  given.forEach((g, i) => {
    const result = validateWithDefaults(g.doc.object, contextWith(othersOf(i, (j) => admissible[j] === true), g.name), defaultSidecarSet);
    const duplicate = g.name === "" ? undefined : given.slice(0, i).find((o) => o.name === g.name);
    if (duplicate) {
      result.warnings.push(
        `another SidecarSet named ${JSON.stringify(g.name)} is defined at ${duplicate.doc.file}:${duplicate.doc.line}; a cluster holds only one of them`,
      );
    }
    const label = g.name !== "" ? g.name : `(no name, line ${g.doc.line})`;
    for (const e of result.errors) lines.push(`${g.doc.file}: ${label}: ${formatFieldError(e)}`);
    for (const w of result.warnings) lines.push(`${g.doc.file}: ${label}: warning: ${w}`);
    if (result.errors.length > 0) invalid++;
    errorCount += result.errors.length;
    warningCount += result.warnings.length;
  });

  const summary = summarize(given.length, invalid, errorCount, warningCount, unreadable, skipped, flags.filename);
  const failed = invalid > 0 || unreadable > 0 || given.length === 0;
  return { lines, summary, exitCode: failed ? 1 : 0 };
}

function updateOf(stored: unknown): Pick<ValidationContext, "operation" | "oldObject"> {
  return stored === undefined ? { operation: "CREATE" } : { operation: "UPDATE", oldObject: stored as SidecarSet };
}

function readAll(paths: readonly string[], lines: string[]): { docs: SourceDocument[]; unreadable: number } {
  const docs: SourceDocument[] = [];
  let unreadable = 0;
  let files: string[] = [];
  for (const p of paths) {
    try {
      files = files.concat(expandPaths([p]));
    } catch (e) {
      lines.push(`${p}: cannot read: ${errorMessage(e)}`);
      unreadable++;
    }
  }
  for (const file of files) {
    try {
      docs.push(...parseDocuments(readText(file), file));
    } catch (e) {
      lines.push(e instanceof DocumentParseError ? e.message : `${file}: cannot read: ${errorMessage(e)}`);
      unreadable++;
    }
  }
  return { docs, unreadable };
}

/** The whitelist JSON from a file holding it, or from the ConfigMap that carries it (undefined: key missing). */
export function readWhitelist(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`cannot read whitelist ${file}: ${errorMessage(e)}`);
  }
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

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function summarize(
  checked: number,
  invalid: number,
  errors: number,
  warnings: number,
  unreadable: number,
  skipped: number,
  paths: readonly string[],
): string {
  const parts: string[] = [];
  if (checked === 0) parts.push(`no SidecarSet found in ${paths.join(", ")}`);
  else {
    parts.push(
      `${plural(checked, "SidecarSet")} checked: ${checked - invalid} valid, ${invalid} invalid (${plural(errors, "error")}, ${plural(warnings, "warning")})`,
    );
  }
  if (unreadable > 0) parts.push(`${plural(unreadable, "file")} could not be read`);
  if (skipped > 0) parts.push(`${plural(skipped, "other document")} skipped`);
  return parts.join("; ");
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
