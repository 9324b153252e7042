// The options several commands share, declared once so that the same thing
// has the same flag, spelling and help everywhere.
import { InvalidArgumentError, Option, type Command } from "commander";
import { WHITELIST_CONFIGMAP, WHITELIST_CONFIGMAP_KEY } from "../api/keys.js";
import { readRfc3339 } from "../api/rfc3339.js";

/** `-f a.yaml b/ -f -`: variadic and repeatable; files, directories or stdin. */
export function filenameOption(what: string, opts: { optional?: boolean } = {}): Option {
  const option = new Option("-f, --filename <paths...>", `${what}: YAML/JSON files or directories, - for stdin (repeatable)`);
  return opts.optional ? option : option.makeOptionMandatory();
}

/**
 * `--sidecarsets`: where the SidecarSets come from, in every command that
 * reads them besides its -f; `--sidecarset`, the spelling older releases used,
 * is still accepted but no longer shown.
 */
export function addSidecarSetsOptions(cmd: Command, what: string): Command {
  return cmd
    .addOption(new Option("--sidecarsets <paths...>", `${what}: YAML/JSON files or directories (repeatable)`))
    .addOption(new Option("--sidecarset <paths...>").hideHelp());
}

export interface SidecarSetsFlags {
  sidecarsets?: string[];
  sidecarset?: string[];
}

/** The SidecarSet paths given with either spelling; none is a usage error naming the flag. */
export function requiredSidecarSets(cmd: Command, flags: SidecarSetsFlags): string[] {
  const paths = [...(flags.sidecarsets ?? []), ...(flags.sidecarset ?? [])];
  if (paths.length === 0) cmd.error("error: required option '--sidecarsets <paths...>' not specified");
  return paths;
}

/** `-n`: as kubectl's, the namespace of objects that do not name one. */
export function namespaceOption(what: string): Option {
  return new Option("-n, --namespace <namespace>", `${what} (default: default)`);
}

/** `-o`: the formats a command prints, the first being the default. */
export function outputOption(formats: readonly string[]): Option {
  return new Option("-o, --output <format>", "output format").choices([...formats]).default(formats[0]);
}

/** How patchPodMetadata is judged offline, as the manager's ConfigMap and flag judge it. */
export function validationOptions(): Option[] {
  return [
    new Option(
      "--whitelist <file>",
      `the patchPodMetadata whitelist: a JSON file, or the ConfigMap ${WHITELIST_CONFIGMAP} holding key ${WHITELIST_CONFIGMAP_KEY}`,
    ),
    new Option(
      "--allow-patch-pod-metadata-without-whitelist",
      "accept patchPodMetadata when no whitelist (or no rule for the SidecarSet) exists, as the manager flag does",
    ),
    nativeSidecarOption(),
  ];
}

/** The manager's `--native-sidecar-in-place-upgrade`, for commands that judge or plan offline as it would. */
export function nativeSidecarOption(): Option {
  return new Option(
    "--native-sidecar-in-place-upgrade",
    "as the manager flag does: native sidecars (initContainers with restartPolicy: Always) may be RollingUpdate and are upgraded in place",
  );
}

/** `--pods`: the pods a rollout command plans or simulates over. */
export function podsOption(what: string): Option {
  return new Option("--pods <paths...>", `${what} (repeatable)`);
}

export function parseRfc3339(value: string): Date {
  const ms = readRfc3339(value);
  if (ms === undefined) {
    throw new InvalidArgumentError(`"${value}" is not an RFC 3339 time like 2026-01-02T03:04:05Z`);
  }
  return new Date(ms);
}

/** `--now`: commands that decide by the clock take the time as an argument, for reproducible output. */
export function nowOption(what: string): Option {
  return new Option("--now <time>", `${what}, RFC 3339 (default: now)`).argParser(parseRfc3339);
}
