// `sidecarset defaults`: what the defaulting webhook would store, offline.
import { Command } from "commander";
import { defaultSidecarSet } from "../api/defaults.js";
import { filenameOption, outputOption } from "./flags.js";
import { formatObjects, OBJECT_FORMATS, PROCESS_IO, reportingInputErrors, type CommandIo, type ObjectFormat } from "./output.js";
import { readSidecarSets } from "./sidecarsets.js";

export function defaultsCommand(io: CommandIo = PROCESS_IO): Command {
  return new Command("defaults")
    .description(
      "Print SidecarSets as the defaulting webhook stores them: every default filled in and the " +
        "kruise.io/sidecarset-hash and -hash-without-image annotations computed. Other kinds are skipped.",
    )
    .addOption(filenameOption("SidecarSets"))
    .addOption(outputOption(OBJECT_FORMATS))
    .addHelpText(
      "after",
      `
Example:
  sidecarset defaults -f examples/log-agent/sidecarset.yaml
  kubectl get sidecarset log-agent -o yaml | sidecarset defaults -f - -o json

Exit status: 0 on success, 1 when a file cannot be read, holds no SidecarSet, or a SidecarSet is
malformed (each problem is printed as file:line: name: field.path: message).`,
    )
    .action(
      reportingInputErrors(io, (opts: { filename: string[]; output: ObjectFormat }) => {
        const sets = readSidecarSets(opts.filename);
        io.out.write(formatObjects(sets.map((s) => defaultSidecarSet(s.set)), opts.output));
      }),
    );
}
