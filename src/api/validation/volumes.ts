// spec.volumes (docs/behaviour.md §4.3): each volume has a DNS-1123 label name, unique,
// and exactly one source, itself valid.
import type { Volume } from "../kube-types.js";
import type { Findings } from "./findings.js";
import { KUBE_TYPES } from "./kube-schema.js";
import { childPath, indexPath } from "./paths.js";
import { checkDns1123Label } from "./syntax.js";
import { validateVolumeSource } from "./volume-sources.js";

const SOURCE_KINDS = Object.keys(KUBE_TYPES.Volume ?? {}).filter((k) => k !== "name");

/** The kinds of source a volume sets (`emptyDir`, `secret`, …). */
export function volumeSourceKinds(v: Volume): string[] {
  const rec = v as Record<string, unknown>;
  return SOURCE_KINDS.filter((k) => rec[k] !== undefined);
}

/** Validates spec.volumes and returns them by name, for the containers' mounts. */
export function validateVolumes(volumes: readonly (Volume | null)[] | undefined, f: Findings): Map<string, Volume> {
  const byName = new Map<string, Volume>();
  const firstIndex = new Map<string, number>();
  (volumes ?? []).forEach((v, i) => {
    if (!v) return;
    const p = indexPath("spec.volumes", i);
    const name = v.name ?? "";
    if (name === "") f.error(childPath(p, "name"), "must be set");
    else {
      const bad = checkDns1123Label(name, "volume name");
      if (bad) f.error(childPath(p, "name"), bad);
      const first = firstIndex.get(name);
      if (first !== undefined) {
        f.error(childPath(p, "name"), `${JSON.stringify(name)} is already used by spec.volumes[${first}]; volume names must be unique`);
      } else {
        firstIndex.set(name, i);
        byName.set(name, v);
      }
    }
    const kinds = volumeSourceKinds(v);
    if (kinds.length === 0) {
      if (!f.hasShapeErrorWithin(p)) f.error(p, "has no source; set one such as emptyDir, configMap, secret, hostPath or persistentVolumeClaim");
    } else if (kinds.length > 1) {
      f.error(p, `sets ${kinds.join(" and ")}; a volume has exactly one source`);
    }
    for (const kind of kinds) {
      validateVolumeSource(kind, (v as Record<string, unknown>)[kind] as Record<string, unknown>, childPath(p, kind), f);
    }
  });
  return byName;
}
