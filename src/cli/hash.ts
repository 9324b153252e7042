// `sidecarset hash`: the two SidecarSet hashes of manifests, exactly as given.
import { Command } from "commander";
import { sidecarSetHash, sidecarSetHashWithoutImage } from "../api/hash.js";
import { filenameOption, outputOption } from "./flags.js";
import { formatObjects, PROCESS_IO, renderTable, reportingInputErrors, type CommandIo } from "./output.js";
import { readSidecarSets } from "./sidecarsets.js";

type HashFormat = "table" | "json" | "yaml";

export interface HashRow {
  name: string;
  hash: string;
  hashWithoutImage: string;
}

export function hashCommand(io: CommandIo = PROCESS_IO): Command {
  return new Command("hash")
    .description(
      "Print the name, hash and hash-without-image of every SidecarSet, computed from the manifest exactly as " +
        "given (no defaulting). Pipe through `sidecarset defaults` first to get what the cluster stores.",
    )
    .addOption(filenameOption("SidecarSets"))
    .addOption(outputOption(["table", "json", "yaml"]))
    .addHelpText(
      "after",
      `
Example:
  sidecarset hash -f examples/log-agent/sidecarset.yaml
  sidecarset defaults -f sidecarset.yaml | sidecarset hash -f - -o json

Exit status: 0 on success, 1 when a file cannot be read, holds no SidecarSet, or a SidecarSet is
malformed (each problem is printed as file:line: name: field.path: message).`,
    )
    .action(
      reportingInputErrors(io, (opts: { filename: string[]; output: HashFormat }) => {
        const rows: HashRow[] = readSidecarSets(opts.filename).map(({ set }) => ({
          name: set.metadata.name ?? "",
          hash: sidecarSetHash(set),
          hashWithoutImage: sidecarSetHashWithoutImage(set),
        }));
        if (opts.output === "table") {
          io.out.write(renderTable([["NAME", "HASH", "HASH-WITHOUT-IMAGE"], ...rows.map((r) => [r.name, r.hash, r.hashWithoutImage])]));
        } else {
          io.out.write(formatObjects([rows], opts.output));
        }
      }),
    );
}
