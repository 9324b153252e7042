// How every command prints objects: YAML that kubectl reads back unchanged,
// or JSON — one object as itself, several as a v1 List, as kubectl prints them.
import { toYamlDocuments } from "../api/yaml.js";
import { InputError } from "./documents.js";

export interface Output {
  write(text: string): unknown;
}

export interface CommandIo {
  out: Output;
  err: Output;
}

export const PROCESS_IO: CommandIo = { out: process.stdout, err: process.stderr };

export type ObjectFormat = "yaml" | "json";
export const OBJECT_FORMATS: readonly ObjectFormat[] = ["yaml", "json"];

export function formatObjects(objects: readonly unknown[], format: ObjectFormat): string {
  if (objects.length === 0) return "";
  if (format === "json") {
    const value = objects.length === 1 ? objects[0] : { apiVersion: "v1", kind: "List", items: objects };
    return `${JSON.stringify(value, null, 2)}\n`;
  }
  return toYamlDocuments(objects);
}

/** Columns padded to their widest cell, two spaces apart, as kubectl prints tables. */
export function renderTable(rows: readonly string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()).join("\n") + "\n";
}

/** `1 file`, `2 files`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * Runs a command's work; a problem with its input (InputError: a missing file,
 * invalid YAML, no SidecarSet, a malformed one) is printed as is on stderr with
 * exit status 1, the same way in every command.
 */
export function reportingInputErrors<A extends unknown[]>(io: CommandIo, work: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    try {
      work(...args);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      io.err.write(`${e.message}\n`);
      process.exitCode = 1;
    }
  };
}
