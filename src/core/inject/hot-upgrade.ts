// Hot upgrade at injection (docs/behaviour.md §5.8): sidecar N becomes the pair N-1 (its
// image, working) and N-2 (the empty image, idle). Each learns its own version
// and its partner's through env vars backed by pod annotations.
import {
  HOT_UPGRADE_EMPTY_VERSION,
  HOT_UPGRADE_FIRST_VERSION,
  SIDECARSET_VERSION_ALT_ANNOTATION_PREFIX,
  SIDECARSET_VERSION_ALT_ENV,
  SIDECARSET_VERSION_ANNOTATION_PREFIX,
  SIDECARSET_VERSION_ENV,
} from "../../api/keys.js";
import type { Container, EnvVar } from "../../api/kube-types.js";
import { hotUpgradePairNames } from "../../api/sidecar-containers.js";
import { cloneJson } from "./clone.js";

function versionEnvs(podContainerName: string): EnvVar[] {
  return [
    {
      name: SIDECARSET_VERSION_ENV,
      valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${SIDECARSET_VERSION_ANNOTATION_PREFIX}${podContainerName}']` } },
    },
    {
      name: SIDECARSET_VERSION_ALT_ENV,
      valueFrom: {
        fieldRef: { fieldPath: `metadata.annotations['${SIDECARSET_VERSION_ALT_ANNOTATION_PREFIX}${podContainerName}']` },
      },
    },
  ];
}

/**
 * The pair for a fully built sidecar container. The idle one runs
 * `hotUpgradeEmptyImage`; without one it has no image, and the API server will
 * refuse the pod (validation warns about this).
 */
export function hotUpgradePair(built: Container, emptyImage: string | undefined): [Container, Container] {
  const [workingName, idleName] = hotUpgradePairNames(built.name);
  const working: Container = { ...built, name: workingName, env: [...(built.env ?? []), ...versionEnvs(workingName)] };
  // The idle copy is deep so that no object appears twice in the pod.
  const idle: Container = { ...cloneJson(built), name: idleName };
  idle.env = [...(idle.env ?? []), ...versionEnvs(idleName)];
  if (emptyImage) idle.image = emptyImage;
  else delete idle.image;
  return [working, idle];
}

/** The version annotations of a freshly injected pair: N-1 runs version 1, N-2 is empty. */
export function hotUpgradeVersionAnnotations(name: string): Record<string, string> {
  const [working, idle] = hotUpgradePairNames(name);
  return {
    [`${SIDECARSET_VERSION_ANNOTATION_PREFIX}${working}`]: HOT_UPGRADE_FIRST_VERSION,
    [`${SIDECARSET_VERSION_ALT_ANNOTATION_PREFIX}${working}`]: HOT_UPGRADE_EMPTY_VERSION,
    [`${SIDECARSET_VERSION_ANNOTATION_PREFIX}${idle}`]: HOT_UPGRADE_EMPTY_VERSION,
    [`${SIDECARSET_VERSION_ALT_ANNOTATION_PREFIX}${idle}`]: HOT_UPGRADE_FIRST_VERSION,
  };
}
