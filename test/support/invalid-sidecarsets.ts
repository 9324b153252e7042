// The corpus of invalid SidecarSets (test/fixtures/invalid-sidecarsets), read
// the same way by the unit test that runs `sidecarset validate` over it and by
// the end-to-end test that submits it to the API server.
//
// A case is one file: a comment header naming what is wrong, the field path
// every rejection must carry and a fragment of its message, then YAML
// documents. All documents but the last are SidecarSets the cluster already
// holds; the last is the one submitted — an update when one of the others has
// its name.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { runValidate } from "../../src/cli/validate.js";

export const CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/invalid-sidecarsets");

export interface InvalidCase {
  /** The file name without `.yaml`. */
  id: string;
  file: string;
  /** What is wrong, in words. */
  title: string;
  /** The field path of the expected rejection, e.g. `spec.updateStrategy.partition`. */
  path: string;
  /** A fragment the rejection's message contains, wherever it comes from. */
  message: string;
  /** The SidecarSets the cluster holds before, in creation order, and the YAML of each. */
  existing: { object: Record<string, unknown>; yaml: string }[];
  submitted: { object: Record<string, unknown>; yaml: string };
}

const HEADER = /^# (path|message): (.*)$/;

export function loadInvalidCases(dir = CORPUS_DIR): InvalidCase[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => readCase(join(dir, f), f.slice(0, -".yaml".length)));
}

function readCase(file: string, id: string): InvalidCase {
  const text = readFileSync(file, "utf8");
  const [header = "", ...parts] = text.split(/^---\n/m);
  const fields = new Map<string, string>();
  const headerLines = header.split("\n");
  for (const line of headerLines) {
    const m = HEADER.exec(line);
    if (m) fields.set(m[1]!, m[2]!);
  }
  const title = (headerLines[0] ?? "").replace(/^# /, "").replace(/\.$/, "");
  const path = fields.get("path");
  const message = fields.get("message");
  if (!path || !message) throw new Error(`${file}: the header must carry "# path: …" and "# message: …"`);
  const docs = parts.map((yaml) => ({ yaml, object: parseOne(yaml, file) }));
  const submitted = docs.pop();
  if (!submitted) throw new Error(`${file}: no SidecarSet after the header`);
  return { id, file, title, path, message, existing: docs, submitted };
}

function parseOne(yaml: string, file: string): Record<string, unknown> {
  const [doc] = parseAllDocuments(yaml);
  if (!doc || doc.errors.length > 0) throw new Error(`${file}: ${doc?.errors[0]?.message ?? "empty document"}`);
  return doc.toJS({ maxAliasCount: 1000 }) as Record<string, unknown>;
}

/** The name of a case's submitted SidecarSet ("" when it has only a generateName). */
export function submittedName(c: InvalidCase): string {
  const meta = c.submitted.object.metadata as { name?: unknown } | undefined;
  return typeof meta?.name === "string" ? meta.name : "";
}

export interface ValidateAnswer {
  exitCode: number;
  /** `path: message` of each error about the submitted SidecarSet, as `sidecarset validate` prints them (warnings left out). */
  findings: string[];
  /** The distinct field paths of `findings`, sorted. */
  fields: string[];
  /** Everything printed, for failure messages. */
  lines: string[];
}

/**
 * Runs `sidecarset validate` (its function) on a case: the submitted
 * SidecarSet with `-f`, the ones the cluster holds with `--current`, each
 * written to a file under `dir`.
 */
export function validateCase(c: InvalidCase, dir: string): ValidateAnswer {
  const submitted = join(dir, `${c.id}.yaml`);
  writeFileSync(submitted, c.submitted.yaml);
  const current = c.existing.map((e, i) => {
    const path = join(dir, `${c.id}.current-${i}.yaml`);
    writeFileSync(path, e.yaml);
    return path;
  });
  const report = runValidate({ filename: [submitted], current });
  // Lines read `file: name: path: message`; a name never contains ": ".
  const prefix = `${submitted}: `;
  const findings = report.lines
    .filter((l) => l.startsWith(prefix))
    .map((l) => l.slice(prefix.length).split(": ").slice(1).join(": "))
    .filter((l) => !l.startsWith("warning: "));
  const fields = [...new Set(findings.map((l) => l.split(": ")[0]!))].sort();
  return { exitCode: report.exitCode, findings, fields, lines: report.lines };
}
