// metadata.ownerReferences as the API server checks them on every object:
// each reference names an owner completely (version, kind, name, uid), at
// most one is the controller, and an Event owns nothing. Paths and sentences
// are the API server's (its paths carry no index), followed by the fix.
import type { ObjectMeta } from "../kube-types.js";
import type { Findings } from "./findings.js";

const PATH = "metadata.ownerReferences";

type OwnerReference = NonNullable<ObjectMeta["ownerReferences"]>[number];

export function validateOwnerReferences(refs: readonly (OwnerReference | null | undefined)[] | undefined, f: Findings): void {
  let controller: string | undefined;
  for (const ref of refs ?? []) {
    if (!ref) continue;
    const apiVersion = ref.apiVersion ?? "";
    if (versionOf(apiVersion) === "") {
      f.error(`${PATH}.apiVersion`, `${JSON.stringify(apiVersion)}: version must not be empty; give the owner's apiVersion, e.g. "apps/v1"`);
    }
    for (const field of ["kind", "name", "uid"] as const) {
      if (!ref[field]) f.error(`${PATH}.${field}`, `${JSON.stringify(ref[field] ?? "")}: must not be empty; give the owner's ${field}`);
    }
    if (versionOf(apiVersion) === "v1" && groupOf(apiVersion) === "" && ref.kind === "Event") {
      f.error(PATH, `/v1, Kind=Event is disallowed from being an owner; remove that reference`);
    }
    if (ref.controller === true) {
      const current = `${ref.kind ?? ""}/${ref.name ?? ""}`;
      if (controller === undefined) controller = current;
      else {
        f.error(
          PATH,
          `Only one reference can have Controller set to true. Found "true" in references for ${controller} and ${current}; keep controller: true on one of them`,
        );
      }
    }
  }
}

/** The version of `group/version` or `version`; "" when there is none (as Kubernetes parses it). */
function versionOf(apiVersion: string): string {
  const parts = apiVersion.split("/");
  if (parts.length === 1) return parts[0]!;
  return parts.length === 2 ? parts[1]! : "";
}

function groupOf(apiVersion: string): string {
  const parts = apiVersion.split("/");
  return parts.length === 2 ? parts[0]! : "";
}
