// `sidecarset convert`: rewrites SidecarSet manifests from one served version
// to the other, as the API server's conversion does. Other documents pass
// through unchanged, so a file that also holds a Deployment stays whole.
import { Command, Option } from "commander";
import { conversionProblem, convertSidecarSet, SERVED_VERSIONS, type ServedVersion } from "../api/conversion.js";
import { KIND } from "../api/types.js";
import { formatObjects } from "./defaults.js";
import { isRecord, readDocuments, type SourceDocument } from "./documents.js";

export function convertCommand(): Command {
  return new Command("convert")
    .description(
      "Print manifests with every SidecarSet converted to apps.kruise.io/<version>: v1alpha1 spec.namespace becomes a " +
        "namespaceSelector on kubernetes.io/metadata.name, and the apps.kruise.io/sidecarset-custom-version label and " +
        "v1beta1 spec.customVersion trade places. Other fields and other kinds are kept; comments are not.",
    )
    .requiredOption("-f, --filename <paths...>", "YAML/JSON files or directories to read, - for stdin")
    .addOption(new Option("--to <version>", "version to convert to").choices([...SERVED_VERSIONS]).makeOptionMandatory())
    .addOption(new Option("-o, --output <format>", "output format").choices(["yaml", "json"]).default("yaml"))
    .addHelpText(
      "after",
      `
Example:
  sidecarset convert -f examples/log-agent/sidecarset.yaml --to v1beta1
  kubectl get sidecarset log-agent -o yaml | sidecarset convert -f - --to v1alpha1`,
    )
    .action((opts: { filename: string[]; to: ServedVersion; output: "yaml" | "json" }) => {
      let docs: SourceDocument[];
      try {
        docs = readDocuments(opts.filename);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        process.stderr.write(`${err.code === "ENOENT" && err.path !== undefined ? `${err.path}: no such file or directory` : err.message}\n`);
        process.exitCode = 1;
        return;
      }
      const out: object[] = [];
      for (const doc of docs) {
        if (!isRecord(doc.object) || doc.object.kind !== KIND) {
          out.push(doc.object as object);
          continue;
        }
        const problem = conversionProblem(doc.object);
        if (problem) {
          process.stderr.write(`${doc.file}:${doc.line}: ${problem}\n`);
          process.exitCode = 1;
          return;
        }
        out.push(convertSidecarSet(doc.object, opts.to));
      }
      process.stdout.write(formatObjects(out, opts.output));
    });
}
