// Reading manifests the way kubectl does: multi-document YAML or JSON, from
// files, directories or stdin. Every problem is one line that names the file
// (and the line): `a.yaml: no such file or directory`, `a.yaml:3: invalid YAML: …`.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { convertSidecarSet, servedVersionOf } from "../api/conversion.js";
import { isRecord } from "../api/is-record.js";
import { KIND, VERSION } from "../api/types.js";
import { V1BETA1 } from "../api/v1beta1/types.js";

export interface SourceDocument {
  /** The file it came from (`-` for stdin). */
  file: string;
  /** 1-based line where the document starts. */
  line: number;
  object: unknown;
  /** What reading it changed and the user should hear of (a field the API server would drop). */
  notes?: string[];
}

/** A file or directory that cannot be read; the message is one line. */
export class InputError extends Error {}

export class DocumentParseError extends InputError {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${file}:${line}: invalid YAML: ${detail}`);
  }
}

const REASONS: Record<string, string> = {
  ENOENT: "no such file or directory",
  ENOTDIR: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EISDIR: "is a directory",
};

/** `path: reason` for a failed read, without Node's `ENOENT: …, stat '…'` wording. */
function unreadable(path: string, e: unknown): InputError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const reason = (code && REASONS[code]) ?? `cannot read (${code ?? (e instanceof Error ? e.message : String(e))})`;
  return new InputError(`${path}: ${reason}`);
}

/** The one-line message of anything reading inputs throws. */
export function readErrorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** The message for inputs that hold nothing of what a command needs. */
export function nothingFound(what: string, paths: readonly string[]): string {
  return `no ${what} found in ${paths.join(", ")}`;
}

/**
 * The first line of a YAML parser message, without its trailing position
 * (` at line 3, column 5:`) that the `file:line:` prefix already gives.
 */
function parserDetail(message: string): string {
  const first = message.split("\n")[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, "").replace(/:$/, "");
}

const MANIFEST_EXTENSIONS = [".yaml", ".yml", ".json"];

/** Expands files and directories (YAML/JSON files, recursively, sorted by path). */
export function expandPaths(paths: readonly string[]): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      throw unreadable(dir, e);
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (MANIFEST_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) files.push(full);
    }
  };
  for (const p of paths) {
    if (p === "-") {
      files.push(p);
      continue;
    }
    let directory: boolean;
    try {
      directory = statSync(p).isDirectory();
    } catch (e) {
      throw unreadable(p, e);
    }
    if (directory) walk(p);
    else files.push(p);
  }
  return files;
}

export function readText(file: string): string {
  try {
    return file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
  } catch (e) {
    throw unreadable(file, e);
  }
}

/**
 * Parses every document of a YAML or JSON text. A `v1 List` (what `kubectl get
 * -o yaml` prints) and a top-level JSON array are flattened into their items;
 * empty documents are dropped. v1beta1 SidecarSets come back in their v1alpha1
 * form unless `asWritten` (for `sidecarset convert`).
 */
export function parseDocuments(text: string, file: string, opts: { asWritten?: boolean } = {}): SourceDocument[] {
  const out: SourceDocument[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0]?.line ?? 1;
      throw new DocumentParseError(file, line, parserDetail(err.message));
    }
    const line = lineOf(text, doc.range?.[0] ?? 0);
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) continue;
    for (const object of flattenLists(value)) out.push(opts.asWritten ? { file, line, object } : { file, line, ...v1alpha1Form(object) });
  }
  return out;
}

/** Reads every document from files, directories or `-` (stdin). */
export function readDocuments(paths: readonly string[]): SourceDocument[] {
  const out: SourceDocument[] = [];
  for (const file of expandPaths(paths)) out.push(...parseDocuments(readText(file), file));
  return out;
}

/**
 * A v1beta1 SidecarSet in its v1alpha1 form, the one every command works on
 * (as the webhooks see it). v1beta1 has no `spec.namespace`: the API server
 * drops it as an unknown field, so it is dropped here too,
 * with a note, and the SidecarSet is read with the scope the cluster would give it.
 */
function v1alpha1Form(object: unknown): { object: unknown; notes?: string[] } {
  if (!(isRecord(object) && object.kind === KIND && servedVersionOf(object.apiVersion) === V1BETA1)) return { object };
  const spec = isRecord(object.spec) ? object.spec : undefined;
  if (spec && spec.namespace !== undefined) {
    const { namespace, ...rest } = spec;
    const fix =
      typeof namespace === "string" && namespace !== ""
        ? `spec.namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ${namespace}}}`
        : "spec.namespaceSelector";
    return {
      object: convertSidecarSet({ ...object, spec: rest }, VERSION),
      notes: [
        `spec.namespace is not a field of ${String(object.apiVersion)}: the API server drops it (or refuses it, when the client asks for strict field validation as kubectl does), ` +
          `and the SidecarSet then selects pods in every namespace; to keep one namespace write ${fix}`,
      ],
    };
  }
  return { object: convertSidecarSet(object, VERSION) };
}

function flattenLists(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.flatMap(flattenLists);
  if (isRecord(value) && typeof value.kind === "string" && value.kind.endsWith("List") && Array.isArray(value.items)) {
    return value.items.flatMap(flattenLists);
  }
  return [value];
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

