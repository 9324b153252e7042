// `sidecarset version`: what is running — the package version, the API it
// serves (read from the CRD it installs, so it cannot drift from it) and how
// it was built.
import { Command } from "commander";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { sidecarSetCRD } from "../manifests/crd.js";
import { packageVersion } from "../manifests/options.js";
import { outputOption } from "./flags.js";
import { formatObjects, PROCESS_IO, type CommandIo } from "./output.js";

export interface VersionInfo {
  version: string;
  /** `group/version` of every SidecarSet version the CRD serves. */
  servedApiVersions: string[];
  build: { runtime: string; platform: string; from: "compiled" | "sources" };
}

export function versionInfo(): VersionInfo {
  const crd = sidecarSetCRD() as unknown as { spec: { group: string; versions: { name: string; served: boolean }[] } };
  const here = dirname(fileURLToPath(import.meta.url));
  return {
    version: packageVersion(),
    servedApiVersions: crd.spec.versions.filter((v) => v.served).map((v) => `${crd.spec.group}/${v.name}`),
    build: {
      runtime: `Node.js ${process.version}`,
      platform: `${process.platform}/${process.arch}`,
      // The compiled package runs from dist/cli; a checkout runs this file from src/cli through tsx.
      from: existsSync(join(here, "main.ts")) ? "sources" : "compiled",
    },
  };
}

export function versionText(v: VersionInfo, name: string): string {
  return [
    `${name} ${v.version}`,
    `serves: ${v.servedApiVersions.map((a) => `${a} SidecarSet`).join(", ")}`,
    `build: ${v.build.from === "compiled" ? "compiled package" : "TypeScript sources"}, ${v.build.runtime} ${v.build.platform}`,
  ].join("\n") + "\n";
}

export function versionCommand(name = "sidecarset", io: CommandIo = PROCESS_IO): Command {
  return new Command("version")
    .description("Print the version, the SidecarSet API versions served and how this build runs.")
    .addOption(outputOption(["text", "json", "yaml"]))
    .action((flags: { output: "text" | "json" | "yaml" }) => {
      const v = versionInfo();
      io.out.write(flags.output === "text" ? versionText(v, name) : formatObjects([v], flags.output));
    });
}
