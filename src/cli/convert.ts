// `sidecarset convert`: rewrites SidecarSet manifests from one served version
// to the other, as the API server's conversion does. Other documents pass
// through unchanged, so a file that also holds a Deployment stays whole.
import { Command, Option } from "commander";
import { conversionProblem, convertSidecarSet, SERVED_VERSIONS, type ServedVersion } from "../api/conversion.js";
import { isRecord } from "../api/is-record.js";
import { KIND } from "../api/types.js";
import { expandPaths, InputError, parseDocuments, readText } from "./documents.js";
import { filenameOption, outputOption } from "./flags.js";
import { formatObjects, OBJECT_FORMATS, PROCESS_IO, reportingInputErrors, type CommandIo, type ObjectFormat } from "./output.js";

export function convertCommand(io: CommandIo = PROCESS_IO): Command {
  return new Command("convert")
    .description(
      "Print manifests with every SidecarSet converted to apps.kruise.io/<version>: v1alpha1 spec.namespace becomes a " +
        "namespaceSelector on kubernetes.io/metadata.name, and the apps.kruise.io/sidecarset-custom-version label and " +
        "v1beta1 spec.customVersion trade places. Other fields and other kinds are kept; comments are not.",
    )
    .addOption(filenameOption("manifests"))
    .addOption(new Option("--to <version>", "version to convert to").choices([...SERVED_VERSIONS]).makeOptionMandatory())
    .addOption(outputOption(OBJECT_FORMATS))
    .addHelpText(
      "after",
      `
Example:
  sidecarset convert -f examples/log-agent/sidecarset.yaml --to v1beta1
  kubectl get sidecarset log-agent -o yaml | sidecarset convert -f - --to v1alpha1

Exit status: 0 on success, 1 when a file cannot be read or a SidecarSet is of a version that is not served.`,
    )
    .action(
      reportingInputErrors(io, (opts: { filename: string[]; to: ServedVersion; output: ObjectFormat }) => {
        const docs = expandPaths(opts.filename).flatMap((file) => parseDocuments(readText(file), file, { asWritten: true }));
        const out = docs.map((doc) => {
          if (!isRecord(doc.object) || doc.object.kind !== KIND) return doc.object;
          const problem = conversionProblem(doc.object);
          if (problem) throw new InputError(`${doc.file}:${doc.line}: ${problem}`);
          return convertSidecarSet(doc.object, opts.to);
        });
        io.out.write(formatObjects(out, opts.output));
      }),
    );
}
