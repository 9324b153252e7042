// volumeMounts and volumeDevices of a container (docs/behaviour.md §4.3): they must name
// volumes of spec.volumes, paths are unique, and a path or volume used as a
// mount cannot also be a device.
import type { Container, Volume } from "../kube-types.js";
import type { Findings } from "./findings.js";
import { childPath, indexPath } from "./paths.js";
import { checkRelativePath } from "./syntax.js";

export function validateMountsAndDevices(c: Container, path: string, volumes: Map<string, Volume>, f: Findings): void {
  const mounts = (c.volumeMounts ?? []).filter((m): m is NonNullable<typeof m> => !!m);
  const devices = (c.volumeDevices ?? []).filter((d): d is NonNullable<typeof d> => !!d);
  const deviceNames = new Set(devices.map((d) => d.name).filter(Boolean));
  const devicePaths = new Set(devices.map((d) => d.devicePath).filter(Boolean));
  const mountNames = new Set(mounts.map((m) => m.name).filter(Boolean));
  const mountPaths = new Set(mounts.map((m) => m.mountPath).filter(Boolean));
  const privileged = c.securityContext?.privileged === true;

  const mountsPath = childPath(path, "volumeMounts");
  const seenMountPaths = new Map<string, number>();
  (c.volumeMounts ?? []).forEach((m, i) => {
    if (!m) return;
    const p = indexPath(mountsPath, i);
    if (!m.name) f.error(childPath(p, "name"), "must be set to the name of a volume in spec.volumes");
    else if (!volumes.has(m.name)) f.error(childPath(p, "name"), `${JSON.stringify(m.name)} is not a volume of spec.volumes; add it there or fix the name`);
    if (m.name && deviceNames.has(m.name)) f.error(childPath(p, "name"), `${JSON.stringify(m.name)} is also used in volumeDevices; a volume is either mounted or a device`);
    if (!m.mountPath) f.error(childPath(p, "mountPath"), "must be set");
    else {
      const first = seenMountPaths.get(m.mountPath);
      if (first !== undefined) f.error(childPath(p, "mountPath"), `${JSON.stringify(m.mountPath)} is already mounted by volumeMounts[${first}]; mount paths must be unique`);
      else seenMountPaths.set(m.mountPath, i);
      if (devicePaths.has(m.mountPath)) f.error(childPath(p, "mountPath"), `${JSON.stringify(m.mountPath)} is also a devicePath in volumeDevices; use another path`);
    }
    if (m.subPath) {
      const bad = checkRelativePath(m.subPath);
      if (bad) f.error(childPath(p, "subPath"), bad);
    }
    if (m.subPathExpr) {
      if (m.subPath) f.error(childPath(p, "subPathExpr"), "cannot be combined with subPath; use one of them");
      const bad = checkRelativePath(m.subPathExpr);
      if (bad) f.error(childPath(p, "subPathExpr"), bad);
    }
    if (m.mountPropagation === "Bidirectional" && !privileged) {
      f.error(childPath(p, "mountPropagation"), "Bidirectional is only available to privileged containers; set securityContext.privileged: true or use HostToContainer");
    }
    if (m.recursiveReadOnly === "Enabled" || m.recursiveReadOnly === "IfPossible") {
      if (!m.readOnly) f.error(childPath(p, "recursiveReadOnly"), `${m.recursiveReadOnly} needs readOnly: true`);
      if (m.mountPropagation && m.mountPropagation !== "None") {
        f.error(childPath(p, "recursiveReadOnly"), `${m.recursiveReadOnly} needs mountPropagation None (or unset)`);
      }
    }
  });

  const devicesPath = childPath(path, "volumeDevices");
  const seenDeviceNames = new Map<string, number>();
  const seenDevicePaths = new Map<string, number>();
  (c.volumeDevices ?? []).forEach((d, i) => {
    if (!d) return;
    const p = indexPath(devicesPath, i);
    if (!d.name) f.error(childPath(p, "name"), "must be set to the name of a persistentVolumeClaim or ephemeral volume");
    else {
      const v = volumes.get(d.name);
      const first = seenDeviceNames.get(d.name);
      if (first !== undefined) f.error(childPath(p, "name"), `${JSON.stringify(d.name)} is already used by volumeDevices[${first}]; each volume can be one device`);
      else seenDeviceNames.set(d.name, i);
      if (!v) f.error(childPath(p, "name"), `${JSON.stringify(d.name)} is not a volume of spec.volumes; add it there or fix the name`);
      else if (!v.persistentVolumeClaim && !v.ephemeral) {
        f.error(childPath(p, "name"), `${JSON.stringify(d.name)} is not a persistentVolumeClaim or ephemeral volume; only those can be block devices`);
      }
      if (mountNames.has(d.name)) f.error(childPath(p, "name"), `${JSON.stringify(d.name)} is also used in volumeMounts; a volume is either mounted or a device`);
    }
    if (!d.devicePath) f.error(childPath(p, "devicePath"), "must be set");
    else {
      const first = seenDevicePaths.get(d.devicePath);
      if (first !== undefined) f.error(childPath(p, "devicePath"), `${JSON.stringify(d.devicePath)} is already used by volumeDevices[${first}]; device paths must be unique`);
      else seenDevicePaths.set(d.devicePath, i);
      if (d.devicePath.split(/[\\/]/).includes("..")) f.error(childPath(p, "devicePath"), `${JSON.stringify(d.devicePath)} contains '..'; use a path without backsteps`);
      if (mountPaths.has(d.devicePath)) f.error(childPath(p, "devicePath"), `${JSON.stringify(d.devicePath)} is also a mountPath in volumeMounts; use another path`);
    }
  });
}
