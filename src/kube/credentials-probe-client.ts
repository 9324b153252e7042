// Runs credentials-probe.ts as a helper process and reads its answer.
import { helperScript, runHelperProcess } from "../process/helper-process.js";
import type { ProbeAnswer, ProbeRequest } from "./credentials-probe-protocol.js";

/** Loading the library takes about a second; a hung helper must not hang the manager. */
const PROBE_TIMEOUT_MS = 60_000;

export function probeCredentials(request: ProbeRequest, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeAnswer> {
  return runHelperProcess<ProbeAnswer>(helperScript(import.meta.url, "credentials-probe"), request, {
    what: "the credentials helper process",
    timeoutMs,
  });
}
