// Probes and lifecycle hooks (docs/behaviour.md §4.3): exactly one handler each, valid
// ports and schemes, non-negative timings, and the per-probe rules Kubernetes
// adds (liveness and startup need successThreshold 1, readiness takes no
// terminationGracePeriodSeconds).
import type { Container } from "../kube-types.js";
import type { Findings } from "./findings.js";
import { childPath, indexPath } from "./paths.js";
import { checkHttpHeaderName, checkPortName } from "./syntax.js";

type Probe = NonNullable<Container["livenessProbe"]>;
type Handler = NonNullable<NonNullable<Container["lifecycle"]>["postStart"]>;
type ProbeKind = "livenessProbe" | "readinessProbe" | "startupProbe";

/** The pod's terminationGracePeriodSeconds as OpenKruise's synthetic pod has it (the Kubernetes default). */
const POD_GRACE_PERIOD_SECONDS = 30;
const PROBE_COUNTERS = ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"] as const;

export function validateProbe(probe: Probe, kind: ProbeKind, path: string, f: Findings): void {
  validateHandler(
    { exec: probe.exec, httpGet: probe.httpGet, tcpSocket: probe.tcpSocket, grpc: probe.grpc },
    path,
    f,
  );
  for (const field of PROBE_COUNTERS) {
    const v = probe[field];
    if (typeof v === "number" && v < 0) f.error(childPath(path, field), `${v} is negative; use 0 or more`);
  }
  const grace = probe.terminationGracePeriodSeconds;
  if (kind === "readinessProbe") {
    if (grace !== undefined) {
      f.error(childPath(path, "terminationGracePeriodSeconds"), "must not be set on a readiness probe; it only applies to liveness and startup probes");
    }
  } else {
    if (typeof grace === "number" && grace <= 0) {
      f.error(childPath(path, "terminationGracePeriodSeconds"), `${grace} is not allowed; use a value greater than 0`);
    }
    const success = probe.successThreshold ?? 0;
    if (success !== 1) {
      f.error(
        childPath(path, "successThreshold"),
        `is ${success}; a ${kind === "livenessProbe" ? "liveness" : "startup"} probe must have successThreshold 1${kind === "startupProbe" && probe.successThreshold === undefined ? " (startup probes are not defaulted: set it explicitly)" : ""}`,
      );
    }
  }
}

export function validateLifecycle(lifecycle: NonNullable<Container["lifecycle"]>, path: string, f: Findings): void {
  for (const hook of ["postStart", "preStop"] as const) {
    const h = lifecycle[hook];
    if (h) validateLifecycleHandler(h, childPath(path, hook), f);
  }
}

function validateLifecycleHandler(h: Handler, path: string, f: Findings): void {
  validateHandler({ exec: h.exec, httpGet: h.httpGet, tcpSocket: h.tcpSocket, sleep: h.sleep }, path, f);
  const seconds = h.sleep?.seconds;
  if (typeof seconds === "number" && (seconds <= 0 || seconds > POD_GRACE_PERIOD_SECONDS)) {
    f.error(
      childPath(childPath(path, "sleep"), "seconds"),
      `${seconds} is out of range; use 1 to ${POD_GRACE_PERIOD_SECONDS} (the pod's default terminationGracePeriodSeconds)`,
    );
  }
}

interface Handlers {
  exec?: { command?: string[] };
  httpGet?: NonNullable<Probe["httpGet"]>;
  tcpSocket?: NonNullable<Probe["tcpSocket"]>;
  grpc?: NonNullable<Probe["grpc"]>;
  sleep?: { seconds?: number };
}

function validateHandler(h: Handlers, path: string, f: Findings): void {
  const set = (Object.keys(h) as (keyof Handlers)[]).filter((k) => h[k] !== undefined);
  if (set.length === 0) {
    if (!f.hasShapeErrorWithin(path)) f.error(path, `has no handler; set one of ${Object.keys(h).join(", ")}`);
  } else if (set.length > 1) {
    f.error(path, `sets ${set.join(" and ")}; use exactly one handler`);
  }
  if (h.exec && (h.exec.command ?? []).length === 0) {
    f.error(childPath(childPath(path, "exec"), "command"), "must list the command to run");
  }
  if (h.httpGet) {
    const p = childPath(path, "httpGet");
    if (!h.httpGet.path) f.error(childPath(p, "path"), `must be set (e.g. "/healthz")`);
    validatePortNumOrName(h.httpGet.port, childPath(p, "port"), f);
    if (!h.httpGet.scheme) f.error(childPath(p, "scheme"), "must be set; use HTTP or HTTPS");
    (h.httpGet.httpHeaders ?? []).forEach((header, i) => {
      if (!header) return;
      const bad = checkHttpHeaderName(header.name ?? "");
      if (bad) f.error(childPath(indexPath(childPath(p, "httpHeaders"), i), "name"), bad);
    });
  }
  if (h.tcpSocket) validatePortNumOrName(h.tcpSocket.port, childPath(childPath(path, "tcpSocket"), "port"), f);
  if (h.grpc) {
    const port = h.grpc.port;
    if (!isPortNumber(port)) {
      f.error(childPath(childPath(path, "grpc"), "port"), `${port ?? "nothing"} is not a port number; use 1 to 65535`);
    }
  }
}

export function isPortNumber(v: unknown): boolean {
  return typeof v === "number" && Number.isInteger(v) && v >= 1 && v <= 65535;
}

function validatePortNumOrName(port: number | string | undefined, path: string, f: Findings): void {
  if (port === undefined) {
    f.error(path, "must be set to a port number (1 to 65535) or a container port name");
  } else if (typeof port === "number") {
    if (!isPortNumber(port)) f.error(path, `${port} is not a port number; use 1 to 65535 or a port name`);
  } else {
    const bad = checkPortName(port);
    if (bad) f.error(path, bad);
  }
}
