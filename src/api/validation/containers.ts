// Kubernetes container rules (docs/behaviour.md §4.3) applied to a SidecarSet's
// containers and initContainers as if they were one pod whose volumes are
// spec.volumes — the pod OpenKruise validates them in.
import type { Container, Volume } from "../kube-types.js";
import { isNativeSidecar } from "../sidecar-containers.js";
import type { SidecarContainer, SidecarSetSpec } from "../types.js";
import { validateEnv } from "./container-env.js";
import { validateMountsAndDevices } from "./container-mounts.js";
import { validateLifecycle, validateProbe } from "./container-probes.js";
import { validateResizePolicy, validateResources } from "./container-resources.js";
import type { Findings } from "./findings.js";
import { childPath, indexPath } from "./paths.js";
import { validateSecurityContext } from "./security-context.js";
import { checkDns1123Label, checkPortName } from "./syntax.js";
import { isPortNumber } from "./container-probes.js";

export interface ContainerAt {
  c: SidecarContainer;
  path: string;
  isInit: boolean;
}

/** Every container and initContainer with its path; malformed entries are skipped. */
export function listContainers(spec: SidecarSetSpec | undefined): ContainerAt[] {
  const out: ContainerAt[] = [];
  (spec?.containers ?? []).forEach((c, i) => {
    if (c) out.push({ c, path: indexPath("spec.containers", i), isInit: false });
  });
  (spec?.initContainers ?? []).forEach((c, i) => {
    if (c) out.push({ c, path: indexPath("spec.initContainers", i), isInit: true });
  });
  return out;
}

export function validateContainers(spec: SidecarSetSpec, volumes: Map<string, Volume>, f: Findings): void {
  // Regular containers claim their names first, as in a pod; an initContainer reusing one is the duplicate.
  const names = new Map<string, string>();
  const all = listContainers(spec);
  for (const { c, path, isInit } of all) {
    validateName(c, path, names, f);
    validateCommon(c, path, volumes, f);
    validateRestartPolicyAndProbes(c, path, isInit, f);
    validateResizePolicy(c, path, isInit, f);
  }
  validateHostPorts(all.filter((x) => !x.isInit), f);
}

function validateName(c: Container, path: string, names: Map<string, string>, f: Findings): void {
  const p = childPath(path, "name");
  if (!c.name) {
    f.error(p, "must be set");
    return;
  }
  const bad = checkDns1123Label(c.name, "container name");
  if (bad) f.error(p, bad);
  const first = names.get(c.name);
  if (first !== undefined) {
    f.error(p, `${JSON.stringify(c.name)} is already used by ${first}; names must be unique across containers and initContainers`);
  } else {
    names.set(c.name, path);
  }
}

function validateCommon(c: Container, path: string, volumes: Map<string, Volume>, f: Findings): void {
  if (!c.image) f.error(childPath(path, "image"), "must be set");
  else if (c.image.trim() !== c.image) {
    f.error(childPath(path, "image"), `${JSON.stringify(c.image)} has leading or trailing whitespace; remove it`);
  }
  if (!c.imagePullPolicy) f.error(childPath(path, "imagePullPolicy"), "must be set; use Always, IfNotPresent or Never");
  if (!c.terminationMessagePolicy) {
    f.error(childPath(path, "terminationMessagePolicy"), "must be set; use File or FallbackToLogsOnError");
  }
  validatePorts(c, path, f);
  validateEnv(c, path, f);
  validateMountsAndDevices(c, path, volumes, f);
  validateResources(c, path, f);
  validateSecurityContext(c, path, f);
}

function validateRestartPolicyAndProbes(c: Container, path: string, isInit: boolean, f: Findings): void {
  const rp = childPath(path, "restartPolicy");
  if (!isInit) {
    if (c.restartPolicy !== undefined) {
      f.error(rp, "must not be set on a container; only initContainers take restartPolicy (Always makes a native sidecar)");
    }
  } else if (c.restartPolicy !== undefined && c.restartPolicy !== "Always") {
    f.error(rp, `${JSON.stringify(c.restartPolicy)} is not supported; use Always (a native sidecar) or leave it unset`);
  }
  const probes = ["livenessProbe", "readinessProbe", "startupProbe"] as const;
  if (isInit && !isNativeSidecar(c)) {
    for (const field of ["lifecycle", ...probes] as const) {
      if (c[field] !== undefined) {
        f.error(
          childPath(path, field),
          "must not be set on an initContainer that runs to completion; only native sidecars (restartPolicy: Always) take probes and lifecycle hooks",
        );
      }
    }
    return;
  }
  if (c.lifecycle) validateLifecycle(c.lifecycle, childPath(path, "lifecycle"), f);
  for (const kind of probes) {
    const probe = c[kind];
    if (probe) validateProbe(probe, kind, childPath(path, kind), f);
  }
}

function validatePorts(c: Container, path: string, f: Findings): void {
  const portsPath = childPath(path, "ports");
  const names = new Map<string, number>();
  (c.ports ?? []).forEach((port, i) => {
    if (!port) return;
    const p = indexPath(portsPath, i);
    if (port.name) {
      const bad = checkPortName(port.name);
      if (bad) f.error(childPath(p, "name"), bad);
      else if (names.has(port.name)) {
        f.error(childPath(p, "name"), `${JSON.stringify(port.name)} is already used by ports[${names.get(port.name)}]; port names must be unique in a container`);
      } else names.set(port.name, i);
    }
    if (port.containerPort === undefined || port.containerPort === 0) {
      f.error(childPath(p, "containerPort"), "must be set to a port number (1 to 65535)");
    } else if (!isPortNumber(port.containerPort)) {
      f.error(childPath(p, "containerPort"), `${port.containerPort} is not a port number; use 1 to 65535`);
    }
    if (port.hostPort !== undefined && port.hostPort !== 0 && !isPortNumber(port.hostPort)) {
      f.error(childPath(p, "hostPort"), `${port.hostPort} is not a port number; use 1 to 65535, or 0 for none`);
    }
    if (!port.protocol) f.error(childPath(p, "protocol"), "must be set; use TCP, UDP or SCTP");
  });
}

/** Two containers of one pod cannot bind the same host port. */
function validateHostPorts(containers: ContainerAt[], f: Findings): void {
  const used = new Map<string, string>();
  for (const { c, path } of containers) {
    (c.ports ?? []).forEach((port, i) => {
      if (!port || !port.hostPort) return;
      const key = `${port.hostIP ?? ""}/${port.protocol ?? ""}/${port.hostPort}`;
      const p = childPath(indexPath(childPath(path, "ports"), i), "hostPort");
      const first = used.get(key);
      if (first !== undefined) {
        f.error(p, `${port.hostPort}/${port.protocol ?? ""} is already bound by ${first}; host ports must be unique in a pod`);
      } else {
        used.set(key, p);
      }
    });
  }
}
