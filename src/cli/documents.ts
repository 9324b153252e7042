// Reading manifests the way kubectl does: multi-document YAML or JSON, from
// files, directories or stdin, with parse errors that name the file and line.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

export interface SourceDocument {
  /** The file it came from (`-` for stdin). */
  file: string;
  /** 1-based line where the document starts. */
  line: number;
  object: unknown;
}

export class DocumentParseError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
  }
}

const MANIFEST_EXTENSIONS = [".yaml", ".yml", ".json"];

/** Expands files and directories (YAML/JSON files, recursively, sorted by path). */
export function expandPaths(paths: readonly string[]): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (MANIFEST_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) files.push(full);
    }
  };
  for (const p of paths) {
    if (p === "-") files.push(p);
    else if (statSync(p).isDirectory()) walk(p);
    else files.push(p);
  }
  return files;
}

export function readText(file: string): string {
  return file === "-" ? readFileSync(0, "utf8") : readFileSync(file, "utf8");
}

/**
 * Parses every document of a YAML or JSON text. A `v1 List` (what `kubectl get
 * -o yaml` prints) and a top-level JSON array are flattened into their items;
 * empty documents are dropped.
 */
export function parseDocuments(text: string, file: string): SourceDocument[] {
  const out: SourceDocument[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0]?.line ?? 1;
      throw new DocumentParseError(file, line, err.message.split("\n")[0] ?? err.message);
    }
    const line = lineOf(text, doc.range?.[0] ?? 0);
    const value: unknown = doc.toJS({ maxAliasCount: 1000 });
    if (value === null || value === undefined) continue;
    for (const object of flattenLists(value)) out.push({ file, line, object });
  }
  return out;
}

/** Reads every document from files, directories or `-` (stdin). */
export function readDocuments(paths: readonly string[]): SourceDocument[] {
  const out: SourceDocument[] = [];
  for (const file of expandPaths(paths)) out.push(...parseDocuments(readText(file), file));
  return out;
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

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
