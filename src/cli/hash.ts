// `sidecarset hash`: the two SidecarSet hashes of manifests, exactly as given.
import { Command } from "commander";
import { sidecarSetHash, sidecarSetHashWithoutImage } from "../api/hash.js";
import { readSidecarSets } from "./defaults.js";

export function hashCommand(): Command {
  return new Command("hash")
    .description(
      "Print `name hash hash-without-image` for every SidecarSet, computed from the manifest exactly as " +
        "given (no defaulting). Pipe through `sidecarset defaults` first to get what the cluster stores.",
    )
    .requiredOption("-f, --filename <paths...>", "YAML/JSON files or directories to read, - for stdin")
    .addHelpText(
      "after",
      `
Example:
  sidecarset hash -f examples/log-agent/sidecarset.yaml
  sidecarset defaults -f sidecarset.yaml | sidecarset hash -f -`,
    )
    .action((opts: { filename: string[] }) => {
      const read = readSidecarSets(opts.filename);
      if (!read.ok) {
        process.stderr.write(`${read.error}\n`);
        process.exitCode = 1;
        return;
      }
      let out = "";
      for (const set of read.sets) {
        out += `${set.metadata.name ?? ""} ${sidecarSetHash(set)} ${sidecarSetHashWithoutImage(set)}\n`;
      }
      process.stdout.write(out);
    });
}
