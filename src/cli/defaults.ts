// `sidecarset defaults`: what the defaulting webhook would store, offline.
import { Command, Option } from "commander";
import { stringify } from "yaml";
import { defaultSidecarSet } from "../api/defaults.js";
import { KIND, type SidecarSet } from "../api/types.js";
import { isRecord, readDocuments } from "./documents.js";

/** SidecarSets found in files, directories or stdin; other kinds are skipped. */
export type SidecarSetRead = { ok: true; sets: SidecarSet[] } | { ok: false; error: string };

export function readSidecarSets(paths: readonly string[]): SidecarSetRead {
  let docs;
  try {
    docs = readDocuments(paths);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ENOENT" && err.path !== undefined) return { ok: false, error: `${err.path}: no such file or directory` };
    return { ok: false, error: err instanceof Error ? err.message : String(e) };
  }
  const sets: SidecarSet[] = [];
  for (const { object } of docs) {
    if (!isRecord(object) || object.kind !== KIND) continue;
    sets.push({
      ...object,
      metadata: isRecord(object.metadata) ? object.metadata : {},
      spec: isRecord(object.spec) ? object.spec : {},
    } as SidecarSet);
  }
  return { ok: true, sets };
}

export function formatObjects(objects: readonly object[], output: "yaml" | "json"): string {
  if (output === "json") {
    const value = objects.length === 1 ? objects[0] : { apiVersion: "v1", kind: "List", items: objects };
    return `${JSON.stringify(value, null, 2)}\n`;
  }
  return objects.map((o) => stringify(o, { lineWidth: 0 })).join("---\n");
}

export function defaultsCommand(): Command {
  return new Command("defaults")
    .description(
      "Print SidecarSets as the defaulting webhook stores them: every default filled in and the " +
        "kruise.io/sidecarset-hash and -hash-without-image annotations computed. Other kinds are skipped.",
    )
    .requiredOption("-f, --filename <paths...>", "YAML/JSON files or directories to read, - for stdin")
    .addOption(new Option("-o, --output <format>", "output format").choices(["yaml", "json"]).default("yaml"))
    .addHelpText(
      "after",
      `
Example:
  sidecarset defaults -f examples/log-agent/sidecarset.yaml
  kubectl get sidecarset log-agent -o yaml | sidecarset defaults -f - -o json`,
    )
    .action((opts: { filename: string[]; output: "yaml" | "json" }) => {
      const read = readSidecarSets(opts.filename);
      if (!read.ok) {
        process.stderr.write(`${read.error}\n`);
        process.exitCode = 1;
        return;
      }
      if (read.sets.length === 0) return;
      process.stdout.write(formatObjects(read.sets.map(defaultSidecarSet), opts.output));
    });
}
