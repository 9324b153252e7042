// shareVolumePolicy / shareVolumeDevicePolicy (docs/behaviour.md §5.6 steps 2, 5, 7): a
// sidecar that shares volumes sees every mount (and device) of the pod's app
// containers, plus the env vars those mounts' `subPathExpr` refer to.
import { IS_INJECTED_ENV } from "../../api/keys.js";
import type { Container, EnvVar, Pod, VolumeDevice, VolumeMount } from "../../api/kube-types.js";

/** A container that a SidecarSet injected earlier (its first `IS_INJECTED` env is "true"). */
export function isInjectedContainer(c: Container): boolean {
  const env = c.env?.find((e) => e.name === IS_INJECTED_ENV);
  return env?.value === "true";
}

export interface AppVolumeMounts {
  /** Every volumeMount of the app containers, in container then mount order. */
  mounts: VolumeMount[];
  /** For each `$(NAME)` in those mounts' subPathExpr, the defining container's env var NAME. */
  envs: EnvVar[];
}

const SUBPATH_EXPR_VAR = /\$\(([-._a-zA-Z][-._a-zA-Z0-9]*)\)/g;

/** What a share-enabled sidecar takes from `pod.spec.containers` (never from initContainers). */
export function appVolumeMounts(pod: Pod): AppVolumeMounts {
  const mounts: VolumeMount[] = [];
  const envs: EnvVar[] = [];
  for (const c of pod.spec?.containers ?? []) {
    if (isInjectedContainer(c)) continue;
    for (const mount of c.volumeMounts ?? []) {
      mounts.push(mount);
      if (!mount.subPathExpr) continue;
      for (const m of mount.subPathExpr.matchAll(SUBPATH_EXPR_VAR)) {
        const env = c.env?.find((e) => e.name === m[1]);
        if (env) envs.push(env);
      }
    }
  }
  return { mounts, envs };
}

/** Every volumeDevice of the app containers, in container then device order. */
export function appVolumeDevices(pod: Pod): VolumeDevice[] {
  const devices: VolumeDevice[] = [];
  for (const c of pod.spec?.containers ?? []) {
    if (isInjectedContainer(c)) continue;
    for (const d of c.volumeDevices ?? []) devices.push(d);
  }
  return devices;
}

/**
 * The sidecar's own mounts, then each shared mount whose mountPath is not yet
 * used by an own mount, an own devicePath or an earlier shared mount.
 */
export function mergeVolumeMounts(
  own: readonly VolumeMount[],
  ownDevices: readonly VolumeDevice[],
  shared: readonly VolumeMount[],
): VolumeMount[] {
  const out = [...own];
  if (shared.length === 0) return out;
  const used = new Set<string>();
  for (const m of own) used.add(m.mountPath);
  for (const d of ownDevices) used.add(d.devicePath);
  for (const m of shared) {
    if (used.has(m.mountPath)) continue;
    used.add(m.mountPath);
    out.push(m);
  }
  return out;
}

/**
 * The sidecar's own devices, then each shared device whose devicePath is not
 * yet a devicePath or mountPath of the sidecar.
 */
export function mergeVolumeDevices(
  own: readonly VolumeDevice[],
  mounts: readonly VolumeMount[],
  shared: readonly VolumeDevice[],
): VolumeDevice[] {
  const out = [...own];
  if (shared.length === 0) return out;
  const used = new Set<string>();
  for (const d of own) used.add(d.devicePath);
  for (const m of mounts) used.add(m.mountPath);
  for (const d of shared) {
    if (used.has(d.devicePath)) continue;
    used.add(d.devicePath);
    out.push(d);
  }
  return out;
}
